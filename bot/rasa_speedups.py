"""Measured fixes for Rasa 3.6's per-message overhead (README, "Latency").

- Rasa validates every action-server response with `jsonschema.validate`, which
  re-checks the (large, constant) events schema itself on every call: about 20 ms
  per custom action on this machine, more than NLU and retrieval together. Here
  the schema is checked once and a compiled validator is reused; responses are
  validated exactly as before (same schema, same error message).
- Rasa opens a new HTTP connection to the action server for every custom action;
  one kept-alive session is reused instead.
- Each message runs the model's graph three times (NLU, then a prediction before
  and after the action), and each run re-derived the sub-graph and handed it to
  dask's generic scheduler: 1.6 ms of a turn (9.5 → 7.9 ms for a parse and two
  predictions). The graph is fixed once the model is loaded, so the execution
  order for a set of targets is worked out once and the nodes are called in that
  order, with the same inputs and results.
- Every call to the action server is signed (`signed`, HMAC-SHA256 of the body with
  BOT_ACTION_SECRET, core.signing); the action server (actions/server.py) refuses others.
- Actions listed under `in_process` in endpoints.yml run in this process
  (bot/inprocess_actions.py).
"""

from __future__ import annotations

import asyncio
import json
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
import rasa.core.actions.action as rasa_action
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.utils.endpoints import EndpointConfig

from bot import inprocess_actions
from core import signing
from core.settings import get_settings


@lru_cache(maxsize=1)
def _validator():
    schema = rasa_action.RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    try:
        _validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{rasa_action.DOCS_BASE_URL}/custom-actions"
        )
        raise e


# -- keep-alive to the action server ----------------------------------------------------
# Rasa opens a new aiohttp session (and TCP connection) for every custom action. One
# session per endpoint and event loop is reused instead; a request that finds its
# kept-alive connection closed (action server restarted) is sent once more on a new one.
_sessions: Dict[tuple, aiohttp.ClientSession] = {}


class _Borrowed:
    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: Any) -> bool:
        return False  # the shared session stays open


def _shared_session(self: EndpointConfig) -> _Borrowed:
    key = (id(asyncio.get_event_loop()), id(self))
    session = _sessions.get(key)
    if session is None or session.closed:
        session = _sessions[key] = _new_session(self)
    return _Borrowed(session)


def signed(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The request's JSON body as bytes, signed for the action server (core.signing):
    the action server runs nothing without a valid signature."""
    if "json" not in kwargs:
        return kwargs
    body = json.dumps(kwargs.pop("json")).encode()
    headers = {**(kwargs.pop("headers", None) or {}), **signing.sign(body, get_settings().action_secret)}
    return {**kwargs, "data": body, "headers": headers}


async def _request(self: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
    if inprocess_actions.runs_here(self.kwargs, kwargs.get("json")):
        return await inprocess_actions.run(kwargs["json"])
    kwargs = signed(kwargs)
    try:
        return await _original_request(self, *args, **kwargs)
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
        stale = _sessions.pop((id(asyncio.get_event_loop()), id(self)), None)
        if stale is not None:
            await stale.close()
        return await _original_request(self, *args, **kwargs)


async def close_sessions(*_: Any) -> None:
    """Close this event loop's kept-alive sessions (a Sanic `after_server_stop` listener)."""
    loop_id = id(asyncio.get_event_loop())
    for key in [k for k in _sessions if k[0] == loop_id]:
        await _sessions.pop(key).close()


_new_session = EndpointConfig.session
_original_request = EndpointConfig.request


# -- the graph runner -------------------------------------------------------------------
def _plan(self: DaskGraphRunner, targets: Tuple[str, ...]) -> List[Tuple[str, List[str]]]:
    """Nodes needed for `targets`, each after the nodes it needs, with its inputs' names."""
    cache = self.__dict__.setdefault("_cached_plans", {})  # per runner: its graph never changes
    plan = cache.get(targets)
    if plan is None:
        nodes = self._graph_schema.nodes
        plan, seen = [], set()

        def visit(name: str) -> None:
            if name in seen or name not in nodes:  # done, or an input placeholder
                return
            seen.add(name)
            for dependency in nodes[name].needs.values():
                visit(dependency)
            plan.append((name, list(nodes[name].needs.values())))

        for target in targets:
            visit(target)
        cache[targets] = plan
    return plan


def _run_graph(
    self: DaskGraphRunner, inputs: Optional[Dict[str, Any]] = None, targets: Optional[List[str]] = None
) -> Dict[str, Any]:
    """DaskGraphRunner.run, without rebuilding and scheduling the graph on each call."""
    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    plan = _plan(self, run_targets)
    results: Dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and any(value == node for node, _ in plan):
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none "
                f"of the input names passed to the `run` method are the same as node "
                f"names in the graph schema."
            )
        results[name] = (name, value)  # what dask hands a node for an input
    try:
        for name, needs in plan:
            # a need that is neither a node nor an input reaches the node as the bare name, as with dask
            results[name] = self._instantiated_nodes[name](*(results.get(n, n) for n in needs))
        return dict(results[t] for t in run_targets)
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


_dask_run = DaskGraphRunner.run


def install() -> None:
    DaskGraphRunner.run = _run_graph
    rasa_action.RemoteAction._validate_action_result = _validate_action_result
    EndpointConfig.session = _shared_session
    EndpointConfig.request = _request
