"""What we tell people about their records: the greeting notice and the privacy page's
figures, from the retention settings in force (so the text never disagrees with the purge)."""

from __future__ import annotations

import re
from typing import Dict

from core.policy import Policy
from core.retention import period_days
from core.settings import Settings

TOKEN = re.compile(r"\{(\w+)\}")


def _years(days: int) -> str:
    years = days / 365.25
    return str(round(years)) if abs(years - round(years)) < 0.05 else f"{years:.1f}"


def facts(settings: Settings, policy: Policy) -> Dict[str, str]:
    return {
        "anon_chat_days": str(period_days(settings, "anon_chat")),
        "question_log_days": str(period_days(settings, "question_log")),
        "client_records_years": _years(period_days(settings, "client_records")),
        "audit_years": _years(period_days(settings, "audit")),
        "feedback_years": _years(period_days(settings, "feedback")),
        "outbox_years": _years(period_days(settings, "outbox")),
        "hotline": str(policy.get("broker.hotline")),
        "agent_hours": f"{policy.get('broker.agent_hours.start')}–{policy.get('broker.agent_hours.end')}",
        "broker": str(policy.get("broker.name")),
    }


def fill(template: str, values: Dict[str, str]) -> str:
    """Replace {name} tokens that `values` knows; anything else is left as written."""
    return TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def greeting_notice(settings: Settings, policy: Policy) -> str:
    return fill(policy.render(str(policy.get("texts.greeting_notice"))), facts(settings, policy))
