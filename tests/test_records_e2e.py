"""Records and privacy with the real servers: the greeting and the privacy note, the
compliance team's API, the risk-notice record of a real conversation, and no client
figure, name, phone or id in any line that any server logged.

The servers here log at DEBUG, as an operator chasing a problem would run them: Rasa then
logs every message and every reply, figures included, unless the masking works."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By
from sqlalchemy import select

from storage.db import session_scope
from storage.models import AuditLog, Client
from storage.records import RiskNotice
from tests.browser import ARTIFACTS, make_driver, wait
from tests.conftest import ROOT, Servers, wait_http

pytestmark = pytest.mark.e2e


class Stack:
    def __init__(self, database_url: str, tmp: Path) -> None:
        self.tmp = tmp
        self.servers = Servers(database_url, tmp)
        self.servers.env["LOG_LEVEL"] = "DEBUG"
        self.pages_port = self.servers.pages_port  # the origin its Rasa admits
        self.pages_proc = None

    @property
    def pages(self) -> str:
        return f"http://127.0.0.1:{self.pages_port}"

    def start(self) -> Stack:
        self.servers.start()
        env = {**self.servers.env, "BOT_DEMO_MODE": "1"}
        log = open(self.tmp / "pages.log", "ab")
        self.pages_proc = subprocess.Popen(
            [sys.executable, "-m", "web.server", "--port", str(self.pages_port), "--rasa", self.servers.url],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_http(self.pages + "/", 60, self.pages_proc)
        return self

    def stop(self) -> None:
        if self.pages_proc and self.pages_proc.poll() is None:
            os.killpg(self.pages_proc.pid, signal.SIGTERM)
            self.pages_proc.wait(20)
        self.servers.stop()

    def logs(self) -> dict:
        return {p.name: p.read_text(encoding="utf-8", errors="replace") for p in self.tmp.glob("*.log")}


@pytest.fixture(scope="module")
def stack(database_url, tmp_path_factory):
    s = Stack(database_url, tmp_path_factory.mktemp("records-e2e"))
    try:
        yield s.start()
    finally:
        s.stop()


def staff(stack: Stack, username: str, password: str) -> dict:
    r = requests.post(f"{stack.pages}/api/staff/login", json={"username": username, "password": password}, timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["token"]}


def texts(response) -> str:
    return "\n".join(m.get("text") or "" for m in response.json())


@pytest.mark.browser
def test_the_greeting_says_ai_retention_and_a_person_and_links_the_privacy_note(stack, tmp_path):
    driver = make_driver(tmp_path)
    try:
        driver.get(stack.pages + "/")
        driver.find_element(By.CSS_SELECTOR, ".lr-launcher").click()
        greeting = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".lr-bot"))[0]
        assert "AI智能助手" in greeting.text and "180天" in greeting.text and "20年" in greeting.text
        assert "人工" in greeting.text and "400-000-0000" in greeting.text
        link = greeting.find_element(By.CSS_SELECTOR, "a.lr-privacy")
        assert link.get_attribute("href") == stack.pages + "/privacy"
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "greeting-privacy.png"))
        driver.get(link.get_attribute("href"))
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "隐私说明" in body and "180天" in body and "20年" in body and "{" not in body
    finally:
        driver.quit()


def test_compliance_api_exports_and_erases_for_the_compliance_role_only(stack):
    agent = staff(stack, "kf_liu", "agent-demo-pass")
    url = f"{stack.pages}/api/records/clients/C1001/export"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, headers=agent, timeout=10).status_code == 403
    client_token = {"Authorization": "Bearer " + stack.servers.token("C1001")}
    assert requests.get(url, headers=client_token, timeout=10).status_code == 401
    compliance = staff(stack, "hegui", "compliance-demo-pass")
    exported = requests.get(url, headers=compliance, timeout=20)
    assert exported.status_code == 200 and exported.json()["client_id"] == "C1001"
    missing = requests.post(f"{stack.pages}/api/records/clients/C9999/erase", headers=compliance, timeout=10)
    assert missing.status_code == 404 and "error" in missing.json()
    verify = requests.get(f"{stack.pages}/api/records/audit/verify", headers=compliance, timeout=20).json()
    assert verify["ok"], verify
    with session_scope() as s:
        actions = s.scalars(
            select(AuditLog.action).where(AuditLog.actor == "hegui", AuditLog.subject_client_id == "C1001")
        ).all()
    assert "records_export" in actions


def test_no_client_figure_name_phone_or_id_in_any_server_log(stack):
    chat = stack.servers
    meta = {"token": chat.token("C1001")}
    quota = chat.chat("我的授信额度还有多少", sender="rec-c1001", metadata=meta)
    ratio = chat.chat("我的维持担保比例是多少", sender="rec-c1001", metadata=meta)
    chat.chat("我的手机号是13800001001，名下资产1,300,000元", sender="rec-c1001", metadata=meta)
    chat.chat("我要转人工", sender="rec-c1003", metadata={"token": chat.token("C1003")})
    # the figures were really in play: the replies carry them
    assert "800,000" in texts(quota) and "300,000" in texts(quota), texts(quota)
    assert "260.00%" in texts(ratio), texts(ratio)
    agent = staff(stack, "kf_liu", "agent-demo-pass")
    inbox = requests.get(  # the inbox is paged: look this conversation up
        f"{stack.pages}/api/agent/inbox", params={"q": "rec-c1003"}, headers=agent, timeout=10
    ).json()["items"]
    held = next(h for h in inbox if h["sender_id"] == "rec-c1003")
    seen = requests.get(f"{stack.pages}/api/agent/handoffs/{held['id']}", headers=agent, timeout=10).json()
    assert seen["client"]["ratio"] == "128.00%"
    # the risk reminder in the quota reply is on record, for this client and conversation
    with session_scope() as s:
        notices = s.scalars(select(RiskNotice).where(RiskNotice.sender_id == "rec-c1001")).all()
        names = [c.name for c in s.scalars(select(Client))]
    assert notices and {n.client_id for n in notices} == {"C1001"}
    assert any(n.entry_id == "action_query_quota" for n in notices)

    stack.stop()  # every line flushed
    logs = stack.logs()
    assert {"rasa.log", "actions.log", "pages.log"} <= set(logs)
    rasa_log = logs["rasa.log"]
    assert "DEBUG" in rasa_log and "BotUttered" in rasa_log  # every reply was logged (masked)
    secrets = ["800,000", "300,000", "1,300,000", "260.00%", "128.00%", "13800001001", *names]
    client_id = re.compile(r"(?<![A-Za-z0-9])C10\d\d(?!\d)")
    for name, text in logs.items():
        for number, line in enumerate(text.splitlines(), 1):
            leaked = [s for s in secrets if s in line] + client_id.findall(line)
            assert not leaked, f"{name}:{number} leaks {leaked}: {line[:300]}"
