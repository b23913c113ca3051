"""Records and privacy: purge by retention class with the clock moved, one client's export,
erasure, the append-only risk-notice record and the audit log's hash chain.

Each test works on a database of its own (SQLite, or a second PostgreSQL database next to
BOT_TEST_DATABASE_URL's), since purging and tampering change everything in it."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime
from typing import Iterator

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from actions.knowledge import ActionAnswerFaq
from actions.service import ActionRefuseAdvice
from core import clock
from core.logs import mask
from services.knowledge import insights
from services.knowledge.publishing import import_files
from services.records.audit import verify_chain
from services.records.purge import Interrupted, purge
from services.records.subject import erase_client, export_client
from services.staff import seed_demo_staff
from storage import migrate
from storage.content import Alert, Handoff, OutboxMessage, QuestionLog, StaffLoginFailure, TranscriptMessage
from storage.db import engine, session_scope
from storage.models import AnswerFeedback, AuditLog, Base, Client
from storage.records import AuditChain, ConversationClient, RiskNotice
from storage.repository import audit
from storage.seed import seed

NOW = "2026-11-26T10:00:00+08:00"


def at(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.TZ)


def _own_database(tmp_path) -> str:
    base = os.environ.get("BOT_TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'records.db'}"
    url = make_url(base)
    name = f"{url.database}_records"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(  # a previous test's pool may still hold connections
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture()
def db(tmp_path, monkeypatch) -> Iterator[str]:
    url = _own_database(tmp_path)
    monkeypatch.setenv("BOT_FAKE_NOW", NOW)
    migrate.upgrade(url)
    with session_scope(url) as s:
        seed(s)
        import_files(s)
        seed_demo_staff(s)
    monkeypatch.setenv("BOT_DATABASE_URL", url)
    yield url
    engine(url).dispose()


def count(model, *where) -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def say(sender: str, when: str, *texts: str, role: str = "client") -> None:
    with session_scope() as s:
        for t in texts:
            s.add(TranscriptMessage(sender_id=sender, role=role, text=t, at=at(when), delivered_at=at(when)))


def link(sender: str, client_id: str, when: str) -> None:
    with session_scope() as s:
        s.add(ConversationClient(sender_id=sender, client_id=client_id, first_at=at(when)))


def audit_at(when: str, monkeypatch, subject: str = "C1001", action: str = "query_quota") -> None:
    monkeypatch.setenv("BOT_FAKE_NOW", when)
    with session_scope() as s:
        audit(s, actor=subject, subject_client_id=subject, action=action)
    monkeypatch.setenv("BOT_FAKE_NOW", NOW)


def populate(monkeypatch) -> None:
    say("anon-old", "2026-01-10T09:00:00", "我有50万能开两融吗", "匿名旧消息")
    say("anon-new", "2026-11-01T09:00:00", "匿名新消息")
    link("ver-old", "C1001", "2026-01-10T09:00:00")
    say("ver-old", "2026-01-10T09:00:00", "已登录客户的旧消息")
    with session_scope() as s:
        s.add(
            Handoff(sender_id="anon-old", reason="客户要求人工服务", state="closed", created_at=at("2026-01-10T09:05"))
        )
        s.add(
            QuestionLog(
                at=at("2026-01-10T09:00"),
                sender_id="anon-old",
                text="我有50万能开两融吗",
                outcome="clarify",
                likely_faq_id="eligibility_assets",
                score="0.400",
            )
        )
        s.add(
            QuestionLog(
                at=at("2026-11-20T09:00"),
                sender_id="anon-new",
                text="新的问题",
                outcome="fallback",
                likely_faq_id="eligibility_assets",
                score="0.100",
            )
        )
        s.add(
            AnswerFeedback(
                at=at("2024-06-01T09:00"),
                sender_id="anon-old",
                faq_id="quota_what_is",
                version=1,
                helpful=False,
                comment="看不懂",
            )
        )
        s.add(
            AnswerFeedback(
                at=at("2026-11-20T09:00"),
                sender_id="anon-new",
                faq_id="quota_what_is",
                version=1,
                helpful=False,
                comment="还是看不懂",
            )
        )
        alert = Alert(
            client_id="C1003",
            event_key="old-call",
            kind="margin_call",
            text="追保通知",
            created_at=at("2022-01-05T09:00"),
        )
        s.add(alert)
        s.flush()
        s.add(
            OutboxMessage(
                alert_id=alert.id,
                client_id="C1003",
                channel="sms",
                address="13800001003",
                text="追保通知",
                created_at=at("2022-01-05T09:00"),
            )
        )
        s.add(
            RiskNotice(
                at=at("2000-03-01T09:00"),
                client_id="C1001",
                sender_id="ver-ancient",
                kind="risk_reminder",
                entry_id="interest_financing_rate",
                version="1",
                text_hash="a" * 64,
            )
        )
        s.add(
            RiskNotice(
                at=at("2026-11-20T09:00"),
                client_id="C1001",
                sender_id="ver-old",
                kind="risk_reminder",
                entry_id="interest_financing_rate",
                version="1",
                text_hash="b" * 64,
            )
        )
    for when in ("2000-01-03T09:00:00", "2000-01-04T09:00:00", "2000-01-05T09:00:00"):
        audit_at(when, monkeypatch)
    for when in ("2026-11-20T09:00:00", "2026-11-21T09:00:00"):
        audit_at(when, monkeypatch)


def topic_count(topic: str) -> int:
    groups = insights.grouped({topic: topic}, since="2026-01-01", until="2026-12-31")
    return next((g["count"] for g in groups if g["faq_id"] == topic), 0)


def test_purge_removes_what_is_past_its_period_and_keeps_the_rest(db, monkeypatch):
    populate(monkeypatch)
    assert topic_count("eligibility_assets") == 2
    unhelpful_before = count(AnswerFeedback, AnswerFeedback.helpful.is_(False))

    due = purge(dry_run=True)
    assert due.rows["anon_chat/transcript_messages"] == 2 and due.rows["audit/audit_log"] == 3
    assert count(TranscriptMessage, TranscriptMessage.sender_id == "anon-old") == 2  # a dry run only counts

    lines = []
    done = purge(progress=lines.append)
    assert {k: v for k, v in done.rows.items() if v} == {k: v for k, v in due.rows.items() if v}
    assert any(line.startswith("[purge] anon_chat/transcript_messages") for line in lines)
    # expired: anonymous chat (text and hand-off), the 2022 SMS copy, 20-year-old audit rows and notices
    assert count(TranscriptMessage, TranscriptMessage.sender_id == "anon-old") == 0
    assert count(Handoff, Handoff.sender_id == "anon-old") == 0
    assert count(OutboxMessage) == 0
    assert count(AuditLog) == 2 and count(RiskNotice) == 1
    # kept: newer anonymous chat, a verified client's transcript of the same age, the alert (20 years)
    assert count(TranscriptMessage, TranscriptMessage.sender_id == "anon-new") == 1
    assert count(TranscriptMessage, TranscriptMessage.sender_id == "ver-old") == 1
    assert count(Alert, Alert.event_key == "old-call") == 1
    # anonymised, counts intact: the question's text and the feedback's comment are gone, the rows stay
    assert count(QuestionLog, QuestionLog.text.like("%50万%")) == 0
    assert topic_count("eligibility_assets") == 2
    assert count(AnswerFeedback, AnswerFeedback.helpful.is_(False)) == unhelpful_before
    assert count(AnswerFeedback, AnswerFeedback.comment == "看不懂") == 0
    assert count(AnswerFeedback, AnswerFeedback.comment == "还是看不懂") == 1
    # the chain still verifies from its moved base
    with session_scope() as s:
        assert verify_chain(s).ok, verify_chain(s).line()
        assert s.get(AuditChain, 1).base_id == 3

    again = purge()
    assert sum(again.rows.values()) == 0  # idempotent

    # the clock moves on: what was new is now past 180 days too
    monkeypatch.setenv("BOT_FAKE_NOW", "2027-06-01T10:00:00+08:00")
    later = purge()
    assert later.rows["anon_chat/transcript_messages"] == 1
    assert count(TranscriptMessage, TranscriptMessage.sender_id == "anon-new") == 0
    assert count(TranscriptMessage, TranscriptMessage.sender_id == "ver-old") == 1
    assert topic_count("eligibility_assets") == 2


def test_purge_periods_are_settings(db, monkeypatch):
    say("anon-a", "2026-11-01T09:00:00", "一条匿名消息")
    assert purge().rows["anon_chat/transcript_messages"] == 0
    monkeypatch.setenv("BOT_RETAIN_ANON_CHAT_DAYS", "10")
    assert purge().rows["anon_chat/transcript_messages"] == 1


def test_an_interrupted_purge_leaves_whole_batches_and_finishes_on_rerun(db):
    say("anon-many", "2026-01-10T09:00:00", *[f"第{i}条" for i in range(5)])
    with pytest.raises(Interrupted):
        purge(batch=2, stop_after_batches=1)
    assert count(TranscriptMessage, TranscriptMessage.sender_id == "anon-many") == 3  # one batch committed
    done = purge(batch=2)
    assert done.rows["anon_chat/transcript_messages"] == 3
    assert count(TranscriptMessage, TranscriptMessage.sender_id == "anon-many") == 0


def test_export_holds_one_clients_data_only(db, monkeypatch):
    link("s-c1001", "C1001", NOW)
    say("s-c1001", NOW, "我的授信额度是多少")
    link("s-c1003", "C1003", NOW)
    say("s-c1003", NOW, "C1003的私事：追保截止时间")
    link("s-shared", "C1001", NOW)
    link("s-shared", "C1003", NOW)
    say("s-shared", NOW, "同一设备上两个客户的对话")
    audit_at(NOW, monkeypatch, "C1001")
    audit_at(NOW, monkeypatch, "C1003")
    with session_scope() as s:
        data = export_client(s, "C1001")
        others = [c.name for c in s.scalars(select(Client).where(Client.id != "C1001"))]
    dumped = json.dumps(data, ensure_ascii=False)
    assert data["profile"]["name"] and data["profile"]["phone"]
    assert data["credit_account"]["figures"]["maintenance_ratio"].startswith("2.6")
    assert [c["sender_id"] for c in data["conversations"]] == ["s-c1001"]
    assert data["conversations_withheld"]["count"] == 1
    assert data["audit_entries"] and all(a["subject_client_id"] == "C1001" for a in data["audit_entries"])
    assert "C1003" not in dumped and "两个客户" not in dumped
    assert not any(name in dumped for name in others)


def _everything(url: str) -> str:
    """Every value of every table, as one string."""
    chunks = []
    with engine(url).connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def test_erasing_a_client_without_credit_account_leaves_no_name_phone_or_figures(db, monkeypatch):
    with session_scope() as s:
        c1002 = s.get(Client, "C1002")
        name, phone, assets = c1002.name, c1002.phone, str(c1002.avg_daily_assets_20d)
    link("s-c1002", "C1002", NOW)
    say("s-c1002", NOW, f"我是{name}，电话{phone}，日均资产{assets}元能开两融吗")
    with session_scope() as s:
        s.add(Handoff(sender_id="s-c1002", client_id="C1002", reason="客户要求人工服务", created_at=at(NOW)))
        s.add(
            QuestionLog(
                at=at(NOW),
                sender_id="s-c1002",
                text=f"{assets}元够吗",
                outcome="clarify",
                likely_faq_id="eligibility_assets",
                score="0.4",
            )
        )
        s.add(
            AnswerFeedback(
                at=at(NOW),
                sender_id="s-c1002",
                faq_id="eligibility_assets",
                version=1,
                helpful=False,
                comment=f"我叫{name}",
            )
        )
    audit_at(NOW, monkeypatch, "C1002", "check_eligibility")
    before = _everything(db)
    assert name in before and phone in before and assets in before

    with session_scope() as s:
        report = erase_client(s, "C1002", actor="hegui")
    assert report.full and report.removed["profile"] == 1
    after = _everything(db)
    assert name not in after and phone not in after and assets not in after
    assert count(Client, Client.id == "C1002") == 0
    assert topic_count("eligibility_assets") >= 1  # the question still counts, without its text
    # the request itself is on record, and the chain is whole
    assert count(AuditLog, AuditLog.subject_client_id == "C1002", AuditLog.action == "records_erase") == 1
    with session_scope() as s:
        assert verify_chain(s).ok


def test_erasing_an_account_holder_says_what_is_kept_and_why(db):
    link("s-c1001", "C1001", NOW)
    say("s-c1001", NOW, "我的额度是多少")
    with session_scope() as s:
        s.add(
            QuestionLog(
                at=at(NOW),
                sender_id="s-c1001",
                text="我的利息怎么算得这么多",
                outcome="fallback",
                likely_faq_id=None,
                score="0.1",
            )
        )
        report = erase_client(s, "C1001", actor="hegui")
    assert not report.full
    assert report.removed["question_log_texts"] == 1
    kept = " ".join(k["what"] + k["why"] for k in report.kept)
    assert "信用账户" in kept and "20年" in kept and "适当性" in kept
    assert count(Client, Client.id == "C1001") == 1
    assert count(TranscriptMessage, TranscriptMessage.sender_id == "s-c1001") == 1  # a client-service record
    assert count(QuestionLog, QuestionLog.text.like("%利息%")) == 0


def verified(text: str, client_id: str = "C1001", sender: str = "notice-sender") -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": "faq", "confidence": 0.99},
        "entities": [],
        "metadata": {"auth_status": "valid", "client_id": client_id} if client_id else {"auth_status": "missing"},
    }
    return Tracker(sender, {}, latest, [], False, None, {}, "action_listen")


def run_action(action, tracker: Tracker):
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages


def test_risk_reminders_and_refusals_shown_to_a_verified_client_are_recorded(db, policy):
    out = run_action(ActionAnswerFaq(), verified("融资利率多少"))
    assert policy.get("texts.risk_reminder") in out[0]["text"]
    run_action(ActionRefuseAdvice(), verified("推荐一只股票", sender="advice-sender"))
    run_action(ActionAnswerFaq(), verified("融资利率多少", client_id=None, sender="anon-sender"))
    with session_scope() as s:
        rows = s.scalars(select(RiskNotice).order_by(RiskNotice.id)).all()
        links = s.scalars(select(ConversationClient.sender_id).order_by(ConversationClient.id)).all()
    assert [(r.kind, r.client_id, r.sender_id) for r in rows] == [
        ("risk_reminder", "C1001", "notice-sender"),
        ("refusal", "C1001", "advice-sender"),
    ]
    assert rows[0].entry_id == "interest_financing_rate" and rows[0].version == str(out[0]["custom"]["version"])
    assert rows[1].entry_id == "action_refuse_advice" and len(rows[1].text_hash) == 64
    assert links == ["notice-sender", "advice-sender"]  # the anonymous one is not a client record
    with session_scope() as s:
        assert [n["kind"] for n in export_client(s, "C1001")["risk_notices"]] == ["risk_reminder", "refusal"]
    # append-only: the database refuses to change a row
    with pytest.raises(Exception, match="append-only"):
        with session_scope() as s:
            s.execute(text("UPDATE risk_notices SET kind = 'x'"))


def test_the_audit_chain_names_the_first_edited_or_deleted_row(db, monkeypatch):
    for day in range(1, 6):
        audit_at(f"2026-11-2{day}T09:00:00", monkeypatch)
    with session_scope() as s:
        ids = s.scalars(select(AuditLog.id).order_by(AuditLog.id)).all()
        assert verify_chain(s).ok and verify_chain(s).checked == len(ids)
    third, fourth = ids[2], ids[3]

    with session_scope() as s:  # edit a row
        s.execute(text("UPDATE audit_log SET detail = 'nothing to see' WHERE id = :i"), {"i": third})
    with session_scope() as s:
        report = verify_chain(s)
    assert not report.ok and report.broken_id == third and "edited" in report.reason

    with session_scope() as s:  # put it back, then delete it
        s.execute(text("UPDATE audit_log SET detail = '' WHERE id = :i"), {"i": third})
        assert verify_chain(s).ok
        s.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": third})
    with session_scope() as s:
        report = verify_chain(s)
    assert not report.ok and report.broken_id == fourth and "deleted" in report.reason

    with session_scope() as s:  # deleting the newest row is caught by the chain head
        s.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": ids[-1]})
    with session_scope() as s:
        report = verify_chain(s)
    assert not report.ok


def test_insights_never_show_a_clients_figures_or_name(db):
    with session_scope() as s:
        name = s.get(Client, "C1001").name
    link("s-ins", "C1001", NOW)
    with session_scope() as s:
        s.add(
            QuestionLog(
                at=at(NOW),
                sender_id="s-ins",
                text=f"我是{name}，我的800,000额度和260.00%比例对吗",
                outcome="fallback",
                likely_faq_id="quota_what_is",
                score="0.2",
            )
        )
    shown = json.dumps(insights.rows(), ensure_ascii=False, default=str)
    assert "800,000" not in shown and "260.00%" not in shown and name not in shown
    assert name[:1] + "*" in shown  # still readable as a question about a named person


def test_mask_hides_ids_phones_names_and_figures():
    line = (
        "C1001 张伟 13800001001 授信额度800,000元 可用额度300000 比例260.00% (1.28) name=张伟 'name': '李娜' "
        '{"cash": "100000"} principal=500000'
    )
    masked = mask(line)
    for secret in (
        "C1001",
        "13800001001",
        "800,000",
        "300000",
        "260.00",
        "1.28",
        "李娜",
        "name=张伟",
        "100000",
        "500000",
    ):
        assert secret not in masked, secret
    kept = "127.0.0.1:5005 rasa 3.6.21 2026-11-27 15:00 订单123456 pid 123456 intent query_quota"
    assert mask(kept) == kept


def test_the_daily_purge_is_a_service_that_starts_and_stops(db):
    from services.records.schedule import DailyPurge, next_run

    assert next_run(at("2026-11-26T02:00"), "03:30") == at("2026-11-26T03:30")
    assert next_run(at("2026-11-26T03:30"), "03:30") == at("2026-11-27T03:30")
    say("anon-sched", "2026-01-10T09:00:00", "旧的匿名消息")

    async def scenario() -> None:
        service = DailyPurge("03:30")
        service.start()
        assert service._task is not None and not service._task.done()
        await service.run_once()  # what the schedule runs at 03:30
        await service.stop()
        assert service._task is None
        off = DailyPurge("off")
        off.start()
        assert off._task is None

    asyncio.run(scenario())
    assert count(TranscriptMessage, TranscriptMessage.sender_id == "anon-sched") == 0


def test_purge_removes_staff_login_failures_past_their_year(db, monkeypatch):
    monkeypatch.setenv("BOT_FAKE_NOW", NOW)
    with session_scope() as s:
        s.add(StaffLoginFailure(at=at("2025-10-01T09:00"), username="old-try", ip="127.0.0.1"))
        s.add(StaffLoginFailure(at=at("2026-11-01T09:00"), username="new-try", ip="127.0.0.1"))
    done = purge()
    assert done.rows["staff_login_failures/staff_login_failures"] == 1
    with session_scope() as s:
        assert sorted(s.scalars(select(StaffLoginFailure.username))) == ["new-try"]
    assert purge().rows.get("staff_login_failures/staff_login_failures", 0) == 0  # re-run: nothing left
