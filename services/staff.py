"""Staff accounts (education team editors and reviewers, service agents, compliance): hashed
passwords and tokens.

Passwords are hashed with scrypt from the standard library (salted, constant-time
compare). Staff tokens are JWTs with audience "staff" and a role claim, signed with
BOT_STAFF_JWT_SECRET (derived from BOT_JWT_SECRET when unset), so a client's token
never opens a staff page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from typing import Optional, Tuple

import jwt
from sqlalchemy.orm import Session

from core.settings import get_settings
from storage.content import Editor

ROLES = ("editor", "reviewer", "agent", "compliance")  # compliance: client data export and erasure
_N, _R, _P = 2**14, 8, 1
# a real hash of a random password: unknown users cost the same time as known ones
_DUMMY = None


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=_N, r=_R, p=_P, dklen=32)
        return hmac.compare_digest(candidate, base64.b64decode(digest))
    except Exception:
        return False


def staff_secret() -> str:
    return (
        os.environ.get("BOT_STAFF_JWT_SECRET")
        or hashlib.sha256((get_settings().jwt_secret + ":staff").encode()).hexdigest()
    )


def authenticate(session: Session, username: str, password: str) -> Optional[Editor]:
    global _DUMMY
    editor = session.get(Editor, username) if isinstance(username, str) and len(username) <= 64 else None
    if editor is None:
        _DUMMY = _DUMMY or hash_password(secrets.token_hex(8))
        verify_password(password or "", _DUMMY)  # same work either way
        return None
    return editor if verify_password(password or "", editor.password_hash) else None


def mint_staff_token(editor: Editor, ttl_s: int = 8 * 3600) -> str:
    now = int(time.time())
    return jwt.encode(
        {
            "sub": editor.username,
            "name": editor.display_name,
            "role": editor.role,
            "aud": "staff",
            "iat": now,
            "exp": now + ttl_s,
        },
        staff_secret(),
        algorithm="HS256",
    )


def verify_staff_token(token: Optional[str]) -> Optional[Tuple[str, str, str]]:
    """(username, display name, role) for a valid staff token, else None."""
    if not token or not isinstance(token, str):
        return None
    try:
        claims = jwt.decode(
            token, staff_secret(), algorithms=["HS256"], audience="staff", options={"require": ["exp", "sub", "aud"]}
        )
    except jwt.PyJWTError:
        return None
    if claims.get("role") not in ROLES:
        return None
    return claims["sub"], str(claims.get("name", claims["sub"])), claims["role"]


DEMO_STAFF = [  # demo accounts created by `python -m services.staff seed` (passwords in the README)
    ("limin", "投教部 李敏", "editor", "editor-demo-pass"),
    ("wangfang", "投教部 王芳", "editor", "editor2-demo-pass"),
    ("zhouting", "合规部 周婷", "reviewer", "reviewer-demo-pass"),
    ("chenjie", "合规部 陈杰", "reviewer", "reviewer2-demo-pass"),
    ("kf_liu", "客服 刘洋", "agent", "agent-demo-pass"),
    ("kf_sun", "客服 孙悦", "agent", "agent2-demo-pass"),
    ("hegui", "合规部 何规", "compliance", "compliance-demo-pass"),
]


def seed_demo_staff(session: Session) -> int:
    added = 0
    for username, name, role, password in DEMO_STAFF:
        if session.get(Editor, username) is None:
            session.add(Editor(username=username, display_name=name, role=role, password_hash=hash_password(password)))
            added += 1
    return added


if __name__ == "__main__":
    from storage.db import session_scope

    with session_scope() as s:
        print(f"staff: {seed_demo_staff(s)} demo accounts added")
