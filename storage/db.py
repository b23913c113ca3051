"""Engines and sessions. Engines are created lazily per URL (never at import time);
every request opens its own short session."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator, Optional

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
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

        def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, no corruption
            cur.close()

        event.listen(engine, "connect", _sqlite_pragmas)  # (not the decorator: it would hide the types)
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


def ping(url: Optional[str] = None) -> None:
    """Raise unless the database answers now. SQLite: a fresh read-write connection to
    the existing file (a pooled one would keep a deleted or moved file open, and a
    plain connect would create an empty one)."""
    settings = get_settings()
    url = url or settings.database_url
    if url.startswith("sqlite"):
        path = make_url(url).database
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=settings.db_timeout_s)
        try:
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        finally:
            conn.close()
        return
    with engine(url).connect() as conn:
        conn.execute(text("SELECT 1"))


def is_transient(exc: BaseException) -> bool:
    """A failure that waiting can cure: a locked or busy database, a statement timeout,
    a dropped connection. Bad data (constraints, encodings) is not."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
