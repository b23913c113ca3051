"""The widget's socket.io channel: token in the message or the session, merged replies."""

import threading
import time
import uuid

import pytest
import socketio

pytestmark = pytest.mark.e2e


@pytest.fixture()
def session_id():
    return uuid.uuid4().hex


def converse_in_session(url, session_id, texts, session_metadata=None, message_metadata=None):
    """A widget's conversation: session_request, then one message at a time."""
    client = socketio.Client(reconnection=False)
    received, got = [], threading.Event()

    @client.on("bot_uttered")
    def _uttered(data):
        received.append(data)
        got.set()

    client.connect(url, socketio_path="/socket.io", transports=["websocket"])
    client.emit("session_request", {"session_id": session_id, "metadata": session_metadata or {}})
    time.sleep(0.3)
    replies = []
    for text in texts:
        received.clear()
        got.clear()
        client.emit("user_uttered", {"message": text, "session_id": session_id, "metadata": message_metadata or {}})
        assert got.wait(30), f"no reply to {text!r}"
        time.sleep(0.5)  # let the rest of this turn's events arrive
        replies.append(list(received))
    client.disconnect()
    return replies


def test_faq_answer_arrives_as_one_event_with_its_source(servers, session_id):
    [reply] = converse_in_session(servers.url, session_id, ["融资利率是多少"])
    assert len(reply) == 1
    assert reply[0]["custom"]["faq_id"] == "interest_financing_rate" and "6.8%" in reply[0]["text"]


def test_token_in_session_metadata(servers, session_id):
    token = servers.token("C1001")
    [reply] = converse_in_session(servers.url, session_id, ["我的可用额度还有多少"], session_metadata={"token": token})
    assert "300,000元" in reply[0]["text"]


def test_token_in_message_metadata_and_forged_metadata(servers, session_id):
    [ok] = converse_in_session(
        servers.url, session_id, ["我的维持担保比例"], message_metadata={"token": servers.token("C1003")}
    )
    assert "128.00%" in ok[0]["text"]
    [forged] = converse_in_session(
        servers.url,
        session_id + "x",
        ["我的维持担保比例"],
        message_metadata={"client_id": "C1003", "auth_status": "valid"},
    )
    assert "登录" in forged[0]["text"] and "128" not in forged[0]["text"]


def test_bad_input_gets_a_polite_reply(servers, session_id):
    replies = converse_in_session(servers.url, session_id, ["", "😀", "x" * 3000])
    assert all(r and r[0]["text"] for r in replies)
