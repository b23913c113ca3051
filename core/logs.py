"""JSON-lines logging with client ids and phone numbers masked (production profile).

Used through deploy/production/logging.yml (`rasa run --logging-config-file …`).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone

CLIENT_ID = re.compile(r"\b(C)(\d{2})(\d{2,})\b")
PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")


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
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)
