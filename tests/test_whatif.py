"""What-if moves, goals and personal follow-ups (actions/whatif.py, actions/followup.py):
the readers on their own, then the actions on the seeded accounts with exact figures
from core/finance and policy.yml."""

import asyncio
from decimal import Decimal
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.followup import ActionPersonalFollowup
from actions.knowledge import ActionAnswerFaq
from actions.quota import ActionQueryQuota
from actions.service import ActionHandoff
from actions.simulate import NO_FIGURE, ActionAskSimFigure, ActionSimulateMargin, ValidateSimulateForm
from actions.whatif import FOLLOWUP_ACTION, State, read_followup, read_move
from core import finance
from core.formatting import ratio_pct, yuan
from core.policy import get_policy
from storage.db import session_scope
from storage.repository import load_client

POLICY = get_policy()


def amt(v: int) -> List[Dict[str, Any]]:
    return [{"entity": "amount", "value": str(v)}]


def pct(v: int) -> List[Dict[str, Any]]:
    return [{"entity": "percent", "value": str(v)}]


# -- reading the move -----------------------------------------------------------------
@pytest.mark.parametrize(
    "text,entities,expected",
    [
        ("假设我存50万现金进账户", amt(500000), ("cash", "amt:500000")),
        ("打30w入去信用户口睇下", amt(300000), ("cash", "amt:300000")),
        ("我把20万股票转进去担保", amt(200000), ("collateral", "amt:200000")),
        ("自己掏10万出来还融资欠款", amt(100000), ("repay_new", "amt:100000")),
        ("我从外面转20万进来直接还款", amt(200000), ("repay_new", "amt:200000")),
        ("如果還100萬融資呢", amt(1000000), ("repay", "amt:1000000")),
        ("我想拿80万出来用", amt(800000), ("withdraw", "amt:800000")),
        ("提现40万会怎样", amt(400000), ("withdraw", "amt:400000")),
        ("卖掉三成仓位还债", [], ("sell_repay", "pct:30")),
        ("股票全部卖了还款", [], ("sell_repay", "pct:100")),
        ("把额度用满的话", [], ("finance", "all")),
        ("存多少钱比例才能到160", [], ("goal_cash", "pct:160")),
        ("需要还款多少才能高过警戒线", [], ("goal_repay", "pct:150")),
        ("卖多少股票还债才能解除追保", [], ("goal_sell", "pct:150")),
        ("跌二十个点", [], ("fall", "pct:20")),
    ],
)
def test_read_move(text, entities, expected):
    assert read_move(text, entities, POLICY) == expected


QUOTA = State("quota", "C1001", 1)
TIER = State("risk_tier", "C1001", 1)
SIM = State("what_if", "C1003", 1, "sell_repay pct:50")


@pytest.mark.parametrize(
    "text,entities,state,expected",
    [
        ("咁我而家仲可唔可以融资", [], QUOTA, ("can_finance", None)),
        ("额度我能用不", [], QUOTA, ("can_finance", None)),
        ("can i 提钱 now", [], QUOTA, ("withdraw_max", None)),
        ("可以提多少出来", [], QUOTA, ("withdraw_max", None)),
        ("几时到期", [], TIER, ("assessment", None)),
        ("那失效以后呢", [], TIER, ("assessment", None)),
        ("有没有VIP经理服务我", [], QUOTA, ("vip", None)),
        ("这下安全了吧", [], SIM, ("confirm", None)),
        ("那应该高过130%了吧", pct(130), SIM, ("confirm", None)),
        ("那30%呢", pct(30), SIM, ("sell_repay", "pct:30")),
        ("改成存50万呢", amt(500000), SIM, ("cash", "amt:500000")),
        # another figure of the same account, in a few words
        ("总的呢", [], QUOTA, ("figure_quota", None)),
        ("担保比例呢", [], QUOTA, ("figure_ratio", None)),
        ("最晚啥时候", [], QUOTA, ("figure_deadline", None)),
        ("那风险等级呢", [], QUOTA, ("figure_tier", None)),
        # not follow-ups: knowledge questions, a fresh lookup, figures stated for an estimate
        ("维持担保比例是怎么算出来的，跟我说说", [], QUOTA, None),
        ("提取线是多少", [], QUOTA, None),
        ("哪些股票可以融资买", [], QUOTA, None),
        ("我的额度多少", [], QUOTA, None),
        ("融券费率多少", [], QUOTA, None),
        ("帮我转人工", [], QUOTA, None),
    ],
)
def test_read_followup(text, entities, state, expected):
    assert read_followup(text, entities, state, True, POLICY) == expected


def test_a_short_fragment_needs_the_state_just_shown():
    assert read_followup("最多取几多", [], QUOTA, False, POLICY) is None
    assert read_followup("我最多取几多", [], None, False, POLICY) == ("withdraw_max", None)


# -- the actions on the seeded accounts -------------------------------------------------
@pytest.fixture(autouse=True)
def _db(database_url, monkeypatch):
    monkeypatch.setenv("BOT_FAKE_NOW", "2026-11-26T10:00:00+08:00")


def snapshot(client_id: str) -> finance.Snapshot:
    with session_scope() as session:
        return load_client(session, client_id).account.snapshot


def tracker(
    text: str,
    client_id: Optional[str],
    state: Optional[State] = None,
    entities: Optional[List[Dict]] = None,
    intent: str = "faq",
    slots: Optional[Dict[str, Any]] = None,
) -> Tracker:
    metadata: Dict[str, Any] = {"auth_status": "valid" if client_id else "missing"}
    if client_id:
        metadata["client_id"] = client_id
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "metadata": metadata,
    }
    all_slots = dict(slots or {})
    if state is not None:
        all_slots["last_lookup"] = state.as_slot()
    turns = (state.turn if state else 0) + 1  # this message comes right after the state was shown
    events = [{"event": "user", "text": "…"} for _ in range(turns)]
    return Tracker("wi-sender", all_slots, latest, events, False, None, {}, "action_listen")


def run(action, t: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return "\n".join(m.get("text") or "" for m in dispatcher.messages), events


def state_set(events) -> Optional[Dict[str, Any]]:
    return next((e["value"] for e in events if e.get("event") == "slot" and e["name"] == "last_lookup"), None)


def test_a_lookup_keeps_its_state_for_the_session():
    _, events = run(ActionQueryQuota(), tracker("我额度多少", "C1001"))
    assert state_set(events) == {"kind": "quota", "client": "C1001", "turn": 1, "sim": None}


def test_follow_ups_are_handed_to_the_follow_up_action_whatever_the_intent():
    state = State("quota", "C1003", 1)
    for action, text in (
        (ActionQueryQuota(), "那我还可以借钱买股吗"),
        (ActionAnswerFaq(), "最多能取多少钱"),
        (ActionHandoff(), "我有冇专属经理"),
    ):
        _, events = run(action, tracker(text, "C1003", state))
        assert events == [{"event": "followup", "timestamp": None, "name": FOLLOWUP_ACTION}], text


def test_another_identity_does_not_continue_the_state():
    _, events = run(ActionAnswerFaq(), tracker("最多能取多少钱", "C1004", State("quota", "C1003", 1)))
    assert not any(e.get("event") == "followup" for e in events)


def test_can_finance_in_a_margin_call_names_the_restore_line_and_amounts():
    snap = snapshot("C1003")
    restore = POLICY.dec("margin_call.restore_to")
    text, events = run(ActionPersonalFollowup(), tracker("那我还可以借钱买股吗", "C1003", State("quota", "C1003", 1)))
    assert "暂停新的融资买入" in text and "150%" in text
    assert yuan(finance.cash_to_restore(snap, restore)) in text and "550,000" in text
    assert yuan(finance.repayment_to_restore(snap, restore)) in text
    assert state_set(events)["kind"] == "quota" and state_set(events)["turn"] == 2


def test_can_finance_normal_and_expired():
    ok, _ = run(ActionPersonalFollowup(), tracker("额度我能用不", "C1001", State("quota", "C1001", 1)))
    assert "可以" in ok and "300,000" in ok and "暂停" not in ok and "200.00%" in ok
    expired, _ = run(ActionPersonalFollowup(), tracker("我能再融资吗", "C1004", State("quota", "C1004", 1)))
    assert "测评" in expired and "2026年6月1日" in expired and "过期" in expired


def test_withdrawable_amount_or_why_not():
    vip, _ = run(ActionPersonalFollowup(), tracker("可以提多少出来", "C1004", State("margin_status", "C1004", 1)))
    assert yuan(finance.withdrawable(snapshot("C1004"), POLICY)) in vip and "600,000" in vip and "300%" in vip
    normal, _ = run(ActionPersonalFollowup(), tracker("可以提多少出来", "C1001", State("margin_status", "C1001", 1)))
    assert "260.00%" in normal and "未高于提取线300%" in normal and "600,000" not in normal


def test_interest_on_the_rest_of_the_own_quota():
    available = Decimal(300000)  # C1001: line 800,000 − financing 500,000
    due = finance.interest_for(available, 30, POLICY.dec("interest.financing_annual_rate"), 360)
    state = State("quota", "C1001", 1)
    _, events = run(ActionAnswerFaq(), tracker("如果用完剩下的额度融资30天 利息要多少", "C1001", state))
    assert events == [{"event": "followup", "timestamp": None, "name": FOLLOWUP_ACTION}]
    text, _ = run(ActionPersonalFollowup(), tracker("如果用完剩下的额度融资30天 利息要多少", "C1001", state))
    assert yuan(available) in text and yuan(due) in text and "1,700" in text and "风险提示" in text
    call, _ = run(ActionPersonalFollowup(), tracker("剩余额度融资10天利息多少", "C1003", State("quota", "C1003", 1)))
    assert "暂停新的融资买入" in call  # said before the figure while a margin call is open


def located(text: str, said: str, value: int) -> List[Dict[str, Any]]:
    start = text.index(said)
    return [{"entity": "amount", "value": str(value), "start": start, "end": start + len(said)}]


def test_assets_falling_to_a_level_not_by_it():
    asked = "if 我总资产跌到100w, 负债不变, 比例会变成多少"
    assert read_move(asked, located(asked, "100w", 1000000), POLICY) == ("fall", "to:1000000")
    assert read_move("如果持仓跌了20万", located("如果持仓跌了20万", "20万", 200000), POLICY) == ("fall", "amt:200000")
    record_snap = snapshot("C1001")  # 1,300,000 of assets on 500,000 of debt
    follow = "要是总资产跌到100w呢"
    state = State("what_if", "C1001", 1)
    text, _ = run(ActionPersonalFollowup(), tracker(follow, "C1001", state, located(follow, "100w", 1000000)))
    assert "200.00%" in text and yuan(record_snap.total_assets - Decimal(1000000)) in text


def test_a_wish_for_more_financing_while_the_assessment_has_expired():
    text, _ = run(ActionPersonalFollowup(), tracker("我想再融资买多些，可不可以？", "C1004"))
    assert "过期" in text and "测评" in text


def test_the_opening_rules_with_another_tier():
    text, _ = run(
        ActionPersonalFollowup(),
        tracker("那我重新测个稳健型是不是就能开了呀", "C1002", State("eligibility", "C1002", 1)),
    )
    assert "稳健型（C2）" in text and "280,000元" in text and "50万" in text and "如实" in text
    excluded, _ = run(ActionPersonalFollowup(), tracker("测成保守型能开吗", "C1002", State("eligibility", "C1002", 1)))
    assert "不能开通" in excluded


def test_own_figures_asked_in_a_longer_message():
    long = "您好，请问一下我这个账户现在的担保比例是多少呀？昨天营业部的小姑娘给我打了电话"
    assert read_followup(long, [], None, False, POLICY) == ("figure_ratio", None)
    then = "那我最晚要在什么时候之前弄好呀？"
    assert read_followup(then, [], State("margin_status", "C1003", 1), True, POLICY) == ("figure_deadline", None)
    assert read_followup("融资买不进去 咋回事", [], None, False, POLICY) == ("can_finance", None)
    debt, _ = run(ActionPersonalFollowup(), tracker("我而家嘅融資負債計90日利息要幾多", "C1001"))
    assert "500,000元" in debt and "8,500" in debt


def test_what_follows_if_the_client_does_not_act_is_the_rule_not_a_simulation():
    slots = {"last_faq_ids": ["margincall_deadline"], "context_client": "C1003"}
    t = tracker("要是来不及会怎么样呢", "C1003", intent="simulate_margin", slots=slots)
    extracted = asyncio.run(ValidateSimulateForm().extract_sim_figure(CollectingDispatcher(), t, {}))
    assert list(extracted.values()) == [NO_FIGURE]  # the form ends at once
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionSimulateMargin().run(dispatcher, t, {}))
    faqs = [m["custom"]["faq_id"] for m in dispatcher.messages if (m.get("custom") or {}).get("faq_id")]
    assert faqs and faqs[0] == "margincall_forced_liquidation"
    t = tracker("那要是我不补呢，会怎么样呀", "C1003", intent="simulate_margin", slots=slots)
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionSimulateMargin().run(dispatcher, t, {}))
    assert any((m.get("custom") or {}).get("faq_id") for m in dispatcher.messages)  # not the form's question


def test_the_line_after_the_largest_market_cut():
    cut = POLICY.dec("quota.max_market_cut")
    text, _ = run(
        ActionPersonalFollowup(), tracker("万一大跌额度被砍 我最少还剩多少额度", "C1001", State("quota", "C1001", 1))
    )
    after = Decimal(800000) * (1 - cut)
    assert yuan(after) in text and "560,000" in text and yuan(after - Decimal(500000)) in text
    assert read_followup("为啥子融资买入一直disabled 点了没反应", [], None, False, POLICY) == ("can_finance", None)


def test_what_follows_on_the_account_if_the_ratio_is_not_restored():
    state = State("margin_status", "C1003", 1)
    assert read_followup("要是来不及会怎么样呢", [], state, True, POLICY) == ("if_not", None)
    for text in ("那你们是不是马上就平我仓", "会不会直接被强平"):  # when liquidation comes, on their account
        assert read_followup(text, [], SIM, True, POLICY) == ("if_not", None), text
    assert read_followup("什么情况下会被强制平仓", [], state, True, POLICY) is None  # the rule
    text, _ = run(ActionPersonalFollowup(), tracker("那要是我不补呢，会怎么样呀", "C1003", state))
    assert "强制平仓" in text and "2026年11月27日" in text and "110%" in text


def test_what_to_do_after_a_margin_call_is_shown_restores_the_ratio():
    state = State("margin_status", "C1003", 1)
    for text in ("咋办", "那我该怎么处理呢", "点算"):
        assert read_followup(text, [], state, True, POLICY) == ("goal_cash", "pct:150"), text
    assert read_followup("不弄会咋样", [], state, True, POLICY) == ("if_not", None)
    text, _ = run(ActionPersonalFollowup(), tracker("咋办", "C1003", state))
    assert "550,000" in text and "366,666.67" in text  # cash to add, or a repayment, back to 150%
    fine, _ = run(ActionPersonalFollowup(), tracker("咋办", "C1001", State("margin_status", "C1001", 1)))
    assert "无需追加" in fine


def test_money_that_will_not_come_out_is_checked_against_the_withdrawal_line():
    assert read_followup("钱咋取不出来", [], None, False, POLICY) == ("withdraw_max", None)
    text, events = run(ActionPersonalFollowup(), tracker("钱咋取不出来", "C1001", None))
    assert "260.00%" in text and "300%" in text
    # the rule becomes the thread's topic: "那要到多少才行" is read against it
    assert any(e.get("name") == "last_faq_ids" and e.get("value") == ["margincall_withdrawal"] for e in events)


def test_what_blocks_new_financing_becomes_the_topic():
    text, events = run(ActionPersonalFollowup(), tracker("那我还能rz买吗", "C1004", State("quota", "C1004", 1)))
    # C1004's assessment has lapsed; tests/test_ops.py may also have opened a margin call for C1004
    # in the session's database, and an open call is then the rule named first
    rule = "margincall_deadline" if "追保通知" in text else "risk_assessment_validity"
    assert any(e.get("name") == "last_faq_ids" and e.get("value") == [rule] for e in events), text
    _, events = run(ActionPersonalFollowup(), tracker("那我还能rz买吗", "C1003", State("quota", "C1003", 1)))
    assert any(e.get("name") == "last_faq_ids" and e.get("value") == ["margincall_deadline"] for e in events)


def test_everyday_words_for_amounts_and_moves():
    from actions.estimate import estimate

    found = estimate("借了八十个 45天 利息多少", [], POLICY)  # 八十个: 80万
    assert found is not None and "6,800" in found.text
    found = estimate("请问我借钱买股票借了半百万 用了36天 要付多少利息呀", [], POLICY)
    assert found is not None and "3,400" in found.text
    assert read_followup("我可唔可以提啲錢出嚟", [], None, False, POLICY) == ("withdraw_max", None)
    assert read_move("全借了买股票 比例会变多少", [], POLICY)[0] == "finance"
    first = estimate("我现金20万 股票100万 借了80万 那个维持担保比例是多少呀", [], POLICY)
    corrected = estimate("还有借的是90万 不好意思呀", [], POLICY, first.state())  # the debt corrected
    assert corrected is not None and "133.33%" in corrected.text  # 120万 ÷ 90万


def test_interest_left_unpaid_past_the_settlement_day_costs_the_daily_penalty():
    from actions.estimate import estimate

    first = estimate("借了50万 用了36天 要付多少利息", [], POLICY)
    assert first is not None and "3,400" in first.text
    late = estimate("那要是结息日没交上 拖了10天呢", [], POLICY, first.state())
    assert late is not None and late.topic == "interest_overdue_penalty" and "17元" in late.text
    assert estimate("那罚息呢", [], POLICY, first.state()) is None  # the rule, without days


def test_a_retest_to_a_named_tier_checks_the_opening_rules_with_it():
    state = State("risk_tier", "C1002", 1)
    assert read_followup("那我要是重新测评成稳健型呢", [], state, True, POLICY) == ("retier", "C2")
    text, _ = run(ActionPersonalFollowup(), tracker("那我要是重新测评成稳健型呢", "C1002", state))
    assert "稳健型" in text and "220,000" in text  # the assets still short of 50万


def test_a_question_about_problems_with_the_account_checks_it_whole():
    assert read_followup("我账户有啥问题吗 感觉融资buy不了", [], None, False, POLICY) == ("figure_account", None)
    lapsed, _ = run(ActionPersonalFollowup(), tracker("我号有啥问题没", "C1004", None))
    assert "310.00%" in lapsed and "已于2026年6月1日过期" in lapsed
    valid, _ = run(ActionPersonalFollowup(), tracker("我号有啥问题没", "C1001", None))
    assert "260.00%" in valid and "过期" not in valid


def test_assessment_expiry_and_vip_from_the_record():
    expiry, _ = run(ActionPersonalFollowup(), tracker("几时到期", "C1001", State("risk_tier", "C1001", 1)))
    assert "2028年3月1日" in expiry
    lapsed, _ = run(ActionPersonalFollowup(), tracker("那失效以后呢", "C1004", State("risk_tier", "C1004", 1)))
    assert "已于2026年6月1日过期" in lapsed and "融资" in lapsed
    manager, events = run(ActionPersonalFollowup(), tracker("有没有VIP经理服务我", "C1004", State("quota", "C1004", 1)))
    assert "陈静" in manager and not any("handoff" in str(e) for e in events)
    none, _ = run(ActionPersonalFollowup(), tracker("有没有VIP经理服务我", "C1001", State("quota", "C1001", 1)))
    assert "没有专属服务经理" in none and "1000万" in none


def test_a_goal_in_a_knowledge_thread_is_answered_by_the_follow_up_action_itself():
    # "那…呢" with a knowledge topic in context is also an elliptical knowledge follow-up: the
    # follow-up action answers it (it once handed the turn back and forth until Rasa stopped)
    slots = {"last_faq_ids": ["margincall_withdrawal"], "context_client": "C1003"}
    state = State("margin_status", "C1003", 1)
    text, events = run(ActionPersonalFollowup(), tracker("那卖多少股票还款才能回到150", "C1003", state, slots=slots))
    assert "1,100,000" in text and not [e for e in events if e.get("event") == "followup"]
    # without its figure the move is asked for, by the simulation form
    _, events = run(ActionPersonalFollowup(), tracker("那卖券还款呢 比例能回到多少", "C1003", state, slots=slots))
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["simulate_form"]
    assert any(e.get("name") == "sim_kind" and e.get("value") == "sell_repay" for e in events)
    # then "还110万": that much sold to repay, back to 150%
    sold = State("what_if", "C1003", 2, "goal_sell pct:150")
    after, _ = run(ActionPersonalFollowup(), tracker("还110万", "C1003", sold, amt(1100000)))
    assert "150.00%" in after


@pytest.mark.parametrize(
    "text,expected",
    [
        ("补点钱能回到多少", ("simulate", "cash")),
        ("要是行情涨了 我比例能到多少", ("simulate", "rise")),
        ("想先还一部分融资 ratio 会变多少", ("simulate", "repay")),
        ("我想攞啲錢出嚟用，幫我計下攞完之後個比例係幾多", ("simulate", "withdraw")),
        ("我想再融点钱 算下比例会咋样", ("simulate", "finance")),
        ("融资利率是多少", None),  # a rule, never the form
        ("融资买入会怎样", None),
        ("那要是我不补呢，会怎么样呀", None),  # what follows if they do not act
        ("我要补多少才能回到150", ("goal_cash", "pct:150")),  # the amount asked: a goal
    ],
)
def test_a_move_without_its_figure_opens_the_form(text, expected):
    assert read_followup(text, [], None, False, POLICY) == expected


def test_a_figure_without_its_unit_is_read_for_the_move():
    fell = State("what_if", "C1001", 1, "fall pct:20")
    assert read_followup("那40呢", [], fell, True, POLICY) == ("fall", "pct:40")
    repaid = State("what_if", "C1001", 1, "repay amt:50000")
    assert read_followup("还10个", [], repaid, True, POLICY) == ("repay", "amt:100000")  # 10个 = 10万
    assert read_move("卖50个还", [], POLICY)[0] == "sell_repay"
    assert read_move("假设整体 +20%", pct(20), POLICY) == ("rise", "pct:20")
    assert read_move("入10萬", amt(100000), POLICY) == ("cash", "amt:100000")
    assert read_followup("要是比例掉到多少就会被追保呢？", [], None, False, POLICY) is None  # the line, a rule
    quota = State("quota", "C1001", 1)
    assert read_followup("點解淨係得80萬咁少？", [], quota, True, POLICY) == ("why_line", None)
    assert read_followup("why 我融资买入被拒了", [], quota, True, POLICY) != ("why_line", None)
    # a tier, no market move: the line their net assets would get at that tier
    assert read_followup("如果我升到成長型會變幾多", [], quota, True, POLICY) == ("tier_line", "C4")
    assert read_followup("那我是成长型呢", [], State("risk_tier", "C1001", 1), True, POLICY) == ("tier_line", "C4")


def test_an_english_name_of_the_ratio_is_the_clients_ratio():
    assert read_followup("check 下我的 margin status", [], None, False, POLICY) == ("figure_ratio", None)


def test_a_margin_call_shown_with_a_rule_is_followed_up_as_the_account():
    _, events = run(ActionAnswerFaq(), tracker("我而家係咪要追保", "C1003"))
    assert (state_set(events) or {}).get("kind") == "margin_status"


def test_a_rule_asked_during_lookups_is_a_knowledge_answer():
    text, _ = run(ActionQueryQuota(), tracker("ok 融资利率多少来着", "C1004", State("quota", "C1004", 1)))
    assert "6.8%" in text and "20,000,000" not in text


def test_the_form_asks_for_the_move_named_and_says_a_margin_call_first():
    def asking(client_id, kind, text):
        t = tracker(text, client_id, slots={"sim_kind": kind, "requested_slot": "sim_figure"})
        t.events.append({"event": "active_loop", "name": "simulate_form"})  # opened this turn
        return run(ActionAskSimFigure(), t)[0]

    called = asking("C1003", "cash", "补点钱能回到多少")
    assert called.index("追保") < called.index("转入多少现金") and called.endswith("说“算了”可退出测算。")
    most = asking("C1004", "withdraw", "我想攞啲錢出嚟用，幫我計下攞完之後個比例係幾多")
    assert "600,000" in most and "？" in most  # (whether C1004 has a call depends on earlier tests)
    plain_ask = asking("C1001", "fall", "帮我模拟一下")  # the default move: every example
    assert "再融资20万" in plain_ask


def test_a_stated_account_and_a_fall_without_its_size_asks_for_it():
    from actions.estimate import estimate

    found = estimate("我现金10w 股票90w 负债50w 要是跌了会咋样", [], POLICY)
    assert "200%" in found.text and "请告诉我按下跌多少测算" in found.text
    moved = estimate("跌20%", [], POLICY, {**found.figures, "kind": found.kind, "topic": found.topic})
    assert "164%" in moved.text
    assert "请告诉我" not in estimate("我现金10w 股票90w 负债50w 跌多少会追保", [], POLICY).text


def test_why_the_line_is_what_it_is():
    text, _ = run(ActionPersonalFollowup(), tracker("为什么是这个数呢？", "C1001", State("quota", "C1001", 1)))
    assert "平衡型（C3）" in text and "300万" in text and "风险提示" in text


def test_goal_seeking_cash_repayment_and_sale_c1003():
    snap = snapshot("C1003")
    state = State("what_if", "C1003", 1, "cash amt:100000")
    cash, _ = run(ActionPersonalFollowup(), tracker("存多少钱比例才能到150", "C1003", state))
    assert cash.startswith("请先注意") and "550,000" in cash and "366,666.67" in cash
    repay, _ = run(ActionPersonalFollowup(), tracker("需要还款多少才能高过警戒线", "C1003", state))
    assert "直接还款（用账户外的资金）约366,666.67元" in repay
    sale, _ = run(ActionPersonalFollowup(), tracker("卖多少股票还债才能解除追保", "C1003", state))
    assert yuan(finance.sale_to_restore(snap, Decimal("1.5"))) in sale and "1,100,000" in sale
    assert "测算" in sale and "风险提示" in sale


def test_sell_half_to_repay_then_confirm():
    first, events = run(
        ActionPersonalFollowup(), tracker("卖掉三成仓位还债", "C1003", State("margin_status", "C1003", 1))
    )
    after = finance.after_sale_repaying(snapshot("C1003"), Decimal(900000))
    assert ratio_pct(after.ratio) in first and "900,000" in first
    state = State(**state_set(events))
    sold_half = State("what_if", "C1003", state.turn, "sell_repay pct:50")
    yes, _ = run(ActionPersonalFollowup(), tracker("那应该高过150%了吧", "C1003", sold_half, pct(150)))
    assert yes.startswith("是的") and "170.00%" in yes and "警戒线150%" in yes


def test_withdraw_follow_up_against_the_300_line_c1004():
    state = State("what_if", "C1004", 1, "withdraw amt:500000")
    text, events = run(ActionPersonalFollowup(), tracker("改成120万呢", "C1004", state, amt(1200000)))
    after = finance.after_deposit(snapshot("C1004"), Decimal(-1200000))
    assert ratio_pct(after.ratio) in text and "600,000" in text and "提取线300%" in text
    assert state_set(events)["sim"] == "withdraw amt:1200000"


def test_the_form_takes_a_goal_or_all_of_the_quota_at_once():
    t = tracker("额度用光的话比例变多少", "C1001", State("quota", "C1001", 1), intent="simulate_margin")
    dispatcher = CollectingDispatcher()
    domain = {"forms": {"simulate_form": {"required_slots": ["sim_kind", "sim_figure"]}}, "slots": {}}
    events = asyncio.run(ValidateSimulateForm().run(dispatcher, t, domain))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["sim_kind"] == "finance" and slots["sim_figure"] == "all"
    text, _ = run(
        ActionSimulateMargin(),
        tracker("额度用光的话比例变多少", "C1001", slots={"sim_kind": "finance", "sim_figure": "all"}),
    )
    assert "再融资买入300,000元（用完可用额度）" in text and "200.00%" in text


# -- interest on the account's own figures, the line at their tier, the rules re-checked ---------
@pytest.mark.parametrize(
    "text,state,expected",
    [
        ("用了的那部分一天利息多少", QUOTA, ("interest_debt", "1")),
        ("全借了30天利息多少", QUOTA, ("interest_available", "30")),
        ("我融券那部分 按30天算要多少钱", QUOTA, ("interest_short", "30")),
        ("借30天要多少利息", State("what_if", "C1001", 1, "finance amt:120000"), ("interest_move", "30")),
        ("那利息能省多少呀，按30天算", State("what_if", "C1004", 1, "repay amt:1000000"), ("interest_move", "30")),
        ("淨資產200萬的話", None, ("line_at", "2000000")),
        ("why, 具体差在哪", State("eligibility", "C1002", 1), ("figure_eligibility", None)),
        ("那我重新测评呢", State("eligibility", "C1002", 1), ("retier", None)),
        ("點解會係128%？點計㗎？", State("margin_status", "C1003", 1), ("figure_ratio", None)),
        ("then how much could I withdraw", State("what_if", "C1004", 1, "repay amt:1000000"), ("withdraw_max", None)),
        ("我账户现在啥情况", None, ("figure_ratio", None)),
        ("一共给了多少", QUOTA, ("figure_quota", None)),
        ("咋这么高 比别人多", QUOTA, ("why_line", None)),
        ("回到刚才那个 我的股票跌多少会碰到警戒线", None, ("fall_to", "150")),
        ("跌多少会被强平", State("margin_status", "C1001", 1), ("fall_to", "110")),
        ("我的股票能扛多少跌幅", None, ("fall_to", "130")),
        # not these: a rate question, an interest with its own amount, a refusal's reason
        ("融券费率多少", QUOTA, None),
        ("为啥我融资买入被拒了", State("margin_status", "C1004", 1), None),
    ],
)
def test_follow_ups_on_the_accounts_own_figures(text, state, expected):
    assert read_followup(text, [], state, state is not None, POLICY) == expected


def test_interest_on_the_debt_the_short_position_and_the_sum_just_simulated():
    rate = POLICY.dec("interest.financing_annual_rate")
    debt, _ = run(ActionPersonalFollowup(), tracker("用了的那部分一天利息多少", "C1001", QUOTA))
    assert yuan(finance.interest_for(Decimal(500000), 1, rate, 360)) in debt and "94.44" in debt
    on_short = tracker("我融券那部分 按30天算要多少钱", "C1004", State("quota", "C1004", 1))
    short, _ = run(ActionPersonalFollowup(), on_short)
    assert "7,333.33" in short and "8.8%" in short and "风险提示" in short
    moved = State("what_if", "C1001", 1, "finance amt:120000")
    financed, _ = run(ActionPersonalFollowup(), tracker("借30天要多少利息", "C1001", moved))
    assert "120,000" in financed and "680" in financed
    repaid = State("what_if", "C1004", 1, "repay amt:1000000")
    saved, _ = run(ActionPersonalFollowup(), tracker("那利息能省多少呀，按30天算", "C1004", repaid))
    assert "少付利息" in saved and "5,666.67" in saved


def test_the_line_at_the_clients_own_tier_for_the_net_assets_they_name():
    text, _ = run(ActionPersonalFollowup(), tracker("淨資產200萬的話", "C1001"))
    tier = load_tier("C1001")
    assert yuan(finance.line_cap(POLICY, tier, Decimal(2000000))) in text and "估算" in text


def load_tier(client_id: str) -> str:
    with session_scope() as session:
        return load_client(session, client_id).assessment.tier


def test_why_not_eligible_shows_the_shortfall_and_a_retest_keeps_the_other_rules():
    shown = State("eligibility", "C1002", 1)
    why, _ = run(ActionPersonalFollowup(), tracker("why, 具体差在哪", "C1002", shown))
    assert "还差220,000元" in why  # 500,000 − the 280,000 of daily assets
    retest, _ = run(ActionPersonalFollowup(), tracker("那我重新测评呢", "C1002", shown))
    assert "不是保守型" in retest and "220,000" in retest and "如实" in retest


def test_withdrawable_after_the_move_just_simulated_not_after_a_withdrawal():
    repaid = State("what_if", "C1004", 1, "repay amt:1000000")
    after, _ = run(ActionPersonalFollowup(), tracker("then how much could I withdraw", "C1004", repaid))
    # 352% after repaying 1,000,000 from cash: the 1,600,000 of cash left may all be withdrawn
    assert "还款1,000,000" in after and "测算后" in after and "352.00%" in after and "1,600,000" in after
    took = State("what_if", "C1004", 1, "withdraw amt:300000")
    now, _ = run(ActionPersonalFollowup(), tracker("那最多能取多少", "C1004", took))
    assert "600,000" in now and "按刚才的测算" not in now


def test_a_fall_larger_than_the_holdings_is_refused_politely():
    from actions.simulate import simulation

    with session_scope() as session:
        record = load_client(session, "C1001")
    text, payload = simulation(record, POLICY, "fall", "amt:2000000")
    assert "不能超过持仓市值" in text and "1,200,000" in text and "-" not in payload.get("problem", "")
    assert "ratio_after" not in payload


def test_the_fall_their_holdings_may_take_before_a_line():
    # C1001: (100,000 + 1,200,000 × (1 − f)) ÷ 500,000 = 150% → f = 45.83%, holdings 650,000
    text, _ = run(ActionPersonalFollowup(), tracker("我的股票跌多少会碰到警戒线", "C1001"))
    assert "45.83%" in text and "650,000" in text and "警戒线150%" in text and "风险提示" in text
    called, _ = run(ActionPersonalFollowup(), tracker("我的股票跌多少会追保", "C1003"))
    assert "已不高于追保线130%" in called  # 128% already


def test_where_a_line_lies_read_as_a_lookup_is_the_rule():
    from actions.personal import general_question

    assert general_question("警戒线是多少来着")
    assert not general_question("我的维持担保比例多少")


def test_a_short_question_about_their_own_figure_read_as_knowledge_goes_to_the_lookup():
    from actions.whatif import own_lookup

    assert own_lookup("rz额度还剩多少") == "action_query_quota"
    assert own_lookup("available quota?") == "action_query_quota"
    assert own_lookup("俺比例多少") == "action_query_margin_status"
    for now in ("margin call了吗", "我被追保了没", "是不是追保了"):  # whether they are in a call now
        assert own_lookup(now) == "action_query_margin_status", now
    for rule in (
        "保证金比例多少",
        "可用额度怎么算",
        "比例多少",
        "提取线是多少",
        "我的比例是怎么算的",
        "追保",
        "追保了怎么办",
    ):
        assert own_lookup(rule) is None, rule
    _, events = run(ActionAnswerFaq(), tracker("rz额度还剩多少", "C1001"))
    assert events == [{"event": "followup", "timestamp": None, "name": "action_query_quota"}]
    anonymous, _ = run(ActionAnswerFaq(), tracker("rz额度还剩多少", None))
    assert "登录" in anonymous or "额度" in anonymous  # no hand-over without a verified client
    again = tracker("rz额度还剩多少", "C1001")
    again.events.append({"event": "action", "name": "action_query_quota"})  # it already ran: no loop
    _, events = run(ActionAnswerFaq(), again)
    assert not any(e.get("event") == "followup" for e in events)


# -- follow-ups added for unseen sets 18–20 -----------------------------------------------
MARGIN = State("margin_status", "C1003", 1)


@pytest.mark.parametrize(
    "text,state,expected",
    [
        ("那还差多少到150", MARGIN, ("goal_cash", "pct:150")),  # the money still missing
        ("还差几个点到150", MARGIN, None),  # points, not money: the lookup shows the distances
        ("如果我是卖股票来还钱，要卖掉多少呀", MARGIN, ("goal_sell", "pct:150")),
        ("那我能不能从信用账户里取一点钱出来呀？", QUOTA, ("withdraw_max", None)),  # "一点": a little
        ("那我的credit line是按这个tier算的吗 上限多少", TIER, ("why_line", None)),
        ("为啥就剩这么点", QUOTA, ("figure_quota", None)),  # what is used and what is left
        ("咁我自己嘅呢？", MARGIN, ("figure_ratio", None)),  # their figure just shown, again
        ("不补呢", MARGIN, ("if_not", None)),
        ("利息每天扣多少", QUOTA, ("interest_debt", "1")),  # one day's interest on their debt
    ],
)
def test_follow_ups_on_the_figure_just_shown(text, state, expected):
    assert read_followup(text, [], state, True, POLICY) == expected


def test_holdings_falling_to_a_level_keep_the_cash():
    asked = "我票今天跌惨了 现在市值就剩100万 比例多少"
    assert read_move(asked, located(asked, "100万", 1000000), POLICY) == ("fall", "mv:1000000")
    state = State("what_if", "C1001", 1)
    text, _ = run(ActionPersonalFollowup(), tracker(asked, "C1001", state, located(asked, "100万", 1000000)))
    assert "220.00%" in text  # (100,000 cash + 1,000,000 holdings) ÷ 500,000


def test_a_goal_right_after_a_simulated_fall_starts_from_that_state():
    # C1001 after a 60% fall: 100,000 + 480,000 = 580,000 on 500,000 → 116%; back to 150% takes 170,000
    state = State("what_if", "C1001", 1, "fall pct:60")
    text, _ = run(ActionPersonalFollowup(), tracker("那得补多少才回到150", "C1001", state))
    assert "116.00%" in text and "170,000" in text
    text, _ = run(ActionPersonalFollowup(), tracker("那得补多少才回到150", "C1001", State("quota", "C1001", 1)))
    assert "无需" in text  # from the current 260%: nothing to add


def test_a_plain_request_for_a_person_hands_off_whatever_else_is_said():
    text, events = run(ActionHandoff(), tracker("我被追保了 急 找个人", "C1003", MARGIN, intent="request_human"))
    assert "转接" in text or "人工" in text
    assert not any(e.get("event") == "followup" for e in events)


def test_a_client_number_names_no_tier():
    """ "C1003個戶口" is another client's number (never looked up), not the tier C1 the NLU
    may read in it: no line at a tier is computed from it."""
    quota = State("quota", "C1001", 1)
    tier = [{"entity": "risk_tier", "value": "C1", "start": 6, "end": 8}]
    asked = read_followup("順便幫我睇埋C1003個戶口嘅維持擔保比例", tier, quota, True, POLICY)
    assert asked is None or asked[0] != "tier_line"
