"""Pages server: the demo host page with the widget, the full-page chat, the agents'
console and the publishing page, with their APIs and the scheduled alert re-check.

    python -m web.server --port 8080 --rasa http://127.0.0.1:5005

/demo/token mints a client token for the demo login; it exists only while demo
mode is on (BOT_DEMO_MODE, default on for `make run`) and only for demo clients.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Dict

from sanic import Sanic, response
from sanic.request import Request

from core import secrets
from core.auth import mint
from core.settings import get_settings
from web import agent_api, editor_api, risk_api

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
    "/editor": "editor.html",
}  # the education team's publishing page


def _page_handler(page: str):
    async def handler(request: Request):
        return await response.file(STATIC / page)

    return handler


def create_app(rasa_url: str) -> Sanic:
    app = Sanic("liangrong_pages")
    headers_to_add = security_headers(rasa_url)

    @app.on_response
    async def headers(request: Request, resp) -> None:
        resp.headers.update(headers_to_add)

    for path, page in PAGES.items():
        app.add_route(_page_handler(page), path, methods=["GET"], name=f"page_{page.split('.')[0]}")

    @app.get("/config.js")
    async def config(request: Request):
        js = f"window.LR_CONFIG = Object.assign({{server: {rasa_url!r}}}, window.LR_CONFIG || {{}});"
        return response.text(js, content_type="application/javascript")

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
    app.blueprint(risk_api.bp)

    @app.listener("after_server_start")
    async def start_alert_scan(app_, loop) -> None:
        interval = float(os.environ.get("BOT_ALERT_SCAN_S", "60"))
        app_.ctx.scan_task = loop.create_task(risk_api.scheduled_scan(interval))

    app.static("/static", str(STATIC), name="static")
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa", default="http://127.0.0.1:5005")
    args = parser.parse_args()
    secrets.require("pages server")  # outside demo mode: no start without the secrets
    create_app(args.rasa).run(host="127.0.0.1", port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
