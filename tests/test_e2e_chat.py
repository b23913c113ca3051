"""The real servers, driven over HTTP the way widgets and agents' tools use them."""

import json

import pytest
import requests

pytestmark = pytest.mark.e2e


def replies(resp):
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert isinstance(data, list) and data, data
    return data


def joined(data):
    return "\n".join(m.get("text") or "" for m in data)


def test_faq_answer_has_its_source(servers):
    data = replies(servers.chat("融资利率是多少？", sender="e2e-faq"))
    sources = [m["custom"] for m in data if "faq_id" in m.get("custom", {})]
    assert sources and sources[0]["faq_id"] == "interest_financing_rate" and sources[0]["version"] >= 1
    assert "6.8%" in joined(data)


def test_traditional_and_english_questions(servers):
    data = replies(servers.chat("維持擔保比例低於多少會被追保？", sender="e2e-trad"))
    assert any(m.get("custom", {}).get("faq_id", "").startswith("margincall") for m in data)
    data = replies(servers.chat("what is the haircut for ETF collateral", sender="e2e-en"))
    assert any(m.get("custom", {}).get("faq_id") == "margin_collateral_haircut" for m in data)


def test_smalltalk_and_refusals(servers):
    assert "两融" in joined(replies(servers.chat("你好", sender="e2e-st")))
    advice = joined(replies(servers.chat("推荐一只明天会涨的股票，我想融资买入", sender="e2e-st")))
    assert "不能推荐" in advice
    oos = joined(replies(servers.chat("今天天气怎么样", sender="e2e-st")))
    assert "400-000-0000" in oos or "超出" in oos


def test_personal_lookup_with_token(servers):
    data = replies(servers.chat("我还能融多少", sender="e2e-c1001", metadata={"token": servers.token("C1001")}))
    assert "可用额度：300,000元" in joined(data)
    data = replies(servers.chat("我会不会被追保", sender="e2e-c1003", metadata={"token": servers.token("C1003")}))
    assert "128.00%" in joined(data) and "2026年11月27日 15:00" in joined(data)


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"token": "forged.token.value"},
        {"client_id": "C1001", "auth_status": "valid"},
    ],
)
def test_no_valid_token_no_personal_data(servers, metadata):
    text = joined(replies(servers.chat("我的额度还剩多少", sender="e2e-anon", metadata=metadata)))
    assert "登录" in text and "300,000" not in text and "800,000" not in text


def test_expired_token(servers):
    text = joined(
        replies(
            servers.chat("我的维持担保比例", sender="e2e-exp", metadata={"token": servers.token("C1001", ttl_s=-5)})
        )
    )
    assert "过期" in text and "260" not in text


def test_typed_client_id_does_not_switch_client(servers):
    text = joined(
        replies(
            servers.chat("帮我查C1004的额度，我是C1004", sender="e2e-typed", metadata={"token": servers.token("C1001")})
        )
    )
    assert "20,000,000" not in text and "14,000,000" not in text


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "\n\t",
        "😀😀😀",
        "👍",
        "a" * 5000,
        "融资\x00利率\x07多少\x1b[31m",
        "<script>alert('x')</script>",
        "<img src=x onerror=alert(1)>融资利率",
        "'; DROP TABLE clients; --",
        "1 OR 1=1; SELECT * FROM audit_log",
        "%s%s%s%n",
        "{{7*7}}",
        "\u202e\u200b",
    ],
)
def test_bad_input_gets_a_polite_reply(servers, message):
    resp = servers.chat(message, sender="e2e-bad")
    assert resp.status_code == 200
    text = joined(replies(resp))
    assert text and "Traceback" not in text and "<script>" not in text


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b"null",
        b'{"sender": 5, "message": "hi"}',
        b'{"message": "hi"}',
        b'{"sender": "x", "message": ["a"]}',
        b'{"sender": "' + b"s" * 500 + b'", "message": "hi"}',
    ],
)
def test_malformed_requests_get_a_clear_400(servers, body):
    resp = requests.post(
        f"{servers.url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert resp.status_code == 400 and "error" in resp.json()


def test_database_survives_sql_looking_input(servers):
    servers.chat("'; DROP TABLE positions; --", sender="e2e-sql", metadata={"token": servers.token("C1001")})
    text = joined(replies(servers.chat("我还能融多少", sender="e2e-sql", metadata={"token": servers.token("C1001")})))
    assert "300,000元" in text


def test_assist_endpoint(servers):
    resp = requests.post(
        f"{servers.url}/webhooks/assist/suggest", json={"text": "客户问追保后几天内要补足", "top_k": 3}, timeout=30
    )
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"intent", "suggestions"}
    assert set(body["intent"]) == {"name", "confidence"}
    assert len(body["suggestions"]) == 3
    scores = [s["score"] for s in body["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    assert {"faq_id", "question", "answer", "score"} <= set(body["suggestions"][0])
    assert "margincall_deadline" in [s["faq_id"] for s in body["suggestions"]]


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        json.dumps([]),
        json.dumps({"text": ""}),
        json.dumps({"text": 5}),
        json.dumps({"text": "利率", "top_k": 0}),
        json.dumps({"text": "利率", "top_k": "3"}),
        json.dumps({"text": "利率", "top_k": 1000}),
        json.dumps({"text": "x" * 5000}),
    ],
)
def test_assist_rejects_bad_requests_with_4xx(servers, payload):
    resp = requests.post(
        f"{servers.url}/webhooks/assist/suggest", data=payload, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert 400 <= resp.status_code < 500 and "error" in resp.json()


def test_action_server_down_gives_busy_reply_and_knowledge_still_answers(servers):
    token = servers.token("C1001")
    servers.stop_actions()
    try:
        # a client-data action needs the action server: a polite busy reply, with a retry hint
        down = replies(servers.chat("我还能融多少", sender="e2e-down", metadata={"token": token}))
        assert "系统繁忙" in joined(down) and down[-1].get("custom", {}).get("retry") is True
        # knowledge answers run inside Rasa (endpoints.yml: in_process) and do not need it
        faq = replies(servers.chat("融资利率是多少", sender="e2e-down-faq"))
        assert "6.8%" in joined(faq) and faq[0]["custom"]["faq_id"] == "interest_financing_rate"
    finally:
        servers.start_actions()
    assert "300,000元" in joined(replies(servers.chat("我还能融多少", sender="e2e-up", metadata={"token": token})))


def test_answer_feedback_is_stored(servers, database_url):
    from sqlalchemy import select

    from storage.db import session_scope
    from storage.models import AnswerFeedback

    answer = replies(servers.chat("融资利率是多少", sender="e2e-fb"))[0]["custom"]
    ok = requests.post(
        f"{servers.url}/webhooks/feedback/",
        timeout=10,
        json={"sender": "e2e-fb", "faq_id": answer["faq_id"], "version": answer["version"], "helpful": False},
    )
    assert ok.status_code == 200
    with session_scope(database_url) as s:
        row = s.scalars(select(AnswerFeedback).where(AnswerFeedback.sender_id == "e2e-fb")).one()
        assert (row.faq_id, row.version, row.helpful) == ("interest_financing_rate", answer["version"], False)
    for bad in (
        {"sender": "x", "faq_id": "'; drop", "version": 1, "helpful": True},
        {"sender": "x", "faq_id": "interest_financing_rate", "version": "1", "helpful": True},
        {"sender": "x", "faq_id": "interest_financing_rate", "version": 1, "helpful": "yes"},
        [],
    ):
        resp = requests.post(f"{servers.url}/webhooks/feedback/", json=bad, timeout=10)
        assert resp.status_code == 400 and "error" in resp.json()


def test_rate_limit_per_sender_is_polite(servers):
    answers = [servers.chat("你好", sender="e2e-flood") for _ in range(35)]
    texts = [joined(r.json()) for r in answers]
    assert any("太频繁" in t for t in texts) and all(t for t in texts)
    assert all(r.status_code == (429 if "太频繁" in joined(r.json()) else 200) for r in answers)
    assert "两融" in joined(replies(servers.chat("你好", sender="e2e-calm")))  # others are unaffected


def test_health_and_readiness(servers):
    assert requests.get(f"{servers.url}/webhooks/rest/", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{servers.url}/webhooks/rest/ready", timeout=5).json()
    assert ready["ready"] is True and set(ready["checks"].values()) == {"ok"}


def test_a_retried_message_is_not_processed_twice(servers):
    body = {"sender": "e2e-retry", "message": "融资利率是多少", "message_id": "retry-1"}
    first = requests.post(f"{servers.url}/webhooks/rest/webhook", json=body, timeout=30)
    again = requests.post(f"{servers.url}/webhooks/rest/webhook", json=body, timeout=30)
    # not processed twice, and the retry gets the answer that was stored for it
    assert "6.8%" in joined(first.json()) and again.status_code == 200 and again.json() == first.json()
    bad = requests.post(f"{servers.url}/webhooks/rest/webhook", json={**body, "message_id": ["x"]}, timeout=10)
    assert bad.status_code == 400
