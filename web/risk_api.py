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
from decimal import Decimal, InvalidOperation
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request

from core import inputs
from core.errors import Invalid, NotFound
from core.settings import get_settings
from core.texts import api as api_text
from services import alerts
from services.metrics import count_database_error
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
    try:
        kind = inputs.text(body, "type", max_len=16)
        if kind == "margin_call":
            since = inputs.iso_date(body, "since") if body.get("since") is not None else None
            client_id = inputs.text(body, "client_id", min_len=1, max_len=32) or ""
            await blocking(alerts.record_margin_call, client_id, since)
        elif kind == "price":
            price = body.get("price")
            if isinstance(price, bool) or not isinstance(price, (int, float, str)):
                raise Invalid(api_text.PRICE_INVALID, field="price")
            try:
                amount = Decimal(str(price))
            except InvalidOperation:
                raise Invalid(api_text.PRICE_INVALID, field="price") from None
            if not amount.is_finite() or not amount > 0:
                raise Invalid(api_text.PRICE_INVALID, field="price")
            await blocking(alerts.record_price, inputs.text(body, "code", min_len=1, max_len=16), amount)
        elif kind != "scan":
            return error("type must be margin_call, price or scan", field="type")
        created = await blocking(alerts.scan)
        count_created(request.app, created)
    except Invalid as exc:
        return response.json(exc.payload(), status=400)
    except NotFound as exc:
        return error(exc.message, 404)
    except Exception:
        log.exception("risk event failed")
        count_database_error("pages")
        return error("busy, retry later", 503)
    return response.json({"ok": True, "alerts_created": created})


def count_created(app: Any, created: int) -> None:
    metrics = getattr(app.ctx, "metrics", None)
    if metrics is not None and created:
        metrics.alerts_created.inc(created)


async def scheduled_scan(interval_s: float, app: Any = None) -> None:
    """Re-check ratios against the lines (after price updates) every interval."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            created = await blocking(alerts.scan)
            if app is not None:
                count_created(app, created)
        except Exception:
            log.warning("scheduled alert scan failed; will retry", exc_info=True)
            metrics = getattr(app.ctx, "metrics", None) if app is not None else None
            if metrics is not None:
                metrics.database_errors.labels("alert_scan").inc()
