"""bot/rasa_speedups.py and bot/inprocess_actions.py change how Rasa runs, not what it
decides: the same parses, predictions and action results as stock Rasa 3.6."""

import asyncio
from typing import Any, Dict

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot import inprocess_actions, rasa_speedups
from tests.conftest import MODEL

QUESTIONS = [
    "你好",
    "融资利率是多少",
    "維持擔保比例低於130%會怎樣",
    "我还能融多少",
    "帮我查下600519能不能融资买",
    "转人工",
    "推荐个股票",
    "今天天气怎么样",
    "开 margin account 的 requirements 都有哪些",
    "借10万一个月利息多少",
    "谢谢",
    "嗯",
    "😀",
    "x" * 500,
]


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    if not MODEL.exists():
        pytest.fail("no trained model: run `make setup` first")
    return Agent.load(str(MODEL))


def _parse_and_predict(agent, text: str):
    parsed = asyncio.run(agent.parse_message(text))
    tracker = DialogueStateTracker.from_events(
        "speedups",
        [
            ActionExecuted("action_listen"),
            UserUttered(text, parsed["intent"], parsed["entities"], parsed),
        ],
        slots=agent.domain.slots,
    )
    prediction = agent.processor._predict_next_with_tracker(tracker)
    return parsed, (prediction.max_confidence_index, prediction.policy_name, prediction.probabilities)


def test_graph_runner_gives_what_dask_gives(agent, monkeypatch):
    assert DaskGraphRunner.run is rasa_speedups._run_graph  # installed with the model's components
    ours = [_parse_and_predict(agent, q) for q in QUESTIONS]
    monkeypatch.setattr(DaskGraphRunner, "run", rasa_speedups._dask_run)
    stock = [_parse_and_predict(agent, q) for q in QUESTIONS]
    assert ours == stock


def test_graph_runner_rejects_an_input_named_like_a_node(agent):
    from rasa.engine.exceptions import GraphRunError

    runner = agent.processor.graph_runner
    node = next(iter(runner._graph_schema.nodes))
    with pytest.raises(GraphRunError):
        runner.run(inputs={"__message__": node}, targets=[node])


def test_action_responses_are_validated_with_the_same_schema():
    assert rasa_speedups._validate_action_result(None, {"events": [], "responses": [{"text": "好"}]})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        rasa_speedups._validate_action_result(None, {"events": "not a list"})


def _tracker(text: str, metadata: Dict[str, Any]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "inprocess",
        [
            ActionExecuted("action_listen"),
            UserUttered(text, {"name": "faq", "confidence": 0.99}, [], metadata=metadata),
        ],
    )


def _run_remote(agent, name: str, text: str, endpoint: EndpointConfig, metadata=None):
    action = RemoteAction(name, endpoint)
    output = CollectingOutputChannel()
    nlg = TemplatedNaturalLanguageGenerator(agent.domain.responses)

    async def run_and_close():
        try:
            return await action.run(output, nlg, _tracker(text, metadata or {}), agent.domain)
        finally:
            await rasa_speedups.close_sessions()

    return asyncio.run(run_and_close())


def test_listed_actions_run_in_process_through_rasas_own_remote_action(agent, database_url):
    # nothing listens on port 9: only an in-process run can answer
    endpoint = EndpointConfig(url="http://127.0.0.1:9/webhook", in_process=["action_answer_faq"])
    events = _run_remote(agent, "action_answer_faq", "融资利率是多少", endpoint)
    said = [e for e in events if isinstance(e, BotUttered)]
    assert said and "6.8%" in said[0].text
    assert said[0].data["custom"]["faq_id"] == "interest_financing_rate"
    # an action not listed still goes to the action server (here: nobody), as before
    from rasa.shared.exceptions import RasaException

    with pytest.raises(RasaException):
        _run_remote(
            agent, "action_query_quota", "我还能融多少", endpoint, {"auth_status": "valid", "client_id": "C1001"}
        )


def test_in_process_errors_look_like_the_action_servers():
    assert inprocess_actions.runs_here({"in_process": ["action_answer_faq"]}, {"next_action": "action_answer_faq"})
    assert not inprocess_actions.runs_here({}, {"next_action": "action_answer_faq"})
    assert not inprocess_actions.runs_here({"in_process": ["action_answer_faq"]}, None)
    with pytest.raises(ClientResponseError) as missing:
        asyncio.run(inprocess_actions.run({"next_action": "action_does_not_exist", "tracker": {}}))
    assert missing.value.status == 404 and "action_does_not_exist" in missing.value.text
