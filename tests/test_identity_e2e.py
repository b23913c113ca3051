"""Identity you can trust (issue 12), against the real servers: each attack from the
issue, tried as an attacker would, must fail."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import jwt
import pytest
import requests
import socketio
from selenium.webdriver.common.by import By
from sqlalchemy import func, select

from core import signing
from services import staff
from storage.content import Editor
from storage.db import session_scope
from storage.models import AuditLog
from tests.browser import demo_login_and_open_chat, make_driver, wait
from tests.conftest import ROOT, TEST_ACTION_SECRET, TEST_STAFF_SECRET, free_port

pytestmark = pytest.mark.e2e


class Widget:
    """One socket.io client, as the widget (or an attacker's script) drives it."""

    def __init__(self, url, origin=None):
        # websocket-client sends the server's own origin unless told another (a browser page's)
        extra = {"origin": origin} if origin else {}
        self.client = socketio.Client(reconnection=False, websocket_extra_options=extra)
        self.uttered, self.errors, self.confirmed = [], [], []
        self.got = threading.Event()
        self.client.on("bot_uttered", lambda d: (self.uttered.append(d), self.got.set()))
        self.client.on("session_error", lambda d: (self.errors.append(d), self.got.set()))
        self.client.on("session_confirm", lambda d: self.confirmed.append(d))
        self.client.connect(url, socketio_path="/socket.io", transports=["websocket"])

    def session(self, session_id, token=None):
        before = len(self.confirmed)
        self.client.emit("session_request", {"session_id": session_id, "metadata": {"token": token} if token else {}})
        deadline = time.monotonic() + 10
        while len(self.confirmed) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.confirmed[-1]

    def say(self, session_id, text, metadata=None, wait_s=30):
        self.uttered.clear()
        self.errors.clear()
        self.got.clear()
        self.client.emit("user_uttered", {"message": text, "session_id": session_id, "metadata": metadata or {}})
        self.got.wait(wait_s)
        time.sleep(0.5)  # the rest of this turn's events
        return "\n".join(m.get("text") or "" for m in self.uttered)

    def close(self):
        self.client.disconnect()


@pytest.fixture()
def widgets(servers):
    made = []

    def make(**kw):
        made.append(Widget(servers.url, **kw))
        return made[-1]

    yield make
    for w in made:
        w.close()


def test_a_second_socket_cannot_take_over_a_conversation(servers, widgets):
    victim, attacker = widgets(), widgets()
    sid = victim.session(uuid.uuid4().hex, servers.token("C1003"))
    assert "128.00%" in victim.say(sid, "我的维持担保比例")
    # the attacker names the victim's session id: it is given a conversation of its own,
    # with or without a token of its own
    assert attacker.session(sid, servers.token("C1001")) != sid
    own = attacker.session(sid)
    assert own != sid
    text = attacker.say(sid, "我的维持担保比例", wait_s=5)  # a message with the victim's id is dropped
    assert "128" not in text and attacker.errors and attacker.errors[0]["code"] == "not_owner"
    # …and it never joined the victim's room: the victim's next reply reaches only the victim
    attacker.uttered.clear()
    assert "128.00%" in victim.say(sid, "我会不会被追保")
    assert attacker.uttered == []
    # once the victim has gone, the conversation still belongs to C1003: no token, no entry
    victim.close()
    time.sleep(0.3)
    again = widgets()
    assert again.session(sid) != sid
    assert again.session(sid, servers.token("C1001")) != sid
    back = widgets()
    assert back.session(sid, servers.token("C1003")) == sid  # the client itself may resume it


def test_a_logged_in_socket_cannot_claim_an_anonymous_conversation(servers, widgets):
    victim, attacker = widgets(), widgets()
    sid = victim.session(uuid.uuid4().hex)
    assert "6.8%" in victim.say(sid, "融资利率是多少")
    assert attacker.session(sid, servers.token("C1001")) != sid
    assert "6.8%" in victim.say(sid, "融资利率是多少")  # still the victim's, still anonymous
    assert "登录" in victim.say(sid, "我还能融多少")


def test_logout_then_a_personal_question_gets_no_figures(servers, widgets):
    w = widgets()
    sid = w.session(uuid.uuid4().hex, servers.token("C1001"))
    assert "300,000元" in w.say(sid, "我还能融多少")
    fresh = w.session(sid)  # session request without a token: the identity is gone, a new conversation
    assert fresh != sid
    text = w.say(fresh, "我还能融多少")
    assert "登录" in text and "300,000" not in text
    stale = w.say(sid, "我还能融多少", wait_s=5)  # the old conversation is no longer this socket's
    assert "300,000" not in stale and w.errors


def test_a_second_clients_token_on_the_same_socket(servers, widgets):
    w = widgets()
    sid = w.session(uuid.uuid4().hex, servers.token("C1001"))
    assert "300,000元" in w.say(sid, "我还能融多少")
    # another client's token in a message of C1001's conversation: refused
    text = w.say(sid, "我的维持担保比例", metadata={"token": servers.token("C1003")}, wait_s=5)
    assert "128" not in text and w.errors
    # another client's token in a session request: a new conversation, C1001's stays apart
    other = w.session(sid, servers.token("C1003"))
    assert other != sid
    assert "128.00%" in w.say(other, "我的维持担保比例")
    assert "300,000" not in w.say(other, "我还能融多少")


def test_rest_messages_to_a_clients_conversation_need_that_clients_token(servers, database_url):
    from services.handoff import transcript

    sender = "e2e-owned-" + uuid.uuid4().hex[:8]
    ok = servers.chat("我的维持担保比例", sender=sender, metadata={"token": servers.token("C1003")})
    assert "128.00%" in ok.text
    anonymous = servers.chat("我要转人工 ANON-MARK", sender=sender)
    other = servers.chat("我还能融多少 OTHER-MARK", sender=sender, metadata={"token": servers.token("C1001")})
    for resp in (anonymous, other):
        assert resp.status_code == 403 and resp.json()["code"] == "not_owner"
        assert "128" not in resp.text and "300,000" not in resp.text
    assert "128.00%" in servers.chat("我的维持担保比例", sender=sender, metadata={"token": servers.token("C1003")}).text
    time.sleep(1)  # the transcript is written in the background
    texts = " ".join(m["text"] for m in transcript(sender))
    assert "128.00%" in texts and "ANON-MARK" not in texts and "OTHER-MARK" not in texts
    # a socket conversation bound by its session request is protected on REST as well
    w = Widget(servers.url)
    try:
        sid = w.session(uuid.uuid4().hex, servers.token("C1003"))
        assert servers.chat("我的维持担保比例", sender=sid).status_code == 403
    finally:
        w.close()


def test_socket_io_accepts_only_configured_origins(servers, widgets):
    allowed = servers.env["BOT_ALLOWED_ORIGINS"].split()[0]
    assert widgets(origin=allowed).client.connected
    with pytest.raises(socketio.exceptions.ConnectionError):
        widgets(origin="http://evil.example")


# -- the action server ------------------------------------------------------------
def _action_call(client_id="C1003"):
    return json.dumps(
        {
            "next_action": "action_query_margin_status",
            "sender_id": "attacker",
            "version": "3.6.21",
            "domain": {},
            "tracker": {
                "sender_id": "attacker",
                "slots": {},
                "latest_message": {
                    "text": "我的维持担保比例",
                    "metadata": {"auth_status": "valid", "client_id": client_id},
                    "intent": {"name": "query_margin_status"},
                    "entities": [],
                },
                "events": [],
                "paused": False,
                "followup_action": None,
                "active_loop": {},
                "latest_action_name": "action_listen",
            },
        }
    ).encode()


def _audits(database_url, client_id):
    with session_scope(database_url) as s:
        return s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.subject_client_id == client_id))


def test_the_action_server_refuses_unsigned_and_wrongly_signed_calls(servers, database_url):
    url = f"http://127.0.0.1:{servers.actions_port}/webhook"
    body = _action_call("C1003")
    before = _audits(database_url, "C1003")
    unsigned = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
    wrong = requests.post(
        url, data=body, headers={**signing.sign(body, "x" * 40), "Content-Type": "application/json"}, timeout=10
    )
    resigned = requests.post(  # a signature of another body
        url,
        data=body,
        headers={**signing.sign(body + b" ", TEST_ACTION_SECRET), "Content-Type": "application/json"},
        timeout=10,
    )
    for resp in (unsigned, wrong, resigned):
        assert resp.status_code == 401 and "128" not in resp.text and "3,200,000" not in resp.text
    assert _audits(database_url, "C1003") == before  # no lookup ran, nobody was logged as C1003
    # what Rasa sends, signed with the shared secret, is served (and audited as the verified client)
    ok = requests.post(
        url,
        data=body,
        headers={**signing.sign(body, TEST_ACTION_SECRET), "Content-Type": "application/json"},
        timeout=10,
    )
    assert ok.status_code == 200 and "128.00%" in ok.text
    assert _audits(database_url, "C1003") == before + 1
    # and its answer is signed for this call: Rasa takes nothing else (tests/test_rasa_speedups.py)
    call = ok.request.headers[signing.SIGNATURE_HEADER]
    answer = ok.headers[signing.RESPONSE_SIGNATURE_HEADER]
    assert signing.verify_response(ok.content, call, answer, TEST_ACTION_SECRET)


# -- answer feedback ----------------------------------------------------------------
def test_feedback_only_for_an_answer_that_conversation_received(servers):
    sender = "e2e-fb-" + uuid.uuid4().hex[:8]

    def feedback(faq_id, version, who=sender):
        return requests.post(
            f"{servers.url}/webhooks/feedback/",
            timeout=10,
            json={"sender": who, "faq_id": faq_id, "version": version, "helpful": False},
        )

    assert feedback("interest_financing_rate", 1).status_code == 400  # nothing answered yet
    answer = servers.chat("融资利率是多少", sender=sender).json()[0]["custom"]
    assert feedback("margin_collateral_haircut", 1).status_code == 400  # never given to this conversation
    assert feedback(answer["faq_id"], answer["version"] + 1).status_code == 400  # not that version
    assert feedback(answer["faq_id"], answer["version"], who=sender + "x").status_code == 400  # another conversation
    assert feedback(answer["faq_id"], answer["version"]).status_code == 200
    assert feedback(answer["faq_id"], answer["version"]).status_code == 400  # once per answer


# -- staff ---------------------------------------------------------------------------
def _staff_token(sub, role, **extra):
    now = int(time.time())
    claims = {"sub": sub, "role": role, "aud": "staff", "iat": now, "exp": now + 600, "ver": 0, **extra}
    return jwt.encode(claims, TEST_STAFF_SECRET, algorithm="HS256")


def _get(pages, path, token):
    return requests.get(f"{pages}{path}", headers={"Authorization": "Bearer " + token}, timeout=10).status_code


def test_staff_tokens_unknown_disabled_wrong_role_logged_out_expired(pages, database_url):
    assert _get(pages, "/api/agent/inbox", _staff_token("mallory", "agent")) == 401
    assert _get(pages, "/api/editor/entries", _staff_token("mallory", "reviewer")) == 401
    # an editor's account with a token that claims the agent role
    assert _get(pages, "/api/agent/inbox", _staff_token("limin", "agent")) == 401
    name = "kf_e2e_" + uuid.uuid4().hex[:6]
    with session_scope(database_url) as s:
        s.add(
            Editor(username=name, display_name=name, role="agent", password_hash=staff.hash_password("pw-e2e-123456"))
        )
    login = requests.post(f"{pages}/api/staff/login", json={"username": name, "password": "pw-e2e-123456"}, timeout=10)
    token = login.json()["token"]
    assert _get(pages, "/api/agent/inbox", token) == 200
    assert (
        requests.post(f"{pages}/api/staff/logout", headers={"Authorization": "Bearer " + token}, timeout=10).status_code
        == 200
    )
    assert _get(pages, "/api/agent/inbox", token) == 401  # logged out: at once
    token = requests.post(
        f"{pages}/api/staff/login", json={"username": name, "password": "pw-e2e-123456"}, timeout=10
    ).json()["token"]
    with session_scope(database_url) as s:
        staff.set_active(s, name, False)
    assert _get(pages, "/api/agent/inbox", token) == 401  # disabled: at once
    assert _get(pages, "/api/agent/inbox", _staff_token("kf_liu", "agent", exp=int(time.time()) - 5)) == 401


def test_brute_force_locks_the_account(pages, database_url):
    name = "bf_" + uuid.uuid4().hex[:6]
    with session_scope(database_url) as s:
        s.add(
            Editor(username=name, display_name=name, role="editor", password_hash=staff.hash_password("the-right-one"))
        )
    codes = [
        requests.post(
            f"{pages}/api/staff/login", json={"username": name, "password": f"guess{i}"}, timeout=10
        ).status_code
        for i in range(12)
    ]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    right = requests.post(f"{pages}/api/staff/login", json={"username": name, "password": "the-right-one"}, timeout=10)
    assert right.status_code == 429 and "token" not in right.json()
    with session_scope(database_url) as s:
        failed = s.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.actor == name, AuditLog.action == "staff_login_failed")
        )
    assert failed >= 13


# -- start-up without secrets -----------------------------------------------------
def _no_secrets_env(**extra):
    env = {
        k: v for k, v in os.environ.items() if k not in ("BOT_JWT_SECRET", "BOT_STAFF_JWT_SECRET", "BOT_ACTION_SECRET")
    }
    return {**env, "BOT_DEMO_MODE": "0", "PYTHONPATH": str(ROOT), **extra}


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "actions.serve", "-p", "0"],
        [sys.executable, "-m", "web.server", "--port", "0"],
        [
            sys.executable,
            "-m",
            "bot.serve",
            "-i",
            "127.0.0.1",
            "-p",
            "0",
            "--credentials",
            str(ROOT / "credentials.yml"),
            "-m",
            str(ROOT / "models" / "liangrong.tar.gz"),
        ],
    ],
    ids=["action-server", "pages-server", "rasa"],
)
def test_every_process_refuses_to_start_without_secrets(command):
    proc = subprocess.run(command, cwd=ROOT, env=_no_secrets_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "BOT_JWT_SECRET" in proc.stdout + proc.stderr


def test_make_run_outside_demo_mode_without_secrets_exits_within_a_minute():
    env = _no_secrets_env(RASA_PORT=str(free_port()), ACTIONS_PORT=str(free_port()), PAGES_PORT=str(free_port()))
    proc = subprocess.Popen(
        ["make", "-s", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode != 0 and "BOT_JWT_SECRET" in out


# -- the widget --------------------------------------------------------------------
@pytest.mark.browser
def test_widget_storage_after_logout(pages, tmp_path):
    driver = make_driver(tmp_path)
    try:
        demo_login_and_open_chat(driver, pages, "C1001")
        wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".lr-root").get_attribute("data-transport") == "socket")
        box = driver.find_element(By.CSS_SELECTOR, ".lr-input")
        box.send_keys("我还能融多少\n")
        wait(driver, lambda d: "300,000" in d.find_element(By.CSS_SELECTOR, ".lr-log").text)
        before = driver.execute_script("return window.LRWidget.sessionId")
        stored = driver.execute_script("return JSON.stringify(Object.assign({}, sessionStorage, localStorage))")
        assert "300,000" in stored
        # the host page logs out (the demo page calls LRWidget.logout())
        driver.find_element(By.CSS_SELECTOR, "#demo-client option[value='']").click()
        driver.find_element(By.CSS_SELECTOR, "#demo-login button").click()
        wait(driver, lambda d: d.execute_script("return window.LRWidget.sessionId") != before)
        stored = driver.execute_script("return JSON.stringify(Object.assign({}, sessionStorage, localStorage))")
        assert "300,000" not in stored and before not in stored
        assert "300,000" not in driver.find_element(By.CSS_SELECTOR, ".lr-log").text
        box.send_keys("我还能融多少\n")
        wait(driver, lambda d: "登录" in d.find_elements(By.CSS_SELECTOR, ".lr-bot")[-1].text)
        assert "300,000" not in driver.find_element(By.CSS_SELECTOR, ".lr-log").text
        # a reload does not bring the old conversation back either
        driver.refresh()
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".lr-msg"))
        assert "300,000" not in driver.find_element(By.CSS_SELECTOR, ".lr-log").text
    finally:
        driver.quit()
