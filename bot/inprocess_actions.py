"""Knowledge actions run inside the Rasa process; the rest go to the action server.

The knowledge actions (answer, clarify, out of scope) are a sub-millisecond ranking
over the index that the Rasa process already holds for the assist channel, so an
HTTP round trip to the action server was most of their cost (about 2.5 ms of a
15 ms turn). Actions that read a client's account stay in the action server, which
runs their database work on another core and scales and restarts on its own.
Measured on 2 cores, running those in-process too raised p99 at 16 concurrent
senders from 1.2–1.3× to 1.4–1.7× the minimal bot's and cut throughput by 8–15%
(README, "Latency").

endpoints.yml names the actions to run here:

    action_endpoint:
      url: "http://127.0.0.1:5055/webhook"
      in_process: [action_answer_faq, action_clarify, action_out_of_scope]

The request and response are the action server's own JSON, and Rasa validates and
applies the response exactly as for HTTP (the hook is `EndpointConfig.request`,
see bot/rasa_speedups.py), so the actions do not know where they run, and the
action server still serves all of them: without the key, every action goes there.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Dict, Optional

from rasa.utils.endpoints import ClientResponseError
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

log = logging.getLogger(__name__)

IN_PROCESS = "in_process"  # the key under action_endpoint in endpoints.yml
ACTIONS_PACKAGE = "actions"

_executor: Optional[ActionExecutor] = None
_lock = threading.Lock()


def runs_here(endpoint_kwargs: Dict[str, Any], action_call: Any) -> bool:
    names = endpoint_kwargs.get(IN_PROCESS) or ()
    return isinstance(action_call, dict) and action_call.get("next_action") in names


def executor() -> ActionExecutor:
    """The actions package, imported and registered once per process."""
    global _executor
    with _lock:
        if _executor is None:
            found = ActionExecutor()
            found.register_package(ACTIONS_PACKAGE)
            _executor = found
        return _executor


def warm_up_on_start(app: Any, _loop: Any) -> None:
    """Sanic listener: when actions run here, import them in the background now
    rather than on the first question."""
    endpoint = getattr(getattr(app.ctx, "agent", None), "action_endpoint", None)
    names = endpoint.kwargs.get(IN_PROCESS) if endpoint is not None else None
    if names:
        log.info("in-process actions: %s", ", ".join(names))
        threading.Thread(target=executor, name="actions-warmup", daemon=True).start()


async def run(action_call: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """What the action server's webhook would answer. Its 400 and 404 answers become the
    ClientResponseError that Rasa's RemoteAction expects from HTTP; an action that
    raises raises here, as a 500 would (Rasa logs it, and the channel says it is busy)."""
    try:
        return await executor().run(action_call)
    except ActionExecutionRejection as e:
        raise ClientResponseError(
            400, "Bad Request", json.dumps({"error": e.message, "action_name": e.action_name})
        ) from e
    except ActionNotFoundException as e:
        raise ClientResponseError(
            404, "Not Found", json.dumps({"error": e.message, "action_name": e.action_name})
        ) from e
