"""Readiness that tells the truth: GET /webhooks/rest/ready checks what a client's
message needs — the model, the knowledge index, the database and the action server —
and names what is not usable. Liveness (GET /webhooks/rest/) stays a constant answer.

The knowledge index counts as unavailable while it is being built (the application
context builds it at start-up), while it answers from the shipped files because the
database could not be read, when it is empty, and when it has not been able to read
the store for BOT_KNOWLEDGE_STALE_S (default 30 s: it would keep serving retired content).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Dict, Optional

import aiohttp

from core.settings import get_settings
from services.context import current
from storage.db import ping

log = logging.getLogger(__name__)
CHECK_TIMEOUT_S = 2.0
OK = "ok"


def _knowledge() -> str:
    service = current().built_knowledge
    if service is None:
        return "building"
    if service.revision is None:
        return "fallback: answering from the shipped files, the database's published state is unreadable"
    if not service.entries:
        return "empty"
    age = time.time() - service.last_ok_at
    if age > get_settings().knowledge_stale_s:  # it cannot see publications (or retirements)
        return f"stale: store unreadable for {age:.0f} s"
    return OK


async def _database() -> str:
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(None, ping), CHECK_TIMEOUT_S)
        return OK
    except Exception as exc:  # refused, timed out, file missing …
        return f"unavailable: {type(exc).__name__}"


def health_url(agent: Any) -> Optional[str]:
    endpoint = getattr(agent, "action_endpoint", None)
    url = getattr(endpoint, "url", None)
    if not url:
        return None
    return url[: -len("/webhook")] + "/health" if url.endswith("/webhook") else url.rstrip("/") + "/health"


async def _action_server(agent: Any) -> str:
    url = health_url(agent)
    if url is None:
        return "not configured"
    try:
        timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(url) as resp:
                return OK if resp.status == 200 else f"unavailable: HTTP {resp.status}"
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"


async def check(agent: Any, app_ctx: Any) -> Dict[str, str]:
    model = OK if agent is not None and agent.is_ready() else "not loaded"
    knowledge = _knowledge()
    database, actions = await asyncio.gather(_database(), _action_server(agent))
    checks = {"model": model, "knowledge": knowledge, "database": database, "action_server": actions}
    failing = {k: v for k, v in checks.items() if v != OK}
    if failing:
        log.warning("not ready: %s", ", ".join(f"{k} {v}" for k, v in failing.items()))
    return checks
