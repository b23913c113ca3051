"""Measured fixes for Rasa 3.6's per-message overhead (README, "Latency").

- Rasa validates every action-server response with `jsonschema.validate`, which
  re-checks the (large, constant) events schema itself on every call: about 20 ms
  per custom action on this machine, more than NLU and retrieval together. Here
  the schema is checked once and a compiled validator is reused; responses are
  validated exactly as before (same schema, same error message). A response that
  rasa_sdk built in this process (bot/inprocess_actions.py) did not cross the
  network and is not checked again (0.9 ms of a 14 ms FAQ turn), nor is one the
  action server signed (bot/action_endpoint.py; 0.3 ms of a personal turn).
- Each message runs the model's graph three times (NLU, then a prediction before
  and after the action), and each run re-derived the sub-graph and handed it to
  dask's generic scheduler: 1.6 ms of a turn (9.5 → 7.9 ms for a parse and two
  predictions). The graph is fixed once the model is loaded, so the execution
  order for a set of targets is worked out once and the nodes are called in that
  order, with the same inputs and results.

- Every event read from the tracker store (each turn re-reads the whole conversation)
  looked its class up by walking all Event subclasses with `inspect.isabstract`:
  a third of a turn's CPU once a conversation had 30 turns (12 → 8 ms). The classes
  by type name are listed once, in the same search order, and listed again when a
  name is not found (a subclass defined later), before Rasa's own answer for it.

Rasa 3.6 has no extension point for any of these (the processor hard-codes DaskGraphRunner,
and RemoteAction validates in a private method), so `install()` replaces the three
methods. It is called once, by the server's start-up (bot/serve.py), never at import,
and only for the Rasa version this was written for; `BOT_RASA_SPEEDUPS=0` leaves Rasa
stock. tests/test_rasa_speedups.py compares both with stock Rasa's results.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple, Type

import rasa
import rasa.core.actions.action as rasa_action
import rasa.shared.utils.common as rasa_common
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import Event

from bot.inprocess_actions import TrustedResult

log = logging.getLogger(__name__)
WRITTEN_FOR = "3.6.21"


@lru_cache(maxsize=1)
def _validator():
    schema = rasa_action.RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    if isinstance(result, TrustedResult):
        return True  # built by rasa_sdk, here or in the action server that signed it
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


# -- event classes by type name -----------------------------------------------------------
@lru_cache(maxsize=1)
def _event_classes() -> Dict[str, Type[Event]]:
    """type_name → the class `Event.resolve_by_type` returns: the first in its search order."""
    found: Dict[str, Type[Event]] = {}
    for cls in rasa_common.all_subclasses(Event):
        found.setdefault(cls.type_name, cls)
    return found


_stock_resolve = Event.resolve_by_type


def _resolve_by_type(type_name: str, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    cls = _event_classes().get(type_name)
    if cls is not None:
        return cls
    found = _stock_resolve(type_name, default)  # the default, None for "topic", or Rasa's error
    if found is not None and found is not default:  # a subclass defined since the list was made
        _event_classes.cache_clear()
    return found


_stock_validate = rasa_action.RemoteAction._validate_action_result


def installed() -> bool:
    return DaskGraphRunner.run is _run_graph  # type: ignore[comparison-overlap]


def install() -> bool:
    """Replace the two methods, if this is the Rasa they were written for."""
    if rasa.__version__ != WRITTEN_FOR:
        log.warning("Rasa speed-ups skipped: written for Rasa %s, found %s", WRITTEN_FOR, rasa.__version__)
        return False
    DaskGraphRunner.run = _run_graph  # type: ignore[method-assign]
    rasa_action.RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign,assignment]
    log.info(
        "Rasa speed-ups installed: graph runs in a fixed order, action responses checked by a compiled "
        "schema, event classes looked up by name"
    )
    return True


def uninstall() -> None:
    DaskGraphRunner.run = _dask_run  # type: ignore[method-assign]
    rasa_action.RemoteAction._validate_action_result = _stock_validate  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_stock_resolve)  # type: ignore[method-assign,assignment]
