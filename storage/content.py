"""Tables of the publishing workflow: knowledge entries and their versions, editors,
the audit trail, questions for the insights view, and lecture announcements.
(Same metadata and migrations as the client data.)"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint

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
    flagged = Column(Boolean, nullable=False, default=False)  # an emergency step, shown highlighted in history


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
    """Questions asked, for the education team: answered ones (for the rates and the most asked
    topics) and those the bot could not answer with confidence."""

    __tablename__ = "question_log"
    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime(), nullable=False, index=True)
    sender_id = Column(String(128), nullable=False)
    text = Column(String(2000), nullable=False)
    outcome = Column(String(32), nullable=False)  # answered | clarify | out_of_scope | fallback
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
    # 0 margin call / liquidation, 1 VIP, 2 verified client, 3 anonymous (inbox order)
    priority = Column(Integer, nullable=False, default=3, server_default="3")
    agent_name = Column(String(64))  # the holding agent's display name, shown to the client
    agent_typing_at = Column(UTCDateTime())  # the agent's last keystroke, for the client's "typing" signal
    # chat, or message: left outside service hours
    kind = Column(String(16), nullable=False, default="chat", server_default="chat")
    __table_args__ = (Index("ix_handoffs_state_priority", "state", "priority", "created_at"),)


class HandoffNote(Base):
    """An agent's internal note on a hand-off; never shown to the client."""

    __tablename__ = "handoff_notes"
    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id"), nullable=False, index=True)
    agent = Column(String(64), nullable=False)
    agent_name = Column(String(64), nullable=False)
    text = Column(String(2000), nullable=False)
    at = Column(UTCDateTime(), nullable=False)


class CannedReply(Base):
    """A reply in the agents' shared library; `body` may hold policy placeholders ({{ path | fmt }})."""

    __tablename__ = "canned_replies"
    id = Column(Integer, primary_key=True)
    title = Column(String(100), nullable=False)
    body = Column(Text, nullable=False)
    updated_by = Column(String(64), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False)


class HandoffRating(Base):
    """The client's rating of a closed hand-off (one per hand-off), with the agent who served."""

    __tablename__ = "handoff_ratings"
    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id"), nullable=False, unique=True)
    sender_id = Column(String(128), nullable=False)
    agent = Column(String(64))
    score = Column(Integer, nullable=False)  # 1–5 (满意 5, 一般 3, 不满意 1)
    label = Column(String(8), nullable=False)  # 满意 | 一般 | 不满意
    comment = Column(String(500))
    at = Column(UTCDateTime(), nullable=False, index=True)


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


class HotQuestion(Base):
    """A chip in the widget's greeting, edited by the education team (in order)."""

    __tablename__ = "hot_questions"
    id = Column(Integer, primary_key=True)
    position = Column(Integer, nullable=False)
    title = Column(String(40), nullable=False)
    question = Column(String(200), nullable=False)
    updated_by = Column(String(64), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False)


class KbChangeRequest(Base):
    """A change clients would see (publish, retire, rollback), asked for by one person and
    carried out only when another reviewer approves it (`state`: open → approved | rejected)."""

    __tablename__ = "kb_change_requests"
    id = Column(Integer, primary_key=True)
    faq_id = Column(String(64), ForeignKey("kb_entries.faq_id"), nullable=False, index=True)
    action = Column(String(16), nullable=False)  # publish | retire | rollback
    version = Column(Integer)  # the version to publish or roll back to
    reason = Column(String(500))
    state = Column(String(16), nullable=False, default="open")
    requested_by = Column(String(64), nullable=False)
    requested_at = Column(UTCDateTime(), nullable=False)
    decided_by = Column(String(64))
    decided_at = Column(UTCDateTime())
    result_version = Column(Integer)  # the version that went live (publish, rollback)
