"""Margin arithmetic on one client's account. Pure functions over Decimal; every
threshold comes from policy.yml. The same code serves live lookups, what-ifs,
the demo data check and the unit tests."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Dict, List, Optional

from core.policy import Policy
from core.texts import client as client_text

CENT = Decimal("0.01")
ZERO = Decimal("0")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Holding:
    code: str
    name: str
    quantity: Decimal
    price: Decimal
    haircut_class: str

    @property
    def market_value(self) -> Decimal:
        return self.quantity * self.price


@dataclass(frozen=True)
class Snapshot:
    """A credit account's figures at one moment (as_of)."""

    cash: Decimal
    holdings: List[Holding]
    financing_debt: Decimal
    shorts: List[Holding] = field(default_factory=list)
    accrued: Decimal = ZERO  # interest and fees owed

    @property
    def securities_value(self) -> Decimal:
        return sum((h.market_value for h in self.holdings), ZERO)

    @property
    def total_assets(self) -> Decimal:
        return self.cash + self.securities_value

    @property
    def short_value(self) -> Decimal:
        return sum((h.market_value for h in self.shorts), ZERO)

    @property
    def total_debt(self) -> Decimal:
        return self.financing_debt + self.short_value + self.accrued

    @property
    def net_assets(self) -> Decimal:
        return self.total_assets - self.total_debt

    @property
    def ratio(self) -> Optional[Decimal]:
        """维持担保比例 = (cash + collateral market value) ÷ (financing + short market value + accrued);
        None without debt."""
        debt = self.total_debt
        return None if debt <= 0 else self.total_assets / debt

    def collateral_value(self, policy: Policy) -> Decimal:
        """Haircut-weighted collateral (折算后担保物价值)."""
        haircuts = policy.get("margin.haircuts")
        return self.cash * Decimal(str(haircuts["cash"])) + sum(
            (h.market_value * Decimal(str(haircuts.get(h.haircut_class, 0))) for h in self.holdings), ZERO
        )


def available_quota(line: Decimal, snapshot: Snapshot) -> Decimal:
    """可用额度 = credit line − financing used − short-selling used (never below 0)."""
    return max(ZERO, line - snapshot.financing_debt - snapshot.short_value)


def line_cap(policy: Policy, tier_code: str, net_assets: Decimal) -> Decimal:
    tier = policy.tier(tier_code)
    return min(net_assets * Decimal(str(tier["line_multiple"])), Decimal(str(tier["line_cap"])))


def cash_to_restore(snapshot: Snapshot, target: Decimal) -> Decimal:
    """Cash to deposit as collateral so that the ratio reaches target."""
    return money(max(ZERO, target * snapshot.total_debt - snapshot.total_assets))


def repayment_to_restore(snapshot: Snapshot, target: Decimal) -> Decimal:
    """Debt to repay with new money (直接还款) so that the ratio reaches target."""
    return money(max(ZERO, snapshot.total_debt - snapshot.total_assets / target))


def withdrawable(snapshot: Snapshot, policy: Policy) -> Decimal:
    """Cash that may be taken out while keeping the ratio at or above the withdrawal line."""
    if snapshot.total_debt <= 0:
        return money(snapshot.cash)
    line = policy.dec("margin_call.withdrawal_line")
    return money(min(snapshot.cash, max(ZERO, snapshot.total_assets - line * snapshot.total_debt)))


def after_sale_repaying(snapshot: Snapshot, amount: Decimal) -> Snapshot:
    """卖券还款: sell `amount` of the held securities (every holding by the same fraction) and
    repay the financing debt with the proceeds; what exceeds the debt stays as cash."""
    sec = snapshot.securities_value
    sold = max(ZERO, min(amount, sec))
    keep = (1 - sold / sec) if sec > 0 else Decimal(1)
    repaid = min(sold, snapshot.financing_debt)
    return replace(
        snapshot,
        holdings=[replace(h, quantity=h.quantity * keep) for h in snapshot.holdings],
        financing_debt=snapshot.financing_debt - repaid,
        cash=snapshot.cash + sold - repaid,
    )


def sale_to_restore(snapshot: Snapshot, target: Decimal) -> Optional[Decimal]:
    """Securities to sell, the proceeds repaying financing debt, for the ratio to reach
    `target`: (A − x) ÷ (D − x) = t gives x = (t·D − A) ÷ (t − 1). 0 when already there;
    None when selling cannot get there (a target at or below 100%, or not enough securities
    or financing debt to sell against)."""
    assets, debt = snapshot.total_assets, snapshot.total_debt
    if debt <= 0 or assets >= target * debt:
        return ZERO
    if target <= 1:
        return None
    needed = (target * debt - assets) / (target - 1)
    if needed > snapshot.securities_value or needed > snapshot.financing_debt:
        return None
    return money(needed)


def after_repayment(snapshot: Snapshot, amount: Decimal) -> Snapshot:
    """直接还款 with new money: the financing debt falls by `amount` (never below 0)."""
    return replace(snapshot, financing_debt=max(ZERO, snapshot.financing_debt - amount))


def after_cash_repayment(snapshot: Snapshot, amount: Decimal) -> Snapshot:
    """直接还款 from the credit account's cash, what the trading system draws on; a shortfall
    is transferred in first. Cash falls by what it covers, the financing debt by the amount
    (never below 0)."""
    repaid = min(max(ZERO, amount), snapshot.financing_debt)
    return replace(
        snapshot, cash=snapshot.cash - min(repaid, snapshot.cash), financing_debt=snapshot.financing_debt - repaid
    )


def after_deposit(snapshot: Snapshot, amount: Decimal) -> Snapshot:
    """Cash added to the credit account as collateral (negative: cash taken out)."""
    return replace(snapshot, cash=snapshot.cash + amount)


def line_distances(ratio: Decimal, policy: Policy) -> Dict[str, Decimal]:
    """Percentage points above (+) or below (−) each line."""
    lines = {
        "warning_line": policy.dec("margin_call.warning_line"),
        "call_line": policy.dec("margin_call.call_line"),
        "immediate_liquidation_line": policy.dec("margin_call.immediate_liquidation_line"),
    }
    return {name: (ratio - value) * 100 for name, value in lines.items()}


def zone(ratio: Optional[Decimal], policy: Policy) -> str:
    """safe | withdrawable | warning | call | liquidation, for a ratio."""
    if ratio is None:
        return "no_debt"
    if ratio < policy.dec("margin_call.immediate_liquidation_line"):
        return "liquidation"
    if ratio < policy.dec("margin_call.call_line"):
        return "call"
    if ratio < policy.dec("margin_call.warning_line"):
        return "warning"
    if ratio > policy.dec("margin_call.withdrawal_line"):
        return "withdrawable"
    return "safe"


def after_price_move(snapshot: Snapshot, change_pct: Decimal) -> Snapshot:
    """All held (and shorted) securities move by change_pct percent (−10 = fall 10%)."""
    factor = 1 + change_pct / 100
    return replace(
        snapshot,
        holdings=[replace(h, price=h.price * factor) for h in snapshot.holdings],
        shorts=[replace(h, price=h.price * factor) for h in snapshot.shorts],
    )


def after_financing(snapshot: Snapshot, amount: Decimal) -> Snapshot:
    """A further financing buy of `amount`: securities bought with borrowed money."""
    bought = Holding("NEW", client_text.NEW_FINANCING_HOLDING, Decimal(1), amount, "other_stock")
    return replace(snapshot, holdings=[*snapshot.holdings, bought], financing_debt=snapshot.financing_debt + amount)


def fall_to_line(snapshot: Snapshot, line: Decimal) -> Optional[Decimal]:
    """Percent fall of the held securities (shorts unchanged) that takes the ratio down
    to `line`; 0 if already there, None without debt or holdings."""
    debt, sec = snapshot.total_debt, snapshot.securities_value
    if debt <= 0 or sec <= 0:
        return None
    fraction = (snapshot.cash + sec - line * debt) / sec
    return max(ZERO, fraction * 100)


def fall_in_money(snapshot: Snapshot, fall_pct: Decimal) -> Decimal:
    """The market value a fall of `fall_pct` percent takes off the held securities."""
    return money(snapshot.securities_value * fall_pct / 100)


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (29 Feb + 24 months → 28 Feb)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def assessment_expiry(assessed_on: date, policy: Policy) -> date:
    return add_months(assessed_on, int(policy.get("risk_tiers.assessment_validity_months")))


# -- estimates from figures a client states (no login) ----------------------------
# The same rules as the personal lookups, applied to the client's own numbers.


def interest_for(amount: Decimal, days: int, annual_rate: Decimal, basis: int) -> Decimal:
    """利息 = 金额 × 年利率 ÷ 计息基数 × 天数 (interest accrues per day on the amount used)."""
    return money(amount * annual_rate / Decimal(basis) * Decimal(days))


def financing_capacity(collateral: Decimal, margin_ratio: Decimal, haircut: Decimal = Decimal(1)) -> Decimal:
    """How much may be financed on `collateral` at a margin ratio: 折算后保证金 ÷ 保证金比例."""
    if margin_ratio <= 0:
        return ZERO
    return money(collateral * haircut / margin_ratio)


def meets_asset_rule(avg_daily_assets: Decimal, policy: Policy) -> bool:
    return avg_daily_assets >= policy.dec("eligibility.min_avg_daily_assets")


def overdue_penalty(unpaid: Decimal, days: int, daily_rate: Decimal) -> Decimal:
    """罚息 = 逾期未还的利息 × 日罚息率 × 逾期天数 (unpaid interest after settlement)."""
    return money(unpaid * daily_rate * Decimal(days))


def excess_over_line(assets: Decimal, debt: Decimal, line: Decimal) -> Decimal:
    """What may be taken out while the ratio stays at or above `line`: assets − line × debt
    (never below 0; all of the assets without debt)."""
    if debt <= 0:
        return money(max(ZERO, assets))
    return money(max(ZERO, assets - line * debt))


def stated_snapshot(cash: Decimal, securities: Decimal, debt: Decimal) -> Snapshot:
    """An account from the figures a client states: cash, securities at market value
    (counted as ordinary stocks) and financing debt."""
    holdings = [Holding("STATED", "", Decimal(1), securities, "other_stock")] if securities > 0 else []
    return Snapshot(cash=cash, holdings=holdings, financing_debt=debt)
