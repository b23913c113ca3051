"""socket.io channel for the web and mobile widget, with the same token rules as REST.

Rasa's SocketIOInput does the socket plumbing; this subclass wraps the message
handler so that (1) `metadata.token` — sent with each message, or once in the
`session_request` — is verified and only the verified identity travels on,
(2) each bot response goes out as ONE `bot_uttered` event with text, buttons
and the FAQ source together, (3) bad input or a failure inside Rasa gets a
polite reply instead of silence, and (4) a conversation belongs to the socket that
holds it and to the client verified for it: another socket naming its id gets a new
conversation and never joins its room, a message for a conversation the socket does
not hold is dropped with a `session_error` event, a session request without a token
(logout) or with another client's token starts a new conversation, and only the
configured browser origins (BOT_ALLOWED_ORIGINS) may connect.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot.channels import observe
from bot.channels.common import (
    BUSY_TEXT,
    EMPTY_TEXT,
    NOT_YOURS_TEXT,
    ChannelInputError,
    Owners,
    PoliteRefusal,
    actions_down_message,
    build_metadata,
    check_text,
    owners_of,
    remember,
    shown_text,
)
from bot.channels.guards import RATE_LIMITED_TEXT, RateLimiter, client_ip
from core import clock
from core.errors import Invalid
from core.inputs import parse_json
from core.logs import REQUEST_ID, usable_request_id
from core.settings import get_settings
from core.texts import api as api_text
from core.texts import client as client_text
from services import alerts, handoff

log = logging.getLogger(__name__)
DELIVERY_INTERVAL_S = 0.5
CHANNEL = "socketio"
SESSION_ERROR_EVT = "session_error"
NOT_OWNER_TEXT = client_text.SESSION_EXPIRED


def socket_message(data: Any, needs_session: bool, metadata_key: str = "metadata") -> Dict[str, Any]:
    """A `user_uttered` event's fields, each of its type, or Invalid naming the field."""
    if not isinstance(data, dict):
        raise Invalid(api_text.SOCKET_BODY, field="data")
    text = data.get("message", "")
    if not isinstance(text, str):
        raise Invalid(api_text.FIELD_NOT_TEXT.format(field="message"), field="message")
    session_id = data.get("session_id")
    if needs_session and (not isinstance(session_id, str) or not 0 < len(session_id) <= 64):
        raise Invalid(api_text.SESSION_ID_INVALID, field="session_id")
    metadata = data.get(metadata_key)
    if isinstance(metadata, str):
        metadata = parse_json(metadata)
        if metadata is None:
            raise Invalid(api_text.FIELD_NOT_OBJECT.format(field=metadata_key), field=metadata_key)
    if metadata is not None and not isinstance(metadata, dict):
        raise Invalid(api_text.FIELD_NOT_OBJECT.format(field=metadata_key), field=metadata_key)
    return {"message": text, "session_id": session_id, "metadata": metadata or {}}


class MergingSocketIOOutput(SocketIOOutput):
    """Holds the turn's messages until the turn is stored (see flush): a client is never
    answered for a turn that a failing tracker store did not keep."""

    def __init__(self, sio: Any, bot_message_evt: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent: list = []
        self.payloads: list = []  # what went out, for the turn's outcome
        self.held: list = []
        self.holding = False

    async def _send_message(self, socket_id: str, response: Any) -> None:
        if self.holding:
            self.held.append((socket_id, response))
        else:
            await super()._send_message(socket_id, response)

    async def flush(self) -> None:
        self.holding = False
        held, self.held = self.held, []
        for socket_id, response in held:
            await super()._send_message(socket_id, response)

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        out: Dict[str, Any] = {}
        if message.get("text"):
            out["text"] = message["text"]
        buttons = message.get("buttons") or message.get("quick_replies")
        if buttons:
            out["quick_replies"] = [
                {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons
            ]
        if message.get("custom"):
            out["custom"] = message["custom"]
        if out:
            self.sent.append(out.get("text", ""))
            self.payloads.append(out)
            await self._send_message(recipient_id, out)

    async def say(self, recipient_id: str, text: str) -> None:
        await self._send_message(recipient_id, {"text": text})


def origin_check(allowed: Tuple[str, ...]) -> Callable[[Optional[str], Dict[str, Any]], bool]:
    """engine.io's origin hook: the configured origins, plus this server's own origin
    (a page served by Rasa itself, or a client that names the server it talks to)."""
    allowed_set = set(allowed)

    def check(origin: Optional[str], environ: Dict[str, Any]) -> bool:
        if "*" in allowed_set or origin in allowed_set:
            return True
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin == own

    return check


class TokenSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> TokenSocketIOInput:
        credentials = credentials or {}
        return cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", True),
            credentials.get("socketio_path", "/socket.io"),
            None,  # no socket-level JWT: clients' tokens are checked per message
            "HS256",
            credentials.get("metadata_key", "metadata"),
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # A conversation (session id) is owned by the one socket that holds it, and by the
        # client verified for it. sid → its session; session → its socket, token, client.
        session_of: Dict[str, str] = {}
        socket_of: Dict[str, str] = {}
        session_tokens: Dict[str, Any] = {}
        client_of: Dict[str, str] = {}  # conversation → verified client id, for alerts
        limiter = RateLimiter(namespace="chat")  # shared with REST: one budget per client and IP
        ip_of: Dict[str, Optional[str]] = {}  # sid → the client's address, from the connect request
        requesting: Dict[str, asyncio.Future] = {}  # sid → its session request in progress
        server: Dict[str, Any] = {}  # the Sanic app, once starting (its agent, its Owners, its metrics)

        def started(app: Any, _loop: Any) -> None:
            server["app"] = app
            observe.install(app)

        def owners() -> Owners:
            return owners_of(server["app"])

        def agent() -> Any:
            return getattr(server["app"].ctx, "agent", None) if "app" in server else None

        def metrics() -> Any:
            return getattr(server["app"].ctx, "metrics", None) if "app" in server else None

        async def verified(message: UserMessage, metadata: Dict[str, Any], raw: Dict[str, Any], sid: str) -> None:
            request_id = metadata["request_id"]
            REQUEST_ID.set(request_id)
            output = MergingSocketIOOutput(self.sio, self.bot_message_evt)
            room = message.sender_id
            m = metrics()
            try:
                text = check_text(message.text)
            except (ChannelInputError, PoliteRefusal) as exc:
                await output.say(room, str(exc))
                return
            if m is not None:
                m.messages_received.labels(CHANNEL).inc()
            if text is None:
                await output.say(room, EMPTY_TEXT)
                return
            if not limiter.allow(room, ip_of.get(sid), client=metadata.get("client_id"), connection=sid):
                if m is not None:
                    m.rate_limited.labels(CHANNEL).inc()
                await output.say(room, RATE_LIMITED_TEXT)
                return
            remember(room, "client", [shown_text(text, raw)])
            # While an agent holds the conversation its tracker is paused (bot/channels/handoff.py):
            # Rasa logs the message and says nothing.
            log.info("message %s received on %s", request_id, CHANNEL)  # distinct text: Rasa drops repeated lines
            message.text = text
            message.metadata = metadata
            if metadata.get("client_id"):
                client_of[room] = metadata["client_id"]
            message.output_channel = output
            output.holding = True  # a turn's messages go out once the turn is stored
            rasa_agent = agent()
            turn = observe.Turn()
            begun = time.perf_counter()
            try:
                if rasa_agent is not None and rasa_agent.is_ready():
                    await observe.observed(rasa_agent, message, turn)
                else:
                    await on_new_message(message)
            except Exception:
                log.exception("socket.io: message handling failed")
                output.holding, output.held, output.sent = False, [], []
                await output._send_message(room, {"text": BUSY_TEXT, "custom": {"retry": True}})
                observe.record(m, CHANNEL, turn, [], time.perf_counter() - begun)
                remember(room, "bot", [BUSY_TEXT])
                return
            await output.flush()
            observe.record(m, CHANNEL, turn, output.payloads, time.perf_counter() - begun)
            if rasa_agent is not None and observe.remote_action_failed(
                turn, observe.in_process_actions(rasa_agent), output.payloads
            ):
                if m is not None:
                    m.action_server_errors.inc()
                reply = actions_down_message(room, observe.wanted_a_person(turn))
                await output.say(room, reply["text"])
                output.sent.append(reply["text"])
            remember(room, "bot", output.sent)

        blueprint = super().blueprint(on_new_message)
        blueprint.listener("before_server_start")(started)
        sio = self.sio
        sio.eio.max_http_buffer_size = get_settings().max_body_bytes  # socket.io packets too
        namespace = self.namespace
        # only the configured browser origins (default: the pages origin) may connect
        sio.eio.cors_allowed_origins = origin_check(get_settings().allowed_origins)

        async def refuse(sid: str, code: str, text: str) -> None:
            await sio.emit(SESSION_ERROR_EVT, {"code": code, "text": text}, room=sid, namespace=namespace)

        async def refuse_invalid(sid: str, exc: Invalid) -> None:
            """A wrong-shaped event: an error event to that socket, nothing in the log but a line."""
            log.info("socket.io: refused an event from %s: %s", sid, exc.message)
            await sio.emit("error", exc.payload(), room=sid, namespace=namespace)

        async def release(sid: str) -> None:
            """The socket gives up its conversation: it leaves the room, forgets the token."""
            session = session_of.pop(sid, None)
            if session is not None and socket_of.get(session) == sid:
                socket_of.pop(session, None)
                session_tokens.pop(session, None)
                client_of.pop(session, None)
                left = sio.leave_room(sid, session, namespace=namespace)
                if inspect.isawaitable(left):
                    await left

        # Replaces Rasa's handler, which calls python-socketio 5.10+'s (now async)
        # enter_room without awaiting it, so the room was never joined.
        async def session_request(sid: str, data: Optional[Dict]) -> None:
            # set before the first await: a message sent right after this request waits for it
            done = requesting[sid] = asyncio.get_running_loop().create_future()
            try:
                await open_session(sid, data)
            finally:
                if requesting.get(sid) is done:
                    requesting.pop(sid)
                done.set_result(None)

        async def open_session(sid: str, data: Optional[Dict]) -> None:
            data = data if isinstance(data, dict) else {}
            meta = data.get(self.metadata_key)
            token = meta.get("token") if isinstance(meta, dict) else None
            client_id = build_metadata({"token": token}).get("client_id")
            session_id = data.get("session_id")
            if not isinstance(session_id, str) or not 8 <= len(session_id) <= 64:
                session_id = None
            elif socket_of.get(session_id, sid) != sid:
                # another socket holds it: this one gets a conversation of its own, unless it is
                # the verified owner itself (reconnected before its old socket timed out)
                if client_id is not None and await owners().owner(agent(), session_id) == client_id:
                    await release(socket_of[session_id])
                else:
                    session_id = None
            elif not await owners().admits(agent(), session_id, client_id):
                # another client's conversation, or a logged-in one asked for without its token
                # (logout): a new conversation, so no identity or history carries over
                session_id = None
            session_id = session_id or uuid.uuid4().hex
            if session_of.get(sid) != session_id:
                await release(sid)
            session_of[sid], socket_of[session_id] = session_id, sid
            if token:
                session_tokens[session_id] = token
            else:
                session_tokens.pop(session_id, None)  # no token now: no identity
                client_of.pop(session_id, None)
            if client_id:
                client_of[session_id] = client_id
            joined = sio.enter_room(sid, session_id, namespace=namespace)
            if inspect.isawaitable(joined):
                await joined
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)
            start_delivery()

        async def connect(sid: str, environ: Dict[str, Any], auth: Any = None) -> bool:
            request = environ.get("sanic.request")
            ip_of[sid] = client_ip(request) if request is not None else None
            return True

        # Replaces Rasa's handler, which trusted the event's shape (a list or a number as the
        # message, metadata as a string of bad JSON: a traceback per event).
        async def handle_message(sid: str, data: Any = None) -> None:
            if sid in requesting:
                await requesting[sid]
            try:
                event = socket_message(data, True, self.metadata_key)
            except Invalid as exc:
                await refuse_invalid(sid, exc)
                return
            session_id = event["session_id"]
            if session_of.get(sid) != session_id:
                await refuse(sid, "not_owner", NOT_OWNER_TEXT)  # not this socket's conversation: dropped
                return
            raw = event["metadata"]
            if not raw.get("token") and session_tokens.get(session_id):
                raw = {**raw, "token": session_tokens[session_id]}
            request_id = usable_request_id(raw.get("request_id"))
            metadata = {**build_metadata(raw), "request_id": request_id}
            if not await owners().admits(agent(), session_id, metadata.get("client_id")):
                await refuse(sid, "not_owner", NOT_YOURS_TEXT)
                return
            message = UserMessage(event["message"], None, session_id, input_channel=self.name())
            await verified(message, metadata, raw, sid)

        async def disconnect(sid: str) -> None:
            ip_of.pop(sid, None)
            await release(sid)

        async def alert_read(sid: str, data: Any = None) -> None:
            """The widget showed an alert: record when it was read."""
            alert_id = data.get("alert_id") if isinstance(data, dict) else None
            session = session_of.get(sid)
            if isinstance(alert_id, int) and session in client_of:
                loop = asyncio.get_running_loop()
                first_time = await loop.run_in_executor(None, alerts.mark_read, alert_id, client_of[session])
                m = metrics()
                if first_time and m is not None:
                    m.alerts_read.inc()

        delivery: Dict[str, Any] = {}

        def start_delivery() -> None:
            if "task" not in delivery:
                delivery["task"] = asyncio.get_running_loop().create_task(deliver_forever())

        async def deliver_alerts(loop: Any, rooms: set) -> None:
            """Risk alerts for the clients whose chat is open here, with follow-up buttons."""
            clients = {client_of[r]: r for r in rooms if r in client_of}
            due = await loop.run_in_executor(None, alerts.pending, list(clients))
            for alert in due:
                payload = {
                    "text": alert.text,
                    "quick_replies": [
                        {"content_type": "text", "title": t, "payload": t}
                        for t in alerts.FOLLOW_UPS.get(alert.kind, [])
                    ],
                    "custom": {"alert": alert.kind, "alert_id": alert.id},
                }
                await sio.emit(self.bot_message_evt, payload, room=clients[alert.client_id], namespace=namespace)
                remember(clients[alert.client_id], "system", [alert.text])
            if due:
                await loop.run_in_executor(None, alerts.mark_delivered, [a.id for a in due])
                m = metrics()
                if m is not None:
                    now = clock.now()
                    m.alerts_delivered.inc(len(due))
                    for alert in due:
                        m.alert_delivery_lag.observe(max(0.0, (now - alert.created_at).total_seconds()))

        async def deliver_forever() -> None:
            """Push agents' (and system) messages to the widgets connected here."""
            loop = asyncio.get_running_loop()
            while True:
                await asyncio.sleep(DELIVERY_INTERVAL_S)
                rooms = set(socket_of)
                try:
                    pending = await loop.run_in_executor(None, handoff.undelivered_payloads, rooms)
                    for _, sender_id, payload in pending:
                        await sio.emit(self.bot_message_evt, payload, room=sender_id, namespace=namespace)
                    if pending:
                        await loop.run_in_executor(None, handoff.mark_delivered, [p[0] for p in pending])
                    await deliver_alerts(loop, rooms)
                except Exception:
                    log.warning("agent message delivery failed; will retry", exc_info=True)
                    m = metrics()
                    if m is not None:
                        m.database_errors.labels("delivery").inc()

        sio.on("connect", connect, namespace=namespace)
        sio.on(self.user_message_evt, handle_message, namespace=namespace)
        sio.on("session_request", session_request, namespace=namespace)
        sio.on("disconnect", disconnect, namespace=namespace)
        sio.on("alert_read", alert_read, namespace=namespace)
        return blueprint
