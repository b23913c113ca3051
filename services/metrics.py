"""Prometheus metrics of every process (Rasa, action server, pages server).

One `Metrics` object per process, built by the process's start-up and kept on the
Sanic app (`app.ctx.metrics`); nothing is registered at import time and each object
has its own registry, so two apps (or tests) never share counters.

Names follow Prometheus conventions (`_total` counters, `_seconds` in base units);
labels have bounded values only: channel, intent (the domain's intents), outcome,
stage, action name, component. No sender or client ids.

Code that runs below the adapters without a handle on the app (the actions' shared
helpers) reaches the request's object through `current()`, set per request by the
server's middleware (a context variable: one value per request task, no shared state).
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from typing import Callable, Iterable, Optional, Tuple

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from core.settings import get_settings

PREFIX = "liangrong"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OUTCOMES = ("answered", "clarified", "out_of_scope", "handed_off", "refused", "error")
# A chat turn is 10–50 ms when healthy; the top buckets catch the 20 s reply timeout.
TURN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)
WAIT_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
LAG_BUCKETS = (0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)

_current: ContextVar[Optional[Metrics]] = ContextVar("liangrong_metrics", default=None)


class Metrics:
    """Every metric of the system. A process uses the ones it has events for; the
    others are exposed with no samples (so dashboards and rules find them)."""

    def __init__(self, process: str) -> None:
        self.process = process
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry

        def name(n: str) -> str:
            return f"{PREFIX}_{n}"

        # -- chat (Rasa) ------------------------------------------------------------
        self.messages_received = Counter(name("messages_received"), "Client messages received", ["channel"], registry=r)
        self.messages_answered = Counter(
            name("messages_answered"),
            "Client messages answered, by channel, intent and outcome",
            ["channel", "intent", "outcome"],
            registry=r,
        )
        self.rate_limited = Counter(name("rate_limited"), "Messages refused by the rate limit", ["channel"], registry=r)
        self.turn_seconds = Histogram(
            name("turn_seconds"),
            "Whole chat turn, message in to replies out",
            ["channel"],
            buckets=TURN_BUCKETS,
            registry=r,
        )
        self.stage_seconds = Histogram(
            name("stage_seconds"),
            "Stages of a turn: nlu (tracker load and NLU), policy_and_action (one prediction and action step)",
            ["stage"],
            buckets=TURN_BUCKETS,
            registry=r,
        )
        self.action_server_errors = Counter(
            name("action_server_errors"),
            "Custom-action calls from Rasa that failed (action server down or erroring)",
            registry=r,
        )
        # -- action server ---------------------------------------------------------
        self.actions = Counter(name("actions"), "Actions run by the action server", ["action", "outcome"], registry=r)
        self.action_seconds = Histogram(
            name("action_seconds"), "Action run time in the action server", ["action"], buckets=TURN_BUCKETS, registry=r
        )
        # -- shared ------------------------------------------------------------------
        self.database_errors = Counter(
            name("database_errors"), "Database calls that failed or timed out", ["component"], registry=r
        )
        # -- alerts --------------------------------------------------------------------
        self.alerts_created = Counter(name("alerts_created"), "Risk alerts created", registry=r)
        self.alerts_delivered = Counter(name("alerts_delivered"), "Risk alerts pushed into an open chat", registry=r)
        self.alerts_read = Counter(name("alerts_read"), "Risk alerts the client's widget showed", registry=r)
        self.alert_delivery_lag = Histogram(
            name("alert_delivery_lag_seconds"),
            "From an alert's creation to its push into the client's chat",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        # -- hand-offs (pages server) -----------------------------------------------
        self.handoff_wait = Histogram(
            name("handoff_wait_seconds"),
            "From a hand-off request to an agent taking it",
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.info = Gauge(name("process_info"), "Which process this is", ["process"], registry=r)
        self.info.labels(process).set(1)

    # -- reading state on scrape ------------------------------------------------------
    def watch(self, collect: Callable[[], Iterable[GaugeMetricFamily]]) -> None:
        """Register a function that reports gauges read at scrape time (knowledge
        revision, queue length): nothing to keep up to date between scrapes."""
        self.registry.register(_Callback(collect))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    # -- helpers for instrumented code -----------------------------------------------
    def answered(self, channel: str, intent: Optional[str], outcome: str) -> None:
        self.messages_answered.labels(channel, intent or "none", outcome).inc()

    def bind(self) -> object:
        """Make this the current request's metrics (see `current`); returns the reset token."""
        return _current.set(self)


def scrape(metrics: Optional[Metrics], peer_ip: Optional[str], forwarded_for: str) -> Tuple[int, bytes]:
    """GET /metrics for any server: (status, body). 403 for anyone not allowed."""
    if not allowed(peer_ip, forwarded_for, get_settings().metrics_allow):
        return 403, b"forbidden\n"
    if metrics is None:
        return 503, b"metrics not started\n"
    return 200, metrics.exposition()


def current() -> Optional[Metrics]:
    """The metrics of the request being handled, or None outside a server request."""
    return _current.get()


def count_database_error(component: str) -> None:
    metrics = current()
    if metrics is not None:
        metrics.database_errors.labels(component).inc()


class _Callback(Collector):
    def __init__(self, collect: Callable[[], Iterable[GaugeMetricFamily]]) -> None:
        self._collect = collect

    def collect(self) -> Iterable[GaugeMetricFamily]:
        return self._collect()

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []  # the names are only known by collecting; fine for a custom collector


def gauge(metric: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{metric}", documentation, value=value)


def knowledge_gauges(service: object) -> Iterable[GaugeMetricFamily]:
    """The knowledge service's revision, last rebuild time and freshness (none before it is built)."""
    if service is None:
        return []
    return [
        gauge(
            "knowledge_revision",
            "Published revision the index was built from (0: a file store)",
            _number(service.revision),
        ),
        gauge("knowledge_rebuild_seconds", "How long the last index (re)build took", service.last_build_seconds),
        gauge(
            "knowledge_last_refresh_timestamp_seconds",
            "When the index last checked the store successfully (Unix time)",
            service.last_ok_at,
        ),
        gauge("knowledge_entries", "Entries in the live index", float(len(service.entries))),
    ]


def _number(revision: str) -> float:
    """ "db:12" → 12; a file store's digest has no order, so 0."""
    head, _, tail = revision.partition(":")
    return float(tail) if head == "db" and tail.isdigit() else 0.0


def allowed(peer_ip: Optional[str], forwarded_for: str, allow: str) -> bool:
    """May this request read /metrics? The peer must be in the allow list (IPs or
    networks, comma-separated) and so must every hop a proxy says it forwarded for:
    through the public load balancer the peer is the proxy itself, on loopback."""
    networks = []
    for item in allow.split(","):
        item = item.strip()
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                continue
    hops = [peer_ip or ""] + [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in hops:
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return False
        if not any(address in net for net in networks):
            return False
    return True
