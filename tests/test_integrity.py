"""Integrity under concurrency: compare-and-set saves, one revision bump per publish,
and two people for every change clients see — real threads on the real database
(SQLite, or PostgreSQL with BOT_TEST_DATABASE_URL)."""

from __future__ import annotations

import threading
import time
from typing import Callable, List

import pytest

from core.errors import Conflict, Forbidden, Invalid
from services.knowledge import publishing as pub
from services.knowledge.service import KnowledgeService
from services.knowledge.store import DbStore
from storage.db import session_scope


def in_threads(n: int, work: Callable[[int], object]) -> List[object]:
    """Run work(0..n-1) in n threads started together; each result or the exception raised."""
    barrier = threading.Barrier(n)
    out: List[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = work(i)
        except Exception as exc:  # the outcome under test
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def detail(url, faq_id):
    with session_scope(url) as s:
        return pub.entry_detail(s, faq_id)


def test_of_n_concurrent_saves_with_one_lock_exactly_one_wins(database_url):
    faq_id, editors, rounds = "account_close", 6, 5
    tried = won = refused = 0
    for r in range(rounds):
        start = detail(database_url, faq_id)
        base = start["latest"]["content"]

        def save(i: int, base=base, r=r, start=start):
            with session_scope(database_url) as s:
                tags = [*base["tags"][:2], f"并发{r}-{i}"]
                return pub.save_draft(s, faq_id, dict(base, tags=tags), f"editor{i}", start["lock"])

        results = in_threads(editors, save)
        winners = [x for x in results if isinstance(x, pub.Saved)]
        losers = [x for x in results if isinstance(x, pub.EditConflict)]
        assert len(winners) == 1 and len(losers) == editors - 1, results
        after = detail(database_url, faq_id)
        assert after["lock"] == start["lock"] + 1 == winners[0].lock
        winner = results.index(winners[0])
        assert after["latest"]["content"]["tags"][-1] == f"并发{r}-{winner}"  # the winner's text, not a loser's
        for lost in losers:  # 409 with what is there now
            assert lost.status == 409 and lost.payload()["lock"] == after["lock"]
            assert lost.payload()["version"] == after["latest"]["version"]
        tried, won, refused = tried + editors, won + len(winners), refused + len(losers)
    print(f"saves tried {tried}, won {won}, refused {refused}")


def test_lock_of_the_wrong_type_is_a_400_naming_the_field(database_url):
    with session_scope(database_url) as s, pytest.raises(Invalid) as exc:
        pub.save_draft(s, "account_close", detail(database_url, "account_close")["latest"]["content"], "x", "abc")
    assert exc.value.field == "lock" and exc.value.status == 400


def _approved_draft(url, faq_id, marker):
    d = detail(url, faq_id)
    with session_scope(url) as s:
        pub.save_draft(
            s, faq_id, dict(d["latest"]["content"], tags=[*d["latest"]["content"]["tags"], marker]), "limin", d["lock"]
        )
        pub.submit(s, faq_id, "limin")
        pub.approve(s, faq_id, "zhouting", "reviewer")
        return pub.request_change(s, faq_id, "publish", "limin", "editor")


def test_concurrent_publishes_each_bump_the_revision_and_all_go_live(database_url):
    ids = ["basics_what_is", "eligibility_age", "contract_term", "account_knowledge_test"]
    service = KnowledgeService(DbStore(database_url), check_interval_s=0.1)  # a running assistant
    service.start()
    requests = [_approved_draft(database_url, fid, "并发发布") for fid in ids]
    with session_scope(database_url) as s:
        before = pub.revision(s)
    results = in_threads(len(ids), lambda i: _approve(database_url, requests[i], "chenjie"))
    assert all(isinstance(v, int) for v in results), results
    with session_scope(database_url) as s:
        assert pub.revision(s) == before + len(ids)  # one bump each, none lost
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        live = {fid: service.get(fid) for fid in ids}
        if all(e is not None and e.version == v for (fid, e), v in zip(live.items(), results)):
            break
        time.sleep(0.1)
    service.stop()
    assert {fid: e.version for fid, e in live.items() if e} == dict(zip(ids, results))


def _approve(url, request_id, reviewer, role="reviewer"):
    with session_scope(url) as s:
        return pub.approve_change(s, request_id, reviewer, role)


def test_two_reviewers_approving_one_request_at_once_publish_it_once(database_url):
    rid = _approved_draft(database_url, "eligibility_assets", "双批")
    with session_scope(database_url) as s:
        before = pub.revision(s)
    results = in_threads(2, lambda i: _approve(database_url, rid, ["zhouting", "chenjie"][i]))
    assert sum(isinstance(r, int) for r in results) == 1 and sum(isinstance(r, Conflict) for r in results) == 1
    with session_scope(database_url) as s:
        assert pub.revision(s) == before + 1


# -- who may do what: one test per cell of the README's matrix --------------------------
def _request(url, faq_id, action, who, role, version=None, reason=""):
    with session_scope(url) as s:
        return pub.request_change(s, faq_id, action, who, role, version, reason)


def _reject(url, rid, who, role):
    with session_scope(url) as s:
        pub.reject_change(s, rid, who, role)


@pytest.mark.parametrize("action", ["publish", "retire", "rollback"])
def test_change_needs_a_second_person(database_url, action):
    faq_id = {"publish": "eligibility_experience", "retire": "quota_vip", "rollback": "interest_settlement"}[action]
    version = None
    if action == "publish":
        d = detail(database_url, faq_id)
        with session_scope(database_url) as s:
            content = dict(d["latest"]["content"], tags=[*d["latest"]["content"]["tags"], "矩阵"])
            pub.save_draft(s, faq_id, content, "wangfang", d["lock"])
            pub.submit(s, faq_id, "wangfang")
            pub.approve(s, faq_id, "zhouting", "reviewer")
    if action == "rollback":  # needs an earlier published version
        original = detail(database_url, faq_id)["published_version"]
        _approve(database_url, _approved_draft(database_url, faq_id, "矩阵回滚"), "chenjie")
        version = original
    live_before = detail(database_url, faq_id)["published_version"]
    # an agent may not even ask
    with pytest.raises(Forbidden):
        _request(database_url, faq_id, action, "kf_liu", "agent", version)
    # an editor asks; the same person can never approve; another editor cannot approve
    rid = _request(database_url, faq_id, action, "wangfang", "editor", version)
    with pytest.raises(Conflict):  # one open request per entry
        _request(database_url, faq_id, action, "limin", "editor", version)
    with pytest.raises(Forbidden):
        _approve(database_url, rid, "limin", "editor")
    with pytest.raises(Forbidden):
        _approve(database_url, rid, "wangfang", "editor")
    _reject(database_url, rid, "zhouting", "reviewer")  # a reviewer declines: nothing changes
    assert detail(database_url, faq_id)["published_version"] == live_before
    # a reviewer asks: that reviewer cannot approve it, another reviewer can
    rid = _request(database_url, faq_id, action, "zhouting", "reviewer", version)
    with pytest.raises(pub.WorkflowError, match="自己提出"):
        _approve(database_url, rid, "zhouting", "reviewer")
    assert detail(database_url, faq_id)["published_version"] == live_before
    _approve(database_url, rid, "chenjie", "reviewer")
    after = detail(database_url, faq_id)
    if action == "retire":
        assert after["retired"] and after["published_version"] is None
    else:
        assert after["published_version"] not in (None, live_before)
    assert after["history"][0]["action"] == ("rollback" if action == "rollback" else action)
    assert "请求人 zhouting，批准人 chenjie" in after["history"][0]["diff"]
    with pytest.raises(Conflict):  # approving twice does nothing more
        _approve(database_url, rid, "chenjie", "reviewer")


def test_emergency_retire_only_by_a_reviewer_with_a_reason_and_flagged(database_url):
    faq_id = "quota_increase"
    with session_scope(database_url) as s, pytest.raises(Forbidden):
        pub.emergency_retire(s, faq_id, "limin", "editor", "利率写错了")
    for reason in (None, "", " ", 5):
        with session_scope(database_url) as s, pytest.raises(Invalid):
            pub.emergency_retire(s, faq_id, "zhouting", "reviewer", reason)
    assert detail(database_url, faq_id)["published_version"] is not None
    with session_scope(database_url) as s:
        pub.emergency_retire(s, faq_id, "zhouting", "reviewer", "答案中的费率与公告不一致")
    after = detail(database_url, faq_id)
    assert after["retired"] and after["published_version"] is None
    event = after["history"][0]
    assert event["action"] == "emergency_retire" and event["flagged"] and "费率与公告不一致" in event["diff"]
    assert event["actor"] == "zhouting"


# -- transcript and question log: no neighbour's row lost --------------------------------
def _hold_lock(url: str, seconds: float, held: threading.Event) -> None:
    _hold_lock_table(url, "transcript_messages", seconds, held)


def _stored(url, prefix):
    from sqlalchemy import select

    from storage.content import TranscriptMessage

    with session_scope(url) as s:
        return s.execute(
            select(TranscriptMessage.sender_id, TranscriptMessage.text)
            .where(TranscriptMessage.sender_id.like(prefix + "%"))
            .order_by(TranscriptMessage.id)
        ).all()


def test_poison_rows_and_a_held_lock_lose_no_good_row(database_url, caplog):
    from services.handoff import TranscriptWriter

    writer = TranscriptWriter(linger_s=0.05)
    writer.start()
    try:
        held = threading.Event()
        locker = threading.Thread(target=_hold_lock, args=(database_url, 6.0, held))
        locker.start()
        held.wait(10)
        good = []

        def client(i: int) -> None:
            for n in range(5):
                text = f"融资利率 {i}-{n}"
                if n == 2 and i % 2:
                    text = "\ud800 融资利率\x00\x07 " + text  # a lone surrogate and control characters
                writer.add(f"poison-{i}", "client", [text])
                good.append(f"poison-{i}")
                if n == 3 and i == 0:  # a row that no clean-up can save: a NOT NULL column missing
                    writer.put({**_row_of("poison-bad"), "role": None})
                time.sleep(0.01)

        in_threads(4, client)
        locker.join()
        assert writer.drain(60), (writer.sent, writer.stored, writer.dropped)
    finally:
        writer.stop()
    rows = _stored(database_url, "poison-")
    print(f"transcript rows sent {writer.sent}, stored {writer.stored}, dropped {writer.dropped}")
    assert len(rows) == len(good) == 20 and writer.stored == 20 and writer.dropped == 1
    assert all("\ud800" not in t and "\x00" not in t for _, t in rows)
    assert sum("\ufffd 融资利率" in t for _, t in rows) == 2  # the bad characters replaced, the row kept
    for i in range(4):  # each conversation's rows in order
        assert [t.split()[-1] for s, t in rows if s == f"poison-{i}"] == [f"{i}-{n}" for n in range(5)]
    assert any("poison-bad" in r.getMessage() and "dropped" in r.getMessage() for r in caplog.records)


def _row_of(sender):
    from services.handoff import _row

    return _row(sender, "client", "坏行")


def test_question_log_waits_out_a_lock_and_sanitises(database_url):
    from sqlalchemy import select

    from services.knowledge.insights import log_question
    from storage.content import QuestionLog

    held = threading.Event()
    locker = threading.Thread(target=_hold_lock_table, args=(database_url, "question_log", 4.0, held))
    locker.start()
    held.wait(10)
    assert log_question("qlog-1", "\udc00 隔壁老王", "out_of_scope", None, 0.1)
    locker.join()
    with session_scope(database_url) as s:
        texts = s.scalars(select(QuestionLog.text).where(QuestionLog.sender_id == "qlog-1")).all()
    assert texts == ["\ufffd 隔壁老王"]


def _hold_lock_table(url: str, table: str, seconds: float, held: threading.Event) -> None:
    """Another connection holds `table` (SQLite: the whole database) locked for `seconds`."""
    from sqlalchemy import text as sql

    from storage.db import engine

    with engine(url).connect() as conn:
        if url.startswith("sqlite"):
            conn.exec_driver_sql("BEGIN EXCLUSIVE")
        else:
            conn.begin()
            conn.execute(sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        held.set()
        time.sleep(seconds)
        conn.rollback()
