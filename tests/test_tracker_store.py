"""The production profile's tracker store raises where Rasa's would fall back to memory."""

import asyncio

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bot.tracker_store import StrictSQLTrackerStore, unwrap_fail_safe


class FakeAgent:
    def __init__(self, store):
        self.tracker_store = store
        self.processor = type("P", (), {"tracker_store": store})()


def test_a_failing_save_reaches_the_caller(tmp_path):
    db = tmp_path / "tracker.db"
    strict = StrictSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    assert strict.engine.pool._pre_ping
    agent = FakeAgent(FailSafeTrackerStore(strict))  # what rasa.core.agent.Agent always builds
    assert unwrap_fail_safe(agent) and agent.tracker_store is strict and agent.processor.tracker_store is strict

    async def turn(sender):
        tracker = await agent.tracker_store.get_or_create_tracker(sender)
        tracker.update(UserUttered("融资利率是多少"))
        await agent.tracker_store.save(tracker)

    asyncio.run(turn("a"))
    assert [e.text for e in asyncio.run(strict.retrieve("a")).events if e.type_name == "user"] == ["融资利率是多少"]
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:  # the database "goes away"
        conn.execute(text("DROP TABLE events"))
    with pytest.raises(OperationalError):
        asyncio.run(turn("b"))
    # Rasa's own wrapper would have swallowed it (and kept the turn in memory only)
    fail_safe = FailSafeTrackerStore(strict)
    tracker = fail_safe.init_tracker("c")
    asyncio.run(fail_safe.save(tracker))  # no error: this is the behaviour replaced


def test_other_stores_are_left_alone():
    from rasa.core.tracker_store import InMemoryTrackerStore

    agent = FakeAgent(FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty())))
    assert not unwrap_fail_safe(agent) and isinstance(agent.tracker_store, FailSafeTrackerStore)
