"""Knowledge answers: the faq intent, topic buttons, low-confidence turns and out-of-scope."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import BaseAction, BusyError, entity_values, note_unanswered, run_blocking, verified_client_id
from actions.service import hand_off
from core.knowledge.model import Entry, Hit
from core.policy import Policy
from services.context import current
from services.knowledge.insights import lectures
from services.knowledge.service import KnowledgeService
from services.knowledge.store import shipped_ids
from services.restrictions import LIQUIDATION_HANDOFF, asks_about_liquidation
from storage.db import session_scope
from storage.repository import has_open_margin_call

OUT_OF_SCOPE = (
    "抱歉，这个问题超出了我的服务范围。我是示例证券两融助手，可以解答：开户条件与流程、风险等级、"
    "授信额度、融资利率与融券费率、担保品与折算率、维持担保比例与追保平仓、合约展期和服务时间；"
    "登录后还可查询您本人的额度、风险等级和维持担保比例。其他业务请咨询人工客服："
    "热线{{ broker.hotline | raw }}（交易日{{ broker.agent_hours.start | raw }}–{{ broker.agent_hours.end | raw }}）。"
)
CLARIFY = "您是想了解以下哪个问题？请点选，或换个说法再问我："
LECTURES_TOPIC = "service_education"  # its answer is followed by the published lecture list
# a logged-in client in a margin call who asks about these is also handed to a person


def out_of_scope_text(policy: Policy) -> str:
    return policy.render(OUT_OF_SCOPE)


def faq_button(entry: Entry) -> Dict[str, str]:
    return {"title": entry.question, "payload": f'/faq{{"faq_id": "{entry.id}"}}'}


def send_entry(
    dispatcher: CollectingDispatcher, service: KnowledgeService, entry: Entry, related: Sequence[Hit] = ()
) -> None:
    """The answer text with its source next to it, as widgets and agents expect; close
    runner-up topics come along as buttons ("您可能还想了解")."""
    dispatcher.utter_message(
        text=service.render(entry),
        json_message={"faq_id": entry.id, "version": entry.version, "topic": entry.question},
        buttons=[faq_button(h.entry) for h in related],
    )


def send_clarify(dispatcher: CollectingDispatcher, hits: List[Hit]) -> None:
    dispatcher.utter_message(text=CLARIFY, buttons=[faq_button(h.entry) for h in hits[:3]])


async def in_margin_call(tracker: Tracker) -> bool:
    client_id = verified_client_id(tracker)
    if client_id is None:
        return False

    def open_call() -> bool:
        with session_scope() as session:
            return has_open_margin_call(session, client_id)

    try:
        return await run_blocking(open_call)
    except BusyError:
        return False


async def send_lectures(dispatcher: CollectingDispatcher) -> None:
    try:
        upcoming = await run_blocking(lectures)
    except BusyError:
        return
    if upcoming:
        lines = [f"· {lec['day']} {lec['title']}（{lec['place']}）" for lec in upcoming[:5]]
        dispatcher.utter_message(text="近期投教讲座：\n" + "\n".join(lines))


FAILURE_ACTIONS = {"action_clarify", "action_out_of_scope", "action_default_fallback"}


def failed_last_turn(tracker: Tracker) -> bool:
    """Whether the bot's previous turn (before this message) also failed to answer."""
    users = 0
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return False
        elif users == 1 and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name") in FAILURE_ACTIONS
    return False


async def unanswered(dispatcher: CollectingDispatcher, tracker: Tracker, outcome: str, hits: Sequence[Hit]) -> None:
    """Log the question for the education team; the second failure in a row brings in a person."""
    await note_unanswered(tracker, outcome, hits)
    if failed_last_turn(tracker):
        await hand_off(dispatcher, tracker, "连续两次未能回答")


async def answer_from_knowledge(dispatcher: CollectingDispatcher, tracker: Tracker, nothing_close: str) -> None:
    """Answer, ask which topic was meant, or say what we cover ("nothing_close")."""
    service = current().knowledge
    entry = next((e for e in (service.get(str(f)) for f in entity_values(tracker, "faq_id")) if e), None)
    if entry is None:  # not a topic button: rank the question
        decision = service.decide((tracker.latest_message or {}).get("text") or "")
        if decision.kind == "answer":
            entry = decision.hits[0].entry
            send_entry(dispatcher, service, entry, decision.related)
            await note_unanswered(tracker, "answered", decision.hits)  # counted for 提问最多的主题 and the rates
        elif decision.kind == "clarify" or (decision.hits and nothing_close == "clarify"):
            send_clarify(dispatcher, decision.hits)
            await unanswered(dispatcher, tracker, "clarify", decision.hits)
        else:
            dispatcher.utter_message(text=out_of_scope_text(service.policy))
            await unanswered(dispatcher, tracker, "fallback", decision.hits)
    else:
        send_entry(dispatcher, service, entry)
    if entry is not None and entry.id == LECTURES_TOPIC:
        await send_lectures(dispatcher)
    if entry is not None and asks_about_liquidation("", entry.id) and await in_margin_call(tracker):
        await hand_off(dispatcher, tracker, LIQUIDATION_HANDOFF)


class ActionAnswerFaq(BaseAction):
    NAME = "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        # NLU is sure it is a knowledge question: when retrieval is unsure, offer topics.
        await answer_from_knowledge(dispatcher, tracker, nothing_close="clarify")
        return []


class ActionClarify(BaseAction):
    """nlu_fallback: NLU is unsure what kind of message this is."""

    NAME = "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        await answer_from_knowledge(dispatcher, tracker, nothing_close="out_of_scope")
        return []


class ActionOutOfScope(BaseAction):
    """NLU says out of scope. Topics published after the model was trained are unknown
    to it, so a clear match on such a topic is answered rather than refused."""

    NAME = "action_out_of_scope"
    NEW_TOPIC_MIN_SCORE = 0.5

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        service = current().knowledge
        decision = service.decide((tracker.latest_message or {}).get("text") or "")
        best = decision.best
        if decision.kind == "answer" and best.faq_id not in shipped_ids() and best.score >= self.NEW_TOPIC_MIN_SCORE:
            send_entry(dispatcher, service, best.entry)
            return []
        dispatcher.utter_message(text=out_of_scope_text(service.policy))
        await unanswered(dispatcher, tracker, "out_of_scope", decision.hits)
        return []
