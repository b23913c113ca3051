"""Domain errors → HTTP answers for the pages server, in one place."""

from __future__ import annotations

from typing import Any

from sanic import response

from core.texts import api as api_text

BUSY = api_text.BUSY


def error(message: str, status: int = 400, **extra: Any) -> Any:
    return response.json({"error": message, **extra}, status=status)
