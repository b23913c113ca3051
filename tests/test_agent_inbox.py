"""The agents' inbox API and the hold, against real Rasa, action and pages servers.

The hold: taking a conversation stores Rasa's ConversationPaused event in the tracker
before the take answers, so a client message sent at once afterwards never gets a bot
reply (the old polled set of held conversations answered within its 0.5 s window)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import requests

from services import handoff

pytestmark = [pytest.mark.e2e]


def login(pages, username="kf_liu", password="agent-demo-pass"):
    r = requests.post(f"{pages}/api/staff/login", json={"username": username, "password": password}, timeout=10)
    r.raise_for_status()
    return {"Authorization": "Bearer " + r.json()["token"]}


def ask_for_person(servers, sender, client_id=None, text="我要转人工"):
    meta = {"token": servers.token(client_id)} if client_id else {}
    replies = servers.chat(text, sender=sender, metadata=meta).json()
    assert any((r.get("custom") or {}).get("handoff") for r in replies), replies


def handoff_of(pages, headers, sender):
    items = requests.get(f"{pages}/api/agent/inbox", params={"q": sender}, headers=headers, timeout=10).json()["items"]
    return next(i for i in items if i["sender_id"] == sender)


def test_inbox_rows_fields_order_counts_views_search_paging(pages, servers):
    agent = login(pages)
    run = datetime.now().strftime("%H%M%S%f")
    ask_for_person(servers, f"anon-{run}")
    ask_for_person(servers, f"c1001-{run}", "C1001")
    ask_for_person(servers, f"c1004-{run}", "C1004")
    ask_for_person(servers, f"c1003-{run}", "C1003")
    ask_for_person(servers, f"c1003-{run}", "C1003", "我要找人工客服")  # the same conversation again: still one row
    page = requests.get(f"{pages}/api/agent/inbox", params={"q": run}, headers=agent, timeout=10).json()
    rows = page["items"]

    # the transcript is written in the background, in batches: wait until each row shows the
    # latest message of its conversation (c1003's second request, not its first)
    def settled(rows):
        last = {r["sender_id"]: (r["last_message"] or {}).get("text") for r in rows}
        return all(last.values()) and last.get(f"c1003-{run}") == "我要找人工客服"

    deadline = time.monotonic() + 15
    while not settled(rows) and time.monotonic() < deadline:
        time.sleep(0.2)
        rows = requests.get(f"{pages}/api/agent/inbox", params={"q": run}, headers=agent, timeout=10).json()["items"]
    assert [r["sender_id"] for r in rows] == [f"c1003-{run}", f"c1004-{run}", f"c1001-{run}", f"anon-{run}"]
    assert [r["priority"] for r in rows] == [0, 1, 2, 3]
    assert [r["client_id"] for r in rows] == ["C1003", "C1004", "C1001", None]
    for row in rows:
        for field in ("id", "sender_id", "client_id", "reason", "priority", "state", "waiting_since", "last_message"):
            assert field in row, field
        assert row["state"] == "queued" and row["state_label"] == "待接入" and row["agent"] is None
        datetime.fromisoformat(row["waiting_since"])
    assert rows[0]["last_message"]["text"] == "我要找人工客服"
    assert rows[3]["reason"] == "客户要求人工服务"
    assert page["total"] == 4

    # counts per state, views, search by client id and by text
    c1001 = rows[2]
    requests.post(f"{pages}/api/agent/handoffs/{c1001['id']}/take", headers=agent, timeout=30).raise_for_status()
    everything = requests.get(f"{pages}/api/agent/inbox", headers=agent, timeout=10).json()
    assert everything["counts"]["held"] >= 1 and everything["counts"]["mine"] >= 1
    assert everything["counts"]["all"] == sum(everything["counts"][s] for s in ("queued", "held", "closed"))
    mine = requests.get(f"{pages}/api/agent/inbox", params={"view": "mine"}, headers=agent, timeout=10).json()
    assert c1001["id"] in [r["id"] for r in mine["items"]] and all(r["agent"] == "kf_liu" for r in mine["items"])
    other = login(pages, "kf_sun", "agent2-demo-pass")
    theirs = requests.get(f"{pages}/api/agent/inbox", params={"view": "mine"}, headers=other, timeout=10).json()
    assert c1001["id"] not in [r["id"] for r in theirs["items"]]
    queued = requests.get(f"{pages}/api/agent/inbox", params={"view": "queued"}, headers=agent, timeout=10).json()
    assert all(r["state"] == "queued" for r in queued["items"]) and c1001["id"] not in [
        r["id"] for r in queued["items"]
    ]
    by_client = requests.get(f"{pages}/api/agent/inbox", params={"q": "C1004"}, headers=agent, timeout=10).json()
    assert by_client["items"] and all(r["client_id"] == "C1004" for r in by_client["items"])
    by_text = requests.get(f"{pages}/api/agent/inbox", params={"q": "我要找人工客服"}, headers=agent, timeout=10).json()
    assert f"c1003-{run}" in [r["sender_id"] for r in by_text["items"]]

    # paging through 30+ conversations: every row once, in order
    for n in range(32):
        handoff.open_handoff(f"page-{run}-{n:02d}", None, "客户要求人工服务")
    seen = []
    for number in (1, 2, 3, 4):
        got = requests.get(
            f"{pages}/api/agent/inbox",
            params={"q": f"page-{run}", "page": number, "page_size": 10},
            headers=agent,
            timeout=10,
        ).json()
        assert got["total"] == 32
        seen += [r["sender_id"] for r in got["items"]]
    assert seen == [f"page-{run}-{n:02d}" for n in range(32)]
    bad = requests.get(f"{pages}/api/agent/inbox", params={"view": "nope"}, headers=agent, timeout=10)
    assert bad.status_code == 400 and "error" in bad.json()
    close = requests.post(f"{pages}/api/agent/handoffs/{c1001['id']}/close", headers=agent, timeout=30)
    close.raise_for_status()


def test_client_message_right_after_take_never_gets_a_bot_reply(pages, servers):
    agent = login(pages)
    run = datetime.now().strftime("%H%M%S%f")
    for n in range(20):
        sender = f"hold-{run}-{n}"
        client = "C1001" if n % 2 else None
        meta = {"token": servers.token(client)} if client else {}  # a verified conversation takes only its client
        ask_for_person(servers, sender, client)
        row = handoff_of(pages, agent, sender)
        requests.post(f"{pages}/api/agent/handoffs/{row['id']}/take", headers=agent, timeout=30).raise_for_status()
        replies = servers.chat("融资利率是多少", sender=sender, metadata=meta).json()  # at once after "已接入"
        assert replies == [], (n, replies)
        assert servers.chat("还在吗", sender=sender, metadata=meta).json() == [], n
    # a client cannot lift the hold with Rasa's own /restart
    assert servers.chat("/restart", sender=sender, metadata=meta).json() == []
    assert servers.chat("融资利率是多少", sender=sender, metadata=meta).json() == []
    # a message left for the agents (outside hours the widget offers the form) joins the hand-off
    left = requests.post(
        f"{servers.url}/webhooks/handoff/message",
        json={"sender": sender, "text": "请明早给我回电话", "metadata": meta},
        timeout=10,
    )
    assert left.json() == {"ok": True, "handoff_id": row["id"]}
    again = handoff_of(pages, agent, sender)
    assert again["kind"] == "message" and again["last_message"]["text"] == "【留言】请明早给我回电话"
    # closing resumes the bot in the conversation
    requests.post(f"{pages}/api/agent/handoffs/{row['id']}/close", headers=agent, timeout=30).raise_for_status()
    assert any("6.8%" in r.get("text", "") for r in servers.chat("融资利率是多少", sender=sender, metadata=meta).json())


def test_hold_endpoint_needs_the_internal_key(servers):
    url = f"{servers.url}/webhooks/handoff/hold"
    assert requests.post(url, json={"sender_id": "x1", "paused": True}, timeout=10).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert requests.post(url, json={"sender_id": "x1", "paused": True}, headers=wrong, timeout=10).status_code == 401


def test_transfer_notes_canned_typing_and_rating(pages, servers):
    liu, sun = login(pages), login(pages, "kf_sun", "agent2-demo-pass")
    sender = "rate-" + datetime.now().strftime("%H%M%S%f")
    ask_for_person(servers, sender, "C1003")
    row = handoff_of(pages, liu, sender)
    base = f"{pages}/api/agent/handoffs/{row['id']}"
    status = requests.get(f"{servers.url}/webhooks/handoff/status", params={"sender": sender}, timeout=10).json()
    assert status["state"] == "queued" and status["ahead"] >= 0 and status["wait_min"] >= 1
    # taken by one agent: the other cannot take it
    requests.post(base + "/take", headers=liu, timeout=30).raise_for_status()
    refused = requests.post(base + "/take", headers=sun, timeout=30)
    assert refused.status_code == 409 and "刘洋" in refused.json()["error"]
    requests.post(base + "/typing", headers=liu, timeout=10).raise_for_status()
    status = requests.get(f"{servers.url}/webhooks/handoff/status", params={"sender": sender}, timeout=10).json()
    assert status == {**status, "state": "held", "agent_name": "客服 刘洋", "typing": True}
    requests.post(base + "/notes", json={"text": "客户情绪急，优先处理"}, headers=liu, timeout=10).raise_for_status()
    # transfer: kf_sun now holds it, the bot stays paused
    moved = requests.post(base + "/transfer", json={"to": "kf_sun"}, headers=liu, timeout=10)
    assert moved.json() == {"ok": True, "to_name": "客服 孙悦"}
    assert requests.post(base + "/send", json={"text": "x"}, headers=liu, timeout=10).status_code == 409
    own = {"token": servers.token("C1003")}
    assert servers.chat("融资利率是多少", sender=sender, metadata=own).json() == []
    requests.post(base + "/send", json={"text": "您好，我是孙悦"}, headers=sun, timeout=10).raise_for_status()
    detail = requests.get(base, headers=sun, timeout=10).json()
    assert [n["text"] for n in detail["notes"]] == ["客户情绪急，优先处理"]
    assert detail["client"]["margin_call_overdue"] is False  # the demo clock is before the deadline
    # canned replies: policy placeholders rendered, shared between agents
    made = requests.post(
        f"{pages}/api/agent/canned",
        json={"title": "融券费率", "body": "融券年费率为{{ interest.lending_annual_fee_rate | pct }}。"},
        headers=liu,
        timeout=10,
    ).json()
    shared = requests.get(f"{pages}/api/agent/canned", headers=sun, timeout=10).json()
    mine = next(c for c in shared if c["id"] == made["id"])
    assert "{{" not in mine["text"] and "%" in mine["text"]
    bad = requests.post(f"{pages}/api/agent/canned", json={"title": "x", "body": "{{ no.such | pct }}"}, headers=liu)
    assert bad.status_code == 400
    requests.delete(f"{pages}/api/agent/canned/{made['id']}", headers=sun, timeout=10).raise_for_status()
    # close: the client is asked to rate, once
    requests.post(base + "/close", headers=sun, timeout=30).raise_for_status()
    status = requests.get(f"{servers.url}/webhooks/handoff/status", params={"sender": sender}, timeout=10).json()
    assert status["state"] == "closed" and status["rate"] is True and status["agent_name"] == "客服 孙悦"
    rate = f"{servers.url}/webhooks/handoff/rate"
    assert (
        requests.post(rate, json={"sender": "someone-else", "handoff_id": row["id"], "label": "满意"}).status_code
        == 404
    )
    bad = {"sender": sender, "handoff_id": row["id"], "score": 9, "metadata": own}
    assert requests.post(rate, json=bad, timeout=10).status_code == 400
    anonymous = {"sender": sender, "handoff_id": row["id"], "label": "满意"}  # not the client: refused
    assert requests.post(rate, json=anonymous, timeout=10).status_code == 403
    ok = requests.post(
        rate, json={"sender": sender, "handoff_id": row["id"], "label": "一般", "metadata": own}, timeout=10
    )
    assert ok.json() == {"ok": True, "score": 3, "label": "一般"}
    comment = requests.post(
        rate,
        json={"sender": sender, "handoff_id": row["id"], "label": "一般", "comment": "等待有点久", "metadata": own},
        timeout=10,
    )
    assert comment.status_code == 200
    again = requests.post(
        rate, json={"sender": sender, "handoff_id": row["id"], "label": "满意", "metadata": own}, timeout=10
    )
    assert again.status_code == 409
    status = requests.get(f"{servers.url}/webhooks/handoff/status", params={"sender": sender}, timeout=10).json()
    assert status["rate"] is False and status["rated"] is True
    # the education team's insights: ratings with the agent
    editor = login(pages, "limin", "editor-demo-pass")
    now = datetime.fromisoformat(servers.env["BOT_FAKE_NOW"])  # the servers' clock
    day = now.date().isoformat()
    summary = requests.get(
        f"{pages}/api/editor/insights/ratings", params={"start": day, "end": day}, headers=editor, timeout=10
    ).json()
    assert summary["count"] >= 1 and summary["by_label"]["一般"] >= 1
    assert any(a["agent"] == "kf_sun" and a["name"] == "客服 孙悦" for a in summary["by_agent"])
    assert any(c["text"] == "等待有点久" and c["agent"] == "客服 孙悦" for c in summary["comments"])
    assert requests.get(f"{pages}/api/editor/insights/ratings", headers=liu, timeout=10).status_code == 403
    direct = handoff.ratings_summary(now - timedelta(days=1), now + timedelta(days=1))
    assert direct["count"] == summary["count"]
