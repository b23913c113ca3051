"""REST channel at /webhooks/rest/webhook that verifies the client's token.

Same request shape as Rasa's REST channel ({"sender", "message", "metadata"}, plus an
optional "message_id" that makes a client's retry of the same message harmless);
`metadata.token` is verified here and replaced by the verified identity. Bad input
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

from bot import inprocess_actions, rasa_speedups, tracker_store
from bot.channels.common import (
    EMPTY_TEXT,
    ChannelInputError,
    JsonChannel,
    MergingOutputChannel,
    PoliteRefusal,
    bot_message,
    build_metadata,
    busy_message,
    check_message_id,
    check_metadata,
    check_sender,
    check_text,
    handle_once,
    remember,
)
from bot.channels.guards import RATE_LIMITED_TEXT, RateLimiter, client_ip, limit_request_size
from services.handoff import HELD

log = logging.getLogger(__name__)
REPLY_TIMEOUT_S = 20.0


class TokenRestInput(JsonChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("token_rest_webhook", __name__)
        limiter = RateLimiter(namespace="chat")  # shared with socket.io: one budget per client and IP
        bp.listener("after_server_start")(inprocess_actions.warm_up_on_start)  # the agent is loaded by then
        bp.listener("after_server_stop")(rasa_speedups.close_sessions)
        bp.listener("before_server_start")(limit_request_size)  # for every channel of this Rasa app
        bp.listener("after_server_start")(tracker_store.strict_on_start)  # production profile: no memory fallback

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
                message_id = check_message_id(body.get("message_id"))
                raw_metadata = check_metadata(body.get("metadata"))
                text = check_text(body.get("message"))
            except ChannelInputError as exc:
                return response.json(exc.payload(), status=400)
            except PoliteRefusal as exc:
                return response.json([bot_message(sender, str(exc))])
            metadata = build_metadata(raw_metadata)
            if not limiter.allow(sender, client_ip(request), client=metadata.get("client_id")):
                return response.json([bot_message(sender, RATE_LIMITED_TEXT)], status=429)
            if text is None:
                return response.json([bot_message(sender, EMPTY_TEXT)])
            remember(sender, "client", [text])
            if sender in HELD:  # an agent is answering this conversation: the bot stays silent
                return response.json([])
            collector = MergingOutputChannel()
            message = UserMessage(
                text,
                collector,
                sender,
                input_channel=self.name(),
                metadata=metadata,
                message_id=message_id,
            )
            agent = getattr(request.app.ctx, "agent", None)
            handle = handle_once(agent, message) if agent is not None and message_id else on_new_message(message)
            try:
                processed = await asyncio.wait_for(handle, timeout=REPLY_TIMEOUT_S)
            except Exception:
                # Not answered as if it were: what the bot said is dropped, because the
                # turn may not be stored (e.g. the tracker store is down). The client
                # sends the same message_id again, and it is processed once.
                log.exception("rest channel: message handling failed for sender %s", sender)
                return response.json([busy_message(sender)])
            if isinstance(processed, list):  # a retry of a message this conversation already holds
                return response.json(processed)
            # Nothing said (e.g. the action server is down): never leave the client hanging.
            replies = collector.replies or [busy_message(sender)]
            remember(sender, "bot", [r.get("text", "") for r in replies])
            return response.json(replies)

        return bp
