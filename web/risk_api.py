"""The broker's risk system → alerts: POST /api/risk/events, and the scheduled re-check.

    Authorization: Bearer $BOT_RISK_API_KEY
    {"type": "margin_call", "client_id": "C1001", "since": "2026-11-26"}
    {"type": "price", "code": "600519.SH", "price": "200"}
    {"type": "scan"}

The endpoint is off (404) unless BOT_RISK_API_KEY is set.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from datetime import date
from decimal import Decimal, InvalidOperation

from sanic import Blueprint, response
from sanic.request import Request

from core.errors import NotFound
from core.settings import get_settings
from services import alerts
from web.editor_api import bearer, blocking, body_of, error

log = logging.getLogger(__name__)
bp = Blueprint("risk_api", url_prefix="/api/risk")


@bp.post("/events")
async def event(request: Request):
    key = get_settings().risk_api_key
    if not key:
        return error("risk events API is not enabled", 404)
    given = bearer(request) or ""
    if not hmac.compare_digest(given.encode(), key.encode()):
        return error("unauthorised", 401)
    body = body_of(request)
    kind = body.get("type")
    try:
        if kind == "margin_call":
            since = date.fromisoformat(body["since"]) if body.get("since") else None
            await blocking(alerts.record_margin_call, str(body.get("client_id", "")), since)
        elif kind == "price":
            price = Decimal(str(body.get("price")))
            if not price > 0:
                raise InvalidOperation
            await blocking(alerts.record_price, str(body.get("code", "")), price)
        elif kind != "scan":
            return error("type must be margin_call, price or scan")
        created = await blocking(alerts.scan)
    except (KeyError, ValueError, InvalidOperation):
        return error("invalid event fields")
    except NotFound as exc:
        return error(exc.message, 404)
    except Exception:
        log.exception("risk event failed")
        return error("busy, retry later", 503)
    return response.json({"ok": True, "alerts_created": created})


async def scheduled_scan(interval_s: float) -> None:
    """Re-check ratios against the lines (after price updates) every interval."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await blocking(alerts.scan)
        except Exception:
            log.warning("scheduled alert scan failed; will retry", exc_info=True)
