"""Multi-turn conversations over REST against the real Rasa and action servers: context,
menus, corrections, stated-figure estimates and the what-if form, with the exact numbers
computed from policy.yml and the seeded accounts by core/finance."""

from decimal import Decimal
from itertools import count

import pytest

from core import finance
from core.formatting import ratio_pct, yuan
from core.policy import fmt_pct, fmt_wan, get_policy
from storage.db import session_scope
from storage.repository import load_client

pytestmark = pytest.mark.e2e
_senders = count()


class Conversation:
    def __init__(self, servers, client_id=None):
        self.servers = servers
        self.sender = f"dlg-{next(_senders)}"
        self.metadata = {"token": servers.token(client_id)} if client_id else {}

    def say(self, text):
        resp = self.servers.chat(text, sender=self.sender, metadata=self.metadata)
        assert resp.status_code == 200, resp.text
        data = resp.json()
        assert isinstance(data, list) and data, data
        return Reply(data)


class Reply:
    def __init__(self, data):
        self.data = data
        self.text = "\n".join(m.get("text") or "" for m in data)
        self.faq_ids = [m["custom"]["faq_id"] for m in data if (m.get("custom") or {}).get("faq_id")]
        self.buttons = [b for m in data for b in m.get("buttons") or []]

    def offered(self):
        return [b["payload"].split('"faq_id": "')[1].split('"')[0] for b in self.buttons]


@pytest.fixture(scope="module")
def policy():
    return get_policy()


def snapshot(database_url, client_id):
    with session_scope(database_url) as session:
        return load_client(session, client_id).account.snapshot


def test_follow_ups_carry_the_topic(servers, policy):
    c = Conversation(servers)
    assert c.say("融资利率是多少").faq_ids == ["interest_financing_rate"]
    lending = c.say("那融券呢？")
    assert lending.faq_ids[0] == "interest_lending_rate"
    assert fmt_pct(policy.get("interest.lending_annual_fee_rate")) in lending.text
    c = Conversation(servers)
    c.say("保证金比例多少")
    short = c.say("融券的呢")
    assert short.faq_ids[0] == "margin_initial_ratio" and fmt_pct(policy.get("margin.min_margin_ratio")) in short.text
    c = Conversation(servers)
    c.say("什么情况下会被追保")
    assert c.say("要多久").faq_ids[0] == "margincall_deadline"


def test_menu_choice_by_ordinal_and_none_of_these(servers):
    c = Conversation(servers)
    menu = c.say("利息")
    options = menu.offered()
    assert len(options) >= 2 and not menu.faq_ids
    assert c.say("第二个").faq_ids[0] == options[1]
    c = Conversation(servers)
    options = c.say("利息").offered()
    assert c.say("2").faq_ids[0] == options[1]
    c = Conversation(servers)
    options = c.say("利息").offered()
    nxt = c.say("都不是")
    assert nxt.buttons and not set(nxt.offered()) & set(options)


def test_corrections_answer_the_rest(servers, policy):
    c = Conversation(servers)
    c.say("融资利率多少")
    fixed = c.say("不对，我问的是融券费率")
    assert fixed.faq_ids[0] == "interest_lending_rate"
    c = Conversation(servers)
    c.say("维持担保比例怎么算")
    other = c.say("不是这个 我问的是融券的")
    assert "好的，如有其他" not in other.text
    assert (other.faq_ids and other.faq_ids[0] != "margincall_maintenance_ratio") or other.buttons


def test_vague_questions_get_a_menu_never_a_goodbye(servers):
    for text in ("利率", "这个多少", "最晚啥时候"):
        reply = Conversation(servers).say(text)
        assert reply.buttons, (text, reply.text)
        assert "再见" not in reply.text and "好的，如有其他" not in reply.text


def test_stated_figures_without_login(servers, policy):
    rate = policy.dec("interest.financing_annual_rate")
    basis = int(policy.get("interest.day_count_basis"))
    reply = Conversation(servers).say("借20万用40天利息多少")
    due = finance.interest_for(Decimal(200000), 40, rate, basis)
    assert yuan(due) in reply.text and "估算" in reply.text and policy.get("texts.risk_reminder") in reply.text

    c = Conversation(servers)
    c.say("开通要什么条件")
    reply = c.say("我有40万可以吗")
    need = policy.dec("eligibility.min_avg_daily_assets")
    assert fmt_wan(need) in reply.text and yuan(need - Decimal(400000)) in reply.text
    assert "请在示例证券App或网上营业厅登录" not in reply.text

    reply = Conversation(servers).say("我净资产120万，稳健型能批多少")
    line = finance.line_cap(policy, "C2", Decimal(1200000))
    assert yuan(line) in reply.text and "估算" in reply.text

    reply = Conversation(servers).say("保证金比例100%的话30万能融多少")
    assert yuan(finance.financing_capacity(Decimal(300000), policy.dec("margin.min_margin_ratio"))) in reply.text


def test_stated_figure_follow_ups_reuse_the_figures(servers, policy):
    rate = policy.dec("interest.financing_annual_rate")
    fee = policy.dec("interest.lending_annual_fee_rate")
    c = Conversation(servers)
    c.say("融资借15万 用50天 利息要多少")
    longer = c.say("那用80天呢")
    assert yuan(finance.interest_for(Decimal(150000), 80, rate, 360)) in longer.text and "估算" in longer.text
    short = c.say("融卷的话呢")
    assert yuan(finance.interest_for(Decimal(150000), 80, fee, 360)) in short.text

    c = Conversation(servers)
    c.say("平衡型 净资产90万 授信能批多少")
    other = c.say("换成积极型呢")
    assert yuan(finance.line_cap(policy, "C5", Decimal(900000))) in other.text

    c = Conversation(servers)
    first = c.say("我现金30万 股票70万 融资欠了40万 维持担保比例是多少")
    assert "250%" in first.text
    falls = c.say("股价跌多少就会追保")
    snap = finance.stated_snapshot(Decimal(300000), Decimal(700000), Decimal(400000))
    fall = finance.fall_to_line(snap, policy.dec("margin_call.call_line")).quantize(Decimal("0.01")).normalize()
    assert f"下跌约{fall:f}%" in falls.text and policy.get("texts.risk_reminder") in falls.text

    c = Conversation(servers)
    most = c.say("信用账户总资产600万 负债150万 最多能取出多少")
    assert yuan(finance.excess_over_line(Decimal(6000000), Decimal(1500000), Decimal(3))) in most.text
    assert "300%" in c.say("取完之后比例多少").text

    c = Conversation(servers)
    penalty = c.say("有2万利息没还上 逾期了15天 罚息多少")
    daily = policy.dec("interest.overdue_daily_penalty")
    assert yuan(finance.overdue_penalty(Decimal(20000), 15, daily)) in penalty.text
    assert yuan(finance.overdue_penalty(Decimal(20000), 30, daily)) in c.say("30天呢").text
    # no figure: the knowledge answer, not another estimate
    assert "估算" not in c.say("那结息日是哪天").text


def test_an_estimate_gathers_its_figures_over_several_messages(servers, policy):
    c = Conversation(servers)
    asked = c.say("帮我算一下担保比例好吗")
    assert "请告诉我" in asked.text
    assert "负债" in c.say("现金5万元，股票85万元").text  # kept, and the debt asked for
    done = c.say("融资欠了60万")
    assert "150%" in done.text and "估算" in done.text
    restore = c.say("那要补多少钱进去才够")
    assert "150%" in restore.text

    c = Conversation(servers)
    c.say("帮我算下可以批多少额度")
    assert "净资产" in c.say("平衡型").text
    line = c.say("净资产250万")
    assert yuan(finance.line_cap(policy, "C3", Decimal(2500000))) in line.text
    left = c.say("用了100万 还剩多少可以用")
    assert yuan(finance.line_cap(policy, "C3", Decimal(2500000)) - Decimal(1000000)) in left.text

    # whichever way the classifier reads the request, the figures are kept for the next message
    c = Conversation(servers)
    first = c.say("罚息给我算一下")
    assert "罚息" in first.text and "抱歉" not in first.text
    c.say("结息后没还的利息1.2万")
    daily = policy.dec("interest.overdue_daily_penalty")
    assert yuan(finance.overdue_penalty(Decimal(12000), 5, daily)) in c.say("拖了5天").text


def test_what_if_form_asks_then_simulates(servers, database_url, policy):
    c = Conversation(servers, "C1001")
    ask = c.say("帮我模拟一下跌了会怎样")
    assert "跌15%" in ask.text and "算了" in ask.text
    result = c.say("15个点")
    before = snapshot(database_url, "C1001")
    after = finance.after_price_move(before, Decimal(-15))
    assert "下跌15%" in result.text and ratio_pct(after.ratio) in result.text and "对照各条线" in result.text
    # the form is done: the next question is answered as a question
    assert c.say("融资利率多少").faq_ids == ["interest_financing_rate"]


def test_what_if_amounts_and_leaving(servers, database_url):
    c = Conversation(servers, "C1001")
    c.say("模拟一下再融资会怎样")
    more = c.say("20万")
    after = finance.after_financing(snapshot(database_url, "C1001"), Decimal(200000))
    assert ratio_pct(after.ratio) in more.text
    c = Conversation(servers, "C1001")
    c.say("帮我模拟一下跌了会怎样")
    assert "退出测算" in c.say("算了").text
    assert c.say("融资利率多少").faq_ids == ["interest_financing_rate"]


def test_margin_call_client_is_told_first(servers):
    c = Conversation(servers, "C1003")
    reply = c.say("如果我的持仓跌10%会怎样")
    assert reply.text.startswith("请先注意：您目前有一笔未了结的追保通知")
    c = Conversation(servers, "C1003")
    c.say("我的额度")
    assert "暂停新的融资买入" in c.say("那我现在还能融资买吗").text


def test_compliance_and_hours_in_any_turn(servers, policy):
    c = Conversation(servers)
    c.say("融资利率多少")
    refusal = c.say("那你保证我不亏行不")
    assert "不能" in refusal.text and policy.get("texts.risk_reminder") in refusal.text
    assert "不能" in Conversation(servers).say("你们保证我不亏吗").text
    hours = Conversation(servers).say("人工几点有人")
    assert policy.get("broker.agent_hours.start") in hours.text
    assert not any((m.get("custom") or {}).get("handoff") for m in hours.data)


def test_context_ends_when_the_identity_changes(servers):
    sender = f"dlg-{next(_senders)}"
    first = servers.chat("融资利率是多少", sender=sender, metadata={"token": servers.token("C1001")})
    assert first.status_code == 200
    later = servers.chat("那融券呢？", sender=sender, metadata={"token": servers.token("C1002")})
    # another client's token never continues this conversation (nor its context): refused
    assert later.status_code == 403 and later.json()["code"] == "not_owner"


def test_what_if_cash_in_then_the_cash_that_restores_150(servers, database_url, policy):
    c = Conversation(servers, "C1003")
    before = snapshot(database_url, "C1003")
    first = c.say("假如我打15万现金入去信用账户，比例变几多")
    assert first.text.startswith("请先注意") and "追加现金150,000元" in first.text
    assert ratio_pct(finance.after_deposit(before, Decimal(150000)).ratio) in first.text  # 134.00%
    goal = c.say("咁要存几多先够150%")
    restore = policy.dec("margin_call.restore_to")
    assert yuan(finance.cash_to_restore(before, restore)) in goal.text  # 550,000元
    assert yuan(finance.repayment_to_restore(before, restore)) in goal.text  # 366,666.67元


def test_what_if_follow_up_reuses_the_move_and_checks_the_withdrawal_line(servers, database_url, policy):
    c = Conversation(servers, "C1004")
    before = snapshot(database_url, "C1004")
    first = c.say("if i 提现 20w ratio 会变成几多")
    assert ratio_pct(finance.after_deposit(before, Decimal(-200000)).ratio) in first.text  # 306.67%
    more = c.say("那150万呢")
    assert ratio_pct(finance.after_deposit(before, Decimal(-1500000)).ratio) in more.text
    assert yuan(finance.withdrawable(before, policy)) in more.text and "提取线300%" in more.text


def test_sell_part_of_the_holdings_to_repay_then_confirm(servers, database_url):
    c = Conversation(servers, "C1003")
    before = snapshot(database_url, "C1003")
    sold = c.say("我卖掉一半持仓去还融资，比例会回到多少")
    after = finance.after_sale_repaying(before, before.securities_value / 2)
    assert ratio_pct(after.ratio) in sold.text  # 170.00%
    sure = c.say("这样应该高过警戒线了吧")
    assert sure.text.startswith("是的") and "170.00%" in sure.text and "150%" in sure.text


def test_personal_follow_ups_after_a_lookup(servers, database_url, policy):
    c = Conversation(servers, "C1003")
    assert "128.00%" in c.say("查下我的维持担保比例").text
    finance_q = c.say("咁我仲可唔可以融资买股")
    assert "暂停新的融资买入" in finance_q.text and "150%" in finance_q.text and "550,000" in finance_q.text
    cash = c.say("那我能把钱取出来吗")
    assert "未高于提取线300%" in cash.text

    vip = Conversation(servers, "C1004")
    vip.say("我的授信额度多少")
    most = vip.say("最多可以提几多")
    assert yuan(finance.withdrawable(snapshot(database_url, "C1004"), policy)) in most.text  # 600,000元
    manager = vip.say("我有冇专属经理")
    assert "陈静" in manager.text and not any((m.get("custom") or {}).get("handoff") for m in manager.data)
    lapsed = vip.say("我还能借钱吗")
    assert "测评" in lapsed.text and "2026年6月1日" in lapsed.text


def test_assessment_follow_up_and_no_token_no_figures(servers):
    c = Conversation(servers, "C1001")
    assert "平衡型" in c.say("帮我看看风险等级").text
    assert "2028年3月1日" in c.say("几时到期").text
    anon = Conversation(servers)
    anon.say("我的额度多少")
    reply = anon.say("额度我能用不")
    assert "登录" in reply.text and "300,000" not in reply.text


def test_a_follow_up_for_a_client_without_a_credit_account_says_so(servers):
    """C1002 has no credit account: after the eligibility check, asking for the ratio is
    a follow-up that delegates to the margin-status lookup, which must say there is no
    account (it once failed on the missing account and answered "系统繁忙")."""
    c = Conversation(servers, "C1002")
    c.say("那麻烦帮我看看，我自己够条件吗？")
    ratio = c.say("我的维持担保比例是多少呀？")
    assert "没有信用账户" in ratio.text, ratio.text
    assert "繁忙" not in ratio.text
