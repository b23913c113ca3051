"""Rasa ↔ action server signatures: HMAC-SHA256 of the exact body bytes.

Rasa signs each action call with BOT_ACTION_SECRET (`sign`); the action server
recomputes the HMAC over the body it received and compares in constant time
(`verify`). The timestamp is part of what is signed, so a captured request is
accepted only for a short window. The action server signs its answer in turn
(`sign_response`), bound to the call's own signature: Rasa takes events and replies
only from the real action server, and only as the answer to that call (an old
answer replayed to a new call does not verify). Costs a few microseconds per call.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Dict, Mapping, Optional, Union

SIGNATURE_HEADER = "X-LR-Signature"
RESPONSE_SIGNATURE_HEADER = "X-LR-Response-Signature"
TIMESTAMP_HEADER = "X-LR-Timestamp"
MAX_AGE_S = 300

Secret = Union[str, bytes]


def _key(secret: Secret) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def _mac(body: bytes, secret: Secret, timestamp: str) -> str:
    return hmac.new(_key(secret), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: Secret, now: Optional[float] = None) -> Dict[str, str]:
    """Headers to send with `body`."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: "sha256=" + _mac(body, secret, timestamp)}


def verify(body: bytes, headers: Mapping[str, str], secret: Secret, now: Optional[float] = None) -> bool:
    """True only for a body signed with `secret` within the last MAX_AGE_S seconds."""
    if not secret:
        return False
    signature = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower()) or ""
    timestamp = headers.get(TIMESTAMP_HEADER) or headers.get(TIMESTAMP_HEADER.lower()) or ""
    if not signature.startswith("sha256=") or not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE_S:
        return False
    return hmac.compare_digest(signature[7:].encode(), _mac(body, secret, timestamp).encode())


def sign_response(body: bytes, request_signature: str, secret: Secret) -> str:
    """The response header's value: the answer's bytes bound to the call's signature."""
    message = b"response." + request_signature.encode() + b"." + body
    return "sha256=" + hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def verify_response(body: bytes, request_signature: str, signature: str, secret: Secret) -> bool:
    if not secret or not request_signature or not signature.startswith("sha256="):
        return False
    return hmac.compare_digest(signature.encode(), sign_response(body, request_signature, secret).encode())
