"""Agents' reply assistant: POST /webhooks/assist/suggest.

    {"text": "...", "top_k": 3, "sender": optional, "metadata": optional}
    → {"intent": {"name", "confidence"}, "suggestions": [{"faq_id", "question", "answer",
       "score", "version", "cites"}, ...]}   best first

The intent comes from the live Rasa model; the suggestions from the same
knowledge service that answers clients in chat.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import MAX_MESSAGE_CHARS, JsonChannel
from bot.channels.guards import RateLimiter, client_ip
from core.text import clean, has_meaningful_text
from services.context import current

log = logging.getLogger(__name__)
MAX_TOP_K = 10


def _error(message: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def parse_request(body: Any) -> Dict[str, Any]:
    """Validated request or ValueError with a readable message."""
    if not isinstance(body, dict):
        raise ValueError('请求体必须是JSON对象，例如 {"text": "融资利率多少", "top_k": 3}。')
    text = body.get("text")
    if not isinstance(text, str) or not has_meaningful_text(text):
        raise ValueError("text 必须是非空字符串。")
    if len(text) > MAX_MESSAGE_CHARS:
        raise ValueError(f"text 不能超过{MAX_MESSAGE_CHARS}个字符。")
    top_k = body.get("top_k", 3)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise ValueError(f"top_k 必须是1到{MAX_TOP_K}之间的整数。")
    return {"text": clean(text), "top_k": top_k}


def suggestions(text: str, top_k: int) -> list:
    service = current().knowledge
    return [
        {
            "faq_id": hit.faq_id,
            "question": hit.entry.question,
            "answer": service.render(hit.entry),
            "score": hit.score,
            "version": hit.entry.version,
            "cites": list(hit.entry.cites),
        }
        for hit in service.rank(text, k=top_k)
    ]


class AssistInput(JsonChannel):
    @classmethod
    def name(cls) -> str:
        return "assist"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("assist_webhook", __name__)
        limiter = RateLimiter()

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/suggest", methods=["POST"])
        async def suggest(request: Request) -> HTTPResponse:
            if not limiter.allow(None, client_ip(request)):
                return _error("请求太频繁，请稍后再试。", status=429)
            body = self.json_body(request)
            try:
                req = parse_request(body)
            except ValueError as exc:
                return _error(str(exc))
            try:
                intent = {"name": None, "confidence": 0.0}
                agent = getattr(request.app.ctx, "agent", None)
                if agent is not None and agent.is_ready():
                    parsed = await agent.parse_message(req["text"])
                    intent = {
                        "name": parsed["intent"].get("name"),
                        "confidence": round(float(parsed["intent"].get("confidence") or 0), 4),
                    }
                loop = asyncio.get_running_loop()
                found = await loop.run_in_executor(None, suggestions, req["text"], req["top_k"])
            except Exception:
                log.exception("assist: suggestion failed")
                return _error("系统繁忙，请稍后再试。", status=503)
            return response.json({"intent": intent, "suggestions": found})

        return bp
