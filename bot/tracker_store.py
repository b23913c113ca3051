"""A tracker store that fails loudly, for the production profile.

Rasa wraps every tracker store in a `FailSafeTrackerStore`, which on a database error
saves the conversation in the process's memory and, on a failed read, starts the
conversation afresh: while PostgreSQL was away each instance answered normally from
its own memory, and those turns never reached the database. Here a failed save or
read raises instead, so the channel answers "系统繁忙，请稍后再试" with a retry hint
(`custom.retry`; the client sends the same message_id again) rather than an answer
whose turn is not stored. The engine pings pooled connections before use, so after a
database restart the pool reconnects by itself.

    # deploy/production/endpoints.yml
    tracker_store:
      type: bot.tracker_store.StrictSQLTrackerStore
      dialect: "postgresql"
      url: ...
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, create_engine_kwargs

log = logging.getLogger(__name__)


class StrictSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        # pre-ping: a connection that died with the database is replaced, not used
        self.engine = sa.create_engine(url, pool_pre_ping=True, pool_recycle=300, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)


def unwrap_fail_safe(agent: Any) -> bool:
    """Take Rasa's FailSafeTrackerStore (which Agent always adds) off a strict store, so
    its errors reach the channel. True when done."""
    store = getattr(agent, "tracker_store", None)
    inner = getattr(store, "_tracker_store", None)
    if not (isinstance(store, FailSafeTrackerStore) and isinstance(inner, StrictSQLTrackerStore)):
        return False
    agent.tracker_store = inner
    if getattr(agent, "processor", None) is not None:
        agent.processor.tracker_store = inner
    log.info("tracker store: %s without the in-memory fallback", type(inner).__name__)
    return True


def strict_on_start(app: Any, _loop: Any = None) -> None:
    """Sanic listener (after_server_start: the agent is loaded by then)."""
    agent = getattr(app.ctx, "agent", None)
    if agent is not None:
        unwrap_fail_safe(agent)
