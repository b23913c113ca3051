"""JSON-lines logging with client ids and phone numbers masked (production profile).

Used through deploy/production/logging.yml (`rasa run --logging-config-file …`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone

CLIENT_ID = re.compile(r"\b(C)(\d{2})(\d{2,})\b")
PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")

# The request id of the message being handled: set by the channel (and by the action
# server from the message metadata), written on every JSON log line and audit row.
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
REQUEST_ID_SHAPE = re.compile(r"^[A-Za-z0-9_.-]{8,64}$")


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def usable_request_id(value: object) -> str:
    """A caller's id (X-Request-ID, metadata) when it is safe to log, else a new one."""
    return value if isinstance(value, str) and REQUEST_ID_SHAPE.match(value) else new_request_id()


def mask(text: str) -> str:
    text = CLIENT_ID.sub(lambda m: m.group(1) + m.group(2) + "*" * len(m.group(3)), text)
    return PHONE.sub(r"\1****\2", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class JsonLinesHandler(logging.Handler):
    """Writes formatted records to stderr, one line each (deploy/production/logging.yml).

    Not a StreamHandler on purpose: Rasa's CLI installs coloredlogs after applying
    --logging-config-file, and coloredlogs replaces any stderr StreamHandler it finds
    with its own plain-text one; `keep_json_only` then drops that one again."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def keep_json_only() -> None:
    """When the root logger has a JSON handler, remove the other (plain-text) handlers
    that a CLI added over the logging configuration, so every line is JSON."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        for handler in [h for h in root.handlers if not isinstance(h.formatter, JsonFormatter)]:
            root.removeHandler(handler)
