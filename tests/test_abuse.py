"""A heavy and hostile client against the real servers: oversized bodies, wrong types,
floods, malformed socket.io events, formulas planted for the CSV export."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
import requests
import socketio

pytestmark = pytest.mark.e2e

BIG = 70 * 1024  # over the 64 KB default


def _post(url, data, headers=None):
    return requests.post(url, data=data, headers={"Content-Type": "application/json", **(headers or {})}, timeout=30)


def test_bodies_over_the_limit_are_refused_with_413_on_every_server(servers, pages):
    big = json.dumps({"sender": "big", "message": "长" * (BIG // 3)}).encode()
    for url in (
        f"{servers.url}/webhooks/rest/webhook",
        f"{servers.url}/webhooks/assist/suggest",
        f"{servers.url}/webhooks/feedback/",
        f"{pages}/api/staff/login",
        f"{pages}/api/editor/validate",
    ):
        assert _post(url, big).status_code == 413, url
    # the action server takes whole trackers, so its limit is 1 MB
    huge = b'{"next_action": "x", "tracker": {"events": [' + b'{"event": "x"},' * 200_000 + b"{}]}}"
    assert _post(f"http://127.0.0.1:{servers.actions_port}/webhook", huge).status_code == 413
    # a normal question still gets its answer, and the servers are fine
    assert servers.chat("融资利率是多少", sender="after-big").status_code == 200


WRONG_TYPES = [
    # (server, path, body, field)
    ("rasa", "/webhooks/rest/webhook", {"sender": 5, "message": "你好"}, "sender"),
    ("rasa", "/webhooks/rest/webhook", {"sender": "t1", "message": [1, 2]}, "message"),
    ("rasa", "/webhooks/rest/webhook", {"sender": "t1", "message": "你好", "metadata": "x"}, "metadata"),
    ("rasa", "/webhooks/rest/webhook", {"sender": "t1", "message": "你好", "metadata": {"token": 5}}, "metadata.token"),
    ("rasa", "/webhooks/rest/webhook", {"sender": "t1", "message": "你好", "message_id": 7}, "message_id"),
    ("rasa", "/webhooks/assist/suggest", {"text": "融资利率", "top_k": "abc"}, "top_k"),
    ("rasa", "/webhooks/assist/suggest", {"text": ["融资利率"]}, "text"),
    ("rasa", "/webhooks/assist/suggest", {"text": "融资利率", "conversation": "x"}, "conversation"),
    (
        "rasa",
        "/webhooks/feedback/",
        {"sender": "s", "faq_id": "interest_financing_rate", "version": "abc", "helpful": True},
        "version",
    ),
    (
        "rasa",
        "/webhooks/feedback/",
        {"sender": "s", "faq_id": "interest_financing_rate", "version": 1, "helpful": "yes"},
        "helpful",
    ),
    (
        "rasa",
        "/webhooks/feedback/",
        {"sender": "s", "faq_id": "interest_financing_rate", "version": 1, "helpful": True, "comment": 5},
        "comment",
    ),
    ("pages", "/api/staff/login", {"username": ["limin"], "password": "x"}, "username"),
]


@pytest.mark.parametrize("server,path,body,field", WRONG_TYPES)
def test_wrong_types_are_400_naming_the_field(servers, pages, server, path, body, field):
    base = servers.url if server == "rasa" else pages
    resp = _post(base + path, json.dumps(body))
    assert resp.status_code == 400, resp.text
    assert resp.json()["field"] == field and field.split(".")[0] in resp.json()["error"]


def _staff(pages, username, password):
    token = requests.post(
        f"{pages}/api/staff/login", json={"username": username, "password": password}, timeout=10
    ).json()["token"]
    return {"Authorization": "Bearer " + token}


@pytest.mark.parametrize(
    "method,path,body,field",
    [
        ("PUT", "/api/editor/entries/contract_term", {"content": {}, "lock": "abc"}, "lock"),
        ("PUT", "/api/editor/entries/contract_term", {"content": [1, 2]}, "content"),
        (
            "PUT",
            "/api/editor/entries/contract_term",
            {"content": {"paraphrases": "x"}, "lock": 1},
            "content.paraphrases",
        ),
        ("PUT", "/api/editor/entries/contract_term", {"content": {"question": 5}, "lock": 1}, "content.question"),
        ("POST", "/api/editor/entries/contract_term/request", {"action": "rollback", "version": "abc"}, "version"),
        ("POST", "/api/editor/entries/contract_term/request", {"action": 5}, "action"),
        ("POST", "/api/editor/entries/contract_term/emergency-retire", {"reason": 5}, "reason"),
        ("POST", "/api/editor/try", {"text": {"a": 1}}, "text"),
        ("POST", "/api/editor/lectures", {"title": "讲座", "day": 20261220, "place": "线上"}, "day"),
        ("POST", "/api/agent/flags", {"kind": "wrong", "text": ["x"]}, "text"),
    ],
)
def test_staff_apis_wrong_types_are_400_naming_the_field(pages, method, path, body, field):
    who = ("kf_liu", "agent-demo-pass") if "/agent/" in path else ("zhouting", "reviewer-demo-pass")
    resp = requests.request(method, pages + path, json=body, headers=_staff(pages, *who), timeout=30)
    assert resp.status_code == 400, resp.text
    assert resp.json().get("field") == field, resp.text


def test_lone_surrogates_are_not_a_busy_answer(servers):
    raw = '{"sender": "sur", "message": "\\ud800 融资利率是多少"}'
    resp = _post(f"{servers.url}/webhooks/rest/webhook", raw)
    assert resp.status_code == 200 and "系统繁忙" not in resp.text
    resp = _post(f"{servers.url}/webhooks/assist/suggest", '{"text": "\\ud800 融资利率"}')
    assert resp.status_code == 200 and resp.json()["suggestions"]
    feedback = (
        '{"sender": "sur", "faq_id": "interest_financing_rate", "version": 1, "helpful": false, "comment": "\\udc00坏"}'
    )
    assert _post(f"{servers.url}/webhooks/feedback/", feedback).status_code == 200


def test_a_flood_gets_the_polite_reply_and_429(servers):
    sender = "flood-" + uuid.uuid4().hex[:8]
    statuses = []
    for i in range(32):  # the default per-conversation limit is 30 a minute
        resp = servers.chat(f"你好{i}", sender=sender)
        statuses.append(resp.status_code)
    assert statuses[:30] == [200] * 30 and statuses[30:] == [429, 429]
    assert "太频繁" in resp.json()[0]["text"]


def test_malformed_socketio_events_get_an_error_event_and_no_traceback(servers):
    client = socketio.Client(reconnection=False)
    errors, replies, got = [], [], threading.Event()
    client.on("error", lambda data: (errors.append(data), got.set()))
    client.on("bot_uttered", lambda data: (replies.append(data), got.set()))
    log = servers.tmp / "rasa.log"
    before = log.stat().st_size
    client.connect(servers.url, socketio_path="/socket.io", transports=["websocket"])
    session = uuid.uuid4().hex
    client.emit("session_request", {"session_id": session})
    time.sleep(0.3)
    for bad, field in (
        ("just a string", "data"),
        ([1, 2, 3], "data"),
        ({"message": [1, 2], "session_id": session}, "message"),
        ({"message": "你好", "session_id": 12345}, "session_id"),
        ({"message": "你好", "session_id": session, "metadata": "{not json"}, "metadata"),
        ({"message": "你好", "session_id": session, "metadata": [1]}, "metadata"),
    ):
        got.clear()
        client.emit("user_uttered", bad)
        assert got.wait(10), bad
        assert errors and errors[-1]["field"] == field, (bad, errors)
    got.clear()
    client.emit("user_uttered", {"message": "融资利率是多少", "session_id": session})
    assert got.wait(30) and replies  # the connection still works
    client.disconnect()
    with open(log, "rb") as f:
        f.seek(before)
        assert b"Traceback" not in f.read()


def test_insights_csv_neutralises_formulas(servers, pages):
    from services.knowledge.insights import log_question

    planted = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    for text in planted:
        assert log_question("csv-" + uuid.uuid4().hex[:6], text, "out_of_scope", None, 0.1)
    headers = _staff(pages, "limin", "editor-demo-pass")
    resp = requests.get(f"{pages}/api/editor/insights.csv", headers=headers, timeout=10)
    assert resp.status_code == 200
    import csv
    import io

    cells = [cell for row in csv.reader(io.StringIO(resp.text.lstrip("\ufeff"))) for cell in row]
    for text in planted:
        assert "'" + text in cells, text
        assert text not in cells
    assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for c in cells)
