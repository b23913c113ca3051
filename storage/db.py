"""Engines and sessions. Engines are created lazily per URL (never at import time);
every request opens its own short session."""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from core.settings import get_settings


@lru_cache(maxsize=8)
def engine_for(url: str, timeout_s: float = 3.0) -> Engine:
    if url.startswith("sqlite"):
        # Connections are pooled (SQLAlchemy 2.0's default for files): opening one per
        # request re-ran the pragmas and, on the last close, checkpointed the WAL,
        # which was half the cost of a client lookup.
        engine = create_engine(
            url,
            future=True,
            poolclass=QueuePool,
            pool_size=5,
            max_overflow=10,
            pool_timeout=timeout_s,
            connect_args={"timeout": timeout_s, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, no corruption
            cur.close()

        return engine
    connect_args = {}
    if url.startswith("postgresql"):
        ms = int(timeout_s * 1000)
        connect_args = {"connect_timeout": max(1, int(timeout_s)), "options": f"-c statement_timeout={ms}"}
    return create_engine(
        url,
        future=True,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        pool_timeout=timeout_s,
        connect_args=connect_args,
    )


def engine(url: Optional[str] = None) -> Engine:
    settings = get_settings()
    return engine_for(url or settings.database_url, settings.db_timeout_s)


@contextmanager
def session_scope(url: Optional[str] = None) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error, always close."""
    session = Session(engine(url), future=True, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def is_transient(exc: BaseException) -> bool:
    """A failure that waiting can cure: a locked or busy database, a statement timeout,
    a dropped connection. Bad data (constraints, encodings) is not."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
