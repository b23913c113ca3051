"""Insights figures, 没帮助 reasons, the transcript's button titles and word diffs (no servers)."""

from datetime import datetime

import pytest
from sqlalchemy import select

from bot.channels.common import shown_text
from bot.channels.feedback import parse_feedback, store
from core.errors import Invalid
from services.knowledge import insights
from storage.db import session_scope
from storage.models import AnswerFeedback
from web.editor_api import word_diff

TITLES = {"interest_financing_rate": "融资利率是多少？", "margincall_deadline": "追保期限是几天？"}
DAY = "2025-03-10T10:00:00+08:00"  # a day no other test writes to


@pytest.fixture()
def on_day(monkeypatch, database_url):
    monkeypatch.setenv("BOT_FAKE_NOW", DAY)
    return "2025-03-10"


def test_clusters_named_by_title_unknown_ids_and_floods_kept_out(on_day):
    for i in range(12):
        insights.log_question("flooder", f"刷屏{i}", "fallback", "zzz_not_a_real_entry", 0.1)
    insights.log_question("a", "利率" * 500, "clarify", "interest_financing_rate", 0.4)
    insights.log_question("b", "借钱利息", "clarify", "interest_financing_rate", 0.4)
    groups = insights.grouped(TITLES, on_day, on_day)
    topics = {g["topic"]: g for g in groups}
    assert set(topics) == {"融资利率是多少？", insights.NO_TOPIC}
    assert topics[insights.NO_TOPIC]["count"] == insights.FLOOD_CAP
    rate = topics["融资利率是多少？"]
    assert rate["faq_id"] == "interest_financing_rate" and rate["count"] == 2
    assert all(len(x["text"]) <= insights.EXAMPLE_CHARS for x in rate["examples"])
    assert rate["questions"] == ["借钱利息"]  # the 1,000-character one is no paraphrase
    assert rate["latest"] == "2025-03-10 10:00"  # Beijing time, not UTC ISO


def test_charts_per_local_day(on_day, monkeypatch):
    insights.log_question("c", "融资利率多少", "answered", "interest_financing_rate", 0.9)
    insights.log_question("d", "融资利率", "answered", "interest_financing_rate", 0.9)
    insights.log_question("e", "追保几天", "answered", "margincall_deadline", 0.9)
    insights.log_question("f", "啥", "clarify", "margincall_deadline", 0.3)
    store(parse_feedback({"sender": "c", "faq_id": "interest_financing_rate", "version": 1, "helpful": False}), 1)
    store(parse_feedback({"sender": "d", "faq_id": "interest_financing_rate", "version": 1, "helpful": True}), 1)
    monkeypatch.setenv("BOT_FAKE_NOW", "2025-03-11T01:00:00+08:00")  # 17:00 UTC the day before: still 03-11 here
    insights.log_question("g", "在吗", "out_of_scope", None, 0.0)
    c = insights.charts(TITLES, "2025-03-09", "2025-03-11")
    assert c["days"] == ["2025-03-09", "2025-03-10", "2025-03-11"]
    assert c["unanswered"][2] == 1 and c["unanswered"][0] == 0
    assert c["unhelpful"][1] == 1
    assert c["top_topics"][0] == {"faq_id": "interest_financing_rate", "topic": "融资利率是多少？", "count": 2}
    assert c["unhelpful_rate"][0]["faq_id"] == "interest_financing_rate" and c["unhelpful_rate"][0]["rate"] == 0.5
    assert c["clarify_rate"][0] is None and 0 < c["clarify_rate"][1] < 1
    with pytest.raises(ValueError):
        insights.date_range("2025-03-11", "2025-03-09")


def test_unhelpful_reason_updates_the_same_feedback(database_url):
    base = {"sender": "reason-test", "faq_id": "interest_financing_rate", "version": 1, "helpful": False}
    store(parse_feedback(base), 1)
    store(parse_feedback(dict(base, reason="信息过时")), 1)
    with session_scope(database_url) as s:
        rows = [
            (r.helpful, r.reason)
            for r in s.scalars(select(AnswerFeedback).where(AnswerFeedback.sender_id == "reason-test"))
        ]
    assert rows == [(False, "信息过时")]
    for bad in ({"reason": "太长"}, {"reason": "看不懂", "helpful": True}):
        with pytest.raises(Invalid, match="reason"):
            parse_feedback(dict(base, **bad))


def test_transcript_keeps_the_button_title():
    assert shown_text('/faq{"faq_id": "quota_increase"}', {"button_title": "怎么提高额度？"}) == "怎么提高额度？"
    assert shown_text("我想提额", {"button_title": "伪造的标题"}) == "我想提额"  # typed text stays as typed
    assert shown_text("/request_human", {}) == "/request_human"


def test_word_diff_keeps_placeholders_whole():
    old = "期限最长{{ contract.max_term_months | int }}个月。"
    new = "期限最长{{ contract.renewal_term_months | int }}个月，可展期。"
    parts = word_diff(old, new)
    assert {"op": "del", "text": "{{ contract.max_term_months | int }}"} in parts
    assert {"op": "ins", "text": "{{ contract.renewal_term_months | int }}"} in parts
    assert "".join(p["text"] for p in parts if p["op"] != "ins") == old
    assert "".join(p["text"] for p in parts if p["op"] != "del") == new


def test_hot_questions_default_to_most_asked_then_the_teams_list(on_day):
    assert datetime.fromisoformat(DAY)  # the day the questions below are asked
    insights.set_hot_questions([], "limin")  # no team list (another test may have left one)
    for sender in [f"h{i}" for i in range(10)]:  # clearly the most asked of the day
        insights.log_question(sender, "追保几天", "answered", "margincall_deadline", 0.9)
    chips = insights.hot_questions(TITLES)
    assert chips[0] == {"title": "追保期限是几天？", "question": "追保期限是几天？"}
    insights.set_hot_questions([{"title": "利率", "question": "融资利率是多少"}], "limin")
    try:
        assert insights.hot_questions(TITLES) == [{"title": "利率", "question": "融资利率是多少"}]
    finally:
        insights.set_hot_questions([], "limin")
