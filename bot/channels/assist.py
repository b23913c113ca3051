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
import threading
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import MAX_MESSAGE_CHARS, JsonChannel, check_metadata
from bot.channels.guards import RateLimiter, client_ip
from core import inputs
from core.errors import Invalid
from core.text import clean, has_meaningful_text
from services.knowledge.service import shared_service

log = logging.getLogger(__name__)
MAX_TOP_K = 10


def _error(message: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def parse_request(body: Any) -> Dict[str, Any]:
    """Validated request, or Invalid naming the field."""
    if not isinstance(body, dict):
        raise Invalid('请求体必须是JSON对象，例如 {"text": "融资利率多少", "top_k": 3}。', field="body")
    text = body.get("text")
    if not isinstance(text, str) or not has_meaningful_text(text):
        raise Invalid("text 必须是非空字符串。", field="text")
    if len(text) > MAX_MESSAGE_CHARS:
        raise Invalid(f"text 不能超过{MAX_MESSAGE_CHARS}个字符。", field="text")
    top_k = inputs.integer(body, "top_k", lo=1, hi=MAX_TOP_K, required=False, default=3)
    inputs.text(body, "sender", max_len=128, required=False)
    check_metadata(body.get("metadata"))
    conversation = body.get("conversation")
    if conversation is not None:
        if not isinstance(conversation, list) or len(conversation) > 50:
            raise Invalid("conversation 必须是不超过50项的列表。", field="conversation")
        for turn in conversation:
            if not isinstance(turn, dict) or turn.get("role") not in ("client", "bot", "agent"):
                raise Invalid('conversation 的每一项须为 {"role", "text"}。', field="conversation")
            inputs.text(turn, "text", max_len=MAX_MESSAGE_CHARS)
    return {"text": clean(text), "top_k": top_k}


def suggestions(text: str, top_k: int) -> list:
    service = shared_service()
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
        limiter = RateLimiter(namespace="assist")
        # build the knowledge index now, not on the first agent's request
        threading.Thread(target=shared_service, name="knowledge-warmup", daemon=True).start()

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/suggest", methods=["POST"])
        async def suggest(request: Request) -> HTTPResponse:
            if not limiter.allow(ip=client_ip(request)):
                return _error("请求太频繁，请稍后再试。", status=429)
            body = self.json_body(request)
            try:
                req = parse_request(body)
            except Invalid as exc:
                return response.json(exc.payload(), status=400)
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
