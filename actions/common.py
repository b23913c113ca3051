"""What every action shares: who is asking, safe database calls, number formatting."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from typing import Any, Callable, List, Optional, Sequence, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from core import finance
from core.formatting import day, line, moment, points, ratio_pct, risk_reminder, yuan  # noqa: F401 (re-exported for the actions)
from core.policy import Policy, get_policy
from core.settings import get_settings
from core.texts import client as client_text
from services.context import current
from services.metrics import count_database_error
from services.records.notices import record_turn

log = logging.getLogger(__name__)
# the maintenance-ratio lines by their policy.yml key (margin_call.*), as clients name them
MARGIN_LINES = (
    ("warning_line", client_text.LINE_WARNING),
    ("call_line", client_text.LINE_CALL),
    ("immediate_liquidation_line", client_text.LINE_LIQUIDATION),
    ("withdrawal_line", client_text.LINE_WITHDRAWAL),
)
T = TypeVar("T")

# the replies personal lookups share (actions/personal.py imports these names)
LOGIN_NEEDED = client_text.PERSONAL_LOGIN_NEEDED
LOGIN_EXPIRED = client_text.PERSONAL_LOGIN_EXPIRED
NOT_FOUND = client_text.PERSONAL_NOT_FOUND


class BusyError(RuntimeError):
    """The database (or another dependency) failed or was too slow."""


def verified_client_id(tracker: Tracker) -> Optional[str]:
    """The client id the channel verified from the token, never anything typed."""
    meta = (tracker.latest_message or {}).get("metadata") or {}
    if meta.get("auth_status") == "valid" and isinstance(meta.get("client_id"), str):
        return meta["client_id"]
    return None


def auth_status(tracker: Tracker) -> str:
    meta = (tracker.latest_message or {}).get("metadata") or {}
    return str(meta.get("auth_status", "missing"))


async def run_blocking(fn: Callable[[], T], timeout_s: Optional[float] = None) -> T:
    """Run a blocking (database) call off the event loop with a deadline."""
    timeout_s = timeout_s or get_settings().db_timeout_s
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()  # the request id travels into the worker thread (audit rows)
    try:
        return await asyncio.wait_for(loop.run_in_executor(None, context.run, fn), timeout=timeout_s)
    except Exception as exc:  # timeout, connection refused, SQL error …
        log.error("dependency call failed: %s: %s", type(exc).__name__, exc)
        count_database_error("actions")
        raise BusyError(str(exc)) from exc


def withdrawal_sentence(snapshot: Any, policy: Policy, basis: str = client_text.FOLLOW_BASIS_NOW) -> str:
    """What the client may withdraw now (or, `basis` FOLLOW_BASIS_AFTER, after a simulated
    move), against the withdrawal line (a snapshot with debt): the one sentence both the
    follow-up and the note under the withdrawal rule use."""
    withdraw_line = line(policy, "margin_call.withdrawal_line")
    most = finance.withdrawable(snapshot, policy)
    ratio = ratio_pct(snapshot.ratio)
    if most <= 0:
        return client_text.FOLLOW_CANNOT_WITHDRAW.format(basis=basis, ratio=ratio, line=withdraw_line)
    return client_text.FOLLOW_CAN_WITHDRAW.format(basis=basis, ratio=ratio, line=withdraw_line, most=yuan(most))


def say_busy(dispatcher: CollectingDispatcher, policy: Optional[Policy] = None) -> None:
    dispatcher.utter_message(text=(policy or get_policy()).render(client_text.ACTION_BUSY))


async def note_unanswered(tracker: Tracker, outcome: str, hits: Sequence[Any]) -> None:
    """Log the question for the education team's insights, in the background: the
    reply never waits for it, and a failure only costs the log line."""
    text = (tracker.latest_message or {}).get("text") or ""
    best = hits[0] if hits else None
    faq_id, score = (best.faq_id, best.score) if best else (None, 0.0)
    current().questions.add(tracker.sender_id, text, outcome, faq_id, score)


def entity_values(tracker: Tracker, name: str) -> List[Any]:
    return [e.get("value") for e in (tracker.latest_message or {}).get("entities") or [] if e.get("entity") == name]


async def record_notices(action: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The shared reply path's one call: risk reminders and compliance refusals shown to a
    verified client go to the append-only record (services/records/notices.py). The reply
    is never lost to it: a failure is logged, the answer still goes out."""
    client_id = verified_client_id(tracker)
    if client_id is None:
        return
    try:
        messages = list(dispatcher.messages)
        await run_blocking(lambda: record_turn(client_id, tracker.sender_id, action, messages, get_policy()))
    except BusyError:
        log.error("risk-notice record not written for %s (%s)", client_id, action)


class BaseAction(Action):
    """Subclasses set NAME; keeps the one-liner `name()` out of every module. Every
    subclass's `run` ends with `record_notices` (the shared reply path)."""

    NAME = ""

    def name(self) -> str:
        return self.NAME

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        run = cls.__dict__.get("run")
        if run is not None and not getattr(run, "_records_notices", False):

            @functools.wraps(run)
            async def recorded(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
                events = await run(self, dispatcher, tracker, domain)
                if type(self).run is recorded:  # once per turn, by the class that answered
                    await record_notices(self.name(), dispatcher, tracker)
                return events

            recorded._records_notices = True  # type: ignore[attr-defined]
            cls.run = recorded  # type: ignore[method-assign]
