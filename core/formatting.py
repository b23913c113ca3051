"""How figures read in Chinese replies: yuan, percentages, points, dates, times."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from core import clock
from core.policy import Policy, fmt_pct, fmt_yuan


def yuan(value: Decimal) -> str:
    return fmt_yuan(value)


def ratio_pct(ratio: Decimal) -> str:
    """1.28 → '128.00%'."""
    return f"{(ratio * 100).quantize(Decimal('0.01'))}%"


def points(value: Decimal) -> str:
    return f"{abs(value).quantize(Decimal('0.01'))}个百分点"


def line(policy: Policy, path: str) -> str:
    return fmt_pct(policy.get(path))


def day(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def moment(value: datetime) -> str:
    local = value.astimezone(clock.TZ)
    return f"{day(local.date())} {local:%H:%M}"


def risk_reminder(policy: Policy) -> str:
    return str(policy.get("texts.risk_reminder"))
