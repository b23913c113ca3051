"""The widget as clients see it: headless Chromium against the real servers.

Screenshots go to test-artifacts/ (desktop and mobile)."""

import subprocess
import sys
import time

import pytest
import requests
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser import ARTIFACTS, demo_login_and_open_chat, make_driver, settle, wait
from tests.conftest import ROOT, free_port, wait_http

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture()
def browser(tmp_path):
    driver = make_driver(tmp_path)
    yield driver
    driver.quit()


def bot_texts(driver):
    """The bot's messages, read in one step in the page: the widget may re-render its log
    between finding the elements and reading them (a new conversation after a login)."""
    return driver.execute_script("return Array.from(document.querySelectorAll('.lr-bot'), e => e.innerText)")


def open_widget(driver, pages):
    driver.get(pages + "/")
    driver.find_element(By.CSS_SELECTOR, ".lr-launcher").click()
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".lr-root").get_attribute("data-transport") == "socket")


def ask(driver, text):
    before = len(bot_texts(driver))
    box = driver.find_element(By.CSS_SELECTOR, ".lr-input")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    wait(driver, lambda d: len(bot_texts(d)) > before)
    time.sleep(0.3)
    return bot_texts(driver)[before:]


def test_faq_answer_with_topic_and_feedback(browser, pages, database_url):
    open_widget(browser, pages)
    answer = ask(browser, "融资利率是多少？")
    assert any("6.8%" in a for a in answer)
    topic = browser.find_elements(By.CSS_SELECTOR, ".lr-bot .lr-topic")[-1].text
    assert "融资利率" in topic
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "desktop-faq.png"))
    browser.find_elements(By.CSS_SELECTOR, ".lr-fb")[-1].click()  # 没帮助
    from sqlalchemy import select

    from storage.db import session_scope
    from storage.models import AnswerFeedback

    sid = browser.execute_script("return window.LRWidget.sessionId")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with session_scope(database_url) as s:
            row = s.scalars(select(AnswerFeedback).where(AnswerFeedback.sender_id == sid)).first()
        if row:
            break
        time.sleep(0.2)
    assert row and row.faq_id == "interest_financing_rate" and row.helpful is False


def test_quick_reply(browser, pages):
    open_widget(browser, pages)
    ask(browser, "额度")
    buttons = browser.find_elements(By.CSS_SELECTOR, ".lr-bot .lr-quick")
    assert len(buttons) >= 2
    title = buttons[0].text
    before = len(bot_texts(browser))
    buttons[0].click()
    wait(browser, lambda d: len(bot_texts(d)) > before)
    assert browser.find_elements(By.CSS_SELECTOR, ".lr-user")[-1].text.startswith(title)
    assert browser.find_elements(By.CSS_SELECTOR, ".lr-bot .lr-topic")[-1].text.endswith(title)


def test_demo_login_shows_own_quota(browser, pages):
    demo_login_and_open_chat(browser, pages, "C1001")
    answer = ask(browser, "我还能融多少")
    assert any("300,000元" in a for a in answer)
    browser.save_screenshot(str(ARTIFACTS / "desktop-c1001-quota.png"))


def test_a_login_after_the_socket_connected_starts_a_conversation_the_socket_holds(browser, pages):
    """The widget connected (anonymously) at page load, then the host page logged in: the first
    message must go to a conversation the socket asked for (it was refused as not this
    socket's, and lost, when the token had not changed since the socket's last request)."""
    browser.get(pages + "/")
    root = lambda d: d.find_element(By.CSS_SELECTOR, ".lr-root")  # noqa: E731
    wait(browser, lambda d: root(d).get_attribute("data-transport") == "socket")  # connected before the login
    browser.find_element(By.CSS_SELECTOR, "#demo-client option[value='C1001']").click()
    browser.find_element(By.CSS_SELECTOR, "#demo-login button").click()
    wait(browser, lambda d: "C1001" in d.find_element(By.ID, "demo-status").text)
    browser.find_element(By.CSS_SELECTOR, ".lr-launcher").click()
    settle(browser)  # the logged-in conversation's opening messages have arrived
    answer = ask(browser, "我还能融多少")
    assert any("300,000元" in a for a in answer)


def test_xss_is_shown_as_text(browser, pages):
    open_widget(browser, pages)
    attack = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    ask(browser, attack)
    assert browser.find_elements(By.CSS_SELECTOR, ".lr-user p")[-1].text == attack
    assert not browser.find_elements(By.CSS_SELECTOR, ".lr-log img, .lr-log script")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018


def test_enter_during_ime_composition_sends_nothing(browser, pages):
    open_widget(browser, pages)
    count = lambda d: len(d.find_elements(By.CSS_SELECTOR, ".lr-user"))  # noqa: E731
    before = count(browser)
    browser.execute_script("""
        const box = document.querySelector('.lr-input');
        box.focus();
        box.dispatchEvent(new CompositionEvent('compositionstart', {bubbles: true}));
        box.value = 'rongzi';
        box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', keyCode: 229, isComposing: true, bubbles: true}));
    """)
    time.sleep(1)
    assert count(browser) == before
    browser.execute_script("""
        const box = document.querySelector('.lr-input');
        box.value = '融资';
        box.dispatchEvent(new CompositionEvent('compositionend', {bubbles: true, data: '融资'}));
        box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', keyCode: 13, bubbles: true}));
    """)
    wait(browser, lambda d: count(d) == before + 1)


def test_reload_keeps_the_conversation(browser, pages):
    open_widget(browser, pages)
    ask(browser, "融券费率多少")
    sid = browser.execute_script("return window.LRWidget.sessionId")
    messages = len(browser.find_elements(By.CSS_SELECTOR, ".lr-msg"))
    browser.refresh()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".lr-msg")) == messages)
    assert browser.execute_script("return window.LRWidget.sessionId") == sid
    assert any("8.8%" in t for t in bot_texts(browser))


def test_mobile_full_page(pages, tmp_path):
    driver = make_driver(tmp_path, 375, 667, mobile=True)
    try:
        driver.get(pages + "/chat")
        wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".lr-root").get_attribute("data-transport") == "socket")
        ask(driver, "追保以后几天内要补足？")
        panel = driver.find_element(By.CSS_SELECTOR, ".lr-panel").rect
        width, height = driver.execute_script("return [innerWidth, innerHeight]")
        assert (panel["x"], panel["y"]) == (0, 0) and panel["width"] == width and panel["height"] == height
        form = driver.find_element(By.CSS_SELECTOR, ".lr-form").rect
        assert form["y"] + form["height"] <= height
        for el in driver.find_elements(By.CSS_SELECTOR, ".lr-root button, .lr-input"):
            if el.is_displayed():
                assert el.rect["height"] >= 44, el.get_attribute("outerHTML")[:80]
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "mobile-chat.png"))
    finally:
        driver.quit()


def test_keyboard_only(browser, pages):
    browser.get(pages + "/")
    launcher = browser.find_element(By.CSS_SELECTOR, ".lr-launcher")
    launcher.send_keys(Keys.ENTER)
    wait(browser, lambda d: d.switch_to.active_element.get_attribute("class") == "lr-input")
    assert browser.find_element(By.CSS_SELECTOR, ".lr-log").get_attribute("aria-live") == "polite"
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(browser, lambda d: d.switch_to.active_element.get_attribute("class") == "lr-launcher")


def test_widget_reconnects_after_rasa_restart(browser, pages, servers):
    open_widget(browser, pages)
    servers.stop_rasa()
    try:
        wait(
            browser, lambda d: d.find_element(By.CSS_SELECTOR, ".lr-root").get_attribute("data-transport") == "rest", 30
        )
    finally:
        servers.start_rasa()  # the other tests need it, whatever happened here
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".lr-root").get_attribute("data-transport") == "socket", 60)
    assert any("6.8%" in a for a in ask(browser, "融资年利率是多少"))


def test_demo_login_is_off_unless_demo_mode(servers, tmp_path):
    port = free_port()
    env = {k: v for k, v in servers.env.items() if k != "BOT_DEMO_MODE"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "web.server", "--port", str(port), "--rasa", servers.url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/", 60, proc)
        resp = requests.post(f"http://127.0.0.1:{port}/demo/token", json={"client_id": "C1001"}, timeout=10)
        assert resp.status_code == 404 and "token" not in resp.json()
    finally:
        proc.terminate()
        proc.wait(10)
