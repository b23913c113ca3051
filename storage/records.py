"""Tables of records and privacy: the audit chain's head, the risk-reminder and
suitability record, and which conversations were with a verified client.
(Same metadata and migrations as the client data.)"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import Column, Integer, String, UniqueConstraint

from storage.models import Base
from storage.types import UTCDateTime

GENESIS = "0" * 64  # the prev_hash of the first audit row ever written


class AuditChain(Base):
    """One row (id 1): the last audit row's id and hash, and where the chain starts
    after old rows were purged. Every audit() updates it first, which serialises
    writers on SQLite and PostgreSQL alike (a row lock until commit)."""

    __tablename__ = "audit_chain"
    id = Column(Integer, primary_key=True)
    last_id = Column(Integer, nullable=False, default=0)
    last_hash = Column(String(64), nullable=False, default=GENESIS)
    base_id = Column(Integer, nullable=False, default=0)  # rows up to this id were purged
    base_hash = Column(String(64), nullable=False, default=GENESIS)  # the row_hash of row base_id


class RiskNotice(Base):
    """Append-only: a risk reminder or compliance refusal shown to a verified client
    (database triggers refuse UPDATE). The text itself is not stored, its hash is:
    the entry id and version say which text it was."""

    __tablename__ = "risk_notices"
    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime(), nullable=False, index=True)
    client_id = Column(String(32), nullable=False, index=True)
    sender_id = Column(String(128), nullable=False)  # the conversation
    kind = Column(String(16), nullable=False)  # risk_reminder | refusal
    entry_id = Column(String(64), nullable=False)  # FAQ id, or the action that replied
    version = Column(String(32), nullable=False)  # FAQ version, or the policy version
    text_hash = Column(String(64), nullable=False)  # sha256 of the full message shown


class ConversationClient(Base):
    """A conversation (sender id) in which a verified client spoke: its transcript is a
    client-service record (kept 20 years), not anonymous chat (180 days)."""

    __tablename__ = "conversation_clients"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    client_id = Column(String(32), nullable=False, index=True)
    first_at = Column(UTCDateTime(), nullable=False)
    __table_args__ = (UniqueConstraint("sender_id", "client_id"),)


def audit_row_hash(
    prev_hash: str,
    row_id: int,
    at: datetime,
    actor: str,
    actor_role: str,
    subject_client_id: str,
    action: str,
    detail: Optional[str],
) -> str:
    """sha256 over the previous row's hash and every field of this row (JSON-encoded,
    so no two different rows share an encoding)."""
    moment = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
    fields = [prev_hash, row_id, moment, actor, actor_role, subject_client_id, action, detail or ""]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()
