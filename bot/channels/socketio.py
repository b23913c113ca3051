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
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot.channels.common import (
    BUSY_TEXT,
    EMPTY_TEXT,
    NOT_YOURS_TEXT,
    ChannelInputError,
    Owners,
    PoliteRefusal,
    build_metadata,
    check_text,
    owners_of,
    remember,
)
from bot.channels.guards import RATE_LIMITED_TEXT, RateLimiter
from core.settings import get_settings
from services import alerts, handoff
from services.handoff import HELD

log = logging.getLogger(__name__)
DELIVERY_INTERVAL_S = 0.5
SESSION_ERROR_EVT = "session_error"
NOT_OWNER_TEXT = "会话已失效，请刷新页面后重新开始对话。"


class MergingSocketIOOutput(SocketIOOutput):
    def __init__(self, sio: Any, bot_message_evt: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent: list = []

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
        limiter = RateLimiter()
        requesting: Dict[str, asyncio.Future] = {}  # sid → its session request in progress
        server: Dict[str, Any] = {}  # the Sanic app, once started (its agent, its Owners)

        def owners() -> Owners:
            return owners_of(server["app"])

        def agent() -> Any:
            return getattr(server["app"].ctx, "agent", None)

        async def verified(message: UserMessage, metadata: Dict[str, Any]) -> None:
            output = MergingSocketIOOutput(self.sio, self.bot_message_evt)
            room = message.sender_id
            try:
                text = check_text(message.text)
            except (ChannelInputError, PoliteRefusal) as exc:
                await output.say(room, str(exc))
                return
            if text is None:
                await output.say(room, EMPTY_TEXT)
                return
            if not limiter.allow(room, None):
                await output.say(room, RATE_LIMITED_TEXT)
                return
            remember(room, "client", [text])
            if room in HELD:  # an agent is answering this conversation: the bot stays silent
                return
            message.text = text
            message.metadata = metadata
            if metadata.get("client_id"):
                client_of[room] = metadata["client_id"]
            message.output_channel = output
            try:
                await on_new_message(message)
            except Exception:
                log.exception("socket.io: message handling failed")
                await output.say(room, BUSY_TEXT)
                output.sent.append(BUSY_TEXT)
            remember(room, "bot", output.sent)

        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        namespace = self.namespace
        # only the configured browser origins (default: the pages origin) may connect
        sio.eio.cors_allowed_origins = origin_check(get_settings().allowed_origins)
        blueprint.listener("after_server_start")(lambda app, loop: server.update(app=app))

        async def refuse(sid: str, code: str, text: str) -> None:
            await sio.emit(SESSION_ERROR_EVT, {"code": code, "text": text}, room=sid, namespace=namespace)

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

        async def handle_message(sid: str, data: Any) -> None:
            if sid in requesting:
                await requesting[sid]
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if not isinstance(session_id, str) or session_of.get(sid) != session_id:
                await refuse(sid, "not_owner", NOT_OWNER_TEXT)  # not this socket's conversation: dropped
                return
            raw = data.get(self.metadata_key)
            raw = raw if isinstance(raw, dict) else {}
            if not raw.get("token") and session_tokens.get(session_id):
                raw = {**raw, "token": session_tokens[session_id]}
            metadata = build_metadata(raw)
            if not await owners().admits(agent(), session_id, metadata.get("client_id")):
                await refuse(sid, "not_owner", NOT_YOURS_TEXT)
                return
            message = UserMessage(data.get("message", ""), None, session_id, input_channel=self.name())
            await verified(message, metadata)

        async def disconnect(sid: str) -> None:
            await release(sid)

        async def alert_read(sid: str, data: Any) -> None:
            """The widget showed an alert: record when it was read."""
            alert_id = data.get("alert_id") if isinstance(data, dict) else None
            session = session_of.get(sid)
            if isinstance(alert_id, int) and session in client_of:
                await asyncio.get_running_loop().run_in_executor(None, alerts.mark_read, alert_id, client_of[session])

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

        async def deliver_forever() -> None:
            """Push agents' (and system) messages to the widgets connected here."""
            loop = asyncio.get_running_loop()
            while True:
                await asyncio.sleep(DELIVERY_INTERVAL_S)
                rooms = set(socket_of)
                try:
                    pending = await loop.run_in_executor(None, handoff.undelivered, rooms)
                    for row in pending:
                        payload = {"text": row.text, "custom": {"from": row.role, "agent": row.author}}
                        await sio.emit(self.bot_message_evt, payload, room=row.sender_id, namespace=namespace)
                    if pending:
                        await loop.run_in_executor(None, handoff.mark_delivered, [r.id for r in pending])
                    await deliver_alerts(loop, rooms)
                except Exception:
                    log.warning("agent message delivery failed; will retry", exc_info=True)

        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, handle_message, namespace=namespace)
        sio.on("disconnect", disconnect, namespace=namespace)
        sio.on("alert_read", alert_read, namespace=namespace)
        return blueprint
