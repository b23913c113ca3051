"""A client's data on request: export everything held about one client (nobody else's)
and erase what no rule requires keeping. Both are audit-logged by the caller's id."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Dict, List, Set

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from core import clock
from core.errors import NotFound
from core.texts import staff as staff_text
from storage.content import Alert, Handoff, OutboxMessage, QuestionLog, TranscriptMessage
from storage.models import (
    AnswerFeedback,
    AuditLog,
    Client,
    CreditAccount,
    CreditLineChange,
    Debt,
    MarginCall,
    Position,
    RiskAssessment,
)
from storage.records import ConversationClient, RiskNotice
from storage.repository import audit, load_client


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _row(obj: Any, skip: tuple = ()) -> Dict[str, Any]:
    return {c.key: _plain(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in skip}


def conversations(session: Session, client_id: str) -> Dict[str, Set[str]]:
    """The client's conversations: "own" were with this client alone, "shared" also with
    another verified client (same device), whose messages cannot be told apart."""
    mine = set(session.scalars(select(ConversationClient.sender_id).where(ConversationClient.client_id == client_id)))
    mine |= set(session.scalars(select(Handoff.sender_id).where(Handoff.client_id == client_id)))
    if not mine:
        return {"own": set(), "shared": set()}
    others = set(
        session.scalars(
            select(ConversationClient.sender_id).where(
                ConversationClient.sender_id.in_(mine), ConversationClient.client_id != client_id
            )
        )
    )
    others |= set(
        session.scalars(
            select(Handoff.sender_id).where(
                Handoff.sender_id.in_(mine), Handoff.client_id.is_not(None), Handoff.client_id != client_id
            )
        )
    )
    return {"own": mine - others, "shared": mine & others}


def _client(session: Session, client_id: str) -> Client:
    client = session.get(Client, client_id) if isinstance(client_id, str) and len(client_id) <= 32 else None
    if client is None:
        raise NotFound(staff_text.NO_SUCH_CLIENT)
    return client


def export_client(session: Session, client_id: str) -> Dict[str, Any]:
    """Everything held about one client, as plain JSON-ready data."""
    client = _client(session, client_id)
    convs = conversations(session, client_id)
    own = sorted(convs["own"])
    out: Dict[str, Any] = {
        "client_id": client_id,
        "exported_at": clock.now().isoformat(),
        "profile": _row(client),
        "risk_assessments": [
            _row(a)
            for a in session.scalars(
                select(RiskAssessment).where(RiskAssessment.client_id == client_id).order_by(RiskAssessment.id)
            )
        ],
        "credit_account": None,
    }
    account = session.scalars(select(CreditAccount).where(CreditAccount.client_id == client_id)).first()
    if account is not None:
        data = _row(account)
        for name, model in (
            ("positions", Position),
            ("debts", Debt),
            ("margin_calls", MarginCall),
            ("credit_line_changes", CreditLineChange),
        ):
            data[name] = [
                _row(r) for r in session.scalars(select(model).where(model.account_id == account.id).order_by(model.id))
            ]
        record = load_client(session, client_id)
        if record is not None and record.account is not None:
            snap = record.account.snapshot
            data["figures"] = {
                "total_assets": str(snap.total_assets),
                "total_debt": str(snap.total_debt),
                "net_assets": str(snap.net_assets),
                "maintenance_ratio": str(snap.ratio) if snap.ratio is not None else None,
            }
        out["credit_account"] = data
    out["conversations"] = [
        {
            "sender_id": sender,
            "messages": [
                _row(m, skip=("id",))
                for m in session.scalars(
                    select(TranscriptMessage)
                    .where(TranscriptMessage.sender_id == sender)
                    .order_by(TranscriptMessage.id)
                )
            ],
        }
        for sender in own
    ]
    out["conversations_withheld"] = {
        "count": len(convs["shared"]),
        "reason": staff_text.EXPORT_WITHHELD,
    }
    out["handoffs"] = [
        _row(h)
        for h in session.scalars(
            select(Handoff).where(or_(Handoff.client_id == client_id, Handoff.sender_id.in_(own))).order_by(Handoff.id)
        )
    ]
    out["alerts"] = [
        _row(a) for a in session.scalars(select(Alert).where(Alert.client_id == client_id).order_by(Alert.id))
    ]
    out["outbox"] = [
        _row(m)
        for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.client_id == client_id).order_by(OutboxMessage.id)
        )
    ]
    out["risk_notices"] = [
        _row(n)
        for n in session.scalars(select(RiskNotice).where(RiskNotice.client_id == client_id).order_by(RiskNotice.id))
    ]
    out["answer_feedback"] = [
        _row(f)
        for f in session.scalars(
            select(AnswerFeedback).where(AnswerFeedback.sender_id.in_(own)).order_by(AnswerFeedback.id)
        )
    ]
    out["question_log"] = [
        _row(q)
        for q in session.scalars(select(QuestionLog).where(QuestionLog.sender_id.in_(own)).order_by(QuestionLog.id))
    ]
    out["audit_entries"] = [
        _row(a, skip=("prev_hash", "row_hash"))
        for a in session.scalars(select(AuditLog).where(AuditLog.subject_client_id == client_id).order_by(AuditLog.id))
    ]
    return out


@dataclass
class ErasureReport:
    client_id: str
    full: bool  # no credit account: everything but the audit trail is gone
    removed: Dict[str, int] = field(default_factory=dict)
    kept: List[Dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


AUDIT_KEPT = {"what": staff_text.KEPT_AUDIT_WHAT, "why": staff_text.KEPT_AUDIT_WHY}
HOLDER_KEPT = [
    {"what": staff_text.KEPT_ACCOUNT_WHAT, "why": staff_text.KEPT_ACCOUNT_WHY},
    {"what": staff_text.KEPT_SUITABILITY_WHAT, "why": staff_text.KEPT_SUITABILITY_WHY},
    {"what": staff_text.KEPT_SERVICE_WHAT, "why": staff_text.KEPT_SERVICE_WHY},
    {"what": staff_text.KEPT_OUTBOX_WHAT, "why": staff_text.KEPT_OUTBOX_WHY},
]


def _count_delete(session: Session, stmt_model, where) -> int:
    n = session.scalar(select(func.count()).select_from(stmt_model).where(where)) or 0
    if n:
        session.execute(delete(stmt_model).where(where))
    return n


def erase_client(session: Session, client_id: str, actor: str, role: str = "compliance") -> ErasureReport:
    """Remove or anonymise what no rule requires keeping, in one transaction, and record
    the request in the audit log."""
    client = _client(session, client_id)
    own = sorted(conversations(session, client_id)["own"])
    holder = session.scalars(select(CreditAccount.id).where(CreditAccount.client_id == client_id)).first() is not None
    report = ErasureReport(client_id, full=not holder)
    # not required by any rule for anybody: question texts and feedback comments (counts stay for insights)
    report.removed["question_log_texts"] = session.execute(
        update(QuestionLog).where(QuestionLog.sender_id.in_(own)).values(text="", sender_id="")
    ).rowcount
    report.removed["feedback_comments"] = session.execute(
        update(AnswerFeedback).where(AnswerFeedback.sender_id.in_(own)).values(comment=None, sender_id="")
    ).rowcount
    if holder:
        report.kept = [*HOLDER_KEPT, AUDIT_KEPT]
    else:
        report.removed["transcript_messages"] = _count_delete(
            session, TranscriptMessage, TranscriptMessage.sender_id.in_(own)
        )
        report.removed["handoffs"] = _count_delete(
            session, Handoff, or_(Handoff.client_id == client_id, Handoff.sender_id.in_(own))
        )
        report.removed["outbox"] = _count_delete(session, OutboxMessage, OutboxMessage.client_id == client_id)
        report.removed["alerts"] = _count_delete(session, Alert, Alert.client_id == client_id)
        report.removed["risk_notices"] = _count_delete(session, RiskNotice, RiskNotice.client_id == client_id)
        report.removed["conversation_links"] = _count_delete(
            session, ConversationClient, ConversationClient.client_id == client_id
        )
        report.removed["risk_assessments"] = _count_delete(
            session, RiskAssessment, RiskAssessment.client_id == client_id
        )
        session.delete(client)
        session.flush()
        report.removed["profile"] = 1
        report.kept = [AUDIT_KEPT]
    removed = ", ".join(f"{k}={v}" for k, v in report.removed.items())
    audit(
        session,
        actor=actor,
        subject_client_id=client_id,
        action="records_erase",
        detail=f"{'full' if report.full else 'account holder: partial'}; {removed}",
        role=role,
    )
    return report


def record_export(session: Session, client_id: str, actor: str, role: str = "compliance") -> None:
    audit(session, actor=actor, subject_client_id=client_id, action="records_export", role=role)
