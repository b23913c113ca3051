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
import time
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import observe, readiness
from bot.channels.common import (
    EMPTY_TEXT,
    NOT_YOURS_TEXT,
    ChannelInputError,
    JsonChannel,
    MergingOutputChannel,
    PoliteRefusal,
    actions_down_message,
    bot_message,
    build_metadata,
    busy_message,
    check_message_id,
    check_metadata,
    check_sender,
    check_text,
    handle_once,
    owners_of,
    remember,
    shown_text,
)
from bot.channels.guards import RATE_LIMITED_TEXT, RateLimiter, client_ip
from bot.channels.handoff import is_paused
from core.logs import REQUEST_ID, usable_request_id
from core.texts import api as api_text

log = logging.getLogger(__name__)
REPLY_TIMEOUT_S = 20.0
CHANNEL = "rest"


class TokenRestInput(JsonChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("token_rest_webhook", __name__)
        limiter = RateLimiter(namespace="chat")  # shared with socket.io: one budget per client and IP
        bp.listener("before_server_start")(observe.install)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            """Liveness: the process answers."""
            return response.json({"status": "ok"})

        @bp.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            """Readiness for the load balancer: the model, the knowledge index, the
            database and the action server are all usable; says which are not."""
            checks = await readiness.check(getattr(request.app.ctx, "agent", None), request.app.ctx)
            failing = [name for name, state in checks.items() if state != "ok"]
            if "database" in failing:
                metrics = getattr(request.app.ctx, "metrics", None)
                if metrics is not None:
                    metrics.database_errors.labels("readiness").inc()
            return response.json(
                {"ready": not failing, "checks": checks, "failing": failing}, status=503 if failing else 200
            )

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            request_id = usable_request_id(request.headers.get("x-request-id"))
            REQUEST_ID.set(request_id)
            metrics = getattr(request.app.ctx, "metrics", None)
            body = self.json_body(request)
            if not isinstance(body, dict):
                return response.json({"error": api_text.REST_BODY}, status=400)
            try:
                sender = check_sender(body.get("sender"))
                message_id = check_message_id(body.get("message_id"))
                raw_metadata = check_metadata(body.get("metadata"))
                text = check_text(body.get("message"))
            except ChannelInputError as exc:
                return response.json(exc.payload(), status=400)
            except PoliteRefusal as exc:
                return response.json([bot_message(sender, str(exc))])
            if metrics is not None:
                metrics.messages_received.labels(CHANNEL).inc()
            metadata = {**build_metadata(raw_metadata), "request_id": request_id}
            if not limiter.allow(sender, client_ip(request), client=metadata.get("client_id")):
                if metrics is not None:
                    metrics.rate_limited.labels(CHANNEL).inc()
                return response.json([bot_message(sender, RATE_LIMITED_TEXT)], status=429)
            if text is None:
                return response.json([bot_message(sender, EMPTY_TEXT)])
            agent = getattr(request.app.ctx, "agent", None)
            # a verified client's conversation takes only that client's messages: never
            # another's, nor an anonymous one (it would land in the transcript and hand-off)
            if not await owners_of(request.app).admits(agent, sender, metadata.get("client_id")):
                return response.json({"error": NOT_YOURS_TEXT, "code": "not_owner"}, status=403)
            remember(sender, "client", [shown_text(text, body.get("metadata"))])
            log.info("message %s received on %s", request_id, CHANNEL)  # distinct text: Rasa drops repeated lines
            collector = MergingOutputChannel()
            message = UserMessage(
                text,
                collector,
                sender,
                input_channel=self.name(),
                metadata=metadata,
                message_id=message_id,
            )
            turn = observe.Turn()
            started = time.perf_counter()
            if agent is None or not agent.is_ready():
                handle = on_new_message(message)  # Rasa says there is no agent; the client gets the busy reply
            elif message_id:
                handle = handle_once(agent, message, lambda m: observe.handle(agent, m, turn))
            else:
                handle = observe.observed(agent, message, turn)
            try:
                processed = await asyncio.wait_for(handle, timeout=REPLY_TIMEOUT_S)
            except Exception:
                # Not answered as if it were: what the bot said is dropped, because the
                # turn may not be stored (e.g. the tracker store is down). The client
                # sends the same message_id again, and it is processed once.
                log.exception("rest channel: message handling failed for sender %s", sender)
                observe.record(metrics, CHANNEL, turn, [], time.perf_counter() - started)
                return response.json([busy_message(sender)])
            if isinstance(processed, list):  # a retry of a message this conversation already holds
                return response.json(processed)
            replies = collector.replies
            observe.record(metrics, CHANNEL, turn, replies, time.perf_counter() - started)
            if not replies and agent is not None and await is_paused(agent, sender):
                return response.json([])  # an agent holds the conversation: the bot is silent by design
            if observe.remote_action_failed(turn, observe.in_process_actions(agent), replies):
                if metrics is not None:
                    metrics.action_server_errors.inc()
                replies = [actions_down_message(sender, observe.wanted_a_person(turn))]
            # Nothing said (e.g. no model loaded): never leave the client hanging.
            replies = replies or [busy_message(sender)]
            remember(sender, "bot", [r.get("text", "") for r in replies])
            return response.json(replies, headers={"X-Request-ID": request_id})

        return bp
