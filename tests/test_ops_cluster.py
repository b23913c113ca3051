"""Prometheus against the production topology (scripts/cluster.sh start + prometheus):
it scrapes every Rasa instance and action server, loads the alert rules, and sees the
messages sent through nginx.

Run apart from the rest (`pytest -m cluster`); ports from the CLUSTER_* variables."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from typing import Dict, Iterator, List

import pytest
import requests

from tests.conftest import ROOT

pytestmark = pytest.mark.cluster
RASA_PORTS = os.environ.get("CLUSTER_RASA_PORTS", "5105 5106").split()
ACTION_PORTS = os.environ.get("CLUSTER_ACTION_PORTS", "5155 5156").split()
LB = f"http://127.0.0.1:{os.environ.get('CLUSTER_LB_PORT', '5080')}"
PROMETHEUS = f"http://127.0.0.1:{os.environ.get('CLUSTER_PROMETHEUS_PORT', '9090')}"


def cluster_sh(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["scripts/cluster.sh", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def topology() -> Iterator[None]:
    cluster_sh("prometheus", "stop")
    cluster_sh("stop")
    try:
        started = cluster_sh("start")
        assert started.returncode == 0, started.stdout[-2000:] + started.stderr[-2000:]
        prometheus = cluster_sh("prometheus", timeout=60)
        assert prometheus.returncode == 0, prometheus.stdout + prometheus.stderr
        yield
    finally:
        cluster_sh("prometheus", "stop")
        cluster_sh("stop", timeout=120)


def query(expr: str) -> List[Dict]:
    resp = requests.get(f"{PROMETHEUS}/api/v1/query", params={"query": expr}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]["result"]


def value(expr: str) -> float:
    result = query(expr)
    return float(result[0]["value"][1]) if result else 0.0


def until(check, timeout_s: float = 40.0):
    """Prometheus scrapes every 5 s and evaluates rules every 5 s: wait for its next rounds."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(1)


def test_prometheus_scrapes_the_topology_and_loads_the_rules(topology):
    for port in RASA_PORTS:  # cluster.sh waited for readiness; it names nothing failing
        ready = requests.get(f"http://127.0.0.1:{port}/webhooks/rest/ready", timeout=10).json()
        assert ready["ready"] is True and ready["failing"] == []

    assert until(lambda: value('sum(up{job="liangrong_rasa"})') == len(RASA_PORTS))
    assert until(lambda: value('sum(up{job="liangrong_actions"})') == len(ACTION_PORTS))
    baseline = value("sum(liangrong_messages_received_total)")

    run = uuid.uuid4().hex[:8]
    questions = ["融资利率是多少", "追保线是多少", "你好", "推荐一只股票", "我要转人工", "今天天气怎么样"]
    for i, question in enumerate(questions):
        body = {"sender": f"prom-{run}-{i}", "message": question}
        resp = requests.post(f"{LB}/webhooks/rest/webhook", json=body, timeout=40)
        assert resp.status_code == 200 and resp.json(), resp.text

    received = until(lambda: value("sum(liangrong_messages_received_total)") - baseline >= len(questions))
    assert received, value("sum(liangrong_messages_received_total)")
    assert value("sum(liangrong_messages_received_total)") - baseline == len(questions)
    # both instances are scraped on their own (nginx spreads the senders; each reports its share)
    per_instance = query("sum by (instance) (liangrong_messages_received_total)")
    assert {r["metric"]["instance"] for r in per_instance} == {f"127.0.0.1:{p}" for p in RASA_PORTS}
    # the action servers are scraped on their own schedule: wait for their next scrape too
    assert until(lambda: value('sum(liangrong_actions_total{action="action_handoff",outcome="ok"})') >= 1)
    assert value("count(liangrong_knowledge_revision)") == len(RASA_PORTS)

    def rules_evaluated():
        groups = requests.get(f"{PROMETHEUS}/api/v1/rules", timeout=10).json()["data"]["groups"]
        rules = [r for g in groups if g["name"] == "liangrong" for r in g["rules"]]
        return rules if rules and all(r.get("lastEvaluation", "").startswith("20") for r in rules) else None

    rules = until(rules_evaluated)
    assert rules and len(rules) == 9
    assert all(r["health"] == "ok" for r in rules), [(r["name"], r.get("lastError")) for r in rules]
    firing = {r["name"] for r in rules if r["state"] == "firing"}
    assert "LiangrongInstanceDown" not in firing and "LiangrongHighErrorRate" not in firing
