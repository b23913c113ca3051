"""The action server's entry point: rasa_sdk's app, accepting only calls Rasa signed.

    python -m actions.server -p 5055

Same app as `rasa run actions --actions actions`, plus a request middleware: a POST
to /webhook must carry a valid HMAC-SHA256 of its body made with BOT_ACTION_SECRET
(core.signing), else 401 and no action runs. So the identity in the tracker an
action reads (metadata.client_id) is one that Rasa's channel verified.
Outside demo mode the server refuses to start without its secrets (core.secrets).
"""

from __future__ import annotations

import argparse
import logging
import os
import zlib

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request

from core import secrets, signing

log = logging.getLogger(__name__)


def install_signature_check(app: Sanic, secret: str) -> None:
    @app.on_request
    async def signed_only(request: Request):
        if request.path != "/webhook":
            return None
        body = request.body or b""
        if request.headers.get("Content-Encoding") == "deflate":
            try:
                body = zlib.decompress(body)
            except zlib.error:
                return response.json({"error": "bad body"}, status=400)
        if not signing.verify(body, request.headers, secret):
            log.warning("action server: refused an unsigned or wrongly signed call from %s", request.ip)
            return response.json({"error": "unauthorized"}, status=401)
        return None


def build_app(package: str = "actions") -> Sanic:
    settings = secrets.require("action server")
    app = create_app(package, cors_origins=None)
    install_signature_check(app, settings.action_secret)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m actions.server")
    parser.add_argument("-p", "--port", type=int, default=5055)
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    utils.update_sanic_log_level()
    app = build_app(args.actions)
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    app.run(host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
