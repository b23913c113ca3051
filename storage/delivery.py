"""Rows that wait to be pushed to a client's open chat (alerts, agents' messages):
what is still undelivered for some conversations, and marking rows delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, List, Optional, Sequence

from sqlalchemy import select, update

from storage.db import session_scope


def undelivered(model: Any, key: Any, keys: Iterable[str], url: Optional[str] = None) -> List[Any]:
    """Rows of `model` whose `key` column is one of `keys` and that were never delivered, oldest first."""
    wanted = list(keys)
    if not wanted:
        return []
    with session_scope(url) as session:
        query = select(model).where(key.in_(wanted), model.delivered_at.is_(None)).order_by(model.id)
        return list(session.scalars(query))


def mark_delivered(model: Any, ids: Sequence[int], at: datetime, url: Optional[str] = None) -> None:
    """One UPDATE; rows delivered already keep their first time."""
    if not ids:
        return
    with session_scope(url) as session:
        session.execute(
            update(model)
            .where(model.id.in_(list(ids)), model.delivered_at.is_(None))
            .values(delivered_at=at)
            .execution_options(synchronize_session=False)
        )
