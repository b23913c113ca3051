"""The widget as a client on a phone or a desktop uses it: headless Chromium against the real
servers. Screenshots go to test-artifacts/ (widget-*.png)."""

import time

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import select

from storage.content import TranscriptMessage
from storage.db import session_scope
from storage.models import AnswerFeedback
from tests.browser import ARTIFACTS, demo_login_and_open_chat, make_driver, settle, wait
from tests.test_browser import ask, bot_texts, open_widget

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture()
def browser(tmp_path):
    driver = make_driver(tmp_path)
    yield driver
    driver.quit()


@pytest.fixture()
def phone(tmp_path):
    driver = make_driver(tmp_path, 375, 667, mobile=True)
    yield driver
    driver.quit()


def shot(driver, name):
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"widget-{name}.png"))


def rect(driver, element):
    return driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom];", element)


def in_view(driver, element, container):
    """The element's top line lies inside the container's visible area."""
    top, _ = rect(driver, element)
    ctop, cbottom = rect(driver, container)
    return ctop - 1 <= top < cbottom - 10


def test_reload_opens_at_the_latest_message(browser, pages):
    open_widget(browser, pages)
    for question in ("融资利率是多少？", "融券费率多少", "追保以后几天内要补足？", "开通两融需要什么条件"):
        ask(browser, question)
    log = browser.find_element(By.CSS_SELECTOR, ".lr-log")
    assert log.get_attribute("role") == "log"
    assert browser.execute_script("return arguments[0].scrollHeight > arguments[0].clientHeight", log)
    count = len(browser.find_elements(By.CSS_SELECTOR, ".lr-msg"))
    browser.refresh()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".lr-msg")) == count)
    log = browser.find_element(By.CSS_SELECTOR, ".lr-log")
    last = browser.find_elements(By.CSS_SELECTOR, ".lr-msg")[-1]
    assert browser.execute_script("return arguments[0].scrollTop", log) > 0
    assert in_view(browser, last, log), "the latest answer is not in view after a reload"
    shot(browser, "reload-latest")


def test_input_grows_to_five_lines_and_counts_near_the_limit(browser, pages):
    open_widget(browser, pages)
    box = browser.find_element(By.CSS_SELECTOR, ".lr-input")
    one_line = box.rect["height"]
    for i in range(3):
        box.send_keys(f"第{i + 1}行")
        box.send_keys(Keys.SHIFT, Keys.ENTER)
    three_lines = box.rect["height"]
    assert three_lines > one_line + 30
    for i in range(6):
        box.send_keys(f"更多{i}")
        box.send_keys(Keys.SHIFT, Keys.ENTER)
    five_lines = box.rect["height"]
    line = float(browser.execute_script("return parseFloat(getComputedStyle(arguments[0]).lineHeight)", box))
    assert five_lines <= line * 5 + 24 and five_lines > three_lines  # capped at 5 lines, then it scrolls
    assert browser.execute_script("return getComputedStyle(arguments[0]).overflowY", box) == "auto"
    note = browser.find_element(By.CSS_SELECTOR, ".lr-compose-note")
    assert not note.is_displayed()  # far from the limit: no counter
    browser.execute_script(
        """const box = arguments[0]; box.value = ''; box.focus();
           const dt = new DataTransfer(); dt.setData('text/plain', '融'.repeat(3000));
           box.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));""",
        box,
    )
    assert len(box.get_attribute("value")) == 2000
    assert note.is_displayed() and "2000/2000" in note.text and "最多2000字" in note.text
    shot(browser, "input-limit")
    box.send_keys(Keys.BACKSPACE * 300)
    wait(browser, lambda d: "1700" not in note.text and not note.is_displayed())


def test_unsent_message_is_marked_and_retried_after_the_server_comes_back(browser, pages, servers):
    open_widget(browser, pages)
    banner = browser.find_element(By.CSS_SELECTOR, ".lr-banner")
    assert not banner.is_displayed()
    servers.stop_rasa()
    try:
        # the banner comes before the client sends anything
        wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".lr-banner").is_displayed(), 30)
        assert browser.find_element(By.CSS_SELECTOR, ".lr-banner").get_attribute("role") == "alert"
        box = browser.find_element(By.CSS_SELECTOR, ".lr-input")
        box.send_keys("融资利率是多少？")
        box.send_keys(Keys.ENTER)
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".lr-user.lr-unsent .lr-retry"))
        assert not any("网络连接失败" in t for t in bot_texts(browser))  # no fake bot bubble
        assert "未发送" in browser.find_elements(By.CSS_SELECTOR, ".lr-user")[-1].text
        shot(browser, "unsent")
    finally:
        servers.start_rasa()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".lr-root").get_attribute("data-transport") == "socket", 60)
    assert not browser.find_element(By.CSS_SELECTOR, ".lr-banner").is_displayed()
    before = len(bot_texts(browser))
    browser.find_element(By.CSS_SELECTOR, ".lr-user.lr-unsent .lr-retry").click()
    wait(browser, lambda d: len(bot_texts(d)) > before)
    assert any("6.8%" in t for t in bot_texts(browser)[before:])
    assert not browser.find_elements(By.CSS_SELECTOR, ".lr-unsent")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".lr-user")) == 1  # retried, not sent twice


def test_end_conversation_clears_history_and_starts_fresh(browser, pages):
    open_widget(browser, pages)
    ask(browser, "融资利率是多少？")
    old_session = browser.execute_script("return window.LRWidget.sessionId")
    browser.find_element(By.CSS_SELECTOR, ".lr-end").click()
    confirm = browser.find_element(By.CSS_SELECTOR, ".lr-confirm")
    assert confirm.is_displayed() and "清除" in confirm.text
    shot(browser, "end-confirm")
    browser.find_element(By.CSS_SELECTOR, ".lr-confirm-yes").click()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".lr-msg")) == 1)
    assert browser.execute_script("return window.LRWidget.sessionId") != old_session
    assert not browser.find_elements(By.CSS_SELECTOR, ".lr-user")
    browser.refresh()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".lr-msg"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".lr-msg")) == 1 and "6.8%" not in bot_texts(browser)[0]


def test_greeting_offers_hot_questions_the_education_team_sets(browser, pages, servers):
    editor = requests.post(
        f"{pages}/api/staff/login", json={"username": "limin", "password": "editor-demo-pass"}, timeout=10
    ).json()["token"]
    headers = {"Authorization": "Bearer " + editor}
    items = [{"title": "融券费率", "question": "融券费率是多少"}, {"title": "追保期限", "question": "追保期限是几天"}]
    assert requests.put(f"{pages}/api/editor/hot-questions", json={"items": items}, headers=headers, timeout=10).ok
    try:
        open_widget(browser, pages)
        wait(
            browser,
            lambda d: (
                [b.text for b in d.find_elements(By.CSS_SELECTOR, ".lr-bot .lr-quick")] == ["融券费率", "追保期限"]
            ),
        )
        group = browser.find_element(By.CSS_SELECTOR, ".lr-bot .lr-buttons")
        assert group.get_attribute("role") == "group" and group.get_attribute("aria-label") == "大家常问"
        before = len(bot_texts(browser))
        browser.find_elements(By.CSS_SELECTOR, ".lr-bot .lr-quick")[0].click()
        wait(browser, lambda d: len(bot_texts(d)) > before)
        assert any("8.8%" in t for t in bot_texts(browser)[before:])
    finally:
        requests.put(f"{pages}/api/editor/hot-questions", json={"items": []}, headers=headers, timeout=10)
    # without the team's list: the most asked topics (or the defaults), never a bare keyword
    chips = requests.get(f"{servers.url}/webhooks/feedback/hot", timeout=10).json()
    assert chips and all(len(c["question"]) >= 4 for c in chips)


def test_phone_numbers_are_tap_to_call(browser, pages):
    open_widget(browser, pages)
    ask(browser, "客服电话是多少")
    links = browser.find_elements(By.CSS_SELECTOR, ".lr-bot a.lr-tel")
    assert links and links[-1].get_attribute("href") == "tel:4000000000" and links[-1].text == "400-000-0000"
    assert browser.execute_script("return getComputedStyle(arguments[0]).whiteSpace", links[-1]) == "nowrap"
    shot(browser, "tel")


def test_margin_call_answer_on_a_phone(phone, pages, database_url):
    demo_login_and_open_chat(phone, pages, "C1003")
    settle(phone)  # C1003's margin-call alert first: it would scroll the answer away mid-check
    before = len(bot_texts(phone))
    box = phone.find_element(By.CSS_SELECTOR, ".lr-input")
    box.send_keys("我的维持担保比例是多少")
    box.send_keys(Keys.ENTER)
    wait(phone, lambda d: d.find_elements(By.CSS_SELECTOR, ".lr-bot.lr-warn"))
    time.sleep(0.5)
    answer = phone.find_elements(By.CSS_SELECTOR, ".lr-bot.lr-warn")[-1]
    key = answer.find_element(By.CSS_SELECTOR, ".lr-key")
    assert "128.00%" in key.text and "130%" in key.text
    log = phone.find_element(By.CSS_SELECTOR, ".lr-log")
    assert in_view(phone, key, log), "the key line is scrolled out of view"
    header_bottom = rect(phone, phone.find_element(By.CSS_SELECTOR, ".lr-header"))[1]
    assert rect(phone, key)[0] >= header_bottom
    border = phone.execute_script("return getComputedStyle(arguments[0]).borderLeftColor", answer)
    assert border == "rgb(207, 19, 34)"  # warning styling
    buttons = answer.find_elements(By.CSS_SELECTOR, ".lr-quick")
    assert [b.text for b in buttons] == ["追加担保物", "还款", "联系人工"]
    assert answer.find_element(By.CSS_SELECTOR, ".lr-buttons").get_attribute("role") == "group"
    shot(phone, "margin-call-375x667")
    assert len(bot_texts(phone)) > before
    # a tapped quick reply: the others are disabled, the chosen one pressed; the transcript shows its title
    sid = phone.execute_script("return window.LRWidget.sessionId")
    before = len(bot_texts(phone))
    buttons[1].click()
    wait(phone, lambda d: len(bot_texts(d)) > before)
    answer = phone.find_elements(By.CSS_SELECTOR, ".lr-bot.lr-warn")[-1]
    states = [
        (b.get_attribute("disabled") is not None, b.get_attribute("aria-pressed"))
        for b in answer.find_elements(By.CSS_SELECTOR, ".lr-quick")
    ]
    assert states == [(True, "false"), (True, "true"), (True, "false")]
    assert phone.find_elements(By.CSS_SELECTOR, ".lr-user")[-1].text.startswith("还款")
    shot(phone, "margin-call-followup")
    deadline, texts = time.monotonic() + 10, []
    while time.monotonic() < deadline:
        with session_scope(database_url) as s:
            texts = [
                m.text
                for m in s.scalars(select(TranscriptMessage).where(TranscriptMessage.sender_id == sid))
                if m.role == "client"
            ]
        if "还款" in texts:
            break
        time.sleep(0.3)
    assert "还款" in texts and not any(t.startswith("/faq") for t in texts), texts


def test_unhelpful_asks_a_reason_and_stores_it(browser, pages, database_url):
    open_widget(browser, pages)
    ask(browser, "融资利率是多少？")
    bar = browser.find_elements(By.CSS_SELECTOR, ".lr-feedback")[-1]
    assert bar.get_attribute("role") == "group" and bar.get_attribute("aria-label") == "这个回答有帮助吗？"
    bar.find_elements(By.CSS_SELECTOR, ".lr-fb")[1].click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".lr-reasons .lr-reason"))
    fbs = browser.find_elements(By.CSS_SELECTOR, ".lr-feedback .lr-fb")[-2:]
    assert [b.get_attribute("aria-pressed") for b in fbs] == ["false", "true"]
    chosen = browser.execute_script("return getComputedStyle(arguments[0]).backgroundColor", fbs[1])
    assert chosen == "rgb(168, 7, 26)"  # clearly chosen, not light grey
    reasons = browser.find_elements(By.CSS_SELECTOR, ".lr-reasons .lr-reason")
    assert [r.text for r in reasons] == ["答非所问", "看不懂", "信息过时", "其他"]
    reasons[1].click()
    wait(browser, lambda d: "看不懂" in d.find_elements(By.CSS_SELECTOR, ".lr-thanks")[-1].text)
    thanks = browser.find_elements(By.CSS_SELECTOR, ".lr-thanks")[-1]
    assert float(browser.execute_script("return parseFloat(getComputedStyle(arguments[0]).fontSize)", thanks)) >= 13
    shot(browser, "feedback-reason")
    sid = browser.execute_script("return window.LRWidget.sessionId")
    deadline, rows = time.monotonic() + 5, []
    while time.monotonic() < deadline:
        with session_scope(database_url) as s:
            rows = [
                (r.helpful, r.reason) for r in s.scalars(select(AnswerFeedback).where(AnswerFeedback.sender_id == sid))
            ]
        if rows and rows[0][1]:
            break
        time.sleep(0.2)
    assert rows == [(False, "看不懂")]  # one row, updated with the reason


def test_accessibility_details_and_favicon(browser, pages):
    open_widget(browser, pages)
    ask(browser, "融资利率是多少？")
    assert browser.find_element(By.CSS_SELECTOR, ".lr-typing").get_attribute("role") == "status"
    small = browser.execute_script(
        """return [...document.querySelectorAll('.lr-root *')].filter(e => e.offsetParent && e.childNodes.length
                 && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
                 && parseFloat(getComputedStyle(e).fontSize) < 12)
                 .map(e => e.className + ':' + e.textContent.slice(0, 20));"""
    )
    assert small == []
    for page in ("/", "/chat", "/editor", "/agent"):
        browser.get(pages + page)
        icon = browser.execute_script("const l = document.querySelector('link[rel=icon]'); return l && l.href;")
        assert requests.get(icon or pages + "/favicon.ico", timeout=10).status_code == 200, page
    assert requests.get(pages + "/favicon.ico", timeout=10).status_code == 200


def test_es_module_build_emits_events(browser, pages):
    browser.get(pages + "/static/demo-esm.html")
    wait(browser, lambda d: d.execute_script("return !!window.demoWidget"))
    browser.execute_script("window.demoWidget.open()")
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".lr-root").get_attribute("data-transport") == "socket")
    ask(browser, "融资利率是多少？")
    browser.execute_script("window.demoWidget.close()")
    events = lambda d: [e.get_attribute("data-event") for e in d.find_elements(By.CSS_SELECTOR, "#events li")]  # noqa: E731
    wait(browser, lambda d: "close" in events(d))
    assert events(browser)[0] == "open" and events(browser).count("message") >= 2
    with pytest.raises(Exception, match="unknown widget event"):
        browser.execute_script("window.demoWidget.on('nope', () => {})")
