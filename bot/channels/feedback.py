"""POST /webhooks/feedback/ — the widget's 有帮助/没帮助 on a knowledge answer.

{"sender": "...", "faq_id": "interest_financing_rate", "version": 1, "helpful": false,
 "comment": optional}

Accepted only for an answer that conversation actually received (the FAQ id and
version of one of its bot messages in the tracker), once per answer given; anything
else gets a 400.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import func, select

from bot.channels.common import JsonChannel
from core import clock
from storage.db import session_scope
from storage.models import AnswerFeedback

log = logging.getLogger(__name__)
FAQ_ID = re.compile(r"^[a-z][a-z0-9_]{2,63}$")


def parse_feedback(body: Any) -> Dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError("请求体必须是JSON对象。")
    sender, faq_id, version, helpful = (body.get(k) for k in ("sender", "faq_id", "version", "helpful"))
    if not isinstance(sender, str) or not 0 < len(sender) <= 128:
        raise ValueError("sender 必须是不超过128个字符的字符串。")
    if not isinstance(faq_id, str) or not FAQ_ID.match(faq_id):
        raise ValueError("faq_id 格式不正确。")
    if isinstance(version, bool) or not isinstance(version, int) or not 0 < version < 1_000_000:
        raise ValueError("version 必须是正整数。")
    if not isinstance(helpful, bool):
        raise ValueError("helpful 必须是 true 或 false。")
    comment = body.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 500):
        raise ValueError("comment 不能超过500个字符。")
    return {"sender_id": sender, "faq_id": faq_id, "version": version, "helpful": helpful, "comment": comment}


NOT_GIVEN = "该会话没有收到过这个回答，无法评价。"
ALREADY = "这个回答已经评价过了。"


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
        had = session.scalar(
            select(func.count())
            .select_from(AnswerFeedback)
            .where(
                AnswerFeedback.sender_id == feedback["sender_id"],
                AnswerFeedback.faq_id == feedback["faq_id"],
                AnswerFeedback.version == feedback["version"],
            )
        )
        if had >= given:
            raise ValueError(ALREADY)
        session.add(AnswerFeedback(at=clock.now(), **feedback))


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
            except ValueError as exc:
                return response.json({"error": str(exc)}, status=400)
            agent = getattr(request.app.ctx, "agent", None)
            given = await answers_given(agent, feedback["sender_id"], feedback["faq_id"], feedback["version"])
            if given == 0:
                return response.json({"error": NOT_GIVEN}, status=400)
            try:
                await asyncio.get_running_loop().run_in_executor(None, store, feedback, given)
            except ValueError as exc:
                return response.json({"error": str(exc)}, status=400)
            except Exception:
                log.exception("feedback: could not store")
                return response.json({"error": "系统繁忙，请稍后再试。"}, status=503)
            return response.json({"status": "ok"})

        return bp
