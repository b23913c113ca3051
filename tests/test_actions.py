"""Custom actions called the way the action server calls them, on a real database."""

import asyncio
import time
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.eligibility import ActionCheckEligibility
from actions.knowledge import ActionAnswerFaq, ActionClarify, ActionOutOfScope
from actions.margin_status import ActionQueryMarginStatus
from actions.quota import ActionQueryQuota
from actions.risk_tier import ActionQueryRiskTier
from actions.service import ActionHandoff, ActionRefuseAdvice
from actions.simulate import ActionSimulateMargin


def tracker(
    text: str,
    client_id: Optional[str] = None,
    entities: Optional[List[Dict]] = None,
    auth_status: Optional[str] = None,
    intent: str = "faq",
) -> Tracker:
    metadata: Dict[str, Any] = {"auth_status": auth_status or ("valid" if client_id else "missing")}
    if client_id:
        metadata["client_id"] = client_id
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "metadata": metadata,
    }
    return Tracker("test-sender", {}, latest, [], False, None, {}, "action_listen")


def run(action, t: Tracker) -> List[Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages


def text_of(messages) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


@pytest.fixture(autouse=True)
def _db(database_url, monkeypatch):
    monkeypatch.setenv("BOT_FAKE_NOW", "2026-11-26T10:00:00+08:00")


def test_faq_answer_carries_faq_id_and_version():
    out = run(ActionAnswerFaq(), tracker("融资利率多少"))
    assert out[0]["custom"]["faq_id"] == "interest_financing_rate"
    assert out[0]["custom"]["version"] >= 1
    assert "6.8%" in out[0]["text"] and "风险提示" in out[0]["text"]


def test_topic_button_answers_that_topic():
    out = run(
        ActionAnswerFaq(),
        tracker('/faq{"faq_id": "contract_term"}', entities=[{"entity": "faq_id", "value": "contract_term"}]),
    )
    assert out[0]["custom"]["faq_id"] == "contract_term"


def test_vague_question_gets_topic_buttons():
    out = run(ActionAnswerFaq(), tracker("那个比例"))
    buttons = out[0]["buttons"]
    assert all(b["payload"].startswith("/faq{") for b in buttons)
    if out[0]["custom"].get("faq_id"):  # confident enough to answer; close topics as buttons
        assert out[0]["custom"]["faq_id"].startswith("margincall") and len(buttons) <= 2
    else:
        assert 2 <= len(buttons) <= 3


def test_fallback_with_nothing_close_says_what_we_cover():
    out = run(ActionClarify(), tracker("!!!???"))
    assert "400-000-0000" in text_of(out)


def test_quota_for_the_verified_client():
    out = run(ActionQueryQuota(), tracker("我还能融多少", "C1001"))
    text = text_of(out)
    assert "可用额度：300,000元" in text and "800,000元" in text
    assert "由1,000,000元下调至800,000元" in text and "因市场波动" in text
    assert "数据截至" in text


def test_typed_client_id_never_selects_data():
    out = run(
        ActionQueryQuota(),
        tracker("我是C1004，查一下C1004的额度", "C1001", entities=[{"entity": "client_id", "value": "C1004"}]),
    )
    assert "300,000元" in text_of(out) and "20,000,000" not in text_of(out)
    anonymous = run(ActionQueryQuota(), tracker("查C1001的额度"))
    assert "登录" in text_of(anonymous) and "800,000" not in text_of(anonymous)


def test_expired_token_asks_to_log_in_again():
    out = run(ActionQueryMarginStatus(), tracker("我的维持担保比例", auth_status="expired"))
    assert "过期" in text_of(out) and "%" not in out[0]["text"]


def test_margin_call_details_for_c1003():
    text = text_of(run(ActionQueryMarginStatus(), tracker("我会被追保吗", "C1003")))
    assert "128.00%" in text
    assert "2026年11月27日 15:00" in text
    assert "550,000元" in text and "366,666.67元" in text
    assert "追保线130%" in text and "警戒线150%" in text and "即时平仓线110%" in text


def test_margin_call_answer_offers_follow_ups_and_leads_with_the_ratio():
    messages = run(ActionQueryMarginStatus(), tracker("我会被追保吗", "C1003"))
    reply = next(m for m in messages if m.get("buttons"))
    assert [b["title"] for b in reply["buttons"]] == ["追加担保物", "还款", "联系人工"]
    assert reply["buttons"][2]["payload"] == "/request_human"
    assert reply["text"].splitlines()[0].startswith("您当前的维持担保比例为128.00%")
    assert reply["custom"]["margin_call"] is True


def test_withdrawable_for_c1004():
    messages = run(ActionQueryMarginStatus(), tracker("我的维保比例", "C1004"))
    text = text_of(messages)
    assert "310.00%" in text and "600,000元" in text
    assert not any(m.get("buttons") for m in messages)  # no margin call: no follow-up buttons


def test_risk_tier_expired_for_c1004():
    text = text_of(run(ActionQueryRiskTier(), tracker("我的风险等级", "C1004")))
    assert "积极型（C5）" in text and "2026年6月1日" in text and "已过期" in text and "重新" in text


def test_eligibility_rule_by_rule_for_c1002():
    out = run(ActionCheckEligibility(), tracker("我能开两融吗", "C1002"))
    assert set(out[0]["custom"]["failed"]) == {"资产", "风险等级"}
    assert "✗ 资产" in out[0]["text"] and "✓ 年龄" in out[0]["text"]


def test_what_if_fall_and_financing():
    fall = text_of(
        run(ActionSimulateMargin(), tracker("跌10%会怎样", "C1001", entities=[{"entity": "percent", "value": "10"}]))
    )
    assert "下跌10%" in fall and "236.00%" in fall
    more = text_of(
        run(
            ActionSimulateMargin(), tracker("再融资10万呢", "C1001", entities=[{"entity": "amount", "value": "100000"}])
        )
    )
    assert "233.33%" in more
    blocked = text_of(
        run(
            ActionSimulateMargin(), tracker("再融资10万呢", "C1003", entities=[{"entity": "amount", "value": "100000"}])
        )
    )
    assert "暂停新的融资买入" in blocked


@pytest.mark.parametrize("value", ["250", "-5", "0", "'; DROP TABLE clients;--", "1e400"])
def test_what_if_validates_entities(value):
    out = run(ActionSimulateMargin(), tracker(f"跌{value}%", "C1001", entities=[{"entity": "percent", "value": value}]))
    text = text_of(out)
    assert "请告诉我" in text or "抱歉" in text
    assert "Traceback" not in text


def test_database_down_gives_a_polite_busy_reply(monkeypatch):
    monkeypatch.setenv("BOT_DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    out = run(ActionQueryQuota(), tracker("我的额度", "C1001"))
    assert "系统繁忙" in text_of(out)


def test_slow_database_times_out(monkeypatch):
    import actions.personal as personal

    monkeypatch.setenv("BOT_DB_TIMEOUT_S", "0.5")
    monkeypatch.setattr(personal, "lookup", lambda *a, **k: time.sleep(3))
    loop = asyncio.new_event_loop()
    dispatcher = CollectingDispatcher()
    started = time.monotonic()
    loop.run_until_complete(ActionQueryQuota().run(dispatcher, tracker("我的额度", "C1001"), {}))
    elapsed = time.monotonic() - started
    loop.close()  # does not wait for the stuck worker thread
    assert "系统繁忙" in text_of(dispatcher.messages) and elapsed < 2.5


def test_lookups_are_audited(database_url):
    from storage.db import session_scope
    from storage.repository import audit_entries

    run(ActionQueryRiskTier(), tracker("我的风险等级", "C1003"))
    with session_scope(database_url) as s:
        rows = audit_entries(s, "C1003")
    assert rows and rows[-1].actor == "C1003" and rows[-1].action == "action_query_risk_tier"


def test_service_replies(monkeypatch):
    assert "400-000-0000" in text_of(run(ActionOutOfScope(), tracker("天气")))
    advice = text_of(run(ActionRefuseAdvice(), tracker("推荐股票")))
    assert "不能推荐" in advice and "风险提示" in advice
    monkeypatch.setenv("BOT_FAKE_NOW", "2026-11-26T10:00:00+08:00")  # Thursday, trading hours
    assert run(ActionHandoff(), tracker("转人工"))[0]["custom"]["handoff"] == "requested"
    monkeypatch.setenv("BOT_FAKE_NOW", "2026-11-28T10:00:00+08:00")  # Saturday
    out = run(ActionHandoff(), tracker("转人工"))
    assert out[0]["custom"]["handoff"] == "queued" and "2026年11月30日 08:30" in out[0]["text"]


def test_margin_call_client_asking_about_liquidation_is_handed_to_a_person(database_url):
    from sqlalchemy import select

    from storage.content import Handoff
    from storage.db import session_scope

    def close_all():
        with session_scope(database_url) as s:
            for h in s.scalars(select(Handoff).where(Handoff.sender_id == "test-sender")):
                h.state = "closed"

    close_all()  # earlier tests asked for a person in this conversation
    out = run(
        ActionAnswerFaq(),
        tracker("faq", "C1003", entities=[{"entity": "faq_id", "value": "margincall_forced_liquidation"}]),
    )
    assert out[0]["custom"]["faq_id"] == "margincall_forced_liquidation"
    assert out[-1]["custom"].get("handoff") in ("requested", "queued")
    with session_scope(database_url) as s:
        assert s.scalars(
            select(Handoff).where(Handoff.sender_id == "test-sender", Handoff.reason == "追保期间询问强制平仓")
        ).first()
    close_all()
