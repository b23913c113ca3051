"""What the chat channels measure: one observed turn, its outcome, GET /metrics.

A turn is handled as `MessageProcessor.handle_message` does it (same public steps,
same order, under the conversation's lock), with a clock read between them, so NLU
and the prediction loop are timed without patching Rasa:

- `nlu`: loading the tracker and parsing the message (`log_message`);
- `policy_and_action`: each prediction + action step, from the step's ActionExecuted
  timestamp to the previous event's. Rasa runs the policy and the action of a step
  back to back inside its prediction loop; telling them apart would need patching the
  loop, so they are one figure here, and the action server times its actions alone
  (`liangrong_action_seconds`).
- `turn`: the whole turn, measured by the channel.

The tracker is already in hand after the turn, so the intent and the actions run cost
no extra tracker-store read.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, Iterable, List, Optional, Sequence

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.data import TrainingType
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import JsonChannel
from core.logs import keep_json_only
from services.context import current
from services.metrics import CONTENT_TYPE, Metrics, knowledge_gauges, scrape

log = logging.getLogger(__name__)

REMOTE_FAILED = "remote_failed"  # an action the action server should have run said nothing
KNOWLEDGE_ACTIONS = ("action_answer_faq", "action_clarify")
CONVERSE_ACTION = "action_converse"  # small talk, or a term read as small talk
LISTEN = "action_listen"


def install(app: Any, *_: Any) -> Metrics:
    """The Rasa process's metrics, created once at start-up (a before_server_start listener
    of every chat channel; the first one creates them)."""
    metrics = getattr(app.ctx, "metrics", None)
    if metrics is None:
        keep_json_only()  # with the production logging config, every line is JSON
        metrics = app.ctx.metrics = Metrics("rasa")
        metrics.watch(lambda: knowledge_gauges(current().built_knowledge))
    return metrics


class Turn:
    """What one handled message did: intent, actions run, stage timings."""

    def __init__(self) -> None:
        self.intent: Optional[str] = None
        self.actions: List[str] = []
        self.nlu_s: Optional[float] = None
        self.steps_s: List[float] = []


async def handle(agent: Any, message: UserMessage, turn: Turn) -> None:
    """processor.handle_message, timed (call it under the conversation's lock)."""
    processor = agent.processor
    if processor.model_metadata.training_type == TrainingType.NLU:  # no dialogue to time
        await processor.handle_message(message)
        return
    started = time.time()
    tracker = await processor.log_message(message, should_save_tracker=False)
    turn.nlu_s = time.time() - started
    tracker = await processor.run_action_extract_slots(message.output_channel, tracker)
    first_new = len(tracker.events)
    await processor._run_prediction_loop(message.output_channel, tracker)
    await processor.run_anonymization_pipeline(tracker)
    await processor.save_tracker(tracker)
    read_turn(tracker.events, first_new, turn)


async def observed(agent: Any, message: UserMessage, turn: Turn) -> None:
    """Agent.handle_message (under the conversation's lock), timed."""
    async with agent.lock_store.lock(message.sender_id):
        await handle(agent, message, turn)


def wanted_a_person(turn: Turn) -> bool:
    return turn.intent == "request_human" or "action_handoff" in turn.actions


def read_turn(events: Sequence[Any], first_new: int, turn: Turn) -> None:
    """Intent and per-step times from the events of this turn."""
    for event in reversed(events):
        if isinstance(event, UserUttered):
            turn.intent = (event.intent or {}).get("name")
            break
    # A step ends with its ActionExecuted; the next one starts right after (the bot's
    # messages of a step carry times inside it, so only ActionExecuted marks a boundary).
    previous = events[first_new - 1].timestamp if first_new > 0 else None
    for event in list(events)[first_new:]:
        if isinstance(event, ActionExecuted):
            if event.action_name and event.action_name != LISTEN:
                turn.actions.append(event.action_name)
                if previous is not None:
                    turn.steps_s.append(max(0.0, event.timestamp - previous))
            previous = event.timestamp


def outcome(actions: Iterable[str], replies: Sequence[Dict[str, Any]]) -> str:
    """answered / clarified / out_of_scope / handed_off / refused, or error (nothing said)."""
    actions = list(actions)
    customs = [r.get("custom") or {} for r in replies if isinstance(r.get("custom"), dict)]
    if not replies or any(c.get("retry") for c in customs):
        return "error"
    if any(c.get("handoff") for c in customs):
        return "handed_off"
    if "action_refuse_advice" in actions:
        return "refused"
    if any(c.get("faq_id") for c in customs):
        return "answered"
    # a menu offered, also for a term the NLU read as small talk ("追保" as affirm: action_converse)
    if any(a in KNOWLEDGE_ACTIONS or a == CONVERSE_ACTION for a in actions) and any(
        r.get("buttons") or r.get("quick_replies") for r in replies
    ):
        return "clarified"
    if "action_out_of_scope" in actions or any(a in KNOWLEDGE_ACTIONS for a in actions):
        return "out_of_scope"
    return "answered"


def record(
    metrics: Optional[Metrics], channel: str, turn: Turn, replies: Sequence[Dict[str, Any]], seconds: float
) -> str:
    """Count and time a finished turn; returns its outcome."""
    result = outcome(turn.actions, replies)
    if metrics is None:
        return result
    metrics.answered(channel, turn.intent, result)
    metrics.turn_seconds.labels(channel).observe(seconds)
    if turn.nlu_s is not None:
        metrics.stage_seconds.labels("nlu").observe(turn.nlu_s)
    for step in turn.steps_s:
        metrics.stage_seconds.labels("policy_and_action").observe(step)
    return result


def remote_action_failed(turn: Turn, in_process: Sequence[str], replies: Sequence[Dict[str, Any]]) -> bool:
    """The turn ran an action-server action and nobody said anything: Rasa logged the
    failed call and moved on (it does not raise), so the silence is the signal."""
    return not replies and any(a.startswith("action_") and a not in in_process for a in turn.actions)


def in_process_actions(agent: Any) -> Sequence[str]:
    endpoint = getattr(agent, "action_endpoint", None)
    return (endpoint.kwargs.get("in_process") or ()) if endpoint is not None else ()


class MetricsInput(JsonChannel):
    """GET /metrics of the Rasa process, as a channel (credentials.yml) so Rasa mounts it."""

    @classmethod
    def name(cls) -> str:
        return "metrics"

    def url_prefix(self) -> str:
        return "/metrics"  # urljoin("/webhooks/", "/metrics"): the server's /metrics

    def blueprint(self, on_new_message: Any) -> Blueprint:
        bp = Blueprint("prometheus_metrics", __name__)
        bp.listener("before_server_start")(install)

        @bp.route("", methods=["GET"])
        async def prometheus(request: Request) -> HTTPResponse:
            status, body = scrape(
                getattr(request.app.ctx, "metrics", None), request.ip, request.headers.get("x-forwarded-for", "")
            )
            return response.raw(body, status=status, content_type=CONTENT_TYPE)

        return bp
