"""Stated-figure estimates and their follow-ups (actions/estimate.py), without login.

Expected figures are computed here from policy.yml with core/finance, never typed in,
so a policy edit moves both sides."""

import asyncio
from decimal import Decimal as D
from typing import Any, Dict, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.estimate import LABEL, SLOT, estimate, previous_estimate, read_figures
from actions.knowledge import ActionAnswerFaq, ActionConverse
from actions.quota import ActionQueryQuota
from core import finance
from core.formatting import yuan
from core.policy import fmt_pct, fmt_wan, get_policy
from core.text import normalize


@pytest.fixture(scope="module")
def policy():
    return get_policy()


def ask(policy, text, previous=None, entities=()):
    return estimate(text, list(entities), policy, previous)


def chain(policy, *texts):
    """Play texts as one conversation, each with the previous estimate; the last estimate."""
    previous: Optional[Dict[str, Any]] = None
    found = None
    for text in texts:
        found = ask(policy, text, previous)
        previous = found.state() if found else None
    return found


def fin(policy, amount, days):
    return finance.interest_for(D(amount), days, policy.dec("interest.financing_annual_rate"), 360)


def lend(policy, amount, days):
    return finance.interest_for(D(amount), days, policy.dec("interest.lending_annual_fee_rate"), 360)


def assert_estimate(found, *figures):
    assert found is not None
    assert found.text.startswith(LABEL) and get_policy().get("texts.risk_reminder") in found.text
    for figure in figures:
        assert figure in found.text, (figure, found.text)


# -- reading figures ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,amount,days",
    [
        ("借三十万用45天", D(300000), 45),
        ("15w 20日", D(150000), 20),
        ("融資8萬用咗15日", D(80000), 15),
        ("100000 用两个月", D(100000), 60),
        ("1,500,000元 三周", D(1500000), 21),
        ("借 2.5万 半个月", D(25000), 15),
    ],
)
def test_amounts_and_days(policy, text, amount, days):
    f = read_figures(normalize(text), [], policy)
    assert f.amounts[0][0] == amount and f.days == days


def test_roles_before_or_after_the_amount(policy):
    f = read_figures(normalize("现金20万，股票市值80万，融资负债40万"), [], policy)
    assert f.by_role() == {"cash": D(200000), "stocks": D(800000), "debt": D(400000)}
    f = read_figures(normalize("我有20万现金、80万股票，欠了40万"), [], policy)
    assert f.by_role() == {"cash": D(200000), "stocks": D(800000), "debt": D(400000)}


def test_dates_index_names_and_stock_codes_are_not_amounts(policy):
    f = read_figures(normalize("3月21日结息，沪深300成分股，600519"), [], policy)
    assert not f.amounts and f.days is None


# -- interest, lending fee, penalty ------------------------------------------------------
def test_financing_interest_in_several_styles(policy):
    for text in ("借三十万融资用45天大概多少利息", "融资 300000 用45天 利息?", "融資三十萬用咗45日要幾多利息"):
        assert_estimate(
            ask(policy, text), yuan(fin(policy, 300000, 45)), fmt_pct(policy.get("interest.financing_annual_rate"))
        )


def test_lending_fee_with_the_typo(policy):
    found = ask(policy, "融卷15w 20日 费用几多")
    assert found.kind == "interest" and found.figures["side"] == "lending"
    assert_estimate(found, yuan(lend(policy, 150000, 20)), fmt_pct(policy.get("interest.lending_annual_fee_rate")))


def test_interest_follow_ups_keep_what_was_not_said(policy):
    assert_estimate(chain(policy, "借10万融资30天利息多少", "换成90天呢"), yuan(fin(policy, 100000, 90)))
    assert_estimate(chain(policy, "借10万融资30天利息多少", "要是借25万呢"), yuan(fin(policy, 250000, 30)))
    # the other side, same figures, with and without restating them
    assert_estimate(chain(policy, "借10万融资30天利息多少", "融券呢"), yuan(lend(policy, 100000, 30)))
    assert_estimate(chain(policy, "融券卖了10万 用30天 要多少费用", "融资的话 5万 十天"), yuan(fin(policy, 50000, 10)))
    assert_estimate(chain(policy, "借10万融资30天利息多少", "那一个月呢", "两个月呢"), yuan(fin(policy, 100000, 60)))


def test_penalty_on_overdue_interest(policy):
    rate = policy.dec("interest.overdue_daily_penalty")
    found = ask(policy, "有5000元利息过了结息日没交，拖了30天罚息多少")
    assert found.kind == "penalty" and found.topic == "interest_overdue_penalty"
    assert_estimate(found, yuan(finance.overdue_penalty(D(5000), 30, rate)), fmt_pct(rate))
    assert finance.overdue_penalty(D(5000), 30, rate) == D("75.00")
    assert_estimate(chain(policy, "有5000元利息过了结息日没交，拖了30天罚息多少", "拖45天呢"), yuan(D("112.50")))


def test_a_question_without_figures_is_left_to_the_knowledge_base(policy):
    previous = ask(policy, "借10万融资30天利息多少").state()
    assert ask(policy, "那罚息呢", previous) is None
    assert ask(policy, "融资利率是多少", previous) is None
    assert ask(policy, "追保线是多少", ask(policy, "现金20万 股票80万 欠40万 比例多少").state()) is None


def test_a_new_self_contained_question_is_not_bent_to_the_old_estimate(policy):
    previous = ask(policy, "借10万融资30天利息多少").state()
    found = ask(policy, "我手上有35万 能开两融吗", previous)
    assert found.kind == "eligibility" and yuan(D(150000)) in found.text
    found = ask(policy, "稳健型 净资产80万 能批多少额度", previous)
    assert found.kind == "line" and yuan(finance.line_cap(policy, "C2", D(800000))) in found.text


# -- credit line by tier -----------------------------------------------------------------
def test_line_by_tier_name_or_code_and_other_tiers_after(policy):
    found = ask(policy, "C3 净资产 250万 授信能批多少")
    assert_estimate(found, yuan(finance.line_cap(policy, "C3", D(2500000))))
    assert_estimate(
        chain(policy, "C3 净资产 250万 授信能批多少", "c5呢"), yuan(finance.line_cap(policy, "C5", D(2500000)))
    )
    capped = chain(policy, "C3 净资产 250万 授信能批多少", "如果我是成长型")
    assert_estimate(capped, yuan(finance.line_cap(policy, "C4", D(2500000))))
    assert "不能开通" in chain(policy, "C3 净资产 250万 授信能批多少", "保守型呢").text
    assert_estimate(
        chain(policy, "积极型的话身家 800w 额度最多多少", "那 2000w 呢"), yuan(D(policy.tier("C5")["line_cap"]))
    )


def test_a_tier_and_net_assets_stated_alone_are_a_line(policy):
    found = ask(policy, "我测出来是稳健型的，净资产六十万左右")
    assert_estimate(found, yuan(finance.line_cap(policy, "C2", D(600000))))
    assert ask(policy, "我是稳健型 净资产60万 能开两融吗").kind == "eligibility"


def test_line_from_an_eligibility_estimate_and_a_tier(policy):
    found = chain(policy, "我有200万资产可以开户吗", "平衡型能批多少额度呢")
    assert found.kind == "line" and yuan(finance.line_cap(policy, "C3", D(2000000))) in found.text


# -- eligibility: assets, age, experience, test -----------------------------------------
def test_assets_against_the_rule_and_more_money_later(policy):
    need = policy.dec("eligibility.min_avg_daily_assets")
    found = ask(policy, "手上有60万可以开通两融吗")
    assert_estimate(found, fmt_wan(need), "满足")
    low = chain(policy, "手上有60万可以开通两融吗", "那30万呢")
    assert_estimate(low, yuan(need - D(300000)))
    more = chain(policy, "账户里有35万 够不够开两融", "再转入20万呢")
    assert_estimate(more, yuan(D(550000)), "日均")


def test_age_then_someone_else_s_age(policy):
    max_age = str(policy.get("eligibility.max_age"))
    found = ask(policy, "我今年75岁了，还能开两融吗")
    assert_estimate(found, max_age, "不能开通")
    assert_estimate(chain(policy, "我今年75岁了，还能开两融吗", "我妈 62 呢"), "62岁符合")
    assert ask(policy, "我45岁") is None  # an age alone is not an eligibility question


def test_experience_and_knowledge_test(policy):
    months = policy.get("eligibility.min_trading_experience_months")
    assert_estimate(ask(policy, "炒股才3个月 能不能做两融"), f"{months}个月", "还差")
    assert_estimate(
        ask(policy, "知识测试考了85分 够吗"), str(policy.get("eligibility.knowledge_test_pass_mark")), "已达到"
    )


# -- financing capacity, collateral haircuts ---------------------------------------------
def test_capacity_on_cash_then_on_other_collateral(policy):
    hair = policy.get("margin.haircuts")
    assert_estimate(ask(policy, "用50万现金做保证金，能融多少"), yuan(D(500000)))
    etf = chain(policy, "用50万现金做保证金，能融多少", "如果是ETF呢")
    assert_estimate(etf, yuan(finance.financing_capacity(D(500000), D(1), D(str(hair["etf"])))))
    assert etf.topic == "margin_collateral_haircut"
    higher = chain(policy, "用50万现金做保证金，能融多少", "保证金比例120%呢")
    assert_estimate(higher, yuan(finance.financing_capacity(D(500000), D("1.2"))))
    bonds = chain(policy, "margin ratio 100% 的话 20w 能融多少", "国债做担保呢")
    assert_estimate(bonds, yuan(finance.financing_capacity(D(200000), D(1), D(str(hair["government_bond"])))))


def test_restoring_the_ratio_each_way_and_spoken_amounts(policy):
    found = ask(policy, "资产120w 负债100w 补多少钱能回150")
    snap = finance.stated_snapshot(D(0), D(1200000), D(1000000))
    sale = finance.sale_to_restore(snap, D("1.5"))
    assert sale == D(600000)
    assert_estimate(found, "300,000", yuan(sale))
    assert_estimate(chain(policy, "资产120w 负债100w 补多少钱能回150", "不补钱 卖券还款的话要卖多少"), yuan(sale))
    assert "140%" in ask(policy, "资产140个 融资欠100个 维保多少").text  # 个 = 万 when money is talked of
    moved = chain(policy, "我现金20万 股票100万 负债50万 比例多少", "那要是股票跌了15个点呢")
    assert "210%" in moved.text
    assert "140%" in chain(policy, "我现金20万 股票100万 负债50万 比例多少", "跌一半呢").text


def test_capacity_on_collateral_of_several_kinds(policy):
    hair = {k: D(str(v)) for k, v in policy.get("margin.haircuts").items()}
    found = ask(policy, "那我有国债二十万，再加上一百万沪深三百的股票，最多能算多少担保品呀")
    value = finance.money(D(200000) * hair["government_bond"] + D(1000000) * hair["csi300"])
    assert value == D(890000)
    assert_estimate(found, yuan(value), fmt_pct(hair["government_bond"]), fmt_pct(hair["csi300"]))
    both = ask(policy, "我有50万现金和100万股票能融多少")
    assert_estimate(both, yuan(D(500000) + finance.money(D(1000000) * hair["other_stock"])))
    # the same parts at another margin ratio
    higher = chain(policy, "我有50万现金和100万股票能融多少", "那保证金比例120%呢")
    assert_estimate(higher, yuan(finance.financing_capacity(D(1150000), D("1.2"))))
    etf = ask(policy, "我有50萬ETF同20萬國債放入去做擔保，折算之後值幾多")
    assert_estimate(etf, yuan(D(640000)))  # 500,000 × 90% + 200,000 × 95%
    # a debt is not one more piece of collateral
    assert ask(policy, "负债50万 现金10万 股票120万 比例多少").kind == "account"


def test_capacity_never_below_the_minimum_margin_ratio(policy):
    found = ask(policy, "保证金比例50%的话10万能融多少")
    assert "不得低于" in found.text and yuan(D(100000)) in found.text


# -- the maintenance ratio from stated figures -------------------------------------------
def test_ratio_and_how_far_prices_may_fall(policy):
    snap = finance.stated_snapshot(D(200000), D(800000), D(400000))
    found = ask(policy, "我现金20万，股票80万，融资负债40万，维持担保比例多少")
    assert found.kind == "account" and "250%" in found.text
    falls = chain(policy, "我现金20万，股票80万，融资负债40万，维持担保比例多少", "跌多少会被追保")
    call = finance.fall_to_line(snap, policy.dec("margin_call.call_line"))
    assert call == D(60)
    assert_estimate(falls, "下跌约60%", fmt_pct(policy.get("margin_call.call_line")))
    moved = chain(policy, "我现金20万，股票80万，融资负债40万，维持担保比例多少", "再跌20%呢")
    after = finance.after_price_move(snap, D(-20))
    assert f"{(after.ratio * 100).quantize(D('0.01')).normalize():f}%" in moved.text


def test_withdrawable_above_the_withdrawal_line_and_after(policy):
    line = policy.dec("margin_call.withdrawal_line")
    most = finance.excess_over_line(D(5000000), D(1000000), line)
    assert most == D(2000000)
    found = ask(policy, "总资产500万 负债100万 最多可以取多少")
    assert_estimate(found, yuan(most))
    after = chain(policy, "总资产500万 负债100万 最多可以取多少", "取完以后比例呢")
    assert after.text.startswith(LABEL + "取完以后比例为300%")
    too_much = chain(policy, "总资产500万 负债100万 最多可以取多少", "那取250万呢")
    assert "250%" in too_much.text and "不能" in too_much.text


def test_no_estimate_for_a_logged_in_what_if_or_a_bare_percentage(policy):
    assert ask(policy, "模拟一下跌20%我会不会爆仓") is None
    assert ask(policy, "如果我转10万现金进去 比例会变多少") is None
    assert ask(policy, "滬深300嘅股票做擔保，折算率係幾多？") is None


# -- the slot and the actions ------------------------------------------------------------
def tracker(text, slots=None, intent="faq", entities=None) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "metadata": {"auth_status": "missing"},
    }
    return Tracker("est-sender", dict(slots or {}), latest, [], False, None, {}, "action_listen")


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture(autouse=True)
def _db(database_url, monkeypatch):
    monkeypatch.setenv("BOT_FAKE_NOW", "2026-11-26T10:00:00+08:00")


def test_the_follow_up_reads_the_slot_the_first_turn_set(policy):
    out, slots = run(ActionAnswerFaq(), tracker("借10万融资30天利息多少"))
    assert yuan(fin(policy, 100000, 30)) in out[0]["text"] and out[0]["custom"]["estimate"] == "interest"
    assert slots[SLOT]["kind"] == "interest" and slots["last_faq_ids"] == ["interest_calculation"]
    out, slots = run(ActionConverse(), tracker("那50天呢", slots, intent="affirm"))
    assert yuan(fin(policy, 100000, 50)) in out[0]["text"] and slots[SLOT]["days"] == 50


def test_a_personal_intent_follow_up_without_login_is_estimated(policy):
    _, slots = run(ActionAnswerFaq(), tracker("稳健型 净资产80万 能批多少额度"))
    out, _ = run(ActionQueryQuota(), tracker("那我要是积极型呢", slots, intent="query_quota"))
    assert yuan(finance.line_cap(policy, "C5", D(800000))) in out[0]["text"]


def test_the_estimate_is_stale_once_the_conversation_moved_on_or_changed_hands():
    state = {"kind": "interest", "topic": "interest_calculation", "amount": "100000", "days": 30}
    assert previous_estimate(tracker("20天呢", {SLOT: state}), ["interest_calculation"]) == state
    assert previous_estimate(tracker("20天呢", {SLOT: state}), ["margincall_trigger"]) is None
    assert previous_estimate(tracker("20天呢", {SLOT: state}), []) is None  # a new identity: no context
    out, _ = run(
        ActionAnswerFaq(),
        tracker("20天呢", {SLOT: state, "last_faq_ids": ["interest_calculation"], "context_client": "C1001"}),
    )
    assert "估算" not in out[0].get("text", "")


def test_english_durations_and_roles(policy):
    assert_estimate(ask(policy, "financing 8w for 25 days, interest?"), yuan(fin(policy, 80000, 25)))
    assert_estimate(chain(policy, "financing 8w for 25 days, interest?", "3 weeks呢"), yuan(fin(policy, 80000, 21)))
    found = ask(policy, "cash 20w stock 60w debt 40w ratio 多少")
    assert found.kind == "account" and "200%" in found.text


def test_figures_after_a_rule_s_knowledge_answer_start_an_estimate(policy):
    def after(topic, text):
        t = tracker(text, {"last_faq_ids": [topic], "context_client": "anonymous"})
        return ask(policy, text, previous_estimate(t, [topic]))

    assert_estimate(after("interest_financing_rate", "那借6万45天呢"), yuan(fin(policy, 60000, 45)))
    assert_estimate(after("interest_lending_rate", "融8万 10天呢"), yuan(lend(policy, 80000, 10)))
    assert_estimate(after("eligibility_age", "那我外婆 66 呢"), "66岁符合")
    # a fragment without the rule's figures stays with the knowledge base
    assert after("interest_financing_rate", "那融券呢") is None
    assert after("margin_collateral_haircut", "ETF呢") is None
    no_tier = after("risk_tier_credit_strategy", "那50万呢")  # no tier said yet: asked for, the assets kept
    assert no_tier is not None and "风险等级" in no_tier.text and no_tier.state()["assets"] == "500000"


@pytest.mark.parametrize(
    ("text", "ratio", "topic"),
    [
        ("我担保比例掉到120%了 咋整", "1.2", "margincall_deadline"),
        ("我比例只有105%了怎么办", "1.05", "margincall_forced_liquidation"),
        ("比例现在140%要追保吗", "1.4", "margincall_warning_line"),
        ("維持擔保比例已經跌到320%，可以取錢嗎", "3.2", "margincall_withdrawal"),
    ],
)
def test_a_stated_ratio_is_read_against_the_lines(policy, text, ratio, topic):
    found = ask(policy, text)
    assert found is not None and found.kind == "stated_ratio" and found.topic == topic
    zone = finance.zone(D(ratio), policy)
    assert found.text.startswith(LABEL) and fmt_pct(D(ratio)) in found.text
    if zone == "call":  # the deadline and the level to restore, from policy.yml
        assert f"T+{policy.get('margin_call.deadline_trading_days')}" in found.text
        assert fmt_pct(policy.get("margin_call.restore_to")) in found.text
    assert str(policy.get("texts.risk_reminder")) in found.text
    again = ask(policy, "那125%呢", found.state())  # another ratio, same reading
    assert again is not None and again.kind == "stated_ratio" and fmt_pct(D("1.25")) in again.text


@pytest.mark.parametrize(
    "text", ["维持担保比例低于130%会怎样", "跌10%比例会怎样", "比例跌破150%会通知我吗", "警戒线是150%吗"]
)
def test_a_line_or_a_move_is_not_a_stated_ratio(policy, text):
    found = ask(policy, text)
    assert found is None or found.kind != "stated_ratio"


@pytest.mark.parametrize(
    ("text", "plain", "asks"),
    [
        ("帮我算下利息", "利息怎么算", "使用天数"),
        ("想計下我可以借幾多額度", "授信额度是怎么定的", "净资产"),
        ("麻烦帮我算一算维持担保比例好吗", "维持担保比例是什么", "负债"),
    ],
)
def test_a_calculation_request_without_figures_gets_the_rule_and_a_question(text, plain, asks):
    from tests.test_context import run, text_of
    from tests.test_context import tracker as context_tracker

    out, _ = run(ActionAnswerFaq(), context_tracker(text))
    said = text_of(out)
    assert asks in said and "请告诉我" in said
    plain_question, _ = run(ActionAnswerFaq(), context_tracker(plain))
    assert "请告诉我" not in text_of(plain_question)  # only a request to calculate asks for figures


def test_one_figure_of_two_is_kept_and_the_other_asked_for(policy):
    after_rule = {"topic": "interest_calculation", "kind": "interest", "side": "financing"}
    partial = ask(policy, "借的是72万", after_rule)
    assert partial is not None and "多少天" in partial.text and partial.state()["amount"] == "720000"
    done = ask(policy, "大概用10天吧", partial.state())
    expected = finance.interest_for(
        D("720000"), 10, policy.dec("interest.financing_annual_rate"), int(policy.get("interest.day_count_basis"))
    )
    assert done is not None and yuan(expected) in done.text
    late = ask(policy, "30天", {"topic": "interest_overdue_penalty", "kind": "penalty"})
    assert late is not None and "金额" in late.text and late.state()["days"] == 30
    assert ask(policy, "我的授信额度有50万，能提高到多少呢？", after_rule) is None  # not about this loan


def test_a_ratio_estimate_gathers_its_figures_over_several_messages(policy):
    after_rule = {"topic": "margincall_maintenance_ratio", "kind": "account"}
    assets = ask(policy, "现金8万 股票市值112万", after_rule)
    assert assets is not None and "负债" in assets.text and "？" in assets.text
    assert assets.state()["cash"] == "80000" and assets.state()["stocks"] == "1120000"
    done = ask(policy, "融资欠了80万", assets.state())
    ratio = finance.stated_snapshot(D(80000), D(1120000), D(800000)).ratio
    assert done is not None and f"{(ratio * 100).normalize():f}%" in done.text and done.text.startswith(LABEL)
    debt_first = ask(policy, "负债50万", after_rule)
    assert debt_first is not None and "现金" in debt_first.text and debt_first.state()["debt"] == "500000"
    assert "200%" in ask(policy, "股票一共100万", debt_first.state()).text
    assert ask(policy, "我想了解一下追保", after_rule) is None  # no figure: the knowledge answer


def test_cash_to_restore_a_stated_ratio(policy):
    first = "我股票市值120万 没有现金 融资欠款100万 比例危险吗"
    snap = finance.stated_snapshot(D(0), D(1200000), D(1000000))
    target = policy.dec("margin_call.restore_to")
    found = chain(policy, first, "那要补多少钱进去才够")
    assert found is not None and found.topic == "margincall_deadline"
    assert_estimate(
        found, yuan(finance.cash_to_restore(snap, target)), yuan(finance.repayment_to_restore(snap, target))
    )
    safe = chain(policy, "现金50万 股票150万 负债50万 比例多少", "要存多少钱进去才够")
    assert "不需要追加" in safe.text


def test_a_line_estimate_asks_for_what_is_missing_and_what_is_left_of_it(policy):
    after_rule = {"topic": "risk_tier_credit_strategy", "kind": "line"}
    tier = ask(policy, "稳健型", after_rule)
    assert tier is not None and "净资产" in tier.text and tier.state()["tier"] == "C2"
    assert_estimate(ask(policy, "净资产150万", tier.state()), yuan(finance.line_cap(policy, "C2", D(1500000))))
    assets = ask(policy, "净资产150万", after_rule)
    assert assets is not None and "风险等级" in assets.text and assets.state()["assets"] == "1500000"
    assert_estimate(ask(policy, "积极型", assets.state()), yuan(finance.line_cap(policy, "C5", D(1500000))))
    line = finance.line_cap(policy, "C4", D(1800000))
    left = chain(policy, "我是成长型 净资产180万 能批多少额度", "用了100万 还剩多少可以用")
    assert left is not None and left.topic == "quota_available"
    assert_estimate(left, yuan(line), yuan(line - D(1000000)))


def test_what_is_left_of_a_stated_line(policy):
    found = ask(policy, "授信100万 融资用了40万 融券用了15万 还剩多少能用")
    assert found is not None and found.topic == "quota_available"
    assert_estimate(found, yuan(D(1000000)), yuan(D(550000)), yuan(D(450000)))
    assert ask(policy, "身家800万 积极型额度最多多少").kind == "line"  # an amount before 额度 is no line


def test_an_age_said_without_the_word_for_years(policy):
    found = ask(policy, "年纪有限制吗 我今年六十八了", {"kind": "eligibility", "topic": "eligibility_assets"})
    assert found is not None and found.topic == "eligibility_age" and "68岁" in found.text
    assert "months" not in found.figures  # "再过两年" style durations are no trading experience


def test_a_correction_of_the_side_and_other_wordings(policy):
    first = "融券30万用20天要多少钱"
    financing = chain(policy, first, "不好意思讲错了，我是想问融资，不是融券")
    assert_estimate(financing, yuan(fin(policy, 300000, 20)))
    unpaid = ask(policy, "结息后欠了2万利息没交 拖了15天")
    assert unpaid is not None and unpaid.kind == "penalty"
    most = ask(policy, "假设资产330w, 负债100w, 没有融券, 最多能提多少出来")
    assert_estimate(most, yuan(finance.excess_over_line(D(3300000), D(1000000), D(3))))
    line = chain(policy, "我是稳健型 净资产150万 能批多少额度", "那要是以后我净资产涨到300万了，是不是就能借150万了呀")
    assert line.kind == "line" and yuan(finance.line_cap(policy, "C2", D(3000000))) in line.text


def test_how_much_to_restore_before_any_figure_or_login(policy):
    from actions.estimate import goal_request

    asked = goal_request("我要补多少钱才能回到150%啊 好急", policy)
    assert asked is not None and "现金" in asked.text and "负债" in asked.text and asked.state()["aspect"] == "restore"
    snap = finance.stated_snapshot(D(0), D(800000), D(600000))
    done = ask(policy, "股票市值80万 没有现金 负债60万", asked.state())
    assert_estimate(done, yuan(finance.cash_to_restore(snap, policy.dec("margin_call.restore_to"))))
    assert goal_request("现金10万 股票80万 负债60万 补多少才够", policy) is None  # figures given: an estimate


def test_a_verified_client_s_stated_figures_are_estimated():
    from tests.test_context import run, text_of
    from tests.test_context import tracker as context_tracker

    out, _ = run(ActionQueryQuota(), context_tracker("30万全用了 整一个月利息多少", client_id="C1001"))
    assert "1,700" in text_of(out) and LABEL in text_of(out)


def test_a_fall_in_tenths(policy):
    first = "现金20万 股票120万 负债100万 比例多少"
    after = finance.after_price_move(finance.stated_snapshot(D(200000), D(1200000), D(1000000)), D(-10))
    moved = chain(policy, first, "明天股票再跌一成呢")
    assert f"{(after.ratio * 100).quantize(D('0.01')).normalize():f}%" in moved.text  # 128%
    assert ask(policy, "成本一成不变 三成仓位") is None


@pytest.mark.parametrize(
    "previous",
    [
        {"kind": "interest", "topic": "interest_calculation", "amount": "1e400"},
        {"kind": "account", "topic": "margincall_maintenance_ratio", "debt": "abc", "total": "NaN"},
        {"kind": "line", "topic": "risk_tier_credit_strategy", "tier": "C9", "assets": "5"},
        {"kind": "penalty", "amount": "-5", "days": "x"},
        {"kind": 5, "tier": ["x"], "days": True},
    ],
)
def test_a_malformed_slot_never_breaks_the_next_estimate(policy, previous):
    for text in ("比例350%负债80万最多取多少", "净资产100万", "20天", "总资产跌到50万", "借10万30天利息多少"):
        ask(policy, text, previous)  # no exception; the well-formed figures only are used


def test_a_calculation_request_needs_no_login_and_keeps_to_the_side_named():
    from actions.simulate import ActionSimulateMargin
    from tests.test_context import faq_of, run, text_of
    from tests.test_context import tracker as context_tracker

    out, _ = run(ActionSimulateMargin(), context_tracker("请问我想算一下融资要付多少利息，麻烦您帮我算算呀"))
    said = text_of(out)
    assert "登录" not in said and "请告诉我" in said
    assert faq_of(out) in ("interest_calculation", "interest_financing_rate")  # financing, not the lending fee
    lending, _ = run(ActionSimulateMargin(), context_tracker("融券的费用帮我算算"))
    assert faq_of(lending) == "interest_lending_rate"


# -- chains and questions about an estimate (unseen sets 18–20) ---------------------------
def ratio_after_fall(cash, stocks, debt, fall):
    return fmt_pct((D(cash) + D(stocks) * (100 - D(fall)) / 100) / D(debt))


def test_a_fall_then_bare_figures_keep_falling_from_the_stated_account(policy):
    said = ("现金10w 股票90w 负债50w 比例", "跌20呢")
    assert_estimate(chain(policy, *said), ratio_after_fall(100000, 900000, 500000, 20))
    assert_estimate(chain(policy, *said, "30呢"), ratio_after_fall(100000, 900000, 500000, 30))
    assert_estimate(chain(policy, *said, "30呢", "40呢 要追保了吧"), ratio_after_fall(100000, 900000, 500000, 40))


def test_the_account_stated_alone_is_its_ratio(policy):
    assert_estimate(ask(policy, "股票80w 没现金 借了50w"), fmt_pct(D(800000) / D(500000)))
    assert ask(policy, "我有股票80w 现金10w 能开两融吗").kind == "eligibility"  # no debt: the opening rules


def test_how_an_estimate_was_computed_shows_it_again_not_the_quoted_result_as_an_amount(policy):
    said = ("如果我融资20万，用45天，利息大概是多少钱呀？", "那换成90天呢？", "这个3,400是怎么算出来的呀？")
    found = chain(policy, *said)
    assert_estimate(found, yuan(fin(policy, 200000, 90)), "200,000")
    swapped = chain(
        policy, "如果我融资20万，用90天，利息多少", "这个3,400是怎么算出来的", "那要是同样的钱和天数，换成融券呢？"
    )
    assert_estimate(swapped, yuan(lend(policy, 200000, 90)))


def test_a_what_if_before_the_figures_keeps_the_move_for_them(policy):
    from actions.estimate import pending_account

    assert "150%" in pending_account(policy, None).text  # the lines, from policy.yml
    pending = pending_account(policy, "20")
    assert "？" in pending.text or "请告诉我" in pending.text
    found = ask(policy, "现金10万 股票90万 负债50万", pending.state())
    assert_estimate(found, ratio_after_fall(100000, 900000, 500000, 20))


def test_short_follow_ups_name_a_tier_or_the_days_alone(policy):
    line = chain(policy, "请问净资产300万 成长型 额度最多多少呀", "稳健的呢")
    assert line is not None and line.state().get("tier") == "C2"
    assert_estimate(chain(policy, "融资30w 用60天 利息多少", "90天呢", "180呢"), yuan(fin(policy, 300000, 180)))


def test_collateral_value_and_the_day_count_question(policy):
    assert_estimate(ask(policy, "100万的沪深300成分股当担保 能折多少"), "700,000")
    assert_estimate(chain(policy, "100万的沪深300成分股当担保 能折多少", "换成普通股票呢"), "650,000")
    assert ask(policy, "两个都按360天一年算？", {"kind": "interest", "topic": "interest_calculation"}) is None


def test_restoring_after_a_stated_fall_starts_from_the_fallen_holdings(policy):
    found = chain(policy, "现金10万 股票70万 负债40万 跌50%呢", "那要补多少cash才能回到150")
    fallen = finance.stated_snapshot(D(100000), D(350000), D(400000))
    assert_estimate(found, yuan(finance.cash_to_restore(fallen, policy.dec("margin_call.restore_to"))))
