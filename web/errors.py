"""Domain errors → HTTP answers for the pages server, in one place."""

from __future__ import annotations

from typing import Any

from sanic import response

BUSY = "系统繁忙，请稍后再试。"


def error(message: str, status: int = 400, **extra: Any) -> Any:
    return response.json({"error": message, **extra}, status=status)
