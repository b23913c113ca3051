"""Queries the actions need, returned as plain records (no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import List, Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from core import clock
from core.finance import ZERO, Holding, Snapshot
from core.logs import REQUEST_ID
from storage.models import (
    AuditLog,
    Client,
    CreditAccount,
    CreditLineChange,
    Debt,
    MarginCall,
    Position,
    RiskAssessment,
    Security,
)
from storage.records import GENESIS, AuditChain, audit_row_hash


@dataclass(frozen=True)
class Assessment:
    tier: str
    assessed_on: date


@dataclass(frozen=True)
class OpenMarginCall:
    since: date
    deadline: datetime
    ratio_at_call: Decimal


@dataclass(frozen=True)
class LineChange:
    old_line: Decimal
    new_line: Decimal
    reason: str
    changed_at: datetime


@dataclass(frozen=True)
class Account:
    status: str
    opened_on: date
    credit_line: Decimal
    line_set_on: date
    line_approved_by: Optional[str]
    snapshot: Snapshot
    as_of: Optional[datetime]
    open_call: Optional[OpenMarginCall]
    last_change: Optional[LineChange]


@dataclass(frozen=True)
class ClientRecord:
    id: str
    name: str
    birth_date: date
    trading_since: date
    avg_daily_assets_20d: Decimal
    major_violation_3y: bool
    broker_related_party: bool
    credit_account_elsewhere: bool
    vip_manager: Optional[str]
    assessment: Optional[Assessment]
    account: Optional[Account]


def _holding(security: Security, quantity: Decimal) -> Holding:
    return Holding(
        security.code, security.name, Decimal(quantity), Decimal(security.last_price), security.haircut_class
    )


def _account(session: Session, account: CreditAccount) -> Account:
    # securities come in the same query (a join), not one more round trip each
    positions = session.scalars(
        select(Position).where(Position.account_id == account.id).options(joinedload(Position.security))
    ).all()
    debts = session.scalars(select(Debt).where(Debt.account_id == account.id).options(joinedload(Debt.security))).all()
    holdings = [_holding(p.security, p.quantity) for p in positions]
    shorts = [_holding(d.security, d.quantity) for d in debts if d.kind == "short"]
    snapshot = Snapshot(
        cash=Decimal(account.cash),
        holdings=holdings,
        financing_debt=sum((Decimal(d.principal) for d in debts if d.kind == "financing"), ZERO),
        shorts=shorts,
        accrued=sum((Decimal(d.accrued) for d in debts), ZERO),
    )
    prices = [p.security.price_at for p in positions] + [d.security.price_at for d in debts if d.security]
    call = session.scalars(
        select(MarginCall)
        .where(MarginCall.account_id == account.id, MarginCall.state == "open")
        .order_by(MarginCall.since.desc())
    ).first()
    change = session.scalars(
        select(CreditLineChange)
        .where(CreditLineChange.account_id == account.id)
        .order_by(CreditLineChange.changed_at.desc())
    ).first()
    return Account(
        status=account.status,
        opened_on=account.opened_on,
        credit_line=Decimal(account.credit_line),
        line_set_on=account.line_set_on,
        line_approved_by=account.line_approved_by,
        snapshot=snapshot,
        as_of=max(prices) if prices else None,
        open_call=OpenMarginCall(call.since, call.deadline, Decimal(call.ratio_at_call)) if call else None,
        last_change=LineChange(Decimal(change.old_line), Decimal(change.new_line), change.reason, change.changed_at)
        if change
        else None,
    )


def load_client(session: Session, client_id: str) -> Optional[ClientRecord]:
    client = session.get(Client, client_id, options=[joinedload(Client.account)])
    if client is None:
        return None
    latest = session.scalars(
        select(RiskAssessment).where(RiskAssessment.client_id == client_id).order_by(RiskAssessment.assessed_on.desc())
    ).first()
    account = client.account
    return ClientRecord(
        id=client.id,
        name=client.name,
        birth_date=client.birth_date,
        trading_since=client.trading_since,
        avg_daily_assets_20d=Decimal(client.avg_daily_assets_20d),
        major_violation_3y=client.major_violation_3y,
        broker_related_party=client.broker_related_party,
        credit_account_elsewhere=client.credit_account_elsewhere,
        vip_manager=client.vip_manager,
        assessment=Assessment(latest.tier, latest.assessed_on) if latest else None,
        account=_account(session, account) if account and account.status == "active" else None,
    )


def has_open_margin_call(session: Session, client_id: str) -> bool:
    """What load_client's `account.open_call` says, in one query (no figures needed)."""
    return (
        session.scalars(
            select(MarginCall.id)
            .join(CreditAccount, CreditAccount.id == MarginCall.account_id)
            .where(CreditAccount.client_id == client_id, CreditAccount.status == "active", MarginCall.state == "open")
            .limit(1)
        ).first()
        is not None
    )


def audit(
    session: Session, actor: str, subject_client_id: str, action: str, detail: str = "", role: str = "client"
) -> None:
    """Append an audit row chained to the previous one (tamper evidence, `make audit-verify`).

    The chain head is updated first: that takes its row lock (PostgreSQL) or the write
    lock (SQLite) until the caller's commit, so concurrent writers cannot fork the chain."""
    session.execute(update(AuditChain).where(AuditChain.id == 1).values(last_id=AuditChain.last_id))
    head = session.get(AuditChain, 1, populate_existing=True)
    if head is None:  # a database created before the chain: start it
        head = AuditChain(id=1, last_id=0, last_hash=GENESIS, base_id=0, base_hash=GENESIS)
        session.add(head)
    row = AuditLog(
        at=clock.now(),
        actor=actor,
        actor_role=role,
        subject_client_id=subject_client_id,
        action=action,
        detail=_with_request_id(detail)[:2000],
        prev_hash=head.last_hash,
    )
    session.add(row)
    session.flush()  # assigns the id, which the hash covers
    row.row_hash = audit_row_hash(
        row.prev_hash, row.id, row.at, row.actor, row.actor_role, row.subject_client_id, row.action, row.detail
    )
    head.last_id, head.last_hash = row.id, row.row_hash


def _with_request_id(detail: str) -> str:
    """The request id of the message that caused the lookup, so an audit row can be
    followed to the channel's and action server's log lines."""
    request_id = REQUEST_ID.get()
    return f"{detail} [request_id={request_id}]".strip() if request_id else detail


def audit_entries(session: Session, subject_client_id: str) -> List[AuditLog]:
    return list(
        session.scalars(select(AuditLog).where(AuditLog.subject_client_id == subject_client_id).order_by(AuditLog.id))
    )
