"""bot/rasa_speedups.py, bot/action_endpoint.py and bot/inprocess_actions.py change how
Rasa runs, not what it decides: the same parses, predictions and action results as stock
Rasa 3.6. Importing any module of the project changes nothing in Rasa."""

import asyncio
from typing import Any, Dict

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot import rasa_speedups
from bot.action_endpoint import ActionEndpoint
from bot.inprocess_actions import InProcessActions, InProcessResult
from bot.rasa_speedups import _stock_validate
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


@pytest.fixture()
def speedups():
    assert rasa_speedups.install()
    yield
    rasa_speedups.uninstall()


def test_importing_the_project_changes_nothing_in_rasa():
    import importlib
    import pkgutil

    methods = (
        DaskGraphRunner.run,
        RemoteAction._validate_action_result,
        EndpointConfig.request,
        EndpointConfig.session,
    )
    stock = (*methods, Event.resolve_by_type)
    for package in ("core", "storage", "services", "bot", "actions", "web"):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            if ".migrations" not in info.name and not info.name.endswith("__main__"):
                importlib.import_module(info.name)
    methods = (
        DaskGraphRunner.run,
        RemoteAction._validate_action_result,
        EndpointConfig.request,
        EndpointConfig.session,
    )
    assert (*methods, Event.resolve_by_type) == stock and not rasa_speedups.installed()


def test_speedups_refuse_another_rasa_version(monkeypatch):
    import rasa

    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    assert not rasa_speedups.install() and not rasa_speedups.installed()


def test_graph_runner_gives_what_dask_gives(agent):
    stock = [_parse_and_predict(agent, q) for q in QUESTIONS]
    assert rasa_speedups.install()
    try:
        ours = [_parse_and_predict(agent, q) for q in QUESTIONS]
    finally:
        rasa_speedups.uninstall()
    assert ours == stock


def test_graph_runner_rejects_an_input_named_like_a_node(agent, speedups):
    from rasa.engine.exceptions import GraphRunError

    runner = agent.processor.graph_runner
    node = next(iter(runner._graph_schema.nodes))
    with pytest.raises(GraphRunError):
        runner.run(inputs={"__message__": node}, targets=[node])


def test_event_classes_are_the_ones_rasa_finds():
    from rasa.shared.utils.common import all_subclasses

    names = {cls.type_name for cls in all_subclasses(Event)} | {"topic", "no_such_event"}
    stock = {}
    for name in names:
        try:
            stock[name] = Event.resolve_by_type(name)
        except ValueError as e:
            stock[name] = str(e)
    assert rasa_speedups.install()
    try:
        for name, expected in stock.items():
            if isinstance(expected, str):
                with pytest.raises(ValueError, match=expected):
                    Event.resolve_by_type(name)
                assert Event.resolve_by_type(name, SlotSet) is SlotSet  # the default, as stock
            else:
                assert Event.resolve_by_type(name) is expected

        class LaterEvent(SlotSet):  # defined after the list was made: found, and the list renewed
            type_name = "later_event_for_test"

        assert Event.resolve_by_type("later_event_for_test") is LaterEvent
        assert rasa_speedups._event_classes()["later_event_for_test"] is LaterEvent
    finally:
        rasa_speedups.uninstall()
    assert Event.resolve_by_type is rasa_speedups._stock_resolve


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


def _run_remote(agent, name: str, text: str, endpoint: ActionEndpoint, metadata=None):
    action = RemoteAction(name, endpoint)
    output = CollectingOutputChannel()
    nlg = TemplatedNaturalLanguageGenerator(agent.domain.responses)

    async def run_and_close():
        try:
            return await action.run(output, nlg, _tracker(text, metadata or {}), agent.domain)
        finally:
            await endpoint.close()

    return asyncio.run(run_and_close())


def test_listed_actions_run_in_process_through_rasas_own_remote_action(agent, database_url):
    # nothing listens on port 9: only an in-process run can answer
    endpoint = ActionEndpoint(url="http://127.0.0.1:9/webhook", in_process=["action_answer_faq"])
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
    listed = InProcessActions(["action_answer_faq"])
    assert listed.runs({"next_action": "action_answer_faq"})
    assert not InProcessActions([]).runs({"next_action": "action_answer_faq"})
    assert not listed.runs(None)
    with pytest.raises(ClientResponseError) as missing:
        asyncio.run(
            InProcessActions(["action_does_not_exist"]).run({"next_action": "action_does_not_exist", "tracker": {}})
        )
    assert missing.value.status == 404 and "action_does_not_exist" in missing.value.text


def test_endpoints_yml_action_endpoint_is_wrapped_with_its_options():
    from rasa.core.utils import AvailableEndpoints

    from tests.conftest import ROOT

    endpoint = ActionEndpoint.wrap(AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml")).action)
    assert isinstance(endpoint, ActionEndpoint) and endpoint.url.endswith("/webhook")
    assert "action_answer_faq" in endpoint.in_process.names
    assert isinstance(endpoint.copy(), ActionEndpoint)


class _OneShotServer:
    """A loopback HTTP server that reads one request, counts it, and closes the connection
    without answering: what a kept-alive connection closed by the server looks like."""

    def __init__(self) -> None:
        import socket
        import threading

        self.requests = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                if conn.recv(65536):
                    self.requests += 1

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize(("name", "expected_requests"), [("action_query_quota", 1), ("action_answer_faq", 2)])
def test_a_dropped_request_is_sent_again_only_for_idempotent_actions(name, expected_requests):
    import aiohttp

    server = _OneShotServer()
    endpoint = ActionEndpoint(url=f"http://127.0.0.1:{server.port}/webhook", idempotent=["action_answer_faq"])

    async def call():
        try:
            await endpoint.request(json={"next_action": name}, method="post")
        finally:
            await endpoint.close()

    with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        asyncio.run(call())
    server.close()
    assert server.requests == expected_requests


class _FakeActionServer:
    """A loopback action server that answers every call with `answer`, signed for the
    call with `secret` (None: not signed)."""

    def __init__(self, answer: Dict[str, Any], secret: Any) -> None:
        import http.server
        import json
        import threading

        from core import signing

        body = json.dumps(answer).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if secret is not None:
                    call = self.headers.get(signing.SIGNATURE_HEADER, "")
                    self.send_header(signing.RESPONSE_SIGNATURE_HEADER, signing.sign_response(body, call, secret))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("signed_with", [None, "someone-else-secret-0123456789abcdef", "right"])
def test_only_an_answer_the_action_server_signed_for_the_call_is_taken(signed_with):
    from bot.action_endpoint import SignedResult

    answer = {"events": [], "responses": [{"text": "您的维持担保比例为 128.00%"}]}
    endpoint = ActionEndpoint(url="http://127.0.0.1:9/webhook")
    server = _FakeActionServer(answer, endpoint.secret if signed_with == "right" else signed_with)
    endpoint = ActionEndpoint(url=server.url)

    async def call():
        try:
            return await endpoint.request(json={"next_action": "action_query_quota"}, method="post")
        finally:
            await endpoint.close()

    try:
        if signed_with == "right":
            result = asyncio.run(call())
            assert isinstance(result, SignedResult) and result == answer
            assert rasa_speedups._validate_action_result(None, result)  # rasa_sdk's own: not checked again
        else:
            with pytest.raises(ClientResponseError) as refused:
                asyncio.run(call())
            assert refused.value.status == 502
    finally:
        server.close()


def test_connecting_failures_are_retried_once():
    import aiohttp

    endpoint = ActionEndpoint(url="http://127.0.0.1:9/webhook")
    with pytest.raises(aiohttp.ClientConnectorError):
        asyncio.run(endpoint.request(json={"next_action": "action_query_quota"}, method="post"))


def test_in_process_responses_skip_only_the_network_check_and_still_fit_the_schema(agent, database_url):
    """What the in-process actions answer is exactly what the stock validator accepts;
    only a response built in this process is let through unchecked."""
    endpoint = ActionEndpoint(url="http://127.0.0.1:9/webhook", in_process=["action_answer_faq"])
    seen = []

    async def run_and_keep(call):
        result = await InProcessActions(["action_answer_faq"]).run(call)
        seen.append(result)
        return result

    endpoint.in_process.run = run_and_keep  # type: ignore[method-assign]
    _run_remote(agent, "action_answer_faq", "融资利率是多少", endpoint)
    (result,) = seen
    assert isinstance(result, InProcessResult) and result["responses"]
    assert rasa_speedups._validate_action_result(None, result)
    assert _stock_validate(RemoteAction("action_answer_faq", endpoint), dict(result))  # stock Rasa accepts it too
    with pytest.raises(ValidationError):
        rasa_speedups._validate_action_result(None, {"events": "not a list"})  # a plain dict is still checked
