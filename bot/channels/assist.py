"""Agents' reply assistant: POST /webhooks/assist/suggest.

    {"text": "...", "top_k": 3, "sender": optional, "metadata": optional,
     "conversation": optional [{"role": "client"|"bot"|"agent", "text"}, ...] oldest first,
     "reason": optional hand-off reason, "client": optional {"margin_call", "vip", "verified", "zone"}}
    → {"intent": {"name", "confidence"}, "suggestions": [{"faq_id", "question", "answer",
       "score", "version", "cites"}, ...]}   best first

The intent comes from the live Rasa model; the suggestions from the same
knowledge service that answers clients in chat. With a conversation, they answer
the client's actual need: a turn that only asks for a person ("我要转人工") or is
small talk carries no topic, so the client's earlier questions, the hand-off reason
and the verified client's state (a margin call) decide; recent turns weigh most.
Answers are rewritten in an agent's voice (the bot's "登录后问我……" becomes an
offer to look it up).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import MAX_MESSAGE_CHARS, JsonChannel, check_metadata
from bot.channels.guards import RateLimiter, client_ip
from core import inputs
from core.errors import Invalid
from core.text import clean, has_meaningful_text, sanitize
from core.texts import api as api_text
from services.context import current
from services.restrictions import LIQUIDATION_HANDOFF

log = logging.getLogger(__name__)
MAX_TOP_K = 10
MAX_TURNS = 50
MAX_REASON_CHARS = 200
ROLES = ("client", "bot", "agent")
TURN_WEIGHTS = (1.0, 0.45, 0.25)  # the latest client turn with a topic, then earlier ones
# Words that ask for a person or are small talk: a turn made only of these has no topic.
NO_TOPIC = re.compile(
    r"转人工|转接|人工客服|人工服务|人工|真人|客服|坐席|专员|经理|找人|接人|一下|我要|我想|想要|要求|请|帮我|给我|麻烦|"
    r"你好|您好|在吗|在不在|有人吗|谢谢|多谢|好的|好吧|嗯+|哦+|啊+|快点|赶紧|急|马上|能不能|可以吗|吗|呢|吧|了|的|"
    r"[\s,，.。!！?？~、…]+"
)
REASON_QUERIES = {  # the need a hand-off reason stands for when the client said nothing more
    LIQUIDATION_HANDOFF: "追保期间会不会被强制平仓，什么时候平仓",
}
MARGIN_CALL_QUERY = "追保截止时间是什么时候，要补到多少，不补会不会被强制平仓"
MARGIN_CALL_BOOST = 1.15
# The bot's instructions ("登录后问我‘…’可查看") rewritten as a person would say them.
AGENT_VOICE = [
    (re.compile(r"登录后(?:可以)?问我“[^”]*”[，,]?(?:即可|可以|可)?(?:随时)?(查看|确认)"), r"我这边可以帮您\1"),
    (re.compile(r"登录后(?:可以)?问我“[^”]*”"), "我这边可以帮您核实"),
    (re.compile(r"可以问我“([^”]*)”(?:查看完整要求)?"), r"我可以再为您详细介绍“\1”"),
    (re.compile(r"(?:先)?在这里问我"), "随时咨询我们"),
    (re.compile(r"问我"), "咨询我们"),
]


def _error(message: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def parse_request(body: Any) -> Dict[str, Any]:
    """Validated request, or Invalid naming the field."""
    if not isinstance(body, dict):
        raise Invalid(api_text.ASSIST_BODY, field="body")
    text = body.get("text")
    if not isinstance(text, str) or not has_meaningful_text(text):
        raise Invalid(api_text.ASSIST_TEXT_EMPTY, field="text")
    if len(text) > MAX_MESSAGE_CHARS:
        raise Invalid(api_text.FIELD_TOO_LONG.format(field="text", max=MAX_MESSAGE_CHARS), field="text")
    top_k = inputs.integer(body, "top_k", lo=1, hi=MAX_TOP_K, required=False, default=3)
    inputs.text(body, "sender", max_len=128, required=False)
    check_metadata(body.get("metadata"))
    return {
        "text": clean(text),
        "top_k": top_k,
        "conversation": _conversation(body.get("conversation")),
        "reason": _reason(body.get("reason")),
        "client": _client(body.get("client")),
    }


def _conversation(value: Any) -> Optional[List[Dict[str, str]]]:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_TURNS:
        raise Invalid(api_text.CONVERSATION_TOO_LONG.format(max=MAX_TURNS), field="conversation")
    turns = []
    for turn in value:
        if not isinstance(turn, dict) or turn.get("role") not in ROLES or not isinstance(turn.get("text"), str):
            raise Invalid(api_text.CONVERSATION_TURN, field="conversation")
        if len(turn["text"]) > MAX_MESSAGE_CHARS:
            raise Invalid(api_text.CONVERSATION_TURN_TOO_LONG.format(max=MAX_MESSAGE_CHARS), field="conversation")
        turns.append({"role": turn["role"], "text": clean(sanitize(turn["text"]))})
    return turns


def _reason(value: Any) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_REASON_CHARS:
        raise Invalid(api_text.FIELD_TEXT_MAX.format(field="reason", max=MAX_REASON_CHARS), field="reason")
    return value.strip() or None


def _client(value: Any) -> Dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid(api_text.FIELD_NOT_OBJECT.format(field="client"), field="client")
    return {k: bool(value.get(k)) for k in ("margin_call", "vip", "verified")}


def has_topic(text: str) -> bool:
    """False for a turn that only asks for a person or is small talk."""
    rest = NO_TOPIC.sub("", text)
    return len(rest) >= 2 and has_meaningful_text(rest)


def agent_voice(answer: str) -> str:
    for pattern, replacement in AGENT_VOICE:
        answer = pattern.sub(replacement, answer)
    return answer


def rank_conversation(
    service: Any,
    text: str,
    conversation: Optional[List[Dict[str, str]]] = None,
    reason: Optional[str] = None,
    client: Optional[Dict[str, Any]] = None,
    k: int = 3,
) -> List[Any]:
    """(entry, score) pairs, best first, for the client's need in this conversation."""
    client = client or {}
    turns = [t["text"] for t in (conversation or []) if t["role"] == "client"]
    if not turns or turns[-1] != text:
        turns.append(text)
    topical = [t for t in turns if has_topic(t)][-len(TURN_WEIGHTS) :]
    queries = [(t, w) for t, w in zip(reversed(topical), TURN_WEIGHTS)]
    if not queries:  # nothing but "我要转人工": the reason and the client's state say what it is about
        if reason in REASON_QUERIES:
            queries.append((REASON_QUERIES[reason], 1.0))
        if client.get("margin_call"):
            queries.append((MARGIN_CALL_QUERY, 0.8))
        if not queries:
            queries.append((text, 1.0))
    elif reason in REASON_QUERIES:
        queries.append((REASON_QUERIES[reason], 0.2))
    combined: Dict[str, float] = {}
    entries: Dict[str, Any] = {}
    for query, weight in queries:
        for hit in service.rank(query, k=max(10, k)):
            combined[hit.faq_id] = combined.get(hit.faq_id, 0.0) + weight * hit.score
            entries[hit.faq_id] = hit.entry
    if client.get("margin_call"):
        for faq_id in combined:
            if faq_id.startswith("margincall_"):
                combined[faq_id] *= MARGIN_CALL_BOOST
    total = sum(w for _, w in queries)
    best = sorted(combined, key=lambda f: -combined[f])[:k]
    return [(entries[f], round(combined[f] / total, 4)) for f in best]


def suggestions(
    text: str,
    top_k: int,
    conversation: Optional[List[Dict[str, str]]] = None,
    reason: Optional[str] = None,
    client: Optional[Dict[str, Any]] = None,
) -> list:
    service = current().knowledge
    return [
        {
            "faq_id": entry.id,
            "question": entry.question,
            "answer": agent_voice(service.render(entry)),
            "score": score,
            "version": entry.version,
            "cites": list(entry.cites),
        }
        for entry, score in rank_conversation(service, text, conversation, reason, client, top_k)
    ]


class AssistInput(JsonChannel):
    @classmethod
    def name(cls) -> str:
        return "assist"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("assist_webhook", __name__)
        limiter = RateLimiter(namespace="assist")

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/suggest", methods=["POST"])
        async def suggest(request: Request) -> HTTPResponse:
            if not limiter.allow(ip=client_ip(request)):
                return _error(api_text.RATE_LIMITED, status=429)
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
                found = await loop.run_in_executor(
                    None, suggestions, req["text"], req["top_k"], req["conversation"], req["reason"], req["client"]
                )
            except Exception:
                log.exception("assist: suggestion failed")
                return _error(api_text.BUSY, status=503)
            return response.json({"intent": intent, "suggestions": found})

        return bp
