"""POST /webhooks/feedback/ — the widget's 有帮助/没帮助 on a knowledge answer, and
GET /webhooks/feedback/hot — the question chips of the widget's greeting.

{"sender": "...", "faq_id": "interest_financing_rate", "version": 1, "helpful": false,
 "reason": optional, one of 答非所问 / 看不懂 / 信息过时 / 其他, "comment": optional}

The widget posts 没帮助 at once and again with the reason the client picks: the second
post updates the same feedback row (same sender, entry and version) instead of adding one.
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
from core import clock
from core.knowledge.model import is_faq_id
from services.knowledge import insights
from storage.db import session_scope
from storage.models import AnswerFeedback

log = logging.getLogger(__name__)
REASONS = ("答非所问", "看不懂", "信息过时", "其他")


def parse_feedback(body: Any) -> Dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError("请求体必须是JSON对象。")
    sender, faq_id, version, helpful = (body.get(k) for k in ("sender", "faq_id", "version", "helpful"))
    if not isinstance(sender, str) or not 0 < len(sender) <= 128:
        raise ValueError("sender 必须是不超过128个字符的字符串。")
    if not isinstance(faq_id, str) or not is_faq_id(faq_id):
        raise ValueError("faq_id 格式不正确。")
    if isinstance(version, bool) or not isinstance(version, int) or not 0 < version < 1_000_000:
        raise ValueError("version 必须是正整数。")
    if not isinstance(helpful, bool):
        raise ValueError("helpful 必须是 true 或 false。")
    comment = body.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 500):
        raise ValueError("comment 不能超过500个字符。")
    reason = body.get("reason")
    if reason is not None and (helpful or reason not in REASONS):
        raise ValueError("reason 只能是“没帮助”时的：" + "、".join(REASONS) + "。")
    return {
        "sender_id": sender,
        "faq_id": faq_id,
        "version": version,
        "helpful": helpful,
        "comment": comment,
        "reason": reason,
    }


def store(feedback: Dict[str, Any]) -> None:
    with session_scope() as session:
        row = session.scalars(
            select(AnswerFeedback)
            .where(
                AnswerFeedback.sender_id == feedback["sender_id"],
                AnswerFeedback.faq_id == feedback["faq_id"],
                AnswerFeedback.version == feedback["version"],
            )
            .order_by(AnswerFeedback.id.desc())
        ).first()
        if row is None:
            session.add(AnswerFeedback(at=clock.now(), **feedback))
            return
        row.helpful = feedback["helpful"]
        row.reason = feedback["reason"] if not feedback["helpful"] else None
        row.comment = feedback["comment"] or row.comment


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
            except ValueError as exc:
                return response.json({"error": str(exc)}, status=400)
            try:
                await asyncio.get_running_loop().run_in_executor(None, store, feedback)
            except Exception:
                log.exception("feedback: could not store")
                return response.json({"error": "系统繁忙，请稍后再试。"}, status=503)
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
