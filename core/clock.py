"""Broker-local time and trading days (Asia/Shanghai, holidays from policy.yml)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.policy import Policy, get_policy
from core.settings import get_settings

TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """Current broker-local time; BOT_FAKE_NOW (ISO) pins it for demos and tests."""
    fake = get_settings().fake_now
    if fake:
        moment = datetime.fromisoformat(fake)
        return moment if moment.tzinfo else moment.replace(tzinfo=TZ)
    return datetime.now(TZ)


def today() -> date:
    return now().date()


def is_trading_day(day: date, policy: Policy | None = None) -> bool:
    policy = policy or get_policy()
    holidays = {str(d) for d in policy.get("market_holidays") or []}
    return day.weekday() < 5 and day.isoformat() not in holidays


def add_trading_days(day: date, n: int, policy: Policy | None = None) -> date:
    policy = policy or get_policy()
    current = day
    while n > 0:
        current += timedelta(days=1)
        if is_trading_day(current, policy):
            n -= 1
    return current


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def agents_on_duty(moment: datetime | None = None, policy: Policy | None = None) -> bool:
    """Human agents answer on trading days within broker.agent_hours."""
    policy = policy or get_policy()
    moment = (moment or now()).astimezone(TZ)
    start, end = _hhmm(policy.get("broker.agent_hours.start")), _hhmm(policy.get("broker.agent_hours.end"))
    return is_trading_day(moment.date(), policy) and start <= moment.time() < end


def next_agent_opening(moment: datetime | None = None, policy: Policy | None = None) -> datetime:
    policy = policy or get_policy()
    moment = (moment or now()).astimezone(TZ)
    start = _hhmm(policy.get("broker.agent_hours.start"))
    day = moment.date()
    if is_trading_day(day, policy) and moment.time() < start:
        return datetime.combine(day, start, TZ)
    return datetime.combine(add_trading_days(day, 1, policy), start, TZ)
