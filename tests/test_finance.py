"""Margin arithmetic against hand-worked examples (the demo clients of interfaces.md)."""

from datetime import date
from decimal import Decimal as D

from core import finance
from core.finance import Holding, Snapshot

C1001 = Snapshot(
    cash=D("100000"),
    financing_debt=D("500000"),
    holdings=[
        Holding("600519.SH", "贵州茅台", D(500), D(1600), "csi300"),
        Holding("600036.SH", "招商银行", D(10000), D(40), "csi300"),
    ],
)
C1003 = Snapshot(
    cash=D("200000"),
    financing_debt=D("2500000"),
    holdings=[
        Holding("300750.SZ", "宁德时代", D(10000), D(200), "csi300"),
        Holding("002594.SZ", "比亚迪", D(4000), D(250), "csi300"),
    ],
)
C1004 = Snapshot(
    cash=D("2600000"),
    financing_debt=D("5000000"),
    holdings=[
        Holding("601318.SH", "中国平安", D(100000), D(50), "csi300"),
        Holding("600900.SH", "长江电力", D(200000), D(30), "csi300"),
        Holding("510050.SH", "50ETF", D(1000000), D(3), "etf"),
        Holding("019547.SH", "国债", D(20000), D(100), "government_bond"),
    ],
    shorts=[Holding("600036.SH", "招商银行", D(25000), D(40), "csi300")],
)


def test_demo_ratios():
    assert C1001.ratio == D("2.6")  # 1,300,000 / 500,000
    assert C1003.ratio == D("1.28")  # 3,200,000 / 2,500,000
    assert C1004.ratio == D("3.1")  # 18,600,000 / 6,000,000
    assert C1004.net_assets == D("12600000")
    assert C1003.net_assets == D("700000")


def test_available_quota():
    assert finance.available_quota(D("800000"), C1001) == D("300000")
    assert finance.available_quota(D("20000000"), C1004) == D("14000000")  # 20M − 5M − 1M
    assert finance.available_quota(D("100"), C1001) == D("0")  # never negative


def test_restore_150_for_c1003(policy):
    target = policy.dec("margin_call.restore_to")
    # (3,200,000 + x) / 2,500,000 = 1.5  →  x = 550,000
    assert finance.cash_to_restore(C1003, target) == D("550000.00")
    # 3,200,000 / (2,500,000 − y) = 1.5  →  y = 366,666.67
    assert finance.repayment_to_restore(C1003, target) == D("366666.67")
    assert finance.cash_to_restore(C1001, target) == D("0.00")


def test_withdrawable_above_300(policy):
    # 18,600,000 − 3 × 6,000,000 = 600,000
    assert finance.withdrawable(C1004, policy) == D("600000.00")
    assert finance.withdrawable(C1001, policy) == D("0.00")  # 260% < 300%


def test_zones_and_distances(policy):
    assert finance.zone(C1001.ratio, policy) == "safe"
    assert finance.zone(C1003.ratio, policy) == "call"
    assert finance.zone(C1004.ratio, policy) == "withdrawable"
    assert finance.zone(D("1.05"), policy) == "liquidation"
    assert finance.zone(D("1.45"), policy) == "warning"
    d = finance.line_distances(C1003.ratio, policy)
    assert d == {"warning_line": D("-22.00"), "call_line": D("-2.00"), "immediate_liquidation_line": D("18.00")}


def test_what_if_price_fall_and_more_financing():
    # C1001 holdings 1,200,000 fall 10% → 1,080,000; (100,000 + 1,080,000) / 500,000 = 236%
    assert finance.after_price_move(C1001, D(-10)).ratio == D("2.36")
    # 100,000 more financing: 1,400,000 / 600,000 = 233.33%
    assert finance.after_financing(C1001, D(100000)).ratio.quantize(D("0.0001")) == D("2.3333")
    # fall to 130%: (100,000 + 1,200,000·(1−f)) = 650,000 → f = 54.1667%
    assert finance.fall_to_line(C1001, D("1.3")).quantize(D("0.01")) == D("54.17")


def test_line_cap_and_expiry(policy):
    assert finance.line_cap(policy, "C3", D("800000")) == D("800000")
    assert finance.line_cap(policy, "C4", D("2000000")) == D("3000000")  # C1003's line
    assert finance.line_cap(policy, "C5", D("12600000")) == D("10000000")  # capped; VIP may exceed
    assert finance.assessment_expiry(date(2024, 6, 1), policy) == date(2026, 6, 1)
    assert finance.assessment_expiry(date(2024, 2, 29), policy) == date(2026, 2, 28)


def test_no_debt_means_no_ratio():
    empty = Snapshot(cash=D("1000"), holdings=[], financing_debt=D("0"))
    assert empty.ratio is None
    assert finance.zone(empty.ratio, None) == "no_debt"  # type: ignore[arg-type]


def test_overdue_penalty_per_day_on_unpaid_interest():
    assert finance.overdue_penalty(D("10000"), 10, D("0.0005")) == D("50.00")
    assert finance.overdue_penalty(D("1234.56"), 7, D("0.0005")) == D("4.32")


def test_excess_over_the_withdrawal_line():
    assert finance.excess_over_line(D("4200000"), D("1200000"), D(3)) == D("600000.00")
    assert finance.excess_over_line(D("3000000"), D("1200000"), D(3)) == D("0")
    assert finance.excess_over_line(D("50000"), D("0"), D(3)) == D("50000.00")


def test_stated_snapshot_counts_securities_as_ordinary_stocks():
    snap = finance.stated_snapshot(D("100000"), D("1100000"), D("500000"))
    assert snap.ratio == D("2.4") and snap.total_assets == D("1200000")
    assert finance.fall_to_line(snap, D("1.3")) == D(50)
    assert finance.stated_snapshot(D("5"), D("0"), D("0")).holdings == []


def test_cash_repayment_draws_on_the_account_cash_new_money_does_not():
    # C1001: cash 100,000 + securities 1,200,000, debt 500,000 (260%)
    assert finance.after_cash_repayment(C1001, D(100000)).ratio == D(3)  # 1,200,000 / 400,000
    assert finance.after_repayment(C1001, D(100000)).ratio == D("3.25")  # 1,300,000 / 400,000
    # more than the account's cash: the rest is transferred in first
    short = finance.after_cash_repayment(C1001, D(300000))
    assert short.cash == 0 and short.financing_debt == D(200000)
    # never more than the debt
    assert finance.after_cash_repayment(C1001, D(9000000)).financing_debt == 0


def test_sell_to_repay_half_of_the_holdings_c1003():
    # sell 1,500,000 of 3,000,000 held; the proceeds repay financing: 1,700,000 / 1,000,000 = 170%
    after = finance.after_sale_repaying(C1003, D(1500000))
    assert after.ratio == D("1.7")
    assert after.financing_debt == D("1000000") and after.cash == D("200000")
    assert after.securities_value == D("1500000")


def test_sell_to_repay_beyond_the_debt_keeps_the_rest_as_cash():
    # C1001: all 1,200,000 sold, 500,000 repays the whole debt, 700,000 stays as cash
    after = finance.after_sale_repaying(C1001, D(5000000))  # more than is held: everything is sold
    assert after.financing_debt == D("0") and after.cash == D("800000") and after.ratio is None


def test_sale_needed_to_restore_150_c1003(policy):
    target = policy.dec("margin_call.restore_to")
    # (3,200,000 − x) / (2,500,000 − x) = 1.5  →  x = 1,100,000
    needed = finance.sale_to_restore(C1003, target)
    assert needed == D("1100000.00")
    assert finance.after_sale_repaying(C1003, needed).ratio == target
    assert finance.sale_to_restore(C1001, target) == D("0")  # already above
    # under 100% selling only makes it worse: no sale gets there
    underwater = Snapshot(cash=D("0"), holdings=[Holding("X", "X", D(1), D(90), "other_stock")], financing_debt=D(100))
    assert finance.sale_to_restore(underwater, target) is None


def test_goal_amounts_reach_the_target_exactly(policy):
    target = policy.dec("margin_call.restore_to")
    assert finance.after_deposit(C1003, finance.cash_to_restore(C1003, target)).ratio == target
    repaid = finance.after_repayment(C1003, finance.repayment_to_restore(C1003, target)).ratio
    assert repaid.quantize(D("0.0001")) == D("1.5000")
    # C1004 withdrawing what is above 300% lands on the line
    assert finance.after_deposit(C1004, -finance.withdrawable(C1004, policy)).ratio == policy.dec(
        "margin_call.withdrawal_line"
    )
