"""Checking what a request sent: JSON bodies and typed fields, with Chinese messages.

Every adapter (channels, pages APIs, action server) parses bodies with `parse_json` and
reads fields with the checkers below, which raise `core.errors.Invalid` naming the field.
"""

from __future__ import annotations

import json
from typing import Any


def parse_json(raw: bytes | str | None) -> Any:
    """The parsed body, or None when it is empty or not JSON at all."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
