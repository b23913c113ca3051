"""The domain's errors: the one set every layer raises and every server maps.

Each carries a message in Simplified Chinese that is safe to show to the person who
made the request. Servers map them to HTTP statuses in one place each
(`web.errors`, `bot.channels.common.error_response`) with `http_status`.
"""

from __future__ import annotations

from typing import Any, Dict, Optional


class DomainError(Exception):
    """Base class: `message` is shown as is; `field` names the input at fault."""

    status = 400

    def __init__(self, message: str, *, field: Optional[str] = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra: Dict[str, Any] = extra

    def payload(self) -> Dict[str, Any]:
        body: Dict[str, Any] = {"error": self.message}
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return body


class Invalid(DomainError):
    """The request is malformed: wrong type, range or shape."""

    status = 400


class Unauthorized(DomainError):
    """Not logged in, or the credential is bad or expired."""

    status = 401


class Forbidden(DomainError):
    """Logged in, but this person may not do this."""

    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """The state changed under the request (a lost optimistic lock, a taken conversation)."""

    status = 409


class WorkflowRefused(DomainError):
    """A rule of a workflow refuses the step (e.g. reviewing one's own draft)."""

    status = 400


class TooLarge(DomainError):
    status = 413


class RateLimited(DomainError):
    status = 429


class Unavailable(DomainError):
    """A dependency (database, action server) failed or was too slow."""

    status = 503


def http_status(exc: BaseException) -> int:
    """The HTTP status for a domain error; anything else is a 500 (a bug)."""
    return exc.status if isinstance(exc, DomainError) else 500
