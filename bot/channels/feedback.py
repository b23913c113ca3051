"""POST /webhooks/feedback/ — the widget's 有帮助/没帮助 on a knowledge answer, and
GET /webhooks/feedback/hot — the question chips of the widget's greeting.

{"sender": "...", "faq_id": "interest_financing_rate", "version": 1, "helpful": false,
 "reason": optional, one of 答非所问 / 看不懂 / 信息过时 / 其他, "comment": optional}

Accepted only for an answer that conversation actually received (the FAQ id and
version of one of its bot messages in the tracker), once per answer given; anything
else gets a 400. The widget posts 没帮助 at once and again with the reason the client
picks: that second post updates the same feedback row instead of adding one.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select

from bot.channels.common import JsonChannel
from core import clock, inputs
from core.errors import Invalid
from core.knowledge.model import is_faq_id
from core.texts import api as api_text
from core.texts import client as client_text
from services.knowledge import insights
from storage.db import session_scope
from storage.models import AnswerFeedback

log = logging.getLogger(__name__)
REASONS = client_text.FEEDBACK_REASONS


def parse_feedback(body: Any) -> Dict[str, Any]:
    """The feedback's fields, each of its type, or Invalid naming the field."""
    if not isinstance(body, dict):
        raise Invalid(api_text.BODY_NOT_OBJECT, field="body")
    sender = inputs.text(body, "sender", min_len=1, max_len=128)
    faq_id = body.get("faq_id")
    if not is_faq_id(faq_id):
        raise Invalid(api_text.FAQ_ID_INVALID, field="faq_id")
    version = inputs.integer(body, "version", lo=1, hi=999_999)
    helpful = inputs.boolean(body, "helpful")
    comment = inputs.text(body, "comment", max_len=500, required=False)  # sanitised: no lone surrogates
    reason = body.get("reason")
    if reason is not None and (helpful or reason not in REASONS):
        raise Invalid(api_text.FEEDBACK_REASON_INVALID.format(reasons="、".join(REASONS)), field="reason")
    return {
        "sender_id": sender,
        "faq_id": faq_id,
        "version": version,
        "helpful": helpful,
        "comment": comment,
        "reason": reason,
    }


NOT_GIVEN = client_text.FEEDBACK_NOT_GIVEN
ALREADY = client_text.FEEDBACK_ALREADY


async def answers_given(agent: Any, sender_id: str, faq_id: str, version: int) -> int:
    """How often this conversation was sent that FAQ entry's version (its bot events)."""
    tracker = await agent.tracker_store.retrieve(sender_id) if agent is not None else None
    if tracker is None:
        return 0
    count = 0
    for event in tracker.events:
        if event.type_name == "bot":
            custom = (getattr(event, "data", None) or {}).get("custom") or {}
            if custom.get("faq_id") == faq_id and custom.get("version") == version:
                count += 1
    return count


def store(feedback: Dict[str, Any], given: int) -> None:
    """Store it, unless every answer given has had its feedback already."""
    with session_scope() as session:
        rows = session.scalars(
            select(AnswerFeedback)
            .where(
                AnswerFeedback.sender_id == feedback["sender_id"],
                AnswerFeedback.faq_id == feedback["faq_id"],
                AnswerFeedback.version == feedback["version"],
            )
            .order_by(AnswerFeedback.id.desc())
        ).all()
        latest = rows[0] if rows else None
        if latest is not None and not latest.helpful and latest.reason is None and feedback["reason"]:
            latest.reason = feedback["reason"]  # the reason for the 没帮助 just given
            latest.comment = feedback["comment"] or latest.comment
            return
        if len(rows) >= given:
            raise Invalid(ALREADY, field="faq_id")
        session.add(AnswerFeedback(at=clock.now(), **feedback))


def hot_questions() -> List[Dict[str, str]]:
    return insights.hot_questions()


class FeedbackInput(JsonChannel):
    @classmethod
    def name(cls) -> str:
        return "feedback"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("feedback_webhook", __name__)

        @bp.route("/", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = self.json_body(request)
            try:
                feedback = parse_feedback(body)
            except Invalid as exc:
                return response.json(exc.payload(), status=400)
            agent = getattr(request.app.ctx, "agent", None)
            given = await answers_given(agent, feedback["sender_id"], feedback["faq_id"], feedback["version"])
            if given == 0:
                return response.json({"error": NOT_GIVEN}, status=400)
            try:
                await asyncio.get_running_loop().run_in_executor(None, store, feedback, given)
            except Invalid as exc:
                return response.json(exc.payload(), status=400)
            except Exception:
                log.exception("feedback: could not store")
                return response.json({"error": api_text.BUSY}, status=503)
            return response.json({"status": "ok"})

        @bp.route("/hot", methods=["GET"])
        async def hot(request: Request) -> HTTPResponse:
            try:
                chips = await asyncio.get_running_loop().run_in_executor(None, hot_questions)
            except Exception:
                log.warning("feedback: hot questions unavailable", exc_info=True)
                chips = []
            return response.json(chips)

        return bp
