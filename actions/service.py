"""Service replies: investment-advice refusal and hand-off to a person."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.common import BaseAction, BusyError, moment, run_blocking, verified_client_id
from actions.estimate import estimate, previous_estimate
from actions.thread import Context, context_events
from actions.whatif import FOLLOWUP_ACTION, followup_of
from core import clock
from core.knowledge.context import (
    asks_about_loss,
    asks_compliance,
    asks_for_person,
    asks_hours,
    asks_to_be_put_through,
    asks_to_compute,
    declines_human,
    mentions_picks,
    menu_choice,
    names_a_person,
    pick_by_words,
)
from core.policy import get_policy
from core.texts import client as client_text
from core.texts import staff as staff_text
from services.context import current
from services.handoff import open_handoff

ADVICE_REFUSAL = client_text.ADVICE_REFUSAL
HANDOFF_OPEN = client_text.HANDOFF_OPEN
HANDOFF_FAILED = client_text.HANDOFF_FAILED
HANDOFF_CLOSED = client_text.HANDOFF_CLOSED


def states_figures(tracker: Tracker, text: str, context_ids: List[str]) -> bool:
    """Figures for an estimate ("只用40天呢" after one): no request for advice. (A question
    the knowledge base answers is not enough: "推荐个票 融资买啥好" scores on 标的证券.)"""
    entities = (tracker.latest_message or {}).get("entities") or []
    previous = previous_estimate(tracker, context_ids)
    return estimate(text, entities, get_policy(), previous) is not None


class ActionRefuseAdvice(BaseAction):
    NAME = "action_refuse_advice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        policy = get_policy()
        text = (tracker.latest_message or {}).get("text") or ""
        ids = Context.from_tracker(tracker).ids
        if not asks_compliance(text):
            # the classifier's guess, not a recognised request for advice: "几时到期" right
            # after the client's own risk tier is a follow-up on it; "只用40天呢" after an
            # estimate is its figures; "那些ST股又怎么算" names no pick and has a clear answer
            if followup_of(tracker, policy) is not None:
                return [FollowupAction(FOLLOWUP_ACTION)]
            entities = (tracker.latest_message or {}).get("entities") or []
            names_a_stock = any(e.get("entity") in ("stock_name", "stock_code") for e in entities)  # "茅台能不能上"
            question = not (mentions_picks(text) or names_a_stock) and (
                asks_about_loss(text)
                or bool(ids)  # ("过了期没还会怎样" after the interest rules)
                # "凭啥把我股票平了", "刚收到 margin call 短信了 what should i do": a topic, answered or offered
                or current().knowledge.decide(text).kind in ("answer", "clarify")
            )
            if states_figures(tracker, text, ids) or question:
                return [FollowupAction("action_answer_faq")]
        dispatcher.utter_message(text=f"{ADVICE_REFUSAL}\n{policy.get('texts.risk_reminder')}")
        # the topic the request was about stays the thread's ("保证补进去以后不再亏" → "那要是我不补呢")
        decision = current().knowledge.decide(text)
        topic = [decision.hits[0].faq_id] if decision.kind == "answer" and not mentions_picks(text) else []
        return context_events(tracker, topic, [], text if topic else "")


class ActionHandoff(BaseAction):
    """Hours-aware hand-off: agents answer on trading days within broker.agent_hours."""

    NAME = "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        service = current().knowledge
        hours = service.get("service_hours")
        text = (tracker.latest_message or {}).get("text") or ""
        if hours is not None and asks_hours(text):
            # "人工几点有人": the hours, without putting anyone in the queue; the thread's topic
            # now, so that "周末呢" asks the same of the weekend
            dispatcher.utter_message(
                text=service.render(hours),
                json_message={"faq_id": hours.id, "version": hours.version, "topic": hours.question},
            )
            return context_events(tracker, [hours.id], [], text)
        if asks_to_be_put_through(text):  # "我被追保了 急 找个人": put through, whatever else it says
            await hand_off(dispatcher, tracker, staff_text.HANDOFF_REASON_REQUESTED)
            return []
        if followup_of(tracker, get_policy()) is not None:  # "我有专属经理不": the client's own record
            return [FollowupAction(FOLLOWUP_ACTION)]
        menu = [str(i) for i in tracker.get_slot("last_menu") or []]
        # "帮我算下利息", "有没有给投资者办讲座呀", and with a topic just answered "给几天" or
        # "按天咋算的 formula给一下": a message that names no person is a question
        question = not names_a_person(text) and (
            asks_to_compute(text) or bool(tracker.get_slot("last_faq_ids")) or service.decide(text).kind == "answer"
        )
        rank = lambda q, k: service.rank(q, k=k)  # noqa: E731
        # "客服的" after a menu that offers the service hours (not "转人工": a request for a person)
        picked = bool(menu) and not asks_for_person(text) and pick_by_words(rank, text, menu) is not None
        if declines_human(text) or menu_choice(text, menu) or question or picked:
            return [FollowupAction("action_answer_faq")]  # "不用转人工，你就说…", "the 2nd one pls", "给几天"
        await hand_off(dispatcher, tracker, staff_text.HANDOFF_REASON_REQUESTED)
        return []


async def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> None:
    """Put the conversation in the agents' inbox and tell the client when a person answers."""
    policy = get_policy()
    try:
        await run_blocking(lambda: open_handoff(tracker.sender_id, verified_client_id(tracker), reason))
    except BusyError:
        dispatcher.utter_message(text=policy.render(HANDOFF_FAILED))
        return
    if clock.agents_on_duty(policy=policy):
        dispatcher.utter_message(text=policy.render(HANDOFF_OPEN), json_message={"handoff": "requested"})
    else:
        opening = moment(clock.next_agent_opening(policy=policy))
        text = policy.render(HANDOFF_CLOSED).replace("{opening}", opening)
        dispatcher.utter_message(text=text, json_message={"handoff": "queued"})
