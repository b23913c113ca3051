"""The action server: `python -m actions.serve [rasa run actions options]`.

rasa_sdk's own server (`create_app` with this package's actions, its options and
logging), plus this project's start-up:
- the application context (settings, knowledge service) is built, installed and
  started with the server and stopped with it;
- only calls Rasa signed are served (actions/signature.py);
- its measurements (actions/observe.py) are attached;
- a body over BOT_ACTIONS_MAX_BODY_BYTES (default 1 MB: Rasa sends the whole tracker,
  which a long conversation makes larger than the channels' 64 KB) is refused with
  413 before it is read (rasa_sdk's catch-all error handler would answer it with a 500).
"""

from __future__ import annotations

import argparse
import logging
from typing import Any, List, Optional

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser
from sanic import Sanic, response
from sanic.exceptions import PayloadTooLarge

from actions import observe, signature
from core import secrets
from core.texts import api as api_text
from services.context import AppContext, install

log = logging.getLogger(__name__)
TOO_LARGE = api_text.BODY_TOO_LARGE


async def too_large(request: Any, exception: Exception) -> Any:
    return response.json({"error": TOO_LARGE}, status=413)


def build_app(context: AppContext, actions_package: str = "actions", cors: Any = None) -> Sanic:
    app = create_app(actions_package, cors_origins=cors)
    limit = context.settings.actions_max_body_bytes

    @app.on_request
    async def size_first(request: Any) -> Any:
        """Before any other middleware parses or checks it (Sanic's own limit did not
        stop a 3 MB body on this route; tests/test_abuse.py)."""
        declared = request.headers.get("content-length", "")
        if (declared.isdigit() and int(declared) > limit) or len(request.body or b"") > limit:
            return response.json({"error": TOO_LARGE}, status=413)
        return None

    signature.install_signature_check(app, context.settings.action_secret)  # 401 unless Rasa signed it
    observe.attach(app)  # GET /metrics, per-action metrics, the request id on log lines
    app.config.REQUEST_MAX_SIZE = context.settings.actions_max_body_bytes
    app.error_handler.add(PayloadTooLarge, too_large)  # before rasa_sdk's catch-all 500

    @app.listener("before_server_start")
    async def start_context(app_: Sanic, loop: Any) -> None:
        await loop.run_in_executor(None, context.start)

    @app.listener("after_server_stop")
    async def stop_context(app_: Sanic, loop: Any) -> None:
        await loop.run_in_executor(None, context.stop)

    return app


def main(argv: Optional[List[str]] = None) -> None:
    parser = create_argument_parser()
    # rasa_sdk spells it --logging-config_file; accept `rasa run actions`'s spelling too
    parser.add_argument("--logging-config-file", dest="logging_config_file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()
    context = install(AppContext(secrets.require("action server")))  # outside demo mode: no start without them
    app = build_app(context, args.actions or "actions", args.cors)
    host = context.settings.action_server_host
    log.info("action server on http://%s:%s", host, args.port)
    app.run(host, args.port, workers=1)


if __name__ == "__main__":
    main()
