"""Rate limits per verified client, per conversation, per connection and per IP, on
REST and socket.io alike, with the `limits` library's moving window.

Counters live in BOT_RATE_LIMIT_STORAGE: `memory://` (the embedded default, one
process) or `redis://host:port` (the production profile: every instance shares them,
so two instances allow the same rate as one). Limits are "count/seconds"
(BOT_RATE_LIMIT_CLIENT, _SENDER, _CONNECTION, _IP). X-Forwarded-For is believed only
when the peer is one of BOT_TRUSTED_PROXIES (nginx in the production profile); a
client that sends the header itself changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Sequence

from limits import RateLimitItemPerSecond, storage, strategies

from core.settings import Settings, get_settings
from core.texts import client as client_text

log = logging.getLogger(__name__)
RATE_LIMITED_TEXT = client_text.RATE_LIMITED
KINDS = ("client", "sender", "connection", "ip")


def parse_limit(value: str) -> RateLimitItemPerSecond:
    """ "30/60" → 30 per 60 seconds."""
    count, _, seconds = value.partition("/")
    return RateLimitItemPerSecond(int(count), int(float(seconds or "1")))


class RateLimiter:
    def __init__(self, settings: Optional[Settings] = None, namespace: str = "chat") -> None:
        settings = settings or get_settings()
        self.namespace = namespace
        self.storage = storage.storage_from_string(settings.rate_limit_storage)
        self.window = strategies.MovingWindowRateLimiter(self.storage)
        self.limits = {
            "client": parse_limit(settings.rate_limit_client),
            "sender": parse_limit(settings.rate_limit_sender),
            "connection": parse_limit(settings.rate_limit_connection),
            "ip": parse_limit(settings.rate_limit_ip),
        }
        self._failing = False

    def allow(
        self,
        sender: Optional[str] = None,
        ip: Optional[str] = None,
        *,
        client: Optional[str] = None,
        connection: Optional[str] = None,
    ) -> bool:
        """One hit on each key that is known; False when any of them is over its limit.
        When the shared counters are unreachable, the message is let through (logged
        once per outage): the limits guard the service, they must not stop it."""
        keys: Dict[str, Optional[str]] = {"client": client, "sender": sender, "connection": connection, "ip": ip}
        try:
            ok = True
            for kind in KINDS:
                key = keys[kind]
                if key is not None and not self.window.hit(self.limits[kind], self.namespace, kind, key):
                    ok = False  # the other keys still count this hit: a flood is a flood
            self._failing = False
            return ok
        except Exception:
            if not self._failing:
                log.warning("rate-limit storage unavailable; letting messages through", exc_info=True)
            self._failing = True
            return True

    def reset(self) -> None:
        self.storage.reset()


def forwarded_ip(peer: Optional[str], forwarded_for: str, trusted: Sequence[str]) -> Optional[str]:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the
    right-most X-Forwarded-For hop that is not a trusted proxy (nginx appends the
    address it saw, so hops left of it are whatever the client wrote)."""
    if not peer or peer not in trusted or not forwarded_for:
        return peer or None
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return peer


def client_ip(request: Any, settings: Optional[Settings] = None) -> Optional[str]:
    settings = settings or get_settings()
    return forwarded_ip(request.ip, request.headers.get("x-forwarded-for", ""), settings.trusted_proxies)


def limit_request_size(app: Any, _loop: Any = None) -> None:
    """Sanic listener (before_server_start): bodies over BOT_MAX_BODY_BYTES are refused
    with 413 from their Content-Length (or as a chunked body passes the limit), before
    they are read or parsed. Sanic's own default is 100 MB."""
    app.config.REQUEST_MAX_SIZE = get_settings().max_body_bytes
