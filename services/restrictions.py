"""Why a client may not take new financing or short sales right now (policy rules)."""

from __future__ import annotations

from typing import List, Optional

from core import clock, finance
from core.formatting import day, moment
from core.policy import Policy
from core.texts import client as client_text
from core.texts import staff as staff_text
from storage.repository import ClientRecord


def assessment_expired(record: ClientRecord, policy: Policy) -> bool:
    a = record.assessment
    return a is None or finance.assessment_expiry(a.assessed_on, policy) <= clock.today()


def new_credit_blocks(record: ClientRecord, policy: Policy) -> List[str]:
    """Readable reasons that new financing buys (and short sales) are blocked."""
    reasons: List[str] = []
    account = record.account
    if account is not None and account.open_call is not None:
        reasons.append(client_text.BLOCK_OPEN_CALL.format(deadline=moment(account.open_call.deadline)))
    if record.assessment is not None and assessment_expired(record, policy):
        expiry = finance.assessment_expiry(record.assessment.assessed_on, policy)
        reasons.append(client_text.BLOCK_ASSESSMENT_EXPIRED.format(day=day(expiry)))
    return reasons


# A client in a margin call who asks about liquidation is also handed to a person,
# whether the question reached the margin-status lookup or a knowledge answer.
LIQUIDATION_HANDOFF = staff_text.HANDOFF_REASON_LIQUIDATION
LIQUIDATION_WORDS = ("平仓", "强平", "斩仓", "爆仓", "卖掉我的")
LIQUIDATION_TOPICS = frozenset({"margincall_forced_liquidation", "margincall_deadline"})


def asks_about_liquidation(text: str, topic: Optional[str] = None) -> bool:
    return topic in LIQUIDATION_TOPICS or any(word in text for word in LIQUIDATION_WORDS)
