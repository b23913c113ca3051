"""The agents' console and the client's side of a hand-off, in headless Chromium:
two agents and two clients at once (inbox order, live updates, notifications,
transfer, rating), with 30+ conversations in the inbox."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import select, update

from services import handoff
from storage.content import Handoff, HandoffRating, TranscriptMessage
from storage.db import session_scope
from tests.browser import ARTIFACTS, demo_login_and_open_chat, make_driver, wait

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
TITLE = "两融客服工作台"


def texts(driver, css):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, css)]


def client_says(driver, text):
    box = driver.find_element(By.CSS_SELECTOR, ".lr-input")
    box.send_keys(text)
    wait(driver, lambda d: box.get_attribute("value") == text)  # every key delivered before Enter
    box.send_keys(Keys.ENTER)


def agent_login(driver, pages, username, password):
    driver.get(pages + "/agent")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#login button").click()
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#inbox button.row"))


def rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#inbox button.row")


def queued_count():
    with session_scope() as s:
        return len(s.scalars(select(Handoff.id).where(Handoff.state == "queued")).all())


def seed_inbox(n=32):
    """A morning's traffic: earlier hand-offs closed, n waiting (verified, VIP, anonymous)."""
    with session_scope() as s:
        s.execute(update(Handoff).where(Handoff.state != "closed").values(state="closed"))
    asks = ["我要转人工", "融资利率能优惠吗", "额度怎么提高", "我的合约快到期了", "人工客服", "利息怎么算的"]
    for i in range(n):
        client = ("C1001", "C1004", None, None)[i % 4]
        sender = f"seed{i:02d}-" + "x" * 8
        handoff.open_handoff(sender, client, "客户要求人工服务" if i % 5 else "连续两次未能回答")
        with session_scope() as s:
            s.add(TranscriptMessage(sender_id=sender, role="client", text=asks[i % len(asks)], at=handoff.clock.now()))


def test_two_agents_two_clients(pages, servers, tmp_path, monkeypatch):
    monkeypatch.setenv("BOT_FAKE_NOW", servers.env["BOT_FAKE_NOW"])  # the servers' clock
    seed_inbox()
    liu = make_driver(tmp_path / "liu", width=1024, height=860)
    sun = make_driver(tmp_path / "sun", width=1280, height=900)
    vip = make_driver(tmp_path / "c1003")
    anon = make_driver(tmp_path / "anon", width=420, height=760)
    try:
        agent_login(liu, pages, "kf_liu", "agent-demo-pass")
        agent_login(sun, pages, "kf_sun", "agent2-demo-pass")
        waiting = queued_count()
        for agent in (liu, sun):
            wait(agent, lambda d: d.title == f"({waiting}) {TITLE}")
        # the console fits 1024 px: no sideways scrolling
        assert liu.execute_script("return document.documentElement.scrollWidth") <= 1024
        # kf_sun has the 5th row focused and the list scrolled: live updates keep both
        sun_rows = rows(sun)
        assert len(sun_rows) == 20  # one page
        focused = sun_rows[4].get_attribute("data-handoff")
        sun.execute_script("arguments[0].focus(); document.getElementById('inbox').scrollTop = 120;", sun_rows[4])
        sun.execute_script("window.LR_LAST_NOTICE = null")
        where = "return Math.round(document.activeElement.getBoundingClientRect().top)"
        top_before = sun.execute_script(where)

        # client 1: C1003 in a margin call asks for a person → first row for both agents, at once
        demo_login_and_open_chat(vip, pages, "C1003")
        client_says(vip, "我要转人工客服")
        wait(vip, lambda d: any("转接人工" in t for t in texts(d, ".lr-bot")))
        wait(vip, lambda d: "前面还有 0 位" in d.find_element(By.CSS_SELECTOR, ".lr-handoff").text)
        assert not vip.find_element(By.CSS_SELECTOR, ".lr-typing").is_displayed()  # no bot typing while waiting
        for agent in (liu, sun):
            wait(agent, lambda d: "C1003" in rows(d)[0].text and "追保/平仓" in rows(d)[0].text)
            wait(agent, lambda d: d.title == f"({waiting + 1}) {TITLE}")
            assert agent.find_element(By.ID, "badge").text == f"{waiting + 1} 位待接入"
        wait(sun, lambda d: "C1003" in (d.execute_script("return window.LR_LAST_NOTICE") or ""))
        assert sun.execute_script("return document.activeElement.dataset.handoff") == focused
        # what the agent looks at does not jump (the list keeps its scroll, anchored on the rows shown)
        assert sun.execute_script(where) == top_before
        assert sun.execute_script("return document.getElementById('inbox').scrollTop") > 0
        assert "C1003" in sun.find_element(By.ID, "announce").get_attribute("textContent")  # just the new one
        assert sun.find_element(By.ID, "inbox").get_attribute("aria-live") is None

        # client 2: anonymous, on a phone-sized window, waits behind everyone
        anon.get(pages + "/")
        anon.find_element(By.CSS_SELECTOR, ".lr-launcher").click()
        wait(anon, lambda d: d.find_element(By.CSS_SELECTOR, ".lr-root").get_attribute("data-transport") == "socket")
        client_says(anon, "人工")
        wait(anon, lambda d: f"前面还有 {waiting + 1} 位" in d.find_element(By.CSS_SELECTOR, ".lr-handoff").text)
        ARTIFACTS.mkdir(exist_ok=True)
        anon.save_screenshot(str(ARTIFACTS / "client-waiting-in-queue.png"))
        for agent in (liu, sun):
            wait(agent, lambda d: d.title == f"({waiting + 2}) {TITLE}")

        # ↑/↓ move in the inbox, Enter opens; kf_liu takes C1003
        first = rows(liu)[0]
        first.send_keys(Keys.ARROW_DOWN)
        assert liu.execute_script("return document.activeElement") == rows(liu)[1]
        rows(liu)[1].send_keys(Keys.ARROW_UP)
        liu.switch_to.active_element.send_keys(Keys.ENTER)
        wait(liu, lambda d: "128.00%" in d.find_element(By.ID, "client").text)
        assert liu.find_element(By.ID, "conv-state").text == "待接入"
        assert liu.find_element(By.ID, "send").get_attribute("disabled")  # not before taking
        liu.save_screenshot(str(ARTIFACTS / "agent-inbox-30-conversations.png"))
        liu.find_element(By.ID, "take").click()
        wait(liu, lambda d: d.find_element(By.ID, "conv-state").text.startswith("接待中"))
        assert liu.find_element(By.ID, "take").get_attribute("disabled")
        wait(vip, lambda d: any("刘洋" in t and "已接入" in t for t in texts(d, ".lr-agent-event")))
        # kf_sun sees it held by kf_liu, live, and cannot take it
        wait(sun, lambda d: "接待中 · 客服 刘洋" in d.find_element(By.CSS_SELECTOR, "#inbox li.st-held").text)
        sun.find_element(By.CSS_SELECTOR, "#inbox li.st-held button").click()
        wait(sun, lambda d: d.find_element(By.ID, "conv-state").text.startswith("接待中"))
        assert sun.find_element(By.ID, "take").get_attribute("disabled")

        # kf_liu types (the client sees it), then sends with Ctrl+Enter
        bot_before = len(texts(vip, ".lr-bot"))
        reply = liu.find_element(By.ID, "reply-text")
        reply.send_keys("您好，我是刘洋。您的追保截止时间是2026-11-27 15:00")
        wait(vip, lambda d: "刘洋 正在输入" in d.find_element(By.CSS_SELECTOR, ".lr-typing").text)
        reply.send_keys(Keys.CONTROL, Keys.ENTER)
        wait(vip, lambda d: any("追保截止时间是2026-11-27" in t for t in texts(d, ".lr-agent")))
        assert any("人工客服 · 刘洋" in t for t in texts(vip, ".lr-agent"))
        client_says(vip, "好的，我现在补还来得及吗")
        wait(liu, lambda d: "我现在补还来得及吗" in d.find_element(By.ID, "transcript").text)
        wait(liu, lambda d: "margincall_" in d.find_element(By.ID, "suggestions").text)
        assert "问我" not in liu.find_element(By.ID, "suggestions").text  # an agent's voice
        liu.find_element(By.ID, "note-text").send_keys("客户已知晓截止时间")
        liu.find_element(By.CSS_SELECTOR, "#note-form button").click()
        wait(liu, lambda d: "客户已知晓截止时间" in d.find_element(By.ID, "notes").text)

        # the client closes the widget; a reply raises the unread badge and the page title
        vip.find_element(By.CSS_SELECTOR, ".lr-close").click()
        title = vip.title
        reply.send_keys("来得及，请尽快转入资金。")
        reply.send_keys(Keys.CONTROL, Keys.ENTER)
        wait(vip, lambda d: d.find_element(By.CSS_SELECTOR, ".lr-unread").text == "1")
        assert vip.title == "(1) " + title
        assert "未读" in vip.find_element(By.CSS_SELECTOR, ".lr-launcher").get_attribute("aria-label")
        vip.find_element(By.CSS_SELECTOR, ".lr-launcher").click()
        assert vip.title == title and not vip.find_element(By.CSS_SELECTOR, ".lr-unread").is_displayed()
        assert not any("客户已知晓" in t for t in texts(vip, ".lr-msg"))  # notes stay internal
        assert len(texts(vip, ".lr-bot")) == bot_before  # the bot stayed silent

        # transfer to kf_sun, who answers and closes (after confirming)
        liu.find_element(By.CSS_SELECTOR, "#transfer-to option[value='kf_sun']").click()
        liu.find_element(By.ID, "transfer").click()
        wait(vip, lambda d: any("孙悦" in t for t in texts(d, ".lr-agent-event")))
        wait(liu, lambda d: d.find_element(By.ID, "send").get_attribute("disabled"))
        wait(sun, lambda d: d.find_element(By.CSS_SELECTOR, "[data-count='mine']").text == "1")
        wait(sun, lambda d: not d.find_element(By.ID, "send").get_attribute("disabled"))
        sun.find_element(By.ID, "reply-text").send_keys("您好，我是孙悦，接着为您服务。")
        sun.find_element(By.ID, "send").click()
        wait(vip, lambda d: any("人工客服 · 孙悦" in t for t in texts(d, ".lr-agent")))
        sun.find_element(By.ID, "close").click()
        wait(sun, lambda d: d.find_element(By.ID, "confirm-close").is_displayed())
        sun.find_element(By.ID, "confirm-no").click()  # Cancel: still held
        assert sun.find_element(By.ID, "conv-state").text.startswith("接待中")
        sun.find_element(By.ID, "close").click()
        sun.find_element(By.ID, "confirm-yes").click()
        wait(sun, lambda d: d.find_element(By.ID, "conv-state").text == "已结束（客服 孙悦）")
        assert sun.find_element(By.ID, "take").get_attribute("disabled")  # nothing to take on a closed one

        # the client is asked to rate: a quick reply, then a comment
        wait(vip, lambda d: d.find_elements(By.CSS_SELECTOR, ".lr-rating"))
        assert "孙悦" in vip.find_element(By.CSS_SELECTOR, ".lr-rating").text
        next(b for b in vip.find_elements(By.CSS_SELECTOR, ".lr-rating .lr-quick") if b.text == "满意").click()
        wait(vip, lambda d: d.find_elements(By.CSS_SELECTOR, ".lr-rating textarea"))
        vip.find_element(By.CSS_SELECTOR, ".lr-rating textarea").send_keys("孙悦很耐心")
        vip.find_element(By.CSS_SELECTOR, ".lr-rating .lr-send").click()
        wait(vip, lambda d: "感谢您的评价" in d.find_element(By.CSS_SELECTOR, ".lr-rating").text)
        vip.save_screenshot(str(ARTIFACTS / "client-rating.png"))
        with session_scope() as s:
            c1003 = s.scalars(
                select(Handoff)
                .where(Handoff.client_id == "C1003", Handoff.state == "closed")
                .order_by(Handoff.id.desc())
            ).first()
            rating = s.scalars(select(HandoffRating).where(HandoffRating.handoff_id == c1003.id)).one()
            assert (rating.agent, rating.score, rating.label, rating.comment) == ("kf_sun", 5, "满意", "孙悦很耐心")
        # the bot answers again
        before = len(texts(vip, ".lr-bot"))
        client_says(vip, "融资利率是多少")
        wait(vip, lambda d: any("6.8%" in t for t in texts(d, ".lr-bot")[before:]))
        sun.save_screenshot(str(ARTIFACTS / "agent-console-closed.png"))
    finally:
        for d in (liu, sun, vip, anon):
            d.quit()


@pytest.fixture()
def after_hours(database_url, tmp_path):
    """Rasa, actions and pages on a Saturday (no agents on duty), on the same database."""
    import subprocess
    import sys

    from tests.conftest import ROOT, Servers, wait_http

    servers = Servers(database_url, tmp_path)
    servers.env["BOT_FAKE_NOW"] = "2026-11-28T10:00:00+08:00"
    servers.start()
    port = servers.pages_port  # the origin its Rasa admits
    proc = subprocess.Popen(
        [sys.executable, "-m", "web.server", "--port", str(port), "--rasa", servers.url],
        cwd=ROOT,
        env={**servers.env, "BOT_DEMO_MODE": "1", "BOT_ALERT_SCAN_S": "3600"},
        stdout=open(tmp_path / "pages.log", "ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/", 60, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        servers.stop()


def test_leave_a_message_outside_service_hours(after_hours, tmp_path):
    client = make_driver(tmp_path / "client")
    try:
        demo_login_and_open_chat(client, after_hours, "C1001")
        client_says(client, "我要转人工")
        wait(client, lambda d: d.find_elements(By.CSS_SELECTOR, "form.lr-leave"))
        assert not client.find_element(By.CSS_SELECTOR, ".lr-typing").is_displayed()
        client.find_element(By.CSS_SELECTOR, ".lr-leave textarea").send_keys("周一上午请联系我，想调整额度")
        client.find_element(By.CSS_SELECTOR, ".lr-leave button[type=submit]").click()
        wait(client, lambda d: "留言已提交" in d.find_element(By.CSS_SELECTOR, ".lr-leave").text)
        ARTIFACTS.mkdir(exist_ok=True)
        client.save_screenshot(str(ARTIFACTS / "client-leave-a-message.png"))
        sender = client.execute_script("return window.LRWidget.sessionId")
        row = next(r for r in handoff.inbox("kf_liu", "queued", q=sender)["items"])
        assert row["kind"] == "message" and row["client_id"] == "C1001"
        assert row["last_message"]["text"] == "【留言】周一上午请联系我，想调整额度"
    finally:
        client.quit()
