"""Verification of the tamper-evident audit log: each row carries the hash of the one
before it (storage/repository.py `audit()`), so an edited, deleted or inserted row
breaks the chain at that row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditLog
from storage.records import GENESIS, AuditChain, audit_row_hash


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_id: Optional[int] = None  # the first row that does not verify
    reason: str = ""

    def line(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} rows verified"
        return f"audit chain BROKEN at row {self.broken_id}: {self.reason} ({self.checked} rows verified before it)"


def verify_chain(session: Session, batch: int = 1000) -> ChainReport:
    head = session.get(AuditChain, 1)
    base_id, prev = (head.base_id, head.base_hash) if head else (0, GENESIS)
    # ids may skip (a rolled-back transaction uses one up); the hashes link the rows
    checked, after, last_id = 0, 0, base_id
    while True:
        rows = session.scalars(select(AuditLog).where(AuditLog.id > after).order_by(AuditLog.id).limit(batch)).all()
        if not rows:
            break
        for row in rows:
            if row.id <= base_id:
                return ChainReport(False, checked, row.id, "a row older than the purged base")
            if row.prev_hash != prev:
                return ChainReport(
                    False,
                    checked,
                    row.id,
                    "its previous-row hash does not match: a row before it was deleted or changed",
                )
            digest = audit_row_hash(
                row.prev_hash, row.id, row.at, row.actor, row.actor_role, row.subject_client_id, row.action, row.detail
            )
            if row.row_hash != digest:
                return ChainReport(False, checked, row.id, "row content does not match its hash (edited)")
            prev, last_id = row.row_hash, row.id
            checked += 1
        after = rows[-1].id
    if head is not None and (head.last_id != last_id or head.last_hash != prev):
        return ChainReport(
            False, checked, head.last_id, "the newest row(s) were deleted: the chain head names this row"
        )
    return ChainReport(True, checked)
