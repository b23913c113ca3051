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

The request and response are the action server's own JSON, and Rasa applies the
response exactly as for HTTP (the hook is `EndpointConfig.request`, see
bot/action_endpoint.py), so the actions do not know where they run, and the action
server still serves all of them: without the key, every action goes there. The
response comes back as an `InProcessResult`: rasa_sdk built it in this process, so
the speed-ups (bot/rasa_speedups.py) skip the JSON-schema check that guards what
arrives over the network (about 0.9 ms of a 14 ms turn); the tests check these
responses against that schema.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any, Dict, Iterable, Optional

from rasa.utils.endpoints import ClientResponseError
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

log = logging.getLogger(__name__)

ACTIONS_PACKAGE = "actions"


class TrustedResult(Dict[str, Any]):
    """An action response Rasa need not check against its schema again: rasa_sdk built it,
    here (InProcessResult) or in the action server that signed it (bot/action_endpoint.py)."""


class InProcessResult(TrustedResult):
    """An action server response that rasa_sdk built in this process, not received over HTTP."""


class InProcessActions:
    """The actions endpoints.yml lists under `in_process`, run in this process."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)
        self._executor: Optional[ActionExecutor] = None
        self._lock = threading.Lock()

    def runs(self, action_call: Any) -> bool:
        return isinstance(action_call, dict) and action_call.get("next_action") in self.names

    def executor(self) -> ActionExecutor:
        """The actions package, imported and registered once."""
        with self._lock:
            if self._executor is None:
                found = ActionExecutor()
                found.register_package(ACTIONS_PACKAGE)
                self._executor = found
            return self._executor

    async def warm_up(self, *_: Any) -> None:
        """Import the actions now rather than on the first question (a start-up listener)."""
        if self.names:
            log.info("in-process actions: %s", ", ".join(sorted(self.names)))
            await asyncio.get_running_loop().run_in_executor(None, self.executor)

    async def run(self, action_call: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """What the action server's webhook would answer. Its 400 and 404 answers become the
        ClientResponseError that Rasa's RemoteAction expects from HTTP; an action that
        raises raises here, as a 500 would (Rasa logs it, and the channel says it is busy)."""
        try:
            result = await self.executor().run(action_call)
        except ActionExecutionRejection as e:
            raise ClientResponseError(
                400, "Bad Request", json.dumps({"error": e.message, "action_name": e.action_name})
            ) from e
        except ActionNotFoundException as e:
            raise ClientResponseError(
                404, "Not Found", json.dumps({"error": e.message, "action_name": e.action_name})
            ) from e
        return None if result is None else InProcessResult(result)
