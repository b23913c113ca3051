"""Tables of the publishing workflow: knowledge entries and their versions, editors,
the audit trail, questions for the insights view, and lecture announcements.
(Same metadata and migrations as the client data.)"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Text, UniqueConstraint

from storage.models import Base
from storage.types import UTCDateTime


class KbEntry(Base):
    __tablename__ = "kb_entries"
    faq_id = Column(String(64), primary_key=True)
    published_version = Column(Integer)  # the live version, None when not live
    latest_version = Column(Integer, nullable=False)
    retired = Column(Boolean, nullable=False, default=False)
    lock = Column(Integer, nullable=False, default=0)  # optimistic concurrency: bumped on every save
    updated_at = Column(UTCDateTime(), nullable=False)


class KbVersion(Base):
    __tablename__ = "kb_versions"
    id = Column(Integer, primary_key=True)
    faq_id = Column(String(64), ForeignKey("kb_entries.faq_id"), nullable=False, index=True)
    version = Column(Integer, nullable=False)
    content = Column(Text, nullable=False)  # the entry as JSON (question, paraphrases, answer, …)
    status = Column(String(16), nullable=False)  # draft | review | approved | published | superseded | rejected
    author = Column(String(64), nullable=False)
    reviewer = Column(String(64))
    effective_date = Column(Date)
    note = Column(String(500))
    created_at = Column(UTCDateTime(), nullable=False)
    reviewed_at = Column(UTCDateTime())
    published_at = Column(UTCDateTime())
    __table_args__ = (UniqueConstraint("faq_id", "version"),)


class KbState(Base):
    """One row: the published state's revision, bumped by every publish, retire and rollback."""

    __tablename__ = "kb_state"
    id = Column(Integer, primary_key=True)
    revision = Column(Integer, nullable=False, default=0)
    changed_at = Column(UTCDateTime())


class KbEvent(Base):
    __tablename__ = "kb_events"
    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime(), nullable=False)
    actor = Column(String(64), nullable=False)
    action = Column(String(32), nullable=False)  # save | submit | approve | reject | publish | retire | rollback
    faq_id = Column(String(64), nullable=False, index=True)
    version = Column(Integer)
    diff = Column(Text)


class Editor(Base):
    __tablename__ = "editors"
    username = Column(String(64), primary_key=True)
    display_name = Column(String(64), nullable=False)
    role = Column(String(16), nullable=False)  # editor | reviewer | agent
    password_hash = Column(String(256), nullable=False)
    active = Column(Boolean, nullable=False, default=True)  # a disabled account's tokens stop working at once
    # bumped by logout and password changes: a token carrying an older version is refused
    token_version = Column(Integer, nullable=False, default=0)


class StaffLoginFailure(Base):
    """A failed staff login, for throttling per account and per IP (and the audit)."""

    __tablename__ = "staff_login_failures"
    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime(), nullable=False, index=True)
    username = Column(String(64), nullable=False, index=True)
    ip = Column(String(64), nullable=False, index=True)


class QuestionLog(Base):
    """Questions the bot could not answer with confidence, for the education team."""

    __tablename__ = "question_log"
    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime(), nullable=False)
    sender_id = Column(String(128), nullable=False)
    text = Column(String(2000), nullable=False)
    outcome = Column(String(32), nullable=False)  # clarify | out_of_scope | fallback
    likely_faq_id = Column(String(64), index=True)
    score = Column(String(16))


class Lecture(Base):
    __tablename__ = "lectures"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    day = Column(Date, nullable=False)
    place = Column(String(300), nullable=False)  # branch address or an online link
    published = Column(Boolean, nullable=False, default=True)
    created_by = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False)


class TranscriptMessage(Base):
    """Every chat message, as the client saw it: client, bot, agent or system."""

    __tablename__ = "transcript_messages"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)  # the conversation
    role = Column(String(16), nullable=False)  # client | bot | agent | system
    text = Column(Text, nullable=False)
    author = Column(String(64))  # the agent, for agent messages
    at = Column(UTCDateTime(), nullable=False)
    delivered_at = Column(UTCDateTime())  # agent/system messages pushed to the widget


class Handoff(Base):
    """A conversation handed to a person: queued → held (by an agent) → closed."""

    __tablename__ = "handoffs"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    client_id = Column(String(32))  # verified id, when logged in
    reason = Column(String(200), nullable=False)
    state = Column(String(16), nullable=False, default="queued")
    agent = Column(String(64))
    created_at = Column(UTCDateTime(), nullable=False)
    taken_at = Column(UTCDateTime())
    closed_at = Column(UTCDateTime())


class AgentFlag(Base):
    """An agent's report that a suggestion was wrong or an answer is missing."""

    __tablename__ = "agent_flags"
    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime(), nullable=False)
    agent = Column(String(64), nullable=False)
    kind = Column(String(16), nullable=False)  # wrong | missing
    faq_id = Column(String(64))
    text = Column(String(2000), nullable=False)  # the client's question
    note = Column(String(500))


class Alert(Base):
    """A proactive message to one client, created once per risk event (event_key)."""

    __tablename__ = "alerts"
    id = Column(Integer, primary_key=True)
    client_id = Column(String(32), nullable=False, index=True)
    event_key = Column(String(128), nullable=False, unique=True)  # idempotency
    kind = Column(String(32), nullable=False)  # margin_call | line_change | warning
    text = Column(Text, nullable=False)
    created_at = Column(UTCDateTime(), nullable=False)
    delivered_at = Column(UTCDateTime())  # shown in an open chat
    read_at = Column(UTCDateTime())


class OutboxMessage(Base):
    """SMS / app-push messages for a gateway to send (the demo gateway is this table)."""

    __tablename__ = "outbox"
    id = Column(Integer, primary_key=True)
    alert_id = Column(Integer, ForeignKey("alerts.id"), nullable=False, index=True)
    client_id = Column(String(32), nullable=False)
    channel = Column(String(16), nullable=False)  # sms | push
    address = Column(String(64))
    text = Column(Text, nullable=False)
    created_at = Column(UTCDateTime(), nullable=False)
    sent_at = Column(UTCDateTime())
