"""REST channel at /webhooks/rest/webhook that verifies the client's token.

Same request shape as Rasa's REST channel ({"sender", "message", "metadata"}, plus an
optional "message_id" that makes a client's retry of the same message harmless);
`metadata.token` is verified here and replaced by the verified identity. A
conversation that a verified client's message has bound takes only messages with
that client's token (403 otherwise). Bad input
gets a 400 with a readable message; a failure inside Rasa gets a polite busy
reply, never a 500 or a stack trace.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import inprocess_actions, rasa_speedups
from bot.channels.common import (
    EMPTY_TEXT,
    NOT_YOURS_TEXT,
    ChannelInputError,
    JsonChannel,
    MergingOutputChannel,
    PoliteRefusal,
    bot_message,
    build_metadata,
    busy_message,
    check_message_id,
    check_sender,
    check_text,
    handle_once,
    owners_of,
    remember,
)
from bot.channels.guards import RATE_LIMITED_TEXT, RateLimiter, client_ip
from services.handoff import HELD

log = logging.getLogger(__name__)
REPLY_TIMEOUT_S = 20.0


class TokenRestInput(JsonChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("token_rest_webhook", __name__)
        limiter = RateLimiter()
        bp.listener("after_server_start")(inprocess_actions.warm_up_on_start)  # the agent is loaded by then
        bp.listener("after_server_stop")(rasa_speedups.close_sessions)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            """Liveness: the process answers."""
            return response.json({"status": "ok"})

        @bp.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            """Readiness for the load balancer: a model is loaded."""
            agent = getattr(request.app.ctx, "agent", None)
            ok = agent is not None and agent.is_ready()
            return response.json({"ready": ok}, status=200 if ok else 503)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = self.json_body(request)
            if not isinstance(body, dict):
                return response.json({"error": '请求体必须是JSON对象：{"sender", "message", "metadata"}。'}, status=400)
            try:
                sender = check_sender(body.get("sender"))
                text = check_text(body.get("message"))
                message_id = check_message_id(body.get("message_id"))
            except ChannelInputError as exc:
                return response.json({"error": str(exc)}, status=400)
            except PoliteRefusal as exc:
                return response.json([bot_message(sender, str(exc))])
            if not limiter.allow(sender, client_ip(request)):
                return response.json([bot_message(sender, RATE_LIMITED_TEXT)])
            if text is None:
                return response.json([bot_message(sender, EMPTY_TEXT)])
            metadata = build_metadata(body.get("metadata"))
            agent = getattr(request.app.ctx, "agent", None)
            # a verified client's conversation takes only that client's messages: never
            # another's, nor an anonymous one (it would land in the transcript and hand-off)
            if not await owners_of(request.app).admits(agent, sender, metadata.get("client_id")):
                return response.json({"error": NOT_YOURS_TEXT, "code": "not_owner"}, status=403)
            remember(sender, "client", [text])
            if sender in HELD:  # an agent is answering this conversation: the bot stays silent
                return response.json([])
            collector = MergingOutputChannel()
            message = UserMessage(
                text, collector, sender, input_channel=self.name(), metadata=metadata, message_id=message_id
            )
            handle = handle_once(agent, message) if agent is not None and message_id else on_new_message(message)
            try:
                processed = await asyncio.wait_for(handle, timeout=REPLY_TIMEOUT_S)
            except Exception:
                log.exception("rest channel: message handling failed for sender %s", sender)
                return response.json([*collector.replies, busy_message(sender)])
            if processed is False:  # a retry of a message this conversation already holds
                return response.json([])
            # Nothing said (e.g. the action server is down): never leave the client hanging.
            replies = collector.replies or [busy_message(sender)]
            remember(sender, "bot", [r.get("text", "") for r in replies])
            return response.json(replies)

        return bp
