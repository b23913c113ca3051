"""The publishing page as an editor and a reviewer use it, in headless Chromium against the
real servers. Screenshots go to test-artifacts/ (editor-*.png)."""

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from services.knowledge import insights
from tests.browser import ARTIFACTS, make_driver, wait
from tests.test_editor import login

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
EDITOR, REVIEWER = ("limin", "editor-demo-pass"), ("zhouting", "reviewer-demo-pass")


def shot(driver, name):
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"editor-{name}.png"))


def page_as(tmp_path, pages, who, name="a"):
    driver = make_driver(tmp_path / name, 1280, 1400)
    driver.get(pages + "/editor")
    driver.find_element(By.ID, "username").send_keys(who[0])
    driver.find_element(By.ID, "password").send_keys(who[1])
    driver.find_element(By.CSS_SELECTOR, "#login button").click()
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#entries li"))
    return driver


def open_entry(driver, faq_id):
    driver.find_element(By.CSS_SELECTOR, f"#entries button[data-faq-id={faq_id}]").click()
    wait(driver, lambda d: d.find_element(By.ID, "editor-title").text == faq_id)
    wait(driver, lambda d: d.find_element(By.ID, "preview").text)


def visible_steps(driver):
    return [
        b.get_attribute("data-step") for b in driver.find_elements(By.CSS_SELECTOR, "[data-step]") if b.is_displayed()
    ]


@pytest.fixture()
def editor_page(tmp_path, pages):
    driver = page_as(tmp_path, pages, EDITOR)
    yield driver
    driver.quit()


def test_tabs_show_one_panel_at_a_time(editor_page):
    d = editor_page
    open_entry(d, "quota_vip")
    d.find_element(By.ID, "tabbtn-insights").click()
    wait(d, lambda d: d.find_element(By.ID, "tab-insights").is_displayed())
    assert (
        not d.find_element(By.ID, "tab-entries").is_displayed() and not d.find_element(By.ID, "editor").is_displayed()
    )
    assert d.find_element(By.ID, "tabbtn-insights").get_attribute("aria-selected") == "true"
    d.find_element(By.ID, "tabbtn-lectures").click()
    assert d.find_element(By.ID, "tab-lectures").is_displayed()
    assert (
        not d.find_element(By.ID, "tab-insights").is_displayed()
        and not d.find_element(By.ID, "tab-entries").is_displayed()
    )
    shot(d, "tabs-lectures")
    d.find_element(By.ID, "tabbtn-entries").click()
    assert d.find_element(By.ID, "editor").is_displayed() and not d.find_element(By.ID, "tab-lectures").is_displayed()


def test_validation_messages_are_chinese_at_their_field_with_the_text_marked(editor_page):
    d = editor_page
    open_entry(d, "quota_vip")
    answer = d.find_element(By.ID, "f-answer")
    answer.clear()
    answer.send_keys("VIP客户融资利率为9.8%，保本。")
    wait(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#p-answer p.error")) == 2)
    messages = [p.text for p in d.find_elements(By.CSS_SELECTOR, "#p-answer p.error")]
    assert any("9.8%" in m and "政策文件" in m for m in messages) and any("保本" in m for m in messages)
    assert all(m.startswith("错误 · 答案：") for m in messages)  # Chinese field name, not "answer"
    assert not d.find_elements(By.CSS_SELECTOR, "#p-cites p, #problems p.error")  # not under another field
    marks = [m.text for m in d.find_elements(By.CSS_SELECTOR, "#preview mark.error")]
    assert marks == ["9.8%", "保本"]
    assert answer.get_attribute("aria-invalid") == "true"
    d.find_elements(By.CSS_SELECTOR, "#p-answer button.locate")[0].click()  # selects the text in the field
    assert (
        d.execute_script("const a = arguments[0]; return a.value.slice(a.selectionStart, a.selectionEnd)", answer)
        == "9.8%"
    )
    shot(d, "validation-at-field")


def test_policy_picker_inserts_a_placeholder_and_cites_it(editor_page):
    d = editor_page
    d.find_element(By.ID, "new-entry").click()
    answer = d.find_element(By.ID, "f-answer")
    answer.send_keys("融资年利率为")
    picker = Select(d.find_element(By.ID, "policy-picker"))
    wait(d, lambda d: len(picker.options) > 20)
    assert any("interest.financing_annual_rate · 6.8%" == o.text for o in picker.options)
    picker.select_by_value("{{ interest.financing_annual_rate | pct }}")
    answer.send_keys("。")
    assert answer.get_attribute("value") == "融资年利率为{{ interest.financing_annual_rate | pct }}。"
    assert d.find_element(By.ID, "f-cites").get_attribute("value") == "interest.financing_annual_rate"
    wait(d, lambda d: d.find_element(By.ID, "preview").text.startswith("融资年利率为6.8%。"))
    assert not any("6.8%" in p.text for p in d.find_elements(By.CSS_SELECTOR, "#p-answer p"))  # no typed number
    shot(d, "policy-picker")


def test_workflow_buttons_by_role_and_state_reject_reason_and_live_refresh(tmp_path, pages):
    editor_headers, reviewer_headers = login(pages, *EDITOR), login(pages, *REVIEWER)
    ed = page_as(tmp_path, pages, EDITOR, "ed")
    rv = None
    try:
        open_entry(ed, "contract_term")
        assert visible_steps(ed) == []  # published: an editor can only save a new draft
        answer = ed.find_element(By.ID, "f-answer")
        text = answer.get_attribute("value")
        assert "{{ contract.max_term_months | int }}" in text
        answer.clear()
        answer.send_keys(
            text.replace("{{ contract.max_term_months | int }}", "{{ contract.renewal_term_months | int }}")
        )
        ed.find_element(By.ID, "save").click()
        wait(ed, lambda d: "已保存" in d.find_element(By.ID, "message").text)
        wait(ed, lambda d: visible_steps(d) == ["submit"])  # draft: 提交审核, never 通过 or 发布
        # the word diff keeps placeholders whole
        wait(ed, lambda d: d.find_elements(By.CSS_SELECTOR, "#changes del"))
        assert [e.text for e in ed.find_elements(By.CSS_SELECTOR, "#changes [data-field=answer] del")] == [
            "{{ contract.max_term_months | int }}"
        ]
        assert [e.text for e in ed.find_elements(By.CSS_SELECTOR, "#changes [data-field=answer] ins")] == [
            "{{ contract.renewal_term_months | int }}"
        ]
        ed.find_element(By.CSS_SELECTOR, "[data-step=submit]").click()
        wait(ed, lambda d: "已提交审核" in d.find_element(By.ID, "message").text)
        wait(ed, lambda d: visible_steps(d) == [])  # in review: nothing for its author
        shot(ed, "editor-in-review")

        rv = page_as(tmp_path, pages, REVIEWER, "rv")
        open_entry(rv, "contract_term")
        assert visible_steps(rv) == ["approve", "reject", "retire"]
        rv.find_element(By.CSS_SELECTOR, "[data-step=reject]").click()
        rv.find_element(By.ID, "reject-confirm").click()  # no reason
        assert "请填写退回原因" in rv.find_element(By.ID, "reject-error").text
        shot(rv, "reviewer-reject-needs-reason")
        rv.find_element(By.ID, "reject-note").send_keys("展期期限与合约期限混淆，请改回")
        rv.find_element(By.ID, "reject-confirm").click()
        wait(rv, lambda d: "已退回" in d.find_element(By.ID, "message").text)

        # the editor's page, untouched, catches up by itself and shows the reason
        wait(ed, lambda d: d.find_element(By.ID, "reject-shown").is_displayed(), 15)
        assert "展期期限与合约期限混淆" in ed.find_element(By.ID, "reject-shown").text
        assert "已退回" in ed.find_element(By.ID, "entry-state").text and visible_steps(ed) == []  # save again first
        assert "zhouting" in ed.find_element(By.ID, "message").text
        shot(ed, "editor-sees-rejection")
    finally:
        ed.quit()
        if rv:
            rv.quit()
    # the API refuses a 退回 without a reason, and an editor's 通过
    detail = requests.get(f"{pages}/api/editor/entries/contract_term", headers=editor_headers, timeout=10).json()
    requests.put(
        f"{pages}/api/editor/entries/contract_term",
        json={"content": detail["latest"]["content"], "lock": detail["lock"]},
        headers=editor_headers,
        timeout=30,
    ).raise_for_status()
    requests.post(
        f"{pages}/api/editor/entries/contract_term/submit", headers=editor_headers, timeout=10
    ).raise_for_status()
    refused = requests.post(
        f"{pages}/api/editor/entries/contract_term/reject", json={"note": " "}, headers=reviewer_headers
    )
    assert refused.status_code == 400 and refused.json()["field"] == "note"
    approve = requests.post(f"{pages}/api/editor/entries/contract_term/approve", headers=editor_headers, timeout=10)
    assert approve.status_code in (400, 403) and "审核人" in approve.json()["error"]
    requests.post(
        f"{pages}/api/editor/entries/contract_term/reject", json={"note": "测试结束"}, headers=reviewer_headers
    ).raise_for_status()


def test_insights_charts_clusters_and_draft_from_a_cluster(editor_page, pages, servers, monkeypatch):
    for i, question in enumerate(
        ["帮我订一张去上海的机票", "比例", "融资利率是多少", "融资利率是多少", "追保期限是几天"]
    ):
        servers.chat(question, sender=f"e2e-chart-{i}")
    requests.post(
        f"{servers.url}/webhooks/feedback/",
        json={
            "sender": "e2e-chart-2",
            "faq_id": "interest_financing_rate",
            "version": 1,
            "helpful": False,
            "reason": "看不懂",
        },
        timeout=10,
    ).raise_for_status()
    monkeypatch.setenv("BOT_FAKE_NOW", servers.env["BOT_FAKE_NOW"])  # the servers' day
    for i in range(12):  # a flood from one sender, about no real entry
        insights.log_question("e2e-flooder", f"刷屏{i}", "fallback", "zzz_not_a_real_entry", 0.1)
    insights.log_question("e2e-long", "两融" * 1000, "out_of_scope", "interest_financing_rate", 0.2)
    d = editor_page
    d.find_element(By.ID, "tabbtn-insights").click()
    data = """const c = echarts.getInstanceByDom(document.getElementById(arguments[0]));
              return c ? c.getOption().series.map(s => s.data) : null;"""
    wait(d, lambda d: d.execute_script(data, "chart-trend") and sum(d.execute_script(data, "chart-trend")[0]) > 0)
    assert d.find_element(By.ID, "r-to").get_attribute("value") == "2026-11-26"  # local (Shanghai) day
    trend = d.execute_script(data, "chart-trend")
    assert sum(trend[0]) >= 2 and sum(trend[1]) >= 1  # unanswered and 没帮助 per day
    assert sum(d.execute_script(data, "chart-topics")[0]) >= 2
    assert max(d.execute_script(data, "chart-unhelpful")[0]) > 0
    assert any(v is not None for v in d.execute_script(data, "chart-rates")[0])
    assert d.find_elements(By.CSS_SELECTOR, "#chart-trend canvas")
    titles = [h.text for h in d.find_elements(By.CSS_SELECTOR, ".cluster h4")]
    assert titles and not any("zzz_not_a_real_entry" in t for t in titles) and not any("_" in t for t in titles)
    assert any(t.startswith("融资利率是多少？") for t in titles)  # named by the topic's title
    assert all(len(li.text) < 140 for li in d.find_elements(By.CSS_SELECTOR, ".cluster li"))  # long text truncated
    no_topic = next(
        h.text for h in d.find_elements(By.CSS_SELECTOR, ".cluster h4") if h.text.startswith("（无相近主题）")
    )
    flood_count = int(no_topic.split("·")[1].strip().split(" ")[0])
    assert flood_count <= insights.FLOOD_CAP + 5  # 12 from one sender count as FLOOD_CAP
    shot(d, "insights-charts")
    # 起草条目: a new draft with the cluster's questions as paraphrases
    cluster = next(
        c for c in d.find_elements(By.CSS_SELECTOR, ".cluster") if c.find_elements(By.CSS_SELECTOR, "button.draft")
    )
    examples = [li.text.split("］ ", 1)[1] for li in cluster.find_elements(By.CSS_SELECTOR, "li")]
    cluster.find_element(By.CSS_SELECTOR, "button.draft").click()
    wait(d, lambda d: d.find_element(By.ID, "editor").is_displayed())
    assert (
        d.find_element(By.ID, "editor-title").text == "新建条目"
        and not d.find_element(By.ID, "tab-insights").is_displayed()
    )
    drafted = [d.find_element(By.ID, "f-question").get_attribute("value")] + [
        x for x in d.find_element(By.ID, "f-paraphrases").get_attribute("value").split("\n") if x
    ]
    short = [e for e in examples if len(e) <= 60 and not e.endswith("…")]
    assert short and set(short) <= set(drafted)
    assert "起草" in d.find_element(By.ID, "message").text
    shot(d, "draft-from-cluster")
