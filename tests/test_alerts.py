"""Proactive alerts: idempotent creation, delivery to an open (or reopened) widget,
SMS/push outbox, and the market-wide cut."""

from datetime import date
from decimal import Decimal

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import func, select

from core.errors import Invalid
from services import alerts, context
from storage import migrate
from storage.content import Alert, OutboxMessage
from storage.db import session_scope
from storage.models import CreditAccount, CreditLineChange, MarginCall
from storage.seed import seed
from tests.browser import ARTIFACTS, demo_login_and_open_chat, make_driver, wait
from tests.conftest import RISK_KEY


@pytest.fixture()
def fresh_db(tmp_path, monkeypatch):
    """A database of its own: these tests change credit lines."""
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    migrate.upgrade(url)
    with session_scope(url) as s:
        seed(s)
    monkeypatch.setenv("BOT_DATABASE_URL", url)
    return url


def count(url, model, *where):
    with session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_events_alert_once_and_reach_the_outbox(fresh_db):
    assert alerts.scan() == 1  # C1003's open margin call
    assert alerts.scan() == 0  # re-running never alerts twice
    first = alerts.record_margin_call("C1003")  # the same event again
    assert alerts.record_margin_call("C1003") == first and alerts.scan() == 0
    assert count(fresh_db, Alert) == 1
    assert count(fresh_db, OutboxMessage) == 2  # SMS and app push
    with session_scope(fresh_db) as s:
        alert = s.scalars(select(Alert)).one()
    assert "128.00%" in alert.text and "2026年11月27日 15:00" in alert.text and "550,000元" in alert.text


def test_a_scan_that_loses_the_race_rolls_back_and_scans_again(fresh_db, monkeypatch):
    assert alerts.scan() == 1
    # the race made certain: this scan's first check misses the alert another scan committed
    checks, passes = [], []
    real_exists, real_pass = alerts._exists, alerts._scan_once
    monkeypatch.setattr(
        alerts,
        "_exists",
        lambda session, key: bool(checks.append(key) or len(checks) > 1) and real_exists(session, key),
    )
    monkeypatch.setattr(alerts, "_scan_once", lambda sender: passes.append(1) or real_pass(sender))
    assert alerts.scan() == 0
    assert len(passes) == 2  # the duplicate was refused, the scan ran again
    assert count(fresh_db, Alert) == 1 and count(fresh_db, OutboxMessage) == 2  # nothing sent twice


def test_parallel_scans_create_each_alert_once(fresh_db):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        created = list(pool.map(lambda _: alerts.scan(), range(4)))
    assert sum(created) == 1 and count(fresh_db, Alert) == 1 and count(fresh_db, OutboxMessage) == 2


def test_a_message_a_channel_logged_is_not_delivered_again(fresh_db):
    """The socket.io channel logs each alert it pushed as a "system" line; the delivery
    loop must not push that line a second time."""
    import time

    from services import handoff

    context.current().transcript.add("alert-room", "system", ["【风险预警】测试"])
    deadline = time.monotonic() + 10
    while not handoff.transcript("alert-room") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [m["text"] for m in handoff.transcript("alert-room")] == ["【风险预警】测试"]
    assert handoff.undelivered({"alert-room"}) == []


def test_market_cut_dry_run_then_real_run(fresh_db):
    alerts.scan()
    before = {a.client_id: a.credit_line for a in _accounts(fresh_db)}
    rows = list(alerts.market_cut(Decimal("0.2"), "因市场波动", dry_run=True))
    assert rows[-1] == {"summary": True, "accounts": 3, "alerts": 0, "dry_run": True}
    assert {a.client_id: a.credit_line for a in _accounts(fresh_db)} == before
    assert count(fresh_db, CreditLineChange) == 2  # only the seeded history
    rows = list(alerts.market_cut(Decimal("0.2"), "因市场波动", dry_run=False, batch=2))
    after = {a.client_id: a.credit_line for a in _accounts(fresh_db)}
    assert after == {k: v * Decimal("0.8") for k, v in before.items()}
    assert rows[-1]["alerts"] == 3
    assert count(fresh_db, Alert, Alert.kind == "line_change") == 3
    assert alerts.scan() == 0  # each affected client alerted exactly once
    with pytest.raises(Invalid, match="下调比例"):
        list(alerts.market_cut(Decimal("0.35"), "太多", dry_run=True))  # policy caps cuts at 30%


def _accounts(url):
    with session_scope(url) as s:
        return list(s.scalars(select(CreditAccount)))


@pytest.mark.e2e
@pytest.mark.browser
def test_alert_reaches_the_open_widget_and_the_follow_up_has_the_amount(pages, servers, database_url, tmp_path):
    def event(body):
        resp = requests.post(
            f"{pages}/api/risk/events", json=body, timeout=30, headers={"Authorization": f"Bearer {RISK_KEY}"}
        )
        assert resp.status_code == 200, resp.text
        return resp.json()["alerts_created"]

    assert requests.post(f"{pages}/api/risk/events", json={"type": "scan"}, timeout=10).status_code == 401
    driver = make_driver(tmp_path)
    try:
        # prices fall while C1001 is offline: 600519 at 200 → ratio 120%
        assert event({"type": "price", "code": "600519.SH", "price": "200"}) >= 1
        demo_login_and_open_chat(driver, pages, "C1001")
        wait(driver, lambda d: any("风险预警" in e.text for e in d.find_elements(By.CSS_SELECTOR, ".lr-alert")), 10)

        # the margin call is recorded while the chat is open: shown within 5 s, once
        assert event({"type": "margin_call", "client_id": "C1001", "since": date.today().isoformat()}) == 1
        wait(driver, lambda d: any("追保通知" in e.text for e in d.find_elements(By.CSS_SELECTOR, ".lr-alert")), 5)
        assert event({"type": "margin_call", "client_id": "C1001"}) == 0
        alert = [e for e in driver.find_elements(By.CSS_SELECTOR, ".lr-alert") if "追保通知" in e.text]
        assert len(alert) == 1 and "120.00%" in alert[0].text and "150,000元" in alert[0].text
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "alert-margin-call.png"))

        box = driver.find_element(By.CSS_SELECTOR, ".lr-input")
        box.send_keys("我要补多少钱")
        box.send_keys(Keys.ENTER)
        wait(
            driver,
            lambda d: any("需追加现金约150,000元" in e.text for e in d.find_elements(By.CSS_SELECTOR, ".lr-bot")),
        )
        with session_scope(database_url) as s:
            rows = s.scalars(select(Alert).where(Alert.client_id == "C1001")).all()
            assert all(a.delivered_at for a in rows) and any(a.read_at for a in rows)
    finally:
        driver.quit()
        alerts.record_price("600519.SH", Decimal("1600"))  # leave C1001 as the other tests expect
        with session_scope(database_url) as s:
            for call in s.scalars(
                select(MarginCall)
                .join(CreditAccount, CreditAccount.id == MarginCall.account_id)
                .where(CreditAccount.client_id == "C1001")
            ):
                call.state = "resolved"
