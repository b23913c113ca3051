"""The action server: rasa_sdk's app with a request-size limit.

    python -m actions -p 5055        (what `make run`, cluster.sh and the tests start)

Same as `rasa run actions --actions actions`, except that a body over
BOT_ACTIONS_MAX_BODY_BYTES (default 1 MB: Rasa sends the whole tracker, which a long
conversation makes larger than the channels' 64 KB) is refused with 413 before it is
read; rasa_sdk's catch-all error handler would answer that with a 500.
"""

from __future__ import annotations

import logging
from typing import List, Optional

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser
from rasa_sdk.plugin import plugin_manager
from sanic import response
from sanic.exceptions import PayloadTooLarge

from core.settings import get_settings

TOO_LARGE = "请求体过大。"


async def too_large(request, exception):
    return response.json({"error": TOO_LARGE}, status=413)


def main(argv: Optional[List[str]] = None) -> None:
    parser = create_argument_parser()
    parser.set_defaults(actions="actions")
    args = parser.parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()
    settings = get_settings()
    app = create_app(args.actions, cors_origins=args.cors, auto_reload=args.auto_reload)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    app.config.REQUEST_MAX_SIZE = settings.actions_max_body_bytes
    app.error_handler.add(PayloadTooLarge, too_large)  # before rasa_sdk's catch-all 500
    app.run(settings.actions_host, args.port, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
