"""Stated-figure questions, no login needed: "借20万用40天利息多少", "我有40万能开吗",
"我净资产120万，稳健型能批多少", "保证金比例100%的话30万能融多少".

The client's own figures go through the same core/finance code and policy.yml numbers
as the personal lookups; the reply says it is an estimate, cites the rule and carries
the risk reminder. Pure computation (no database), so it runs in-process with the
knowledge actions and in the action server's no-login path alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional, Sequence

from core import finance
from core.formatting import risk_reminder, yuan
from core.policy import Policy, fmt_pct, fmt_wan, plain
from core.text import normalize

LABEL = "按您提供的数字估算（不是您账户的实际数据，以营业部审核和交易系统为准）："
_DAYS = re.compile(r"(\d{1,4})\s*(?:天|日)(?!利率)")
_MONTHS = re.compile(r"(\d{1,2})\s*个?月")
_INTEREST = re.compile(r"利息|息|费用|收多少|多少钱")
_OPEN = re.compile(r"开通|开户|开两融|能开|可以开|开吗|开得了|够不够|够吗|符合|门槛|达标|可以吗|行吗|能做两融|能办")
_LINE = re.compile(r"批|授信|额度|给多少|能给|上限")
_CAPACITY = re.compile(r"能融|融多少|可以融|借多少|能借|可融|能买多少|买多少")
_HAS_MONEY = re.compile(r"我有|有|资产|净资产|存了|手上|账户里")


@dataclass(frozen=True)
class Estimate:
    text: str
    topic: str  # the faq id of the rule it applies
    kind: str


def _decimals(values: Sequence[Any]) -> List[Decimal]:
    out = []
    for v in values:
        try:
            out.append(Decimal(str(v)))
        except (InvalidOperation, ValueError):
            continue
    return out


def _days(text: str) -> Optional[int]:
    m = _DAYS.search(text)
    if m:
        return int(m.group(1))
    m = _MONTHS.search(text)
    return int(m.group(1)) * 30 if m else None


def interest(policy: Policy, amount: Decimal, days: int, lending: bool) -> Estimate:
    key = "interest.lending_annual_fee_rate" if lending else "interest.financing_annual_rate"
    rate = policy.dec(key)
    basis = int(policy.get("interest.day_count_basis"))
    due = finance.interest_for(amount, days, rate, basis)
    what = "融券" if lending else "融资"
    text = (
        f"{LABEL}{what}{yuan(amount)}使用{days}天，利息约{yuan(due)}"
        f"（{yuan(amount)} × 年{'费' if lending else '利'}率{fmt_pct(rate)} ÷ {basis} × {days}天）。"
        f"按规定利息按日计提，只对实际使用的金额计算，提前还款次日起停止计息。\n{risk_reminder(policy)}"
    )
    return Estimate(text, "interest_calculation", "interest")


def eligibility(policy: Policy, assets: Decimal) -> Estimate:
    need = policy.dec("eligibility.min_avg_daily_assets")
    window = policy.get("eligibility.assets_window_trading_days")
    if finance.meets_asset_rule(assets, policy):
        verdict = f"{yuan(assets)}达到资产门槛，资产这一条满足"
    else:
        verdict = f"{yuan(assets)}低于门槛，还差{yuan(need - assets)}，暂不满足资产条件"
    text = (
        f"{LABEL}开通两融要求前{window}个交易日日均证券类资产不低于{fmt_wan(need)}；{verdict}。"
        f"此外还需交易经验满{policy.get('eligibility.min_trading_experience_months')}个月、"
        f"风险等级不低于稳健型、年龄{policy.get('eligibility.min_age')}至{policy.get('eligibility.max_age')}岁等条件。"
        f"登录后我可以按您的实际资料逐条核对。\n{risk_reminder(policy)}"
    )
    return Estimate(text, "eligibility_assets", "eligibility")


def credit_line(policy: Policy, tier_code: str, net_assets: Decimal) -> Estimate:
    tier = policy.tier(tier_code)
    if not tier["may_open"]:
        text = f"{LABEL}按规定，{tier['name']}（{tier['code']}）客户不能开通融资融券，因此没有授信额度。"
        text += f"\n{risk_reminder(policy)}"
        return Estimate(text, "risk_tier_credit_strategy", "line")
    line = finance.line_cap(policy, tier_code, net_assets)
    multiple = Decimal(str(tier["line_multiple"]))
    text = (
        f"{LABEL}按授信策略，{tier['name']}（{tier['code']}）客户授信上限为净资产×{plain(multiple)}倍、最高"
        f"{fmt_wan(tier['line_cap'])}；净资产{yuan(net_assets)}，估算授信额度最高约{yuan(line)}。"
        f"实际额度以审批为准。\n{risk_reminder(policy)}"
    )
    return Estimate(text, "risk_tier_credit_strategy", "line")


def capacity(policy: Policy, collateral: Decimal, ratio: Optional[Decimal]) -> Estimate:
    minimum = policy.dec("margin.min_margin_ratio")
    used = minimum if ratio is None else ratio
    note = ""
    if used < minimum:
        note = f"注意：保证金比例不得低于{fmt_pct(minimum)}，按{fmt_pct(minimum)}计算。"
        used = minimum
    amount = finance.financing_capacity(collateral, used)
    text = (
        f"{LABEL}{note}以{yuan(collateral)}现金作保证金（现金折算率{fmt_pct(policy.get('margin.haircuts.cash'))}），"
        f"按保证金比例{fmt_pct(used)}，最多可融资买入约{yuan(amount)}（保证金 ÷ 保证金比例）；"
        f"用股票作担保时先按折算率打折，同时不能超过您的可用授信额度。\n{risk_reminder(policy)}"
    )
    return Estimate(text, "margin_initial_ratio", "capacity")


def estimate(text: str, entities: Sequence[Dict[str, Any]], policy: Policy) -> Optional[Estimate]:
    """An estimate when the message states the figures one of the rules needs, else None."""
    t = normalize(text)
    amounts = _decimals([e.get("value") for e in entities if e.get("entity") == "amount"])
    percents = _decimals([e.get("value") for e in entities if e.get("entity") == "percent"])
    tiers = [str(e.get("value")) for e in entities if e.get("entity") == "risk_tier"]
    tier = tiers[0] if tiers else next((str(x["code"]) for x in policy.get("risk_tiers.tiers") if x["name"] in t), None)
    if not amounts:
        return None
    amount = amounts[0]
    if amount <= 0 or amount > Decimal("1000000000"):
        return None
    days = _days(t)
    if days is not None and 0 < days <= 3650 and _INTEREST.search(t):
        return interest(policy, amount, days, lending="融券" in t and "融资" not in t)
    if tier and _LINE.search(t):
        return credit_line(policy, tier, amount)
    if _CAPACITY.search(t) and not _INTEREST.search(t):
        ratio = percents[0] / 100 if percents else None
        return capacity(policy, amount, ratio)
    if _OPEN.search(t) and _HAS_MONEY.search(t) and not _LINE.search(t):
        return eligibility(policy, amount)
    return None
