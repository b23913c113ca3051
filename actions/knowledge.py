"""Knowledge answers: the faq intent, button clicks on a topic, and low-confidence turns."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import BaseAction, entity_values
from actions.service import out_of_scope_text
from bot.knowledge.model import Entry, Hit
from bot.knowledge.service import KnowledgeService, shared_service

CLARIFY = "您是想了解以下哪个问题？请点选，或换个说法再问我："


def faq_button(entry: Entry) -> Dict[str, str]:
    return {"title": entry.question, "payload": f'/faq{{"faq_id": "{entry.id}"}}'}


def send_entry(dispatcher: CollectingDispatcher, service: KnowledgeService, entry: Entry,
               related: Sequence[Hit] = ()) -> None:
    """The answer text with its source next to it, as widgets and agents expect; close
    runner-up topics come along as buttons ("您可能还想了解")."""
    dispatcher.utter_message(
        text=service.render(entry),
        json_message={"faq_id": entry.id, "version": entry.version, "topic": entry.question},
        buttons=[faq_button(h.entry) for h in related],
    )


def send_clarify(dispatcher: CollectingDispatcher, hits: List[Hit]) -> None:
    dispatcher.utter_message(text=CLARIFY, buttons=[faq_button(h.entry) for h in hits[:3]])


def answer_from_knowledge(dispatcher: CollectingDispatcher, tracker: Tracker,
                          nothing_close: str) -> None:
    """Answer, ask which topic was meant, or say what we cover ("nothing_close")."""
    service = shared_service()
    for faq_id in entity_values(tracker, "faq_id"):  # a topic button was clicked
        entry = service.get(str(faq_id))
        if entry is not None:
            send_entry(dispatcher, service, entry)
            return
    decision = service.decide((tracker.latest_message or {}).get("text") or "")
    if decision.kind == "answer":
        send_entry(dispatcher, service, decision.hits[0].entry, decision.related)
    elif decision.kind == "clarify" or (decision.hits and nothing_close == "clarify"):
        send_clarify(dispatcher, decision.hits)
    else:
        dispatcher.utter_message(text=out_of_scope_text(service.policy))


class ActionAnswerFaq(BaseAction):
    NAME = "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        # NLU is sure it is a knowledge question: when retrieval is unsure, offer topics.
        answer_from_knowledge(dispatcher, tracker, nothing_close="clarify")
        return []


class ActionClarify(BaseAction):
    """nlu_fallback: NLU is unsure what kind of message this is."""

    NAME = "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        answer_from_knowledge(dispatcher, tracker, nothing_close="out_of_scope")
        return []
