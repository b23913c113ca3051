"""Hand-off use cases on a real database (SQLite, or PostgreSQL with BOT_TEST_DATABASE_URL)
and the reply assistant's conversation ranking, without servers."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from bot.channels.assist import agent_voice, has_topic, parse_request, rank_conversation
from bot.channels.common import check_text
from core import clock
from core.errors import Conflict, Invalid, Unavailable
from services import handoff
from services.knowledge.service import KnowledgeService


@pytest.fixture(scope="module")
def knowledge():
    return KnowledgeService()


def sid() -> str:
    return "u-" + uuid.uuid4().hex[:12]


def test_priority_margin_call_vip_verified_anonymous(database_url):
    ids = {
        "anon": handoff.open_handoff(sid(), None, "客户要求人工服务"),
        "C1001": handoff.open_handoff(sid(), "C1001", "客户要求人工服务"),
        "C1004": handoff.open_handoff(sid(), "C1004", "客户要求人工服务"),
        "C1003": handoff.open_handoff(sid(), "C1003", "客户要求人工服务"),
        "liquidation": handoff.open_handoff(sid(), None, "追保期间询问强制平仓"),
    }
    got = {r["id"]: r["priority"] for r in handoff.inbox("kf_liu", "queued", page_size=100)["items"]}
    assert [got[ids[k]] for k in ("C1003", "liquidation", "C1004", "C1001", "anon")] == [0, 0, 1, 2, 3]


def test_one_row_per_conversation_and_escalation(database_url):
    sender = sid()
    first = handoff.open_handoff(sender, "C1001", "客户要求人工服务")
    again = handoff.open_handoff(sender, "C1001", "追保期间询问强制平仓")
    assert first == again
    row = next(r for r in handoff.inbox("kf_liu", "all", q=sender)["items"])
    assert row["priority"] == 0 and row["reason"] == "追保期间询问强制平仓"


def test_take_pauses_first_and_a_failed_pause_undoes_the_claim(database_url):
    sender = sid()
    hid = handoff.open_handoff(sender, None, "客户要求人工服务")
    calls = []

    def broken(sender_id, paused):
        raise OSError("rasa down")

    with pytest.raises(Unavailable):
        handoff.take(hid, "kf_liu", "客服 刘洋", broken)
    assert handoff.handoff_detail(hid)["state"] == "queued"
    assert not [m for m in handoff.transcript(sender) if "已接入" in m["text"]]  # nothing said before the pause

    def pause(sender_id, paused):
        if paused:  # "已接入" only after the pause is stored
            assert not [m for m in handoff.transcript(sender) if "已接入" in m["text"]]
        calls.append((sender_id, paused))

    handoff.take(hid, "kf_liu", "客服 刘洋", pause)
    assert calls == [(sender, True)]
    assert [m["text"] for m in handoff.transcript(sender)][-1] == "客服 刘洋已接入，正在为您服务。"
    with pytest.raises(Conflict):
        handoff.take(hid, "kf_sun", "客服 孙悦", pause)
    with pytest.raises(Conflict):
        handoff.close(hid, "kf_sun", pause)
    with pytest.raises(Invalid):
        handoff.transfer(hid, "kf_liu", "limin")  # an editor is no agent
    handoff.close(hid, "kf_liu", pause)
    assert calls[-1] == (sender, False)
    assert handoff.client_status(sender)["rate"] is True


def test_ratings_summary(database_url):
    sender = sid()
    hid = handoff.open_handoff(sender, None, "客户要求人工服务")
    handoff.take(hid, "kf_sun", "客服 孙悦", lambda s, p: None)
    with pytest.raises(Conflict):
        handoff.rate(sender, hid, label="满意")  # not closed yet
    handoff.close(hid, "kf_sun", lambda s, p: None)
    handoff.rate(sender, hid, score=2, comment="回复太慢")
    now = clock.now()
    summary = handoff.ratings_summary(now - timedelta(minutes=5), now + timedelta(minutes=5))
    assert summary["by_label"]["不满意"] >= 1 and summary["by_score"]["2"] >= 1
    assert any(c["text"] == "回复太慢" and c["agent"] == "客服 孙悦" for c in summary["comments"])
    assert handoff.ratings_summary(now + timedelta(days=1), now + timedelta(days=2))["count"] == 0


def test_canned_replies_render_policy_placeholders(database_url):
    rid = handoff.save_canned(None, "追保线", "追保线为{{ margin_call.call_line | pct }}。", "kf_liu")
    reply = next(c for c in handoff.canned_replies() if c["id"] == rid)
    assert reply["text"] == "追保线为130%。" and reply["problem"] is None
    with pytest.raises(Invalid):
        handoff.save_canned(rid, "坏的", "{{ margin_call.nope | pct }}", "kf_liu")
    handoff.delete_canned(rid)


def test_turns_without_a_topic():
    for text in ("我要转人工", "人工！", "转人工客服，快点", "你好，在吗", "谢谢"):
        assert not has_topic(text), text
    for text in ("我快被强平了，转人工", "追保几天", "融券费率呢"):
        assert has_topic(text), text


def test_suggestions_follow_the_conversation_not_the_last_line(knowledge):
    turns = [
        {"role": "client", "text": "那融券的费率呢"},
        {"role": "bot", "text": "……"},
        {"role": "client", "text": "我要转人工"},
    ]
    alone = [h.faq_id for h in knowledge.rank("我要转人工", k=3)]
    assert "interest_lending_rate" not in alone
    ranked = [e.id for e, _ in rank_conversation(knowledge, "我要转人工", turns, "客户要求人工服务", {}, k=3)]
    assert ranked[0] == "interest_lending_rate"
    by_state = rank_conversation(knowledge, "转人工", [], "客户要求人工服务", {"margin_call": True}, k=3)
    assert by_state[0][0].id.startswith("margincall_")


def test_answers_in_an_agents_voice(knowledge):
    for entry in knowledge.entries:
        assert "问我" not in agent_voice(knowledge.render(entry)), entry.id
    deadline = agent_voice(knowledge.render(knowledge.get("margincall_deadline")))
    assert "我这边可以帮您查看追保截止时间" in deadline


def test_assist_request_shape():
    req = parse_request({"text": "转人工", "conversation": [{"role": "client", "text": "追保几天"}], "reason": "x"})
    assert req["conversation"] == [{"role": "client", "text": "追保几天"}]
    for bad in ({"text": "a", "conversation": "x"}, {"text": "a", "conversation": [{"role": "boss", "text": "x"}]}):
        with pytest.raises(Invalid):
            parse_request(bad)


def test_clients_cannot_type_rasas_restart():
    assert check_text("/restart") == "restart"
    assert check_text('/faq{"faq_id": "service_hours"}').startswith("/faq")  # buttons still work


def test_assist_eval_meets_the_target():
    from benchmarks import eval_assist

    assert eval_assist.main([]) == 0
