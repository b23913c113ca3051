"""The conversation's knowledge thread: the Rasa slots that knowledge answers keep (the
topics just answered, the menu offered, the question behind them) and whose they are.
They end with Rasa's session and whenever the identity changes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.common import verified_client_id

SLOT_IDS = "last_faq_ids"  # faq ids of the last answer
SLOT_MENU = "last_menu"  # faq ids of the last menu offered
SLOT_QUESTION = "last_question"  # the question behind that answer or menu
SLOT_CLIENT = "context_client"  # who the context belongs to: a new identity starts afresh
ANON = "anonymous"  # the owner of a logged-out conversation


@dataclass
class Context:
    ids: List[str] = field(default_factory=list)
    menu: List[str] = field(default_factory=list)
    question: str = ""

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> Context:
        owner = tracker.get_slot(SLOT_CLIENT)
        if owner is not None and owner != (verified_client_id(tracker) or ANON):
            return cls()  # the identity changed: the earlier conversation is not this client's
        return cls(
            ids=[str(i) for i in tracker.get_slot(SLOT_IDS) or []],
            menu=[str(i) for i in tracker.get_slot(SLOT_MENU) or []],
            question=str(tracker.get_slot(SLOT_QUESTION) or ""),
        )


def context_events(tracker: Tracker, ids: Sequence[str], menu: Sequence[str], question: str) -> List[Dict[str, Any]]:
    """The slots of the knowledge thread after this turn; a slot that keeps its value is not
    set again (every event stays in the tracker, and Rasa re-reads them all each turn)."""
    wanted = {
        SLOT_IDS: list(ids) or None,
        SLOT_MENU: list(menu) or None,
        SLOT_QUESTION: question or None,
        SLOT_CLIENT: verified_client_id(tracker) or ANON,
    }
    return [SlotSet(slot, value) for slot, value in wanted.items() if tracker.get_slot(slot) != value]


_FAQ_PAYLOAD = re.compile(r'"faq_id"\s*:\s*"([A-Za-z0-9_]+)"')


def last_buttons(tracker: Tracker) -> List[str]:
    """The faq ids of the topic buttons the previous reply offered (a menu, or an answer's
    "您可能还想了解"), in order: "最后那个" picks among them."""
    events = list(tracker.events or [])
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if not users:
        return []
    start = users[-2] + 1 if len(users) > 1 else 0
    ids: List[str] = []
    for e in events[start : users[-1]]:
        if e.get("event") == "bot":
            for button in (e.get("data") or {}).get("buttons") or []:
                m = _FAQ_PAYLOAD.search(str(button.get("payload") or ""))
                if m and m.group(1) not in ids:
                    ids.append(m.group(1))
    return ids


def offered(tracker: Tracker, ctx: Context) -> List[str]:
    """What an ordinal picks from: the menu offered, else the previous reply's topic buttons."""
    return ctx.menu or last_buttons(tracker)


def last_action(tracker: Tracker) -> str:
    """The last action the assistant ran before the latest message ("" when none)."""
    events = list(tracker.events or [])
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    before = events[: users[-1]] if users else events
    names = [e.get("name") for e in before if e.get("event") == "action" and e.get("name") != "action_listen"]
    return str(names[-1]) if names else ""


def ran_this_turn(tracker: Tracker, name: str) -> bool:
    """Whether the action `name` already ran since the latest user message (a hand-over
    back to it would loop)."""
    events = list(tracker.events or [])
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    return any(e.get("event") == "action" and e.get("name") == name for e in events[last_user + 1 :])
