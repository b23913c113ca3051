"""The publishing workflow on a real database: rules, validation, locking, history."""

import json

import pytest

from services.knowledge import publishing as pub
from services.knowledge.store import DbStore
from storage.db import session_scope


@pytest.fixture()
def db(database_url):
    return database_url


def content(**over):
    base = {
        "category": "service",
        "question": "两融业务可以在周末办理吗？",
        "paraphrases": [
            "周末能办两融吗",
            "星期六可以开两融吗",
            "节假日能办理融资融券业务吗",
            "周日营业部办两融吗",
            "休息日可以开信用账户吗",
            "假期能不能办两融业务",
        ],
        "answer": "营业部柜台服务时间为{{ broker.counter_hours.start | raw }}–{{ broker.counter_hours.end | raw }}，"
        "具体以营业部公告为准。",
        "tags": ["服务时间"],
        "cites": ["broker.counter_hours"],
        "money_topic": False,
    }
    base.update(over)
    return base


def publish(s, faq_id, requester, approver):
    """A publish as the page does it: one person asks, another reviewer approves."""
    return pub.approve_change(s, pub.request_change(s, faq_id, "publish", requester, "editor"), approver, "reviewer")


def live_versions(url):
    return {e.id: e.version for e in DbStore(url).published()}


def test_draft_review_publish_goes_live(db):
    with session_scope(db) as s:
        saved = pub.save_draft(s, "service_weekend", content(), "limin", None)
        assert [p for p in saved.problems if p.level == "error"] == []
        pub.submit(s, "service_weekend", "limin")
    with session_scope(db) as s, pytest.raises(pub.WorkflowError, match="自己"):
        pub.approve(s, "service_weekend", "limin", "reviewer")  # author cannot approve their own
    with session_scope(db) as s, pytest.raises(pub.WorkflowError, match="审核人"):
        pub.approve(s, "service_weekend", "wangfang", "editor")  # editors cannot approve
    before = DbStore(db).revision()
    with session_scope(db) as s:
        pub.approve(s, "service_weekend", "zhouting", "reviewer")
        assert "service_weekend" not in live_versions(db)  # approved is not yet live
        publish(s, "service_weekend", "limin", "zhouting")
    assert live_versions(db)["service_weekend"] == saved.version
    assert DbStore(db).revision() != before


def test_wrong_number_or_banned_promise_cannot_be_published(db):
    live = live_versions(db)["interest_financing_rate"]
    with session_scope(db) as s:
        detail = pub.entry_detail(s, "interest_financing_rate")
        bad = dict(detail["latest"]["content"], answer="融资年利率为7.8%，稳赚不赔。")
        saved = pub.save_draft(s, "interest_financing_rate", bad, "limin", detail["lock"])
        messages = " ".join(p.message for p in saved.problems)
        assert "7.8%" in messages and "稳赚" in messages
    with session_scope(db) as s, pytest.raises(pub.WorkflowError, match="校验"):
        pub.submit(s, "interest_financing_rate", "limin")
    assert live_versions(db)["interest_financing_rate"] == live  # the previous version stays live
    with session_scope(db) as s:  # put the draft right again for the other tests
        detail = pub.entry_detail(s, "interest_financing_rate")
        good = next(json.loads(v.content) for v in [pub._version(s, "interest_financing_rate", live)])
        pub.save_draft(s, "interest_financing_rate", good, "limin", detail["lock"])


def test_concurrent_edit_is_refused(db):
    with session_scope(db) as s:
        lock = pub.entry_detail(s, "contract_term")["lock"]
        current = pub.entry_detail(s, "contract_term")["latest"]["content"]
    with session_scope(db) as s:
        pub.save_draft(s, "contract_term", dict(current, tags=["期限", "A"]), "limin", lock)
    with session_scope(db) as s, pytest.raises(pub.EditConflict, match="其他人修改"):
        pub.save_draft(s, "contract_term", dict(current, tags=["期限", "B"]), "wangfang", lock)
    with session_scope(db) as s:  # nothing was silently overwritten
        assert pub.entry_detail(s, "contract_term")["latest"]["content"]["tags"] == ["期限", "A"]


def test_rollback_and_retire(db):
    with session_scope(db) as s:
        detail = pub.entry_detail(s, "service_hours")
        original = detail["published_version"]
        changed = dict(detail["latest"]["content"], tags=["服务时间", "改过"])
        pub.save_draft(s, "service_hours", changed, "wangfang", detail["lock"])
        pub.submit(s, "service_hours", "wangfang")
        pub.approve(s, "service_hours", "chenjie", "reviewer")
        new = publish(s, "service_hours", "wangfang", "chenjie")
    assert live_versions(db)["service_hours"] == new
    with session_scope(db) as s:
        rid = pub.request_change(s, "service_hours", "rollback", "chenjie", "reviewer", original)
        back = pub.approve_change(s, rid, "zhouting", "reviewer")
        history = pub.entry_detail(s, "service_hours")["history"]
    assert live_versions(db)["service_hours"] == back
    assert history[0]["action"] == "rollback" and "改过" in history[0]["diff"]
    with session_scope(db) as s:
        pub.save_draft(
            s,
            "service_lost_password",
            content(
                question="信用账户交易密码忘了怎么办？",
                tags=["密码"],
                paraphrases=[
                    "两融账户密码忘记了",
                    "信用账户密码怎么重置",
                    "忘了交易密码咋整",
                    "密码输错被锁了",
                    "信用账户登录不了 密码不对",
                    "怎么找回信用账户密码",
                ],
                answer="请携带身份证到营业部柜台办理密码重置，柜台服务时间为{{ broker.counter_hours.start | raw }}–"
                "{{ broker.counter_hours.end | raw }}。",
            ),
            "limin",
            None,
        )
        pub.submit(s, "service_lost_password", "limin")
        pub.approve(s, "service_lost_password", "zhouting", "reviewer")
        publish(s, "service_lost_password", "limin", "zhouting")
    assert "service_lost_password" in live_versions(db)
    with session_scope(db) as s:
        pub.approve_change(
            s, pub.request_change(s, "service_lost_password", "retire", "limin", "editor"), "zhouting", "reviewer"
        )
    assert "service_lost_password" not in live_versions(db)
