"""Operations (issue 19): Prometheus metrics on every server, readiness that names what
is down, the request id from the channel to the action server and the audit rows,
and the alert rules and dashboard against a real scrape.

The end-to-end tests run their own Rasa, action and pages servers (JSON logs, Rasa's
HTTP API for unloading the model, a low rate limit) on their own copy of the test
database, because the readiness test stops the servers' dependencies one by one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Set

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.channels import observe
from services.metrics import Metrics, allowed
from storage.db import session_scope
from storage.models import AuditLog
from tests.conftest import RISK_KEY, ROOT, Servers, free_port, wait_http

DEPLOY = ROOT / "deploy" / "production"
LOGGING = str(DEPLOY / "logging.yml")


# -- without servers ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "actions, replies, expected",
    [
        (["action_answer_faq"], [{"text": "…", "custom": {"faq_id": "x", "version": 1}}], "answered"),
        (["action_answer_faq"], [{"text": "您想问哪一个？", "buttons": [{"title": "a", "payload": "a"}]}], "clarified"),
        (["action_clarify"], [{"text": "…", "quick_replies": [{"title": "a", "payload": "a"}]}], "clarified"),
        (["action_answer_faq"], [{"text": "超出范围"}], "out_of_scope"),
        (["action_out_of_scope"], [{"text": "超出范围"}], "out_of_scope"),
        (["action_handoff"], [{"text": "正在转接", "custom": {"handoff": "queued"}}], "handed_off"),
        (["action_refuse_advice"], [{"text": "不能推荐"}], "refused"),
        (["action_query_quota"], [{"text": "您的授信额度为…"}], "answered"),
        (["utter_greet"], [{"text": "您好"}], "answered"),
        (["action_converse"], [{"text": "您是想了解…", "buttons": [{"title": "a", "payload": "a"}]}], "clarified"),
        (["action_converse"], [{"text": "好的。还有什么可以帮您的吗？"}], "answered"),
        (["action_query_quota"], [], "error"),
        ([], [{"text": "系统繁忙", "custom": {"retry": True}}], "error"),
    ],
)
def test_turn_outcome(actions, replies, expected):
    assert observe.outcome(actions, replies) == expected


def test_turn_steps_are_timed_between_action_boundaries():
    t = 1000.0
    events = [
        UserUttered("融资利率", {"name": "faq"}, timestamp=t),
        BotUttered("…", timestamp=t + 0.030),  # inside the first step: not a boundary
        ActionExecuted("action_answer_faq", timestamp=t + 0.031),
        ActionExecuted("action_listen", timestamp=t + 0.035),
    ]
    turn = observe.Turn()
    observe.read_turn(events, 1, turn)
    assert turn.intent == "faq" and turn.actions == ["action_answer_faq"]
    assert turn.steps_s == [pytest.approx(0.031)]


def test_metrics_are_served_to_loopback_and_the_scrape_address_only():
    assert allowed("127.0.0.1", "", "127.0.0.1,::1") and allowed("::1", "", "127.0.0.1,::1")
    assert not allowed("10.0.0.7", "", "127.0.0.1,::1")
    assert allowed("10.0.0.7", "", "127.0.0.1,10.0.0.0/24")
    # through the load balancer the peer is nginx on loopback: the forwarded client decides
    assert not allowed("127.0.0.1", "203.0.113.9", "127.0.0.1,::1")
    assert not allowed("garbage", "", "127.0.0.1")


def test_each_metrics_object_has_its_own_registry():
    a, b = Metrics("a"), Metrics("b")
    a.messages_received.labels("rest").inc()
    assert b'liangrong_messages_received_total{channel="rest"} 1.0' in a.exposition()
    assert b'liangrong_messages_received_total{channel="rest"}' not in b.exposition()


def test_alert_rules_load():
    if shutil.which("promtool") is None:
        pytest.skip("promtool (Debian package prometheus) is not installed")
    out = subprocess.run(["promtool", "check", "rules", str(DEPLOY / "alerts.yml")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    config = subprocess.run(
        ["promtool", "check", "config", "--syntax-only", str(DEPLOY / "prometheus.yml")], capture_output=True, text=True
    )
    assert config.returncode == 0, config.stdout + config.stderr
    test_file = str(DEPLOY / "alerts_test.yml")
    cases = subprocess.run(["promtool", "test", "rules", test_file], capture_output=True, text=True)
    assert cases.returncode == 0, cases.stdout + cases.stderr  # the rules fire when they should, and only then


# -- real servers ---------------------------------------------------------------------------
class OpsServers(Servers):
    """The test servers with the production logging config and Rasa's HTTP API."""

    logging_args = ("--logging-config-file", LOGGING)
    rasa_args = ("--enable-api",)  # DELETE /model, for the readiness test


def _own_database(database_url: str, tmp: Path) -> str:
    """SQLite: a copy the readiness test may move away. PostgreSQL: the test server itself."""
    if not database_url.startswith("sqlite"):
        return database_url
    copy = tmp / "ops.db"
    src, dst = sqlite3.connect(make_url(database_url).database), sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    return f"sqlite:///{copy}"


@pytest.fixture(scope="module")
def ops(database_url, tmp_path_factory) -> Iterator[OpsServers]:
    tmp = tmp_path_factory.mktemp("ops")
    url = _own_database(database_url, tmp)
    s = OpsServers(url, tmp)
    s.env.update(
        BOT_RATE_LIMIT_SENDER="3/60",
        BOT_KNOWLEDGE_STALE_S="3",
        BOT_RISK_API_KEY=RISK_KEY,
        BOT_ALERT_SCAN_S="3600",  # alerts are created by this test's risk event only
    )
    s.database_url = url
    s.pages_port = free_port()
    pages = None
    try:
        s.start()
        log = open(tmp / "pages.log", "ab")
        pages = subprocess.Popen(
            [sys.executable, "-m", "web.server", "--port", str(s.pages_port), "--rasa", s.url],
            cwd=ROOT,
            env=s.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        s.pages = f"http://127.0.0.1:{s.pages_port}"
        wait_http(s.pages + "/", 60, pages)
        yield s
    finally:
        if pages is not None:
            pages.terminate()
            pages.wait(10)
        s.stop()


def scrape(url: str) -> Dict[str, float]:
    """Every sample of a /metrics answer, keyed 'name{label="v",…}' (labels sorted)."""
    resp = requests.get(f"{url}/metrics", timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def families(url: str) -> Set[str]:
    text = requests.get(f"{url}/metrics", timeout=10).text
    return set(re.findall(r"^# TYPE (\S+) ", text, flags=re.M))


def delta(before: Dict[str, float], after: Dict[str, float], key: str) -> float:
    return after.get(key, 0.0) - before.get(key, 0.0)


def replies(resp: requests.Response) -> List[dict]:
    assert resp.status_code == 200, resp.text
    return resp.json()


def text_of(resp: requests.Response) -> str:
    return "\n".join(r.get("text", "") for r in replies(resp))


def staff_token(pages: str, username: str, password: str) -> str:
    resp = requests.post(f"{pages}/api/staff/login", json={"username": username, "password": password}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["token"]


@pytest.mark.e2e
def test_counters_move_by_the_conversation(ops):
    actions_url = f"http://127.0.0.1:{ops.actions_port}"
    before = {name: scrape(url) for name, url in (("rasa", ops.url), ("actions", actions_url), ("pages", ops.pages))}
    run = uuid.uuid4().hex[:8]
    token = ops.token("C1001")

    assert "6.8%" in text_of(ops.chat("融资利率是多少？", sender=f"ops-{run}-1"))
    assert "推荐" in text_of(ops.chat("推荐一只股票", sender=f"ops-{run}-2"))
    ops.chat("今天天气怎么样", sender=f"ops-{run}-3")
    ops.chat("追保", sender=f"ops-{run}-4")
    assert "转接" in text_of(ops.chat("我要转人工", sender=f"ops-{run}-5"))
    assert "授信额度" in text_of(ops.chat("我还能融多少", sender=f"ops-{run}-6", metadata={"token": token}))
    flood = [ops.chat("你好", sender=f"ops-{run}-flood") for _ in range(4)]  # limit: 3 per minute
    assert [r.status_code for r in flood] == [200, 200, 200, 429]  # a flood: the polite reply with a 429
    assert "太频繁" in "".join(m.get("text", "") for m in flood[-1].json())

    # the agent takes the hand-off; the risk system reports a margin call
    agent = {"Authorization": f"Bearer {staff_token(ops.pages, 'kf_liu', 'agent-demo-pass')}"}
    queue_before = scrape(ops.pages)["liangrong_handoff_queue_length{}"]
    inbox = requests.get(  # the inbox is paged: look this conversation up
        f"{ops.pages}/api/agent/inbox", params={"q": f"ops-{run}-5"}, headers=agent, timeout=10
    ).json()["items"]
    mine = next(h for h in inbox if h["sender_id"] == f"ops-{run}-5")
    assert requests.post(f"{ops.pages}/api/agent/handoffs/{mine['id']}/take", headers=agent, timeout=10).ok
    event = requests.post(
        f"{ops.pages}/api/risk/events",
        json={"type": "margin_call", "client_id": "C1004", "since": time.strftime("%Y-%m-%d")},
        headers={"Authorization": f"Bearer {RISK_KEY}"},
        timeout=30,
    )
    assert event.status_code == 200, event.text
    created = event.json()["alerts_created"]
    after = {name: scrape(url) for name, url in (("rasa", ops.url), ("actions", actions_url), ("pages", ops.pages))}

    r0, r1 = before["rasa"], after["rasa"]
    assert delta(r0, r1, 'liangrong_messages_received_total{channel="rest"}') == 10
    assert delta(r0, r1, 'liangrong_rate_limited_total{channel="rest"}') == 1
    answered = "liangrong_messages_answered_total{"
    expected = {
        ("faq", "answered"): 1,
        ("ask_investment_advice", "refused"): 1,
        ("out_of_scope", "out_of_scope"): 1,
        ("request_human", "handed_off"): 1,
        ("query_quota", "answered"): 1,
        ("greet", "answered"): 3,
    }
    moved = {k: delta(r0, r1, k) for k in r1 if k.startswith(answered) and delta(r0, r1, k)}
    for (intent, outcome), n in expected.items():
        key = f'{answered}channel="rest",intent="{intent}",outcome="{outcome}"}}'
        assert moved.get(key) == n, (key, moved)
    # the bare term "追保" gets a menu, whichever intent the classifier read it as (faq or fallback)
    assert sum(v for k, v in moved.items() if 'outcome="clarified"' in k) == 1, moved
    assert sum(moved.values()) == 9, moved  # nothing else was counted
    assert delta(r0, r1, 'liangrong_turn_seconds_count{channel="rest"}') == 9
    assert delta(r0, r1, 'liangrong_stage_seconds_count{stage="nlu"}') == 9
    assert delta(r0, r1, 'liangrong_stage_seconds_count{stage="policy_and_action"}') >= 9
    assert delta(r0, r1, "liangrong_action_server_errors_total{}") == 0
    assert r1["liangrong_knowledge_entries{}"] > 0 and r1["liangrong_knowledge_revision{}"] >= 1

    a0, a1 = before["actions"], after["actions"]
    for action in ("action_handoff", "action_query_quota"):  # the rest run inside Rasa (endpoints.yml)
        assert delta(a0, a1, f'liangrong_actions_total{{action="{action}",outcome="ok"}}') == 1, action
        assert delta(a0, a1, f'liangrong_action_seconds_count{{action="{action}"}}') == 1, action
    assert sum(delta(a0, a1, k) for k in a1 if k.startswith("liangrong_actions_total{")) == 2

    p0, p1 = before["pages"], after["pages"]
    assert delta(p0, p1, "liangrong_handoff_wait_seconds_count{}") == 1
    assert p1["liangrong_handoff_queue_length{}"] == queue_before - 1
    assert created >= 1 and delta(p0, p1, "liangrong_alerts_created_total{}") == created


@pytest.mark.e2e
def test_metrics_are_refused_through_a_proxy_for_an_outside_client(ops):
    for url in (ops.url, f"http://127.0.0.1:{ops.actions_port}", ops.pages):
        resp = requests.get(f"{url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
        assert resp.status_code == 403 and "liangrong" not in resp.text, url


def metric_names_used() -> Set[str]:
    rules = (DEPLOY / "alerts.yml").read_text(encoding="utf-8")
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(exprs) >= 20
    return set(re.findall(r"\bliangrong_[a-z_]+", rules + "\n".join(exprs)))


@pytest.mark.e2e
def test_every_metric_a_rule_or_panel_uses_exists_in_a_real_scrape(ops):
    ops.chat("融资利率是多少", sender="ops-names")  # the knowledge index is built by now
    exposed: Set[str] = set()
    for url in (ops.url, f"http://127.0.0.1:{ops.actions_port}", ops.pages):
        exposed |= families(url)
    names = set()
    for family in exposed:
        names |= {family, f"{family}_total", f"{family}_bucket", f"{family}_sum", f"{family}_count"}
    used = metric_names_used()
    assert used - names == set()
    assert {"liangrong_handoff_oldest_wait_seconds", "liangrong_knowledge_last_refresh_timestamp_seconds"} <= used


@pytest.mark.e2e
def test_request_id_follows_a_message_to_the_action_server_and_the_audit_row(ops):
    request_id = f"ops-{uuid.uuid4().hex}"
    resp = requests.post(
        f"{ops.url}/webhooks/rest/webhook",
        json={"sender": "ops-rid", "message": "我还能融多少", "metadata": {"token": ops.token("C1001")}},
        headers={"X-Request-ID": request_id},
        timeout=30,
    )
    assert "授信额度" in text_of(resp) and resp.headers["X-Request-ID"] == request_id

    def lines(name: str) -> List[dict]:
        out = []
        for line in (ops.tmp / name).read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("request_id") == request_id:
                    out.append(record)
        return out

    rasa_lines, action_lines = lines("rasa.log"), lines("actions.log")
    assert any(r["logger"] == "bot.channels.rest" for r in rasa_lines), rasa_lines
    assert any("action_query_quota" in r["message"] for r in action_lines), action_lines
    with session_scope(ops.database_url) as s:
        details = s.scalars(select(AuditLog.detail).where(AuditLog.action == "action_query_quota")).all()
    assert any(f"[request_id={request_id}]" in (d or "") for d in details), details[-3:]


@pytest.mark.e2e
def test_socketio_turns_and_alert_delivery_are_counted(ops):
    import socketio

    from storage.content import Alert

    event = requests.post(
        f"{ops.pages}/api/risk/events",
        json={"type": "margin_call", "client_id": "C1004", "since": time.strftime("%Y-%m-%d")},
        headers={"Authorization": f"Bearer {RISK_KEY}"},
        timeout=30,
    )
    assert event.status_code == 200, event.text
    with session_scope(ops.database_url) as s:
        waiting = s.scalars(select(Alert.id).where(Alert.client_id == "C1004", Alert.delivered_at.is_(None))).all()
    assert waiting  # the margin call's alert, not yet shown in a chat
    before = scrape(ops.url)

    client = socketio.Client(reconnection=False)
    alerts_seen, replies_seen = [], []
    got_alerts, got_reply = threading.Event(), threading.Event()

    @client.on("bot_uttered")
    def uttered(data):
        if (data.get("custom") or {}).get("alert_id"):
            alerts_seen.append(data)
            if len(alerts_seen) == len(waiting):
                got_alerts.set()
        else:
            replies_seen.append(data)
            got_reply.set()

    session_id = uuid.uuid4().hex
    client.connect(ops.url, socketio_path="/socket.io", transports=["websocket"])
    try:
        client.emit("session_request", {"session_id": session_id, "metadata": {"token": ops.token("C1004")}})
        assert got_alerts.wait(15), alerts_seen
        # acknowledged: the server has handled the read when call() returns
        client.call("alert_read", {"alert_id": alerts_seen[0]["custom"]["alert_id"]}, timeout=10)
        client.emit("user_uttered", {"message": "融资利率是多少", "session_id": session_id, "metadata": {}})
        assert got_reply.wait(30)
    finally:
        client.disconnect()
    after = scrape(ops.url)
    assert "6.8%" in replies_seen[0]["text"]
    assert delta(before, after, 'liangrong_messages_received_total{channel="socketio"}') == 1
    key = 'liangrong_messages_answered_total{channel="socketio",intent="faq",outcome="answered"}'
    assert delta(before, after, key) == 1
    assert delta(before, after, "liangrong_alerts_delivered_total{}") == len(waiting)
    assert delta(before, after, "liangrong_alert_delivery_lag_seconds_count{}") == len(waiting)
    assert delta(before, after, "liangrong_alerts_read_total{}") == 1


def ready(ops) -> requests.Response:
    return requests.get(f"{ops.url}/webhooks/rest/ready", timeout=15)


def wait_ready(ops, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        resp = ready(ops)
        if resp.status_code == 200:
            assert resp.json()["ready"] is True and resp.json()["failing"] == []
            return
        time.sleep(0.5)
    raise AssertionError(f"not ready: {ready(ops).text}")


def _pg(url: str, command: str) -> None:
    parsed = make_url(url)
    env = {**os.environ, "PGPORT": str(parsed.port), "PGDATABASE_NAME": parsed.database}
    subprocess.run(["bash", "scripts/pg.sh", command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


@pytest.mark.e2e
def test_readiness_names_each_dependency_that_is_down(ops):
    """Last in this module: it stops the servers' dependencies one by one."""
    wait_ready(ops)
    assert requests.get(f"{ops.url}/webhooks/rest/", timeout=5).status_code == 200  # liveness

    # the action server
    errors_before = scrape(ops.url).get("liangrong_action_server_errors_total{}", 0.0)
    ops.stop_actions()
    try:
        down = ready(ops)
        assert down.status_code == 503 and down.json()["failing"] == ["action_server"], down.text
        # a request for a person still tells the client how to reach one
        reply = text_of(ops.chat("我要转人工", sender="ops-handoff-down"))
        assert "400-000-0000" in reply and "08:30" in reply and "20:00" in reply, reply
        assert scrape(ops.url)["liangrong_action_server_errors_total{}"] == errors_before + 1
        assert requests.get(f"{ops.url}/webhooks/rest/", timeout=5).status_code == 200  # still alive
    finally:
        ops.start_actions()
    wait_ready(ops)

    # the database (PostgreSQL: the server stopped; SQLite: the file gone)
    url = ops.database_url
    path = Path(make_url(url).database) if url.startswith("sqlite") else None
    if path is not None:
        path.rename(path.with_suffix(".away"))
    else:
        _pg(url, "stop")
    try:
        down = ready(ops)
        assert down.status_code == 503 and "database" in down.json()["failing"], down.text
        if path is None:  # the knowledge index cannot refresh from a stopped server: stale after 3 s here
            time.sleep(4)
            down = ready(ops)
            assert {"database", "knowledge"} <= set(down.json()["failing"]), down.text
    finally:
        if path is not None:
            path.with_suffix(".away").rename(path)
        else:
            _pg(url, "start")
    wait_ready(ops)

    # the model
    assert requests.delete(f"{ops.url}/model", timeout=30).status_code == 204
    down = ready(ops)
    assert down.status_code == 503 and "model" in down.json()["failing"], down.text
