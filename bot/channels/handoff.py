"""The hand-off inside Rasa: /webhooks/handoff/…

- `POST /hold` (internal, `Authorization: Bearer <BOT_ACTION_SECRET>`), `{"sender_id", "paused"}`:
  appends Rasa's ConversationPaused (or ConversationResumed) event to the conversation's
  tracker under the lock store and answers once the tracker is saved. A paused tracker
  logs the client's messages but predicts no action (MessageProcessor._should_handle_message),
  on every instance that shares the tracker store: the bot is silent from the very next message.
- `GET /status?sender=…`: what the widget shows while a person serves the client (queue
  position and expected wait, the agent and whether they type, a rating to ask for).
- `POST /rate` `{"sender", "handoff_id", "score" 1–5 | "label" 满意/一般/不满意, "comment"?}`.
- `POST /message` `{"sender", "text"}`: a message left outside service hours.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ConversationPaused, ConversationResumed
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import MAX_SENDER_CHARS, NOT_YOURS_TEXT, JsonChannel, build_metadata, owners_of
from bot.channels.guards import RATE_LIMITED_TEXT, RateLimiter, client_ip
from core.errors import DomainError
from core.settings import get_settings
from core.texts import api as api_text
from services import handoff

log = logging.getLogger(__name__)
BUSY = api_text.BUSY


async def set_paused(agent: Any, sender_id: str, paused: bool) -> bool:
    """Append the pause/resume event under the conversation's lock; the tracker's state after."""
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.tracker_store.get_or_create_tracker(sender_id)
        if tracker.is_paused() != paused:
            tracker.update(ConversationPaused() if paused else ConversationResumed())
            await agent.tracker_store.save(tracker)
        return tracker.is_paused()


async def is_paused(agent: Any, sender_id: str) -> bool:
    tracker = await agent.tracker_store.retrieve(sender_id)
    return tracker is not None and tracker.is_paused()


def _sender(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value.strip()) <= MAX_SENDER_CHARS:
        raise ValueError(api_text.FIELD_TEXT_MAX.format(field="sender", max=MAX_SENDER_CHARS))
    return value.strip()


class HandoffInput(JsonChannel):
    @classmethod
    def name(cls) -> str:
        return "handoff"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("handoff_webhook", __name__)
        limiter = RateLimiter()

        async def blocking(fn: Callable, *args: Any) -> Any:
            return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

        @bp.route("/hold", methods=["POST"])
        async def hold(request: Request) -> HTTPResponse:
            header = request.headers.get("authorization", "")
            key = get_settings().action_secret
            if not key or not (
                header.lower().startswith("bearer ") and hmac.compare_digest(header[7:].encode(), key.encode())
            ):
                return response.json({"error": "unauthorized"}, status=401)
            body = self.json_body(request)
            try:
                sender = _sender(body.get("sender_id") if isinstance(body, dict) else None)
            except ValueError as exc:
                return response.json({"error": str(exc)}, status=400)
            if not isinstance(body.get("paused"), bool):
                return response.json({"error": api_text.FIELD_NOT_BOOLEAN.format(field="paused")}, status=400)
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return response.json({"error": BUSY}, status=503)
            try:
                paused = await set_paused(agent, sender, body["paused"])
            except Exception:
                log.exception("hand-off: could not store the hold of a conversation")
                return response.json({"error": BUSY}, status=503)
            return response.json({"sender_id": sender, "paused": paused})

        async def client_call(request: Request, fn: Callable[[Any], Any]) -> HTTPResponse:
            if not limiter.allow(None, client_ip(request)):
                return response.json({"error": RATE_LIMITED_TEXT}, status=429)
            body = self.json_body(request) if request.method == "POST" else None
            if isinstance(body, dict) and isinstance(body.get("sender"), str):
                # a verified client's conversation takes a message or a rating only with that client's token
                client = build_metadata(body.get("metadata")).get("client_id")
                if not await owners_of(request.app).admits(
                    getattr(request.app.ctx, "agent", None), body["sender"], client
                ):
                    return response.json({"error": NOT_YOURS_TEXT, "code": "not_owner"}, status=403)
            try:
                return response.json(await fn(request))
            except ValueError as exc:
                return response.json({"error": str(exc)}, status=400)
            except DomainError as exc:
                return response.json(exc.payload(), status=exc.status)
            except Exception:
                log.exception("hand-off: client request failed")
                return response.json({"error": BUSY}, status=503)

        @bp.route("/status", methods=["GET"])
        async def status(request: Request) -> HTTPResponse:
            async def run(req: Request) -> Any:
                return await blocking(handoff.client_status, _sender(req.args.get("sender")))

            return await client_call(request, run)

        @bp.route("/rate", methods=["POST"])
        async def rate(request: Request) -> HTTPResponse:
            async def run(req: Request) -> Any:
                body = self.json_body(req)
                if not isinstance(body, dict):
                    raise ValueError(api_text.BODY_NOT_OBJECT)
                sender = _sender(body.get("sender"))
                return await blocking(
                    handoff.rate,
                    sender,
                    body.get("handoff_id"),
                    body.get("score"),
                    body.get("label"),
                    body.get("comment"),
                )

            return await client_call(request, run)

        @bp.route("/message", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            async def run(req: Request) -> Any:
                body = self.json_body(req)
                if not isinstance(body, dict):
                    raise ValueError(api_text.BODY_NOT_OBJECT)
                sender = _sender(body.get("sender"))
                return {"ok": True, "handoff_id": await blocking(handoff.leave_message, sender, body.get("text"))}

            return await client_call(request, run)

        return bp
