"""The education team's publishing page and API, against the live assistant."""

import time

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.browser import ARTIFACTS, make_driver, wait

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def login(pages, username, password):
    resp = requests.post(f"{pages}/api/staff/login", json={"username": username, "password": password}, timeout=10)
    assert resp.status_code == 200, resp.text
    return {"Authorization": "Bearer " + resp.json()["token"]}


def faq_reply(servers, text, sender):
    data = servers.chat(text, sender=sender).json()
    return next((m for m in data if m.get("custom", {}).get("faq_id")), None)


def test_staff_api_refuses_anonymous_client_tokens_and_wrong_passwords(pages, servers):
    for headers in ({}, {"Authorization": "Bearer " + servers.token("C1001")}, {"Authorization": "Bearer junk"}):
        assert requests.get(f"{pages}/api/editor/entries", headers=headers, timeout=10).status_code == 401
    wrong = requests.post(f"{pages}/api/staff/login", json={"username": "limin", "password": "nope"}, timeout=10)
    unknown = requests.post(f"{pages}/api/staff/login", json={"username": "nobody", "password": "nope"}, timeout=10)
    assert wrong.status_code == unknown.status_code == 401 and wrong.json() == unknown.json()


def step(pages, headers, faq_id, name, **body):
    resp = requests.post(f"{pages}/api/editor/entries/{faq_id}/{name}", json=body, headers=headers, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def change(pages, requester, approver, faq_id, action, **body):
    """A change clients see: one person requests it, another reviewer approves it."""
    rid = step(pages, requester, faq_id, "request", action=action, **body)["request"]
    refused = requests.post(f"{pages}/api/editor/requests/{rid}/approve", headers=requester, timeout=30)
    assert refused.status_code in (400, 403)  # never the requester
    resp = requests.post(f"{pages}/api/editor/requests/{rid}/approve", headers=approver, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_publish_through_the_page_goes_live_within_5_seconds(pages, servers, tmp_path):
    driver = make_driver(tmp_path)
    try:
        driver.get(pages + "/editor")
        driver.find_element(By.ID, "username").send_keys("limin")
        driver.find_element(By.ID, "password").send_keys("editor-demo-pass")
        driver.find_element(By.CSS_SELECTOR, "#login button").click()
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#entries li"))
        driver.find_element(By.ID, "new-entry").click()
        fields = {
            "f-id": "service_app_download",
            "f-category": "service",
            "f-question": "示例证券App在哪里下载？",
            "f-tags": "App, 下载",
            "f-cites": "broker.hotline",
            "f-answer": "请在手机应用商店搜索“示例证券”下载官方App，或致电{{ broker.hotline | raw }}获取下载链接。",
            "f-paraphrases": "\n".join(
                [
                    "app怎么下载",
                    "手机软件去哪下",
                    "官方APP下载地址",
                    "在哪装你们的交易软件",
                    "苹果手机怎么下载示例证券",
                    "安卓版app哪里有",
                ]
            ),
        }
        for field, value in fields.items():
            driver.find_element(By.ID, field).send_keys(value)
        wait(driver, lambda d: "400-000-0000" in d.find_element(By.ID, "preview").text)  # live preview
        driver.find_element(By.CSS_SELECTOR, "#editor button[type=submit]").click()
        wait(driver, lambda d: "已保存" in d.find_element(By.ID, "message").text)
        # the message shows once the saved entry is read back, with its buttons
        driver.find_element(By.CSS_SELECTOR, "[data-step=submit]").click()
        wait(driver, lambda d: "已提交审核" in d.find_element(By.ID, "message").text)
        assert not driver.find_element(By.CSS_SELECTOR, "[data-step=approve]").is_displayed()  # never for an editor
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "editor.png"))
    finally:
        driver.quit()
    # the author may not approve: the API refuses, whatever the page shows
    author = login(pages, "limin", "editor-demo-pass")
    refused = requests.post(f"{pages}/api/editor/entries/service_app_download/approve", headers=author, timeout=30)
    assert refused.status_code in (400, 403)
    assert "不能审核自己" in refused.json()["error"] or "只有审核人" in refused.json()["error"]
    reviewer = login(pages, "zhouting", "reviewer-demo-pass")
    step(pages, reviewer, "service_app_download", "approve")
    alone = requests.post(f"{pages}/api/editor/entries/service_app_download/publish", headers=reviewer, timeout=30)
    assert alone.status_code == 404  # no way to publish alone
    asked = requests.post(
        f"{pages}/api/editor/entries/service_app_download/request",
        json={"action": "publish"},
        headers=reviewer,
        timeout=30,
    )
    assert asked.status_code == 200, asked.text
    [pending] = requests.get(f"{pages}/api/editor/requests", headers=reviewer, timeout=10).json()
    assert pending["requested_by"] == "zhouting" and pending["action"] == "publish"
    approved = requests.post(
        f"{pages}/api/editor/requests/{pending['id']}/approve",
        headers=login(pages, "chenjie", "reviewer2-demo-pass"),
        timeout=30,
    )
    assert approved.status_code == 200, approved.text
    published_at = time.monotonic()
    reply = None
    while time.monotonic() - published_at < 5:
        reply = faq_reply(servers, "你们的手机app去哪里下载啊", "e2e-pub")
        if reply and reply["custom"]["faq_id"] == "service_app_download":
            break
        time.sleep(0.25)
    took = time.monotonic() - published_at
    print(f"published entry answered after {took:.2f} s")
    assert reply and reply["custom"]["faq_id"] == "service_app_download" and took < 5


def test_bad_number_is_not_published_and_rollback_is_live_within_5_seconds(pages, servers):
    editor, reviewer = login(pages, "wangfang", "editor2-demo-pass"), login(pages, "chenjie", "reviewer2-demo-pass")
    detail = requests.get(f"{pages}/api/editor/entries/interest_lending_rate", headers=editor, timeout=10).json()
    original_version = detail["published_version"]
    content = detail["latest"]["content"]
    bad = dict(content, answer="融券年费率为9.8%。")
    saved = requests.put(
        f"{pages}/api/editor/entries/interest_lending_rate",
        headers=editor,
        timeout=30,
        json={"content": bad, "lock": detail["lock"]},
    ).json()
    assert any("9.8%" in p["message"] for p in saved["problems"])
    refused = requests.post(f"{pages}/api/editor/entries/interest_lending_rate/submit", headers=editor, timeout=30)
    assert refused.status_code == 400 and "校验" in refused.json()["error"]
    assert faq_reply(servers, "融券费率多少", "e2e-bad")["custom"]["version"] == original_version
    # a correct edit goes live, then is rolled back
    good = dict(content, answer=content["answer"] + "如有疑问可咨询客服。")
    requests.put(
        f"{pages}/api/editor/entries/interest_lending_rate",
        headers=editor,
        timeout=30,
        json={"content": good, "lock": saved["lock"]},
    ).raise_for_status()
    step(pages, editor, "interest_lending_rate", "submit")
    step(pages, reviewer, "interest_lending_rate", "approve")
    other = login(pages, "zhouting", "reviewer-demo-pass")
    new_version = change(pages, editor, reviewer, "interest_lending_rate", "publish")["version"]
    rolled = change(pages, reviewer, other, "interest_lending_rate", "rollback", version=original_version)["version"]
    started = time.monotonic()
    while time.monotonic() - started < 5:
        reply = faq_reply(servers, "融券费率多少", "e2e-rb")
        if reply["custom"]["version"] == rolled and "咨询客服" not in reply["text"]:
            break
        time.sleep(0.25)
    assert reply["custom"]["version"] == rolled != new_version and "咨询客服" not in reply["text"]
    assert time.monotonic() - started < 5


def test_concurrent_edits_do_not_overwrite(pages):
    a, b = login(pages, "limin", "editor-demo-pass"), login(pages, "wangfang", "editor2-demo-pass")
    detail = requests.get(f"{pages}/api/editor/entries/contract_renewal", headers=a, timeout=10).json()
    first = requests.put(
        f"{pages}/api/editor/entries/contract_renewal",
        headers=a,
        timeout=30,
        json={"content": dict(detail["latest"]["content"], tags=["展期", "甲"]), "lock": detail["lock"]},
    )
    second = requests.put(
        f"{pages}/api/editor/entries/contract_renewal",
        headers=b,
        timeout=30,
        json={"content": dict(detail["latest"]["content"], tags=["展期", "乙"]), "lock": detail["lock"]},
    )
    assert first.status_code == 200 and second.status_code == 409 and "其他人修改" in second.json()["error"]


def test_insights_and_lectures(pages, servers):
    servers.chat("帮我查一下隔壁老王的快递", sender="e2e-ins")
    servers.chat("比例", sender="e2e-ins")
    editor = login(pages, "limin", "editor-demo-pass")
    deadline = time.monotonic() + 10  # the question log is written in the background
    while True:
        groups = requests.get(f"{pages}/api/editor/insights", headers=editor, timeout=10).json()
        if sum(g["count"] for g in groups) >= 1 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert sum(g["count"] for g in groups) >= 1
    csv = requests.get(f"{pages}/api/editor/insights.csv", headers=editor, timeout=10)
    assert csv.status_code == 200 and "可能的主题" in csv.text
    added = requests.post(
        f"{pages}/api/editor/lectures",
        headers=editor,
        timeout=10,
        json={"title": "两融风险控制专题讲座", "day": "2026-12-20", "place": "线上直播 https://edu.example.com/live"},
    )
    assert added.status_code == 200
    data = servers.chat("最近有投教讲座吗", sender="e2e-lec").json()
    assert any("两融风险控制专题讲座" in (m.get("text") or "") for m in data)
