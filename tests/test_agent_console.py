"""Agents' console with two browsers: a client in a margin call asks for a person."""

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from core.policy import fmt_pct
from tests.browser import ARTIFACTS, demo_login_and_open_chat, make_driver, wait

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def widget_texts(driver, css=".lr-msg"):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, css)]


def client_says(driver, text):
    box = driver.find_element(By.CSS_SELECTOR, ".lr-input")
    box.send_keys(text)
    wait(driver, lambda d: box.get_attribute("value") == text)  # every key delivered before Enter
    box.send_keys(Keys.ENTER)


def test_console_refuses_anonymous_client_and_other_staff(pages, servers):
    for headers in ({}, {"Authorization": "Bearer " + servers.token("C1003")}):
        assert requests.get(f"{pages}/api/agent/inbox", headers=headers, timeout=10).status_code == 401
    editor = requests.post(
        f"{pages}/api/staff/login", json={"username": "limin", "password": "editor-demo-pass"}, timeout=10
    ).json()["token"]
    assert (
        requests.get(f"{pages}/api/agent/inbox", headers={"Authorization": "Bearer " + editor}, timeout=10).status_code
        == 403
    )
    wrong = requests.post(f"{pages}/api/staff/login", json={"username": "kf_liu", "password": "x"}, timeout=10)
    unknown = requests.post(f"{pages}/api/staff/login", json={"username": "kf_nobody", "password": "x"}, timeout=10)
    assert wrong.status_code == unknown.status_code == 401 and wrong.json() == unknown.json()


def test_handoff_take_reply_close(pages, servers, tmp_path, policy):
    client = make_driver(tmp_path / "client")
    agent = make_driver(tmp_path / "agent")
    try:
        # the client, logged in as C1003 (in a margin call), asks for a person
        demo_login_and_open_chat(client, pages, "C1003")
        client_says(client, "我要转人工客服")
        wait(client, lambda d: any("转接人工" in t for t in widget_texts(d, ".lr-bot")))

        # the agent logs in, opens the conversation and takes it
        agent.get(pages + "/agent")
        agent.find_element(By.ID, "username").send_keys("kf_liu")
        agent.find_element(By.ID, "password").send_keys("agent-demo-pass")
        agent.find_element(By.CSS_SELECTOR, "#login button").click()
        wait(agent, lambda d: any("C1003" in b.text for b in d.find_elements(By.CSS_SELECTOR, "#inbox button")))
        next(b for b in agent.find_elements(By.CSS_SELECTOR, "#inbox button") if "C1003" in b.text).click()
        wait(agent, lambda d: "128.00%" in d.find_element(By.ID, "client").text)
        facts = agent.find_element(By.ID, "client").text
        assert "2026-11-27 15:00" in facts and "550,000元" in facts
        assert "追保中" in facts and "\ncall\n" not in f"\n{facts}\n"  # the state in words, not its key
        # the label's restore line comes from policy.yml through the API, not from agent.js
        assert f"恢复{fmt_pct(policy.get('margin_call.restore_to'))}需追加现金" in facts
        ARTIFACTS.mkdir(exist_ok=True)
        agent.find_element(By.ID, "client").screenshot(str(ARTIFACTS / "agent-client-figures.png"))
        # the transcript's content, not its visible part (the box scrolls to its latest line)
        wait(agent, lambda d: "我要转人工客服" in d.find_element(By.ID, "transcript").get_attribute("textContent"))
        agent.find_element(By.ID, "take").click()
        wait(agent, lambda d: "已接入" in d.find_element(By.ID, "message").text)
        wait(client, lambda d: any("已接入" in t for t in widget_texts(d)))

        # while the agent holds it, the client's question gets no bot reply
        bot_before = len(widget_texts(client, ".lr-bot"))
        client_says(client, "追保截止前我还没补够会被强平吗")
        wait(agent, lambda d: "追保截止前我还没补够" in d.find_element(By.ID, "transcript").text)
        wait(agent, lambda d: d.find_elements(By.CSS_SELECTOR, "#suggestions li"))
        suggestions = agent.find_element(By.ID, "suggestions").text
        assert "margincall_" in suggestions
        agent.find_elements(By.CSS_SELECTOR, "#suggestions .use")[0].click()
        reply = agent.find_element(By.ID, "reply-text")
        assert reply.get_attribute("value")
        reply.send_keys("\n您目前比例128%，请在截止前补足。")
        agent.find_element(By.CSS_SELECTOR, "#reply button[type=submit]").click()
        wait(client, lambda d: any("请在截止前补足" in t for t in widget_texts(d, ".lr-agent")), 15)
        assert len(widget_texts(client, ".lr-bot")) == bot_before, widget_texts(client, ".lr-bot")[
            -3:
        ]  # the bot stayed silent
        ARTIFACTS.mkdir(exist_ok=True)
        agent.save_screenshot(str(ARTIFACTS / "agent-console.png"))
        client.save_screenshot(str(ARTIFACTS / "client-with-agent.png"))

        # the agent closes; the bot says so and answers again
        agent.find_element(By.ID, "close").click()
        agent.find_element(By.ID, "confirm-yes").click()  # closing asks first
        wait(client, lambda d: any("智能助手继续" in t for t in widget_texts(d)), 15)
        # the bot was resumed in the conversation before the client was told: no wait needed
        before = len(widget_texts(client, ".lr-bot"))
        client_says(client, "融资利率是多少")
        wait(client, lambda d: any("6.8%" in t for t in widget_texts(d, ".lr-bot")[before:]))
    finally:
        client.quit()
        agent.quit()
