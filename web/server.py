"""Pages server: the demo host page with the widget, the full-page chat, the agents'
console and the publishing page, with their APIs and the scheduled alert re-check.

    python -m web.server --port 8080 --rasa http://127.0.0.1:5005

/privacy is the privacy note the widget links to; the daily purge of expired records
runs here (services/records/schedule.py).

/demo/token mints a client token for the demo login; it exists only while demo
mode is on (BOT_DEMO_MODE, default on for `make run`) and only for demo clients.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.config
from pathlib import Path
from typing import Dict, List, Optional

import yaml
from prometheus_client.core import GaugeMetricFamily
from sanic import Sanic, response
from sanic.request import Request

from core import secrets
from core.auth import mint
from core.logs import REQUEST_ID, install_masking, usable_request_id
from core.policy import get_policy
from core.settings import get_settings
from services import handoff
from services.context import AppContext, install
from services.metrics import CONTENT_TYPE, Metrics, gauge, scrape
from services.records.disclosure import facts, fill, greeting_notice
from services.records.schedule import DailyPurge
from web import agent_api, editor_api, records_api, risk_api

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
DEMO_CLIENTS = ("C1001", "C1002", "C1003", "C1004")


def security_headers(rasa_url: str) -> Dict[str, str]:
    """CSP connect-src: this origin, the Rasa server the widget talks to (http and
    websocket) and whatever BOT_CONNECT_SRC adds (e.g. a real Rasa host behind a CDN)."""
    rasa = rasa_url.rstrip("/")
    ws = "ws" + rasa[4:] if rasa.startswith("http") else rasa
    connect = " ".join(dict.fromkeys(["'self'", rasa, ws, *get_settings().connect_src]))
    return {
        "Content-Security-Policy": f"default-src 'self'; connect-src {connect}; img-src 'self' data:; "
        "style-src 'self'; script-src 'self'; frame-ancestors 'self'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


PAGES = {
    "/": "index.html",  # demo host page with the widget and the demo login
    "/chat": "chat.html",  # full-page chat for the mobile app's WebView
    "/agent": "agent.html",  # agents' console (its API needs an agent login)
    "/editor": "editor.html",  # the education team's publishing page
}


def _page_handler(page: str):
    async def handler(request: Request):
        return await response.file(STATIC / page)

    return handler


def queue_gauges(metrics: Metrics) -> List[GaugeMetricFamily]:
    """Hand-off queue length and the oldest request's wait, read from the database at scrape."""
    try:
        length, oldest = handoff.queue_stats()
    except Exception:
        log.warning("hand-off queue figures unavailable", exc_info=True)
        metrics.database_errors.labels("pages").inc()
        return []
    return [
        gauge("handoff_queue_length", "Hand-offs waiting for an agent", float(length)),
        gauge("handoff_oldest_wait_seconds", "How long the oldest waiting hand-off has waited", oldest),
    ]


def create_app(rasa_url: str, context: Optional[AppContext] = None) -> Sanic:
    app = Sanic("liangrong_pages")
    context = context or install(AppContext(get_settings()))
    app.ctx.lr = context
    app.ctx.rasa_url = rasa_url  # the agents' console asks Rasa to pause the bot in a held conversation
    app.config.REQUEST_MAX_SIZE = context.settings.max_body_bytes  # 413 before a body is read
    metrics = app.ctx.metrics = Metrics("pages")
    metrics.watch(lambda: queue_gauges(metrics))
    headers_to_add = security_headers(rasa_url)

    @app.on_request
    async def bind(request: Request) -> None:
        REQUEST_ID.set(usable_request_id(request.headers.get("x-request-id")))
        metrics.bind()  # count_database_error() in the APIs reaches this process's metrics

    @app.on_response
    async def headers(request: Request, resp) -> None:
        resp.headers.update(headers_to_add)

    @app.get("/metrics")
    async def prometheus(request: Request):
        status, body = scrape(metrics, request.ip, request.headers.get("x-forwarded-for", ""))
        return response.raw(body, status=status, content_type=CONTENT_TYPE)

    for path, page in PAGES.items():
        app.add_route(_page_handler(page), path, methods=["GET"], name=f"page_{page.split('.')[0]}")

    @app.get("/favicon.ico")
    async def favicon(request: Request):
        return await response.file(STATIC / "favicon.svg", mime_type="image/svg+xml")

    @app.get("/config.js")
    async def config(request: Request):
        # the greeting says what the assistant is, how long the conversation is kept, how to reach a person
        defaults = {
            "server": rasa_url,
            "notice": greeting_notice(get_settings(), get_policy()),
            "privacyUrl": "/privacy",
        }
        js = f"window.LR_CONFIG = Object.assign({json.dumps(defaults, ensure_ascii=False)}, window.LR_CONFIG || {{}});"
        return response.text(js, content_type="application/javascript")

    @app.get("/privacy")
    async def privacy(request: Request):
        page = (STATIC / "privacy.html").read_text(encoding="utf-8")
        return response.html(fill(page, facts(get_settings(), get_policy())))

    @app.post("/demo/token")
    async def demo_token(request: Request):
        if not get_settings().demo_mode:
            return response.json({"error": "demo login is off"}, status=404)
        client_id = editor_api.body_of(request).get("client_id")
        if client_id not in DEMO_CLIENTS:
            return response.json({"error": "unknown demo client"}, status=400)
        return response.json({"token": mint(client_id, ttl_s=3600), "client_id": client_id})

    app.blueprint(editor_api.bp)
    app.blueprint(agent_api.bp)
    app.blueprint(agent_api.ratings_bp)
    app.blueprint(risk_api.bp)
    app.blueprint(records_api.bp)

    @app.listener("before_server_start")
    async def start_context(app_, loop) -> None:
        await loop.run_in_executor(None, context.start)

    @app.listener("after_server_start")
    async def start_alert_scan(app_, loop) -> None:
        app_.ctx.scan_task = loop.create_task(risk_api.scheduled_scan(context.settings.alert_scan_s, app_))
        app_.ctx.purge = DailyPurge()  # BOT_PURGE_DAILY_AT, broker-local; "off" disables it
        app_.ctx.purge.start(loop)

    @app.listener("before_server_stop")
    async def stop_background(app_, loop) -> None:
        app_.ctx.scan_task.cancel()
        await app_.ctx.purge.stop()

    @app.listener("after_server_stop")
    async def stop_context(app_, loop) -> None:
        await loop.run_in_executor(None, context.stop)

    app.static("/static", str(STATIC), name="static")
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa", default="http://127.0.0.1:5005")
    parser.add_argument("--logging-config-file", help="a logging dictConfig YAML (deploy/production/logging.yml)")
    args = parser.parse_args()
    secrets.require("pages server")  # outside demo mode: no start without the secrets
    if args.logging_config_file:
        with open(args.logging_config_file, encoding="utf-8") as f:
            logging.config.dictConfig(yaml.safe_load(f))
    install_masking()  # client ids, names, phones and figures never reach this process's logs
    create_app(args.rasa).run(host="127.0.0.1", port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
