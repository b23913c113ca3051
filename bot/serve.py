"""The Rasa server of this assistant: `python -m bot.serve [rasa run options]`.

It is `rasa run` with two differences, both made here at start-up rather than by
importing anything:
- the action endpoint is a `bot.action_endpoint.ActionEndpoint` (in-process knowledge
  actions, one kept-alive session to the action server), passed to Rasa's own
  `serve_application`;
- the measured speed-ups of bot/rasa_speedups.py are installed, once and logged, if
  the installed Rasa is the version they were written for and `BOT_RASA_SPEEDUPS` is
  not 0.
Everything else (channels from credentials.yml, tracker and lock stores from
endpoints.yml, CORS, logging options) is Rasa's.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, Awaitable, Callable, List, Optional

import rasa.core.run
from rasa.__main__ import create_argument_parser
from rasa.cli.run import _validate_model_path
from rasa.core.utils import AvailableEndpoints
from rasa.shared.constants import DEFAULT_ENDPOINTS_PATH, DEFAULT_MODELS_PATH
from rasa.shared.utils.common import minimal_kwargs
from rasa.utils.common import configure_logging_and_warnings
from rasa.utils.log_utils import configure_structlog

from bot import rasa_speedups, tracker_store
from bot.action_endpoint import ActionEndpoint
from bot.channels.guards import limit_request_size
from core import secrets
from services.context import AppContext, install

log = logging.getLogger(__name__)


def parse(argv: Optional[List[str]]) -> argparse.Namespace:
    """Rasa's own `rasa run` options."""
    return create_argument_parser().parse_args(["run", *(sys.argv[1:] if argv is None else argv)])


def _start(context: AppContext) -> Callable[..., Awaitable[None]]:
    async def start(app: Any, loop: Any) -> None:  # builds the knowledge index (about 1 s) before the model loads
        await loop.run_in_executor(None, context.start)

    return start


def _stop(context: AppContext) -> Callable[..., Awaitable[None]]:
    async def stop(app: Any, loop: Any) -> None:
        await loop.run_in_executor(None, context.stop)

    return stop


def main(argv: Optional[List[str]] = None) -> None:
    args = parse(argv)
    configure_logging_and_warnings(args.loglevel, args.logging_config_file, warn_only_once=True)
    configure_structlog(args.loglevel)  # as `rasa run`: structlog events go through logging (and its masking)
    settings = secrets.require("rasa")  # outside demo mode: no start without the secrets
    context = install(AppContext(settings))
    if settings.rasa_speedups:
        rasa_speedups.install()
    else:
        log.info("Rasa speed-ups are off (BOT_RASA_SPEEDUPS=0)")
    endpoints = AvailableEndpoints.read_endpoints(args.endpoints or DEFAULT_ENDPOINTS_PATH)
    action = ActionEndpoint.wrap(endpoints.action)
    endpoints.action = action
    listeners = [
        (_start(context), "before_server_start"),
        (_stop(context), "after_server_stop"),
        (limit_request_size, "before_server_start"),  # 413 for bodies over BOT_MAX_BODY_BYTES, on every channel
        (tracker_store.strict_on_start, "after_server_start"),  # production profile: no memory fallback
    ]
    if action is not None:
        listeners += [(action.in_process.warm_up, "after_server_start"), (action.close, "after_server_stop")]
    kwargs = minimal_kwargs(vars(args), rasa.core.run.serve_application)
    kwargs.update(
        model_path=_validate_model_path(args.model, "model", DEFAULT_MODELS_PATH),
        channel=args.connector,
        endpoints=endpoints,
        server_listeners=listeners,
    )
    rasa.core.run.serve_application(**kwargs)


if __name__ == "__main__":
    main()
