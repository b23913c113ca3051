"""Headless Chromium helpers for the page tests (Debian's chromium + chromium-driver)."""

import shutil
import time

import pytest
from selenium import webdriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def make_driver(tmp_path, width=1280, height=900, mobile=False):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("chromium and chromium-driver are required (scripts/test.sh installs them)", pytrace=False)
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={width},{height}",
    ):
        opts.add_argument(arg)
    if mobile:
        opts.add_experimental_option(
            "mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": True}}
        )
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the page's console, kept on a failure
    driver = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    return driver


def wait(driver, cond, timeout=30):
    """Until cond holds. An element that the page re-rendered between finding and reading it
    (the widget starts a new conversation after a login change) is read again next poll."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        return WebDriverWait(
            driver, timeout, poll_frequency=0.2, ignored_exceptions=(StaleElementReferenceException,)
        ).until(lambda d: cond(d))
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "last-failure.png"))  # what the page showed
        console = "\n".join(f"{e.get('level')} {e.get('message')}" for e in driver.get_log("browser"))
        (ARTIFACTS / "last-failure-console.txt").write_text(console, encoding="utf-8")
        raise


def settle(driver, quiet_s=1.5, timeout=10.0):
    """Until the chat log has had no new message for `quiet_s`: what a new conversation
    receives unasked (a client in a margin call gets its alert right after the session
    starts) has arrived, so it cannot move the page under a check or a tap."""
    from selenium.webdriver.common.by import By

    count, since, deadline = -1, time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = len(driver.find_elements(By.CSS_SELECTOR, ".lr-log > *"))
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
        time.sleep(0.1)


def demo_login_and_open_chat(driver, pages, client_id):
    """On the demo host page: log in as a demo client, open the widget, wait for the socket."""
    from selenium.webdriver.common.by import By

    driver.get(pages + "/")
    driver.find_element(By.CSS_SELECTOR, f"#demo-client option[value='{client_id}']").click()
    driver.find_element(By.CSS_SELECTOR, "#demo-login button").click()
    wait(driver, lambda d: client_id in d.find_element(By.ID, "demo-status").text)
    driver.find_element(By.CSS_SELECTOR, ".lr-launcher").click()
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".lr-root").get_attribute("data-transport") == "socket")
