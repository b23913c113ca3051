"""What the action server measures, attached to rasa_sdk's app by actions/serve.py.

- GET /metrics (loopback and BOT_METRICS_ALLOW only): actions run, by action and
  outcome, their run time, and database errors.
- The request id the Rasa channel put in the message metadata is set for the
  request, so the action server's JSON log lines and audit rows carry it.
"""

from __future__ import annotations

import json
import logging
import re
import time
import zlib
from typing import Any, Dict

from sanic import Sanic, response
from sanic.request import Request

from core.logs import REQUEST_ID, usable_request_id
from services.metrics import Metrics, scrape

log = logging.getLogger(__name__)
ACTION_NAME = re.compile(r"^action_[a-z0-9_]{1,60}$")
OUTCOME_BY_STATUS = {200: "ok", 400: "rejected", 404: "not_found"}


def _action_call(request: Request) -> Dict[str, Any]:
    """The action call, parsed once: Sanic keeps `request.json` for the webhook handler."""
    try:
        if request.headers.get("Content-Encoding") == "deflate":
            call = json.loads(zlib.decompress(request.body))
        else:
            call = request.json
        return call if isinstance(call, dict) else {}
    except Exception:  # not JSON: the webhook answers it as rasa_sdk does
        return {}


def request_id_of(call: Dict[str, Any]) -> str:
    latest = (call.get("tracker") or {}).get("latest_message") or {}
    return usable_request_id((latest.get("metadata") or {}).get("request_id"))


def attach(app: Sanic) -> None:
    metrics = app.ctx.metrics = Metrics("actions")

    @app.on_request
    async def start(request: Request) -> None:
        if request.path != "/webhook":
            return
        call = _action_call(request)
        name = call.get("next_action")
        request.ctx.action = name if isinstance(name, str) and ACTION_NAME.match(name) else "unknown"
        request.ctx.started = time.perf_counter()
        REQUEST_ID.set(request_id_of(call))
        metrics.bind()
        log.info("action %s requested", request.ctx.action)

    @app.on_response
    async def finish(request: Request, resp: Any) -> None:
        started = getattr(request.ctx, "started", None)
        if started is None:
            return
        action = request.ctx.action
        metrics.action_seconds.labels(action).observe(time.perf_counter() - started)
        metrics.actions.labels(action, OUTCOME_BY_STATUS.get(resp.status, "error")).inc()
        log.info("action %s answered %s", action, resp.status)

    @app.get("/metrics")
    async def prometheus(request: Request):
        status, body = scrape(metrics, request.ip, request.headers.get("x-forwarded-for", ""))
        return response.raw(body, status=status, content_type="text/plain; version=0.0.4; charset=utf-8")
