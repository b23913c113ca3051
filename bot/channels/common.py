"""What the client channels share: input checks, identity, merged replies."""

from __future__ import annotations

import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel
from rasa.core.tracker_store import InMemoryTrackerStore

from core import auth, secrets
from core.errors import Invalid
from core.inputs import parse_json
from core.policy import get_policy
from core.text import clean, has_meaningful_text, sanitize
from core.texts import api as api_text
from core.texts import client as client_text
from services.context import current

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
MAX_MESSAGE_ID_CHARS = 64
BUSY_TEXT = client_text.CHAT_BUSY
TOO_LONG_TEXT = client_text.TOO_LONG.format(max=MAX_MESSAGE_CHARS)
EMPTY_TEXT = client_text.EMPTY_MESSAGE
# Rasa's own commands a client may not type: they reset the conversation, an agent's hold included.
RESERVED_COMMANDS = re.compile(r"^/(restart|session_start|back)\b")
# Keys the widget may send besides the token; everything else is dropped.
PASS_THROUGH_KEYS = ("client", "locale")


class JsonChannel(InputChannel):
    """An input channel configured by name alone, reading a JSON body."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> JsonChannel:
        secrets.require("rasa")  # outside demo mode: no start without the secrets
        return cls()

    @staticmethod
    def json_body(request: Any) -> Any:
        """The parsed body, or None when it is not JSON at all."""
        return parse_json(request.body)


class ChannelInputError(Invalid):
    """Bad request shape: answered with a 400 and a message the developer can read,
    naming the field."""

    def __str__(self) -> str:
        return self.message


class PoliteRefusal(ValueError):
    """A message we will not process, answered in the chat with a polite text."""


def check_sender(sender: Any) -> str:
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        raise ChannelInputError(api_text.FIELD_TEXT_MAX.format(field="sender", max=MAX_SENDER_CHARS), field="sender")
    return sanitize(sender.strip())


def check_text(text: Any) -> Optional[str]:
    """The message to process, or None when there is nothing to understand."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise ChannelInputError(api_text.FIELD_NOT_TEXT.format(field="message"), field="message")
    if len(text) > MAX_MESSAGE_CHARS:
        raise PoliteRefusal(TOO_LONG_TEXT)
    text = clean(text)
    if RESERVED_COMMANDS.match(text):  # "/restart" would lift an agent's hold (ConversationPaused)
        text = text[1:]
    return text if has_meaningful_text(text) else None


def check_metadata(raw: Any) -> Dict[str, Any]:
    """metadata is optional, but when sent it is an object with a string token."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ChannelInputError(api_text.FIELD_NOT_OBJECT.format(field="metadata"), field="metadata")
    token = raw.get("token")
    if token is not None and (not isinstance(token, str) or len(token) > 4096):
        raise ChannelInputError(api_text.FIELD_NOT_TEXT.format(field="metadata.token"), field="metadata.token")
    return raw


def build_metadata(raw: Any) -> Dict[str, Any]:
    """Verified identity plus a few harmless widget keys; the raw token never travels on."""
    raw = raw if isinstance(raw, dict) else {}
    meta = auth.session_metadata(auth.verify(raw.get("token")))
    for key in PASS_THROUGH_KEYS:
        if isinstance(raw.get(key), str) and len(raw[key]) <= 32:
            meta[key] = raw[key]
    return meta


def shown_text(text: str, raw_metadata: Any) -> str:
    """What the client saw and tapped: a button's title rather than its payload
    (`/faq{"faq_id": ...}`), when the widget sends `metadata.button_title`."""
    title = raw_metadata.get("button_title") if isinstance(raw_metadata, dict) else None
    if text.startswith("/") and isinstance(title, str) and 0 < len(title.strip()) <= 100:
        return title.strip()
    return text


NOT_YOURS_TEXT = client_text.NOT_YOURS


class Owners:
    """Which verified client each conversation belongs to, as far as this process knows:
    bound by the first message that carried a valid token. With a shared tracker store
    (production profile), what is not known here is looked up in the tracker (another
    instance may have bound it), so a conversation of client X never takes a message
    that is not X's."""

    MAX = 100_000

    def __init__(self) -> None:
        self._client_of: Dict[str, str] = {}

    def known(self, sender_id: str) -> Optional[str]:
        return self._client_of.get(sender_id)

    async def owner(self, agent: Any, sender_id: str) -> Optional[str]:
        found = self._client_of.get(sender_id)
        if found is None and agent is not None and not keeps_trackers_here(agent):
            found = await tracker_client(agent, sender_id)
            if found is not None:
                self._bind(sender_id, found)
        return found

    async def admits(self, agent: Any, sender_id: str, client_id: Optional[str]) -> bool:
        """May a message from `client_id` (None: not logged in) join this conversation?
        A verified client's message binds a conversation nobody owns yet."""
        owner = await self.owner(agent, sender_id)
        if owner is None and client_id is not None:
            owner = self._bind(sender_id, client_id)  # re-read: another message may have bound it meanwhile
        return owner is None or owner == client_id

    def _bind(self, sender_id: str, client_id: str) -> str:
        if len(self._client_of) >= self.MAX:
            self._client_of.pop(next(iter(self._client_of)))
        return self._client_of.setdefault(sender_id, client_id)

    def forget(self, sender_id: str) -> None:
        self._client_of.pop(sender_id, None)


def owners_of(app: Any) -> Owners:
    """The one Owners of a Rasa server, shared by its REST and socket.io channels."""
    owners = getattr(app.ctx, "conversation_owners", None)
    if owners is None:
        owners = app.ctx.conversation_owners = Owners()
    return owners


def keeps_trackers_here(agent: Any) -> bool:
    """True when conversations live in this process's memory (the embedded default):
    then every binding went through this Owners, and a miss needs no tracker read."""
    store = agent.tracker_store
    while hasattr(store, "_tracker_store"):  # Rasa's fail-safe / awaitable wrappers
        store = store._tracker_store
    return isinstance(store, InMemoryTrackerStore)


async def tracker_client(agent: Any, sender_id: str) -> Optional[str]:
    """The client a stored conversation was verified for (its first user message with one)."""
    tracker = await agent.tracker_store.retrieve(sender_id)
    if tracker is None:
        return None
    for event in tracker.events:
        if event.type_name == "user":
            client_id = (getattr(event, "metadata", None) or {}).get("client_id")
            if isinstance(client_id, str):
                return client_id
    return None


def remember(sender_id: str, role: str, texts: List[str]) -> None:
    """Add messages to the transcript agents read (written in the background)."""
    current().transcript.add(sender_id, role, texts)


def check_message_id(value: Any) -> Optional[str]:
    """An optional client-chosen id that makes retries of the same message harmless."""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_MESSAGE_ID_CHARS:
        raise ChannelInputError(
            api_text.FIELD_TEXT_MAX.format(field="message_id", max=MAX_MESSAGE_ID_CHARS), field="message_id"
        )
    return value


async def handle_once(
    agent: Any, message: Any, process: Optional[Callable[[Any], Awaitable[Any]]] = None
) -> Optional[List[Dict[str, Any]]]:
    """Agent.handle_message, but a message whose id the conversation already holds is
    not processed again (a client's retry after an instance died mid-request, or after
    the answer was lost on the way): then the replies stored for it are returned, so
    the client still gets its answer. None when the message was processed now.
    The check runs under the conversation's lock, like the processing itself
    (`process`, default the processor's handle_message, runs under it)."""
    async with agent.lock_store.lock(message.sender_id):
        if message.message_id:
            tracker = await agent.tracker_store.retrieve(message.sender_id)
            if tracker is not None:
                stored = stored_replies(tracker.events, message.sender_id, message.message_id)
                if stored is not None:
                    return stored
        await (process or agent.processor.handle_message)(message)
        return None


def stored_replies(events: Any, recipient_id: str, message_id: str) -> Optional[List[Dict[str, Any]]]:
    """The bot's replies to the user message with `message_id`, as the channel sent
    them; None when the conversation does not hold that message."""
    found: Optional[List[Dict[str, Any]]] = None
    for event in events:
        if event.type_name == "user":
            if found is not None:
                break
            if getattr(event, "message_id", None) == message_id:
                found = []
        elif found is not None and event.type_name == "bot":
            data = getattr(event, "data", None) or {}
            out: Dict[str, Any] = {"recipient_id": recipient_id}
            if event.text:
                out["text"] = event.text
            for key in ("buttons", "custom", "image", "attachment"):
                if data.get(key):
                    out[key] = data[key]
            if data.get("quick_replies"):
                out["buttons"] = data["quick_replies"]
            if len(out) > 1:
                found.append(out)
    return found


def bot_message(recipient_id: str, text: str) -> Dict[str, Any]:
    return {"recipient_id": recipient_id, "text": text}


# The action server did not answer a request for a person: the client still learns
# how to reach one (knowledge/policy.yml broker.hotline and broker.agent_hours).
HANDOFF_UNAVAILABLE = client_text.HANDOFF_UNAVAILABLE
ACTIONS_UNAVAILABLE = client_text.ACTIONS_UNAVAILABLE


def actions_down_message(recipient_id: str, wanted_a_person: bool) -> Dict[str, Any]:
    """The reply when the action server failed this turn (a retry may succeed later)."""
    text = get_policy().render(HANDOFF_UNAVAILABLE if wanted_a_person else ACTIONS_UNAVAILABLE)
    return {"recipient_id": recipient_id, "text": text, "custom": {"retry": True}}


def busy_message(recipient_id: str) -> Dict[str, Any]:
    """The message was not (fully) processed: the client may send it again, with the
    same message_id, and it will not be processed twice."""
    return {"recipient_id": recipient_id, "text": BUSY_TEXT, "custom": {"retry": True}}


class MergingOutputChannel(CollectingOutputChannel):
    """Collects each bot response as ONE message: text, buttons and custom together.

    Rasa's default splits a response with text and a custom payload into two
    messages; widgets and agents need the FAQ id next to the text it belongs to.
    """

    @classmethod
    def name(cls) -> str:
        return "collector"

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        out: Dict[str, Any] = {"recipient_id": recipient_id}
        for key in ("text", "buttons", "custom", "image", "attachment"):
            if message.get(key):
                out[key] = message[key]
        if message.get("quick_replies"):
            out["buttons"] = message["quick_replies"]
        if len(out) > 1:
            await self._persist_message(out)

    @property
    def replies(self) -> List[Dict[str, Any]]:
        return self.messages
