"""The risk-reminder and suitability record: every risk reminder and compliance refusal
shown to a verified client, append-only (client, conversation, entry id and version,
text hash, time), so "we told them" can be proven years later. Also notes which
conversations were with a verified client (their transcript is a client-service record)."""

from __future__ import annotations

import hashlib
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from core import clock
from core.policy import Policy
from storage.db import session_scope
from storage.records import ConversationClient, RiskNotice

# actions whose reply is a compliance refusal (the texts carry no reminder of their own to match)
REFUSAL_ACTIONS = frozenset({"action_refuse_advice"})


def notices_in(action: str, messages: Iterable[Dict[str, Any]], policy: Policy) -> List[Dict[str, str]]:
    """The notices a reply holds: a refusal, or any message carrying the risk reminder."""
    reminder = str(policy.get("texts.risk_reminder"))
    found = []
    for message in messages:
        text = str(message.get("text") or "")
        if not text:
            continue
        if action in REFUSAL_ACTIONS:
            kind = "refusal"
        elif reminder in text:
            kind = "risk_reminder"
        else:
            continue
        custom = message.get("custom") if isinstance(message.get("custom"), dict) else {}
        found.append(
            {
                "kind": kind,
                "entry_id": str(custom.get("faq_id") or action)[:64],
                "version": str(custom.get("version") or f"policy {policy.get('version')}")[:32],
                "text_hash": hashlib.sha256(text.encode()).hexdigest(),
            }
        )
    return found


_LINKS = ConversationClient.__table__
_NOTICES = RiskNotice.__table__
# built once (building a statement cost more than running it; storage/repository.py)
_LINKED = select(_LINKS.c.id).where(
    _LINKS.c.sender_id == bindparam("sender_id"), _LINKS.c.client_id == bindparam("client_id")
)


def _write(sender_id: str, client_id: str, notices: List[Dict[str, str]], link: bool) -> None:
    """One transaction: the conversation's link (when it has none yet) and the notices."""
    now = clock.now()
    who = {"sender_id": sender_id, "client_id": client_id}
    with session_scope() as session:
        connection = session.connection()
        if link and connection.execute(_LINKED, who).first() is None:
            connection.execute(insert(_LINKS), {**who, "first_at": now})
        if notices:
            connection.execute(insert(_NOTICES), [{**who, "at": now, **n} for n in notices])


def record_turn(
    client_id: Optional[str], sender_id: str, action: str, messages: List[Dict[str, Any]], policy: Policy
) -> int:
    """One verified turn: link the conversation to the client (idempotent) and append the
    notices shown. Returns how many notices."""
    if not client_id:
        return 0
    found = notices_in(action, messages, policy)
    try:
        _write(sender_id[:128], client_id, found, link=True)
    except IntegrityError:  # a concurrent turn of the same conversation linked it first
        _write(sender_id[:128], client_id, found, link=False)
    return len(found)
