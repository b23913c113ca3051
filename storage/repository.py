"""Queries the actions need, returned as plain records (no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import List, Optional

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

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


def _holding(code: str, name: str, quantity: Decimal, price: Decimal, haircut_class: str) -> Holding:
    return Holding(code, name, Decimal(quantity), Decimal(price), haircut_class)


# The lookup reads plain rows through the session's connection (SQL expressions, no ORM
# objects): a client's lookup is six small queries, and building ORM instances for them
# was most of its cost (tests/test_data.py checks it against the ORM relationships).
_CLIENT = Client.__table__
_ACCOUNT = CreditAccount.__table__
_SECURITY = Security.__table__
_POSITION = Position.__table__
_DEBT = Debt.__table__
_CALL = MarginCall.__table__
_CHANGE = CreditLineChange.__table__
_ASSESSMENT = RiskAssessment.__table__
_AUDIT = AuditLog.__table__
_CHAIN = AuditChain.__table__
# the account's columns beside the client's (a client without one has them all None)
_ACCOUNT_COLUMNS = (
    _ACCOUNT.c.id.label("account_id"),
    _ACCOUNT.c.status,
    _ACCOUNT.c.opened_on,
    _ACCOUNT.c.credit_line,
    _ACCOUNT.c.line_set_on,
    _ACCOUNT.c.line_approved_by,
    _ACCOUNT.c.cash,
)
_SECURITY_COLUMNS = (_SECURITY.c.code, _SECURITY.c.name, _SECURITY.c.last_price, _SECURITY.c.haircut_class)


_BY_ACCOUNT = bindparam("account_id")
_BY_CLIENT = bindparam("client_id")
# the statements are built once: building one and its cache key cost more than running it
_CLIENT_ROW = (
    select(_CLIENT, *_ACCOUNT_COLUMNS)
    .join_from(_CLIENT, _ACCOUNT, _ACCOUNT.c.client_id == _CLIENT.c.id, isouter=True)
    .where(_CLIENT.c.id == _BY_CLIENT)
)
_LATEST_ASSESSMENT = (
    select(_ASSESSMENT.c.tier, _ASSESSMENT.c.assessed_on)
    .where(_ASSESSMENT.c.client_id == _BY_CLIENT)
    .order_by(_ASSESSMENT.c.assessed_on.desc())
    .limit(1)
)
_POSITIONS = (
    select(_POSITION.c.quantity, _SECURITY.c.price_at, *_SECURITY_COLUMNS)
    .join_from(_POSITION, _SECURITY, _POSITION.c.security_code == _SECURITY.c.code)
    .where(_POSITION.c.account_id == _BY_ACCOUNT)
    .order_by(_POSITION.c.id)
)
_DEBTS = (
    select(_DEBT.c.kind, _DEBT.c.principal, _DEBT.c.quantity, _DEBT.c.accrued, _SECURITY.c.price_at, *_SECURITY_COLUMNS)
    .join_from(_DEBT, _SECURITY, _DEBT.c.security_code == _SECURITY.c.code, isouter=True)
    .where(_DEBT.c.account_id == _BY_ACCOUNT)
    .order_by(_DEBT.c.id)
)
_OPEN_CALL = (
    select(_CALL.c.since, _CALL.c.deadline, _CALL.c.ratio_at_call)
    .where(_CALL.c.account_id == _BY_ACCOUNT, _CALL.c.state == "open")
    .order_by(_CALL.c.since.desc())
    .limit(1)
)
_LAST_CHANGE = (
    select(_CHANGE.c.old_line, _CHANGE.c.new_line, _CHANGE.c.reason, _CHANGE.c.changed_at)
    .where(_CHANGE.c.account_id == _BY_ACCOUNT)
    .order_by(_CHANGE.c.changed_at.desc())
    .limit(1)
)


def _account(connection: Connection, account: Row) -> Account:
    """The account of a `load_client` row (its _ACCOUNT_COLUMNS)."""
    by_account = {"account_id": account.account_id}
    positions = connection.execute(_POSITIONS, by_account).all()
    debts = connection.execute(_DEBTS, by_account).all()
    holdings = [_holding(p.code, p.name, p.quantity, p.last_price, p.haircut_class) for p in positions]
    shorts = [_holding(d.code, d.name, d.quantity, d.last_price, d.haircut_class) for d in debts if d.kind == "short"]
    snapshot = Snapshot(
        cash=Decimal(account.cash),
        holdings=holdings,
        financing_debt=sum((Decimal(d.principal) for d in debts if d.kind == "financing"), ZERO),
        shorts=shorts,
        accrued=sum((Decimal(d.accrued) for d in debts), ZERO),
    )
    prices = [p.price_at for p in positions] + [d.price_at for d in debts if d.code is not None]
    call = connection.execute(_OPEN_CALL, by_account).first()
    change = connection.execute(_LAST_CHANGE, by_account).first()
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
    session.flush()  # what the caller changed in this session is what the lookup reads
    connection = session.connection()
    by_client = {"client_id": client_id}
    client = connection.execute(_CLIENT_ROW, by_client).first()
    if client is None:
        return None
    latest = connection.execute(_LATEST_ASSESSMENT, by_client).first()
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
        account=_account(connection, client) if client.status == "active" else None,
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


_LOCK_CHAIN = update(_CHAIN).where(_CHAIN.c.id == 1).values(last_id=_CHAIN.c.last_id)
_CHAIN_HEAD = select(_CHAIN.c.last_hash).where(_CHAIN.c.id == 1)
_ADD_ROW = insert(_AUDIT)
_SEAL_ROW = update(_AUDIT).where(_AUDIT.c.id == bindparam("row_id")).values(row_hash=bindparam("row_hash"))
_MOVE_HEAD = update(_CHAIN).where(_CHAIN.c.id == 1).values(last_id=bindparam("row_id"), last_hash=bindparam("row_hash"))


def audit(
    session: Session, actor: str, subject_client_id: str, action: str, detail: str = "", role: str = "client"
) -> None:
    """Append an audit row chained to the previous one (tamper evidence, `make audit-verify`).

    The chain head is updated first: that takes its row lock (PostgreSQL) or the write
    lock (SQLite) until the caller's commit, so concurrent writers cannot fork the chain."""
    connection = session.connection()
    connection.execute(_LOCK_CHAIN)
    head = connection.execute(_CHAIN_HEAD).first()
    if head is None:  # a database created before the chain: start it
        connection.execute(insert(_CHAIN).values(id=1, last_id=0, last_hash=GENESIS, base_id=0, base_hash=GENESIS))
    at, prev_hash, detail = clock.now(), head.last_hash if head else GENESIS, _with_request_id(detail)[:2000]
    row = {"at": at, "actor": actor, "actor_role": role, "subject_client_id": subject_client_id, "action": action}
    row_id = connection.execute(_ADD_ROW, {**row, "detail": detail, "prev_hash": prev_hash}).inserted_primary_key[0]
    row_hash = audit_row_hash(prev_hash, row_id, at, actor, role, subject_client_id, action, detail)  # covers the id
    connection.execute(_SEAL_ROW, {"row_id": row_id, "row_hash": row_hash})
    connection.execute(_MOVE_HEAD, {"row_id": row_id, "row_hash": row_hash})


def _with_request_id(detail: str) -> str:
    """The request id of the message that caused the lookup, so an audit row can be
    followed to the channel's and action server's log lines."""
    request_id = REQUEST_ID.get()
    return f"{detail} [request_id={request_id}]".strip() if request_id else detail


def audit_entries(session: Session, subject_client_id: str) -> List[AuditLog]:
    return list(
        session.scalars(select(AuditLog).where(AuditLog.subject_client_id == subject_client_id).order_by(AuditLog.id))
    )
