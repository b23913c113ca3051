"""Client identity: the host app's signed token (JWT, HS256, `sub` = client id).

Verified once per message, in the input channel; only the verified id travels on
to the actions. Nothing a client types can select whose data is shown.

A token must carry `exp`, `iat` and the audience "client", and may live at most
`token_max_lifetime_s` (default 12 h) from `iat` to `exp`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional

import jwt

from core.settings import MIN_SECRET_BYTES, get_settings

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
AUDIENCE = "client"
CLOCK_SKEW_S = 60


@dataclass(frozen=True)
class Identity:
    status: str  # "valid" | "missing" | "invalid" | "expired"
    client_id: Optional[str] = None
    role: str = "client"

    @property
    def valid(self) -> bool:
        return self.status == "valid" and self.client_id is not None


def verify(token: Any, secret: Optional[str] = None) -> Identity:
    if not token:
        return Identity("missing")
    if not isinstance(token, str) or len(token) > 4096:
        return Identity("invalid")
    settings = get_settings()
    key = secret or settings.jwt_secret
    if len(key.encode()) < MIN_SECRET_BYTES:  # never verify against an empty or weak key
        return Identity("invalid")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[settings.jwt_algorithm],
            audience=AUDIENCE,
            # iat is checked below, with some skew allowed for the host app's clock
            options={"require": ["exp", "iat", "sub", "aud"], "verify_iat": False},
        )
    except jwt.ExpiredSignatureError:
        return Identity("expired")
    except jwt.PyJWTError:
        return Identity("invalid")
    sub, iat, exp = claims.get("sub"), claims.get("iat"), claims.get("exp")
    if not isinstance(sub, str) or not CLIENT_ID.match(sub):
        return Identity("invalid")
    if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)):
        return Identity("invalid")
    if exp - iat > settings.token_max_lifetime_s or iat > time.time() + CLOCK_SKEW_S:
        return Identity("invalid")
    return Identity("valid", sub, str(claims.get("role", "client")))


def mint(client_id: str, ttl_s: int = 3600, role: str = "client", secret: Optional[str] = None) -> str:
    now = int(time.time())
    claims: Dict[str, Any] = {"sub": client_id, "aud": AUDIENCE, "iat": now, "exp": now + ttl_s, "role": role}
    key = secret or get_settings().jwt_secret
    if len(key.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"BOT_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
    return jwt.encode(claims, key, algorithm="HS256")


def session_metadata(identity: Identity) -> Dict[str, Any]:
    """What the conversation (and so the actions) learns about who is talking."""
    meta: Dict[str, Any] = {"auth_status": identity.status}
    if identity.valid:
        meta["client_id"] = identity.client_id
    return meta
