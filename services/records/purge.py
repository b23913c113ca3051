"""Purge: delete or anonymise what is past its retention period (core/retention.py).

Each class is worked in batches, each batch its own transaction, so an interrupted
purge leaves whole batches done and the rest untouched; re-running it finishes the
job and a second run finds nothing. Anonymised rows keep what insights count (time,
topic, outcome, helpful or not) and lose the text and the conversation id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Dict, List, Optional

from sqlalchemy import and_, delete, exists, func, not_, or_, select, union, update
from sqlalchemy.sql.elements import ColumnElement

from core import clock
from core.retention import CLASSES, cutoff
from core.settings import Settings, get_settings
from storage.content import AgentFlag, Alert, Handoff, OutboxMessage, QuestionLog, StaffLoginFailure, TranscriptMessage
from storage.db import session_scope
from storage.models import AnswerFeedback, AuditLog
from storage.records import AuditChain, ConversationClient, RiskNotice

Progress = Callable[[str], None]


class Interrupted(RuntimeError):
    """Raised by a purge told to stop after a number of batches (tests of interruption)."""


@dataclass
class Step:
    """One table of a data class: which rows are due, and what to do with a batch of ids."""

    name: str
    model: type
    due: Callable[[datetime], ColumnElement]
    apply: Callable[[object, List[int]], None]


@dataclass
class Summary:
    dry_run: bool
    rows: Dict[str, int] = field(default_factory=dict)  # "class/table" → rows removed (or due, dry run)

    def lines(self) -> List[str]:
        verb = "due" if self.dry_run else "purged"
        out = [f"{key}: {n} rows {verb}" for key, n in self.rows.items()]
        return [*out, f"total: {sum(self.rows.values())} rows {verb}"]


def _verified_senders():
    """Conversations in which a verified client spoke (their transcripts are client records)."""
    return union(
        select(ConversationClient.sender_id),
        select(Handoff.sender_id).where(Handoff.client_id.is_not(None)),
    ).subquery()


def _deleter(model):
    def apply(session, ids: List[int]) -> None:
        session.execute(delete(model).where(model.id.in_(ids)))

    return apply


def _anonymiser(model, **values):
    def apply(session, ids: List[int]) -> None:
        session.execute(update(model).where(model.id.in_(ids)).values(**values))

    return apply


def steps(key: str) -> List[Step]:
    verified = _verified_senders()
    verified_ids = select(verified.c.sender_id)
    if key == "anon_chat":
        return [
            Step(
                "transcript_messages",
                TranscriptMessage,
                lambda t: and_(TranscriptMessage.at < t, TranscriptMessage.sender_id.not_in(verified_ids)),
                _deleter(TranscriptMessage),
            ),
            Step(
                "handoffs",
                Handoff,
                lambda t: and_(
                    Handoff.created_at < t, Handoff.client_id.is_(None), Handoff.sender_id.not_in(verified_ids)
                ),
                _deleter(Handoff),
            ),
        ]
    if key == "question_log":
        return [
            Step(
                "question_log",
                QuestionLog,
                lambda t: and_(QuestionLog.at < t, or_(QuestionLog.text != "", QuestionLog.sender_id != "")),
                _anonymiser(QuestionLog, text="", sender_id=""),
            )
        ]
    if key == "client_records":
        return [
            Step(
                "transcript_messages",
                TranscriptMessage,
                lambda t: and_(TranscriptMessage.at < t, TranscriptMessage.sender_id.in_(verified_ids)),
                _deleter(TranscriptMessage),
            ),
            Step(
                "handoffs",
                Handoff,
                lambda t: and_(Handoff.created_at < t, Handoff.client_id.is_not(None)),
                _deleter(Handoff),
            ),
            Step("risk_notices", RiskNotice, lambda t: RiskNotice.at < t, _deleter(RiskNotice)),
            Step(
                "alerts",
                Alert,
                # an alert whose SMS copy is still kept (outbox) waits for it
                lambda t: and_(Alert.created_at < t, not_(exists().where(OutboxMessage.alert_id == Alert.id))),
                _deleter(Alert),
            ),
            Step(
                "conversation_clients",
                ConversationClient,
                # the link goes with the last message it classifies, never before
                lambda t: and_(
                    ConversationClient.first_at < t,
                    not_(exists().where(TranscriptMessage.sender_id == ConversationClient.sender_id)),
                ),
                _deleter(ConversationClient),
            ),
        ]
    if key == "feedback":
        return [
            Step(
                "answer_feedback",
                AnswerFeedback,
                lambda t: and_(
                    AnswerFeedback.at < t, or_(AnswerFeedback.comment.is_not(None), AnswerFeedback.sender_id != "")
                ),
                _anonymiser(AnswerFeedback, comment=None, sender_id=""),
            ),
            Step(
                "agent_flags",
                AgentFlag,
                lambda t: and_(AgentFlag.at < t, or_(AgentFlag.text != "", AgentFlag.note.is_not(None))),
                _anonymiser(AgentFlag, text="", note=None),
            ),
        ]
    if key == "outbox":
        return [Step("outbox", OutboxMessage, lambda t: OutboxMessage.created_at < t, _deleter(OutboxMessage))]
    if key == "staff_login_failures":
        return [
            Step(
                "staff_login_failures",
                StaffLoginFailure,
                lambda t: StaffLoginFailure.at < t,
                _deleter(StaffLoginFailure),
            )
        ]
    return []  # audit: its own step (the chain)


def _audit_batch(session, moment: datetime, batch: int) -> int:
    """The oldest audit rows past the period, in id order and contiguous from the chain's
    base; the base moves to the last one removed, so verification still starts right."""
    rows = session.execute(select(AuditLog.id, AuditLog.at, AuditLog.row_hash).order_by(AuditLog.id).limit(batch)).all()
    due = []
    for row in rows:
        if row.at >= moment:
            break
        due.append(row)
    if not due:
        return 0
    session.execute(update(AuditChain).where(AuditChain.id == 1).values(base_id=due[-1].id, base_hash=due[-1].row_hash))
    session.execute(delete(AuditLog).where(AuditLog.id.in_([r.id for r in due])))
    return len(due)


def purge(
    dry_run: bool = False,
    settings: Optional[Settings] = None,
    now: Optional[datetime] = None,
    progress: Optional[Progress] = None,
    batch: Optional[int] = None,
    stop_after_batches: Optional[int] = None,
) -> Summary:
    settings = settings or get_settings()
    now = now or clock.now()
    batch = batch or settings.purge_batch
    say = progress or (lambda _line: None)
    summary = Summary(dry_run)
    batches = 0

    def tick() -> None:
        nonlocal batches
        batches += 1
        if stop_after_batches is not None and batches >= stop_after_batches:
            raise Interrupted(f"stopped after {batches} batches")

    for data_class in CLASSES:
        moment = cutoff(settings, data_class.key, now)
        if data_class.key == "audit" and dry_run:
            with session_scope() as session:
                summary.rows["audit/audit_log"] = session.scalar(select(func.count()).where(AuditLog.at < moment)) or 0
            continue
        if data_class.key == "audit":
            done = 0
            while True:
                with session_scope() as session:
                    n = _audit_batch(session, moment, batch)
                done += n
                if n:
                    say(f"[purge] audit/audit_log: {done} rows removed …")
                if n < batch:
                    break
                tick()
            summary.rows["audit/audit_log"] = done
            continue
        for step in steps(data_class.key):
            key, done = f"{data_class.key}/{step.name}", 0
            if dry_run:
                with session_scope() as session:
                    done = session.scalar(select(func.count()).select_from(step.model).where(step.due(moment))) or 0
            else:
                while True:
                    with session_scope() as session:  # one transaction per batch
                        ids = list(
                            session.scalars(
                                select(step.model.id).where(step.due(moment)).order_by(step.model.id).limit(batch)
                            )
                        )
                        if ids:
                            step.apply(session, ids)
                    if not ids:
                        break
                    done += len(ids)
                    say(f"[purge] {key}: {done} rows removed …")
                    tick()
            summary.rows[key] = done
    return summary
