"""POST /webhooks/feedback/ — the widget's 有帮助/没帮助 on a knowledge answer.

{"sender": "...", "faq_id": "interest_financing_rate", "version": 1, "helpful": false,
 "comment": optional}
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

from bot.channels.common import JsonChannel
from core import clock, inputs
from core.errors import Invalid
from storage.db import session_scope
from storage.models import AnswerFeedback

log = logging.getLogger(__name__)
FAQ_ID = re.compile(r"^[a-z][a-z0-9_]{2,63}$")


def parse_feedback(body: Any) -> Dict[str, Any]:
    """The feedback's fields, each of its type, or Invalid naming the field."""
    if not isinstance(body, dict):
        raise Invalid("请求体必须是JSON对象。", field="body")
    sender = inputs.text(body, "sender", min_len=1, max_len=128)
    faq_id = body.get("faq_id")
    if not isinstance(faq_id, str) or not FAQ_ID.match(faq_id):
        raise Invalid("faq_id 格式不正确。", field="faq_id")
    version = inputs.integer(body, "version", lo=1, hi=999_999)
    helpful = inputs.boolean(body, "helpful")
    comment = inputs.text(body, "comment", max_len=500, required=False)  # sanitised: no lone surrogates
    return {"sender_id": sender, "faq_id": faq_id, "version": version, "helpful": helpful, "comment": comment}


def store(feedback: Dict[str, Any]) -> None:
    with session_scope() as session:
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
            except Invalid as exc:
                return response.json(exc.payload(), status=400)
            try:
                await asyncio.get_running_loop().run_in_executor(None, store, feedback)
            except Exception:
                log.exception("feedback: could not store")
                return response.json({"error": "系统繁忙，请稍后再试。"}, status=503)
            return response.json({"status": "ok"})

        return bp
