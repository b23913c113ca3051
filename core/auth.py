"""Client identity: the host app's signed token (JWT, HS256, `sub` = client id).

Verified once per message, in the input channel; only the verified id travels on
to the actions. Nothing a client types can select whose data is shown.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional

import jwt

from core.settings import get_settings

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


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
    try:
        claims = jwt.decode(
            token,
            secret or settings.jwt_secret,
            algorithms=[settings.jwt_algorithm],
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        return Identity("expired")
    except jwt.PyJWTError:
        return Identity("invalid")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not CLIENT_ID.match(sub):
        return Identity("invalid")
    return Identity("valid", sub, str(claims.get("role", "client")))


def mint(client_id: str, ttl_s: int = 3600, role: str = "client", secret: Optional[str] = None) -> str:
    now = int(time.time())
    claims: Dict[str, Any] = {"sub": client_id, "iat": now, "exp": now + ttl_s, "role": role}
    return jwt.encode(claims, secret or get_settings().jwt_secret, algorithm="HS256")


def session_metadata(identity: Identity) -> Dict[str, Any]:
    """What the conversation (and so the actions) learns about who is talking."""
    meta: Dict[str, Any] = {"auth_status": identity.status}
    if identity.valid:
        meta["client_id"] = identity.client_id
    return meta
