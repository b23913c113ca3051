"""Staff accounts (education team editors and reviewers, service agents, compliance): hashed
passwords, throttled logins and tokens that are checked against the account on
every request.

- Passwords are hashed with Argon2id (argon2-cffi; time cost 2, 19 MiB, 1 lane: the
  OWASP minimum). Hashes from before (salted scrypt, n=2^14, r=8, p=1) still verify
  and are replaced by an Argon2id hash at the next successful login.
- Staff tokens are JWTs with audience "staff", the role, an 8 h expiry and the
  account's token version, signed with BOT_STAFF_JWT_SECRET (its own secret, never
  derived from the client one). A token is accepted only while its account exists,
  is active, still has that role and has the same token version: logout, a password
  change and disabling the account take effect at once.
- Logins are throttled: 10 failures for one account within 15 minutes lock it for
  the rest of that window; 30 failures from one IP block that IP likewise. Every
  failure is recorded (staff_login_failures) and audit-logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Optional

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import clock
from core.errors import RateLimited, Unauthorized
from core.settings import MIN_SECRET_BYTES, get_settings
from core.texts import staff as staff_text
from storage.content import Editor, StaffLoginFailure
from storage.repository import audit

ROLES = ("editor", "reviewer", "agent", "compliance")  # compliance: client data export and erasure
AUDIENCE = "staff"
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_N, _R, _P = 2**14, 8, 1  # the legacy scrypt cost, for hashes stored before Argon2id
IP_BLOCKED_TEXT = staff_text.LOGIN_IP_BLOCKED
WRONG_TEXT = staff_text.LOGIN_WRONG


@dataclass(frozen=True)
class StaffUser:
    username: str
    name: str
    role: str


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=_N, r=_R, p=_P, dklen=32)
        return hmac.compare_digest(candidate, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


def verify_password(password: str, stored: str) -> bool:
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return stored.startswith("scrypt$") or _HASHER.check_needs_rehash(stored)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A real hash of a random password: unknown users cost the same time as known ones."""
    return hash_password(secrets.token_hex(8))


def staff_secret() -> str:
    secret = get_settings().staff_jwt_secret
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise Unauthorized("staff tokens are off: BOT_STAFF_JWT_SECRET is not set")
    return secret


def _failures_since(session: Session, column, value: str) -> int:
    since = clock.now() - timedelta(seconds=get_settings().login_window_s)
    return session.scalar(
        select(func.count()).select_from(StaffLoginFailure).where(column == value, StaffLoginFailure.at >= since)
    )


def _record_failure(session: Session, username: str, ip: str, reason: str) -> None:
    session.add(StaffLoginFailure(at=clock.now(), username=username, ip=ip))
    audit(
        session,
        actor=username,
        subject_client_id="-",
        action="staff_login_failed",
        role="staff",
        detail=f"{reason}; ip={ip}",
    )


def login(session: Session, username: object, password: object, ip: str) -> Editor:
    """The account for a correct password, else Unauthorized (same answer for an unknown
    user) or RateLimited while the account or IP is locked. Commit the session either way:
    failures must be recorded."""
    settings = get_settings()
    name = username[:64] if isinstance(username, str) else ""
    ip = (ip or "?")[:64]
    if _failures_since(session, StaffLoginFailure.ip, ip) >= settings.login_ip_max_failures:
        _record_failure(session, name or "?", ip, "ip blocked")
        raise RateLimited(IP_BLOCKED_TEXT)
    if name and _failures_since(session, StaffLoginFailure.username, name) >= settings.login_max_failures:
        _record_failure(session, name, ip, "account locked")
        raise RateLimited(staff_text.LOGIN_LOCKED.format(minutes=math.ceil(settings.login_window_s / 60)))
    editor = session.get(Editor, name) if name else None
    candidate = password if isinstance(password, str) and len(password) <= 1024 else ""
    if editor is None:
        verify_password(candidate, _dummy_hash())  # same work either way
        _record_failure(session, name or "?", ip, "unknown user")
        raise Unauthorized(WRONG_TEXT)
    if not verify_password(candidate, editor.password_hash):
        _record_failure(session, name, ip, "wrong password")
        raise Unauthorized(WRONG_TEXT)
    if not editor.active:
        _record_failure(session, name, ip, "account disabled")
        raise Unauthorized(WRONG_TEXT)
    if needs_rehash(editor.password_hash):
        editor.password_hash = hash_password(candidate)
    return editor


def authenticate(session: Session, username: str, password: str) -> Optional[Editor]:
    """The account for a correct password, else None (no throttling: for scripts and tests)."""
    editor = session.get(Editor, username) if isinstance(username, str) and len(username) <= 64 else None
    if editor is None or not editor.active:
        verify_password(password or "", _dummy_hash())
        return None
    return editor if verify_password(password or "", editor.password_hash) else None


def mint_staff_token(editor: Editor, ttl_s: Optional[int] = None) -> str:
    now = int(time.time())
    return jwt.encode(
        {
            "sub": editor.username,
            "name": editor.display_name,
            "role": editor.role,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + (ttl_s if ttl_s is not None else get_settings().staff_token_ttl_s),
            "ver": editor.token_version or 0,
        },
        staff_secret(),
        algorithm="HS256",
    )


def _claims(token: Optional[str]) -> Optional[dict]:
    if not token or not isinstance(token, str) or len(token) > 4096:
        return None
    try:
        claims = jwt.decode(
            token,
            staff_secret(),
            algorithms=["HS256"],
            audience=AUDIENCE,
            options={"require": ["exp", "iat", "sub", "aud", "ver"]},
        )
    except (jwt.PyJWTError, Unauthorized):
        return None
    if claims.get("role") not in ROLES or not isinstance(claims.get("ver"), int):
        return None
    return claims


def verify_staff_token(session: Session, token: Optional[str]) -> Optional[StaffUser]:
    """The staff member behind a token, checked against the account now, else None."""
    claims = _claims(token)
    if claims is None:
        return None
    editor = session.get(Editor, claims["sub"]) if isinstance(claims["sub"], str) else None
    if editor is None or not editor.active or editor.role != claims["role"]:
        return None
    if (editor.token_version or 0) != claims["ver"]:
        return None  # logged out, or the password changed, since this token was issued
    return StaffUser(editor.username, editor.display_name, editor.role)


def _bump(session: Session, username: str) -> None:
    session.execute(update(Editor).where(Editor.username == username).values(token_version=Editor.token_version + 1))


def logout(session: Session, token: Optional[str]) -> bool:
    """Every token of this account issued so far stops working."""
    user = verify_staff_token(session, token)
    if user is None:
        return False
    _bump(session, user.username)
    return True


def set_password(session: Session, username: str, password: str) -> None:
    editor = session.get(Editor, username)
    if editor is None:
        raise KeyError(username)
    editor.password_hash = hash_password(password)
    _bump(session, username)


def set_active(session: Session, username: str, active: bool) -> None:
    editor = session.get(Editor, username)
    if editor is None:
        raise KeyError(username)
    editor.active = active
    _bump(session, username)


DEMO_STAFF = [  # demo accounts, created only in demo mode (passwords in the README)
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


USAGE = """python -m services.staff                  # demo mode only: add the demo accounts that are missing
python -m services.staff disable USER     # or enable USER: takes effect on the account's next request"""


def main(argv: list) -> int:
    from storage.db import session_scope

    if not argv:
        if not get_settings().demo_mode:
            print("staff: not demo mode, no demo accounts created")
            return 0
        with session_scope() as s:
            print(f"staff: {seed_demo_staff(s)} demo accounts added")
        return 0
    if len(argv) == 2 and argv[0] in ("disable", "enable"):
        with session_scope() as s:
            set_active(s, argv[1], argv[0] == "enable")
        print(f"staff: {argv[1]} {argv[0]}d")
        return 0
    print(USAGE)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
