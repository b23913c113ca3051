"""The hold across two Rasa instances (scripts/cluster.sh: SQL tracker store on PostgreSQL,
Redis lock store): an agent takes a conversation through one instance and the client's
next message, sent at once to the OTHER instance, never gets a bot reply.

Run apart from the rest (`pytest -m cluster tests/test_cluster_hold.py`); the ports come
from the same CLUSTER_* variables as scripts/cluster.sh."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
import requests

from tests.conftest import ROOT, free_port, wait_http

pytestmark = pytest.mark.cluster
PGPORT = os.environ.get("CLUSTER_PGPORT", "55433")
RASA_PORTS = os.environ.get("CLUSTER_RASA_PORTS", "5105 5106").split()
INSTANCES = [f"http://127.0.0.1:{p}" for p in RASA_PORTS]
BROKER_DB = f"postgresql+psycopg2://postgres@127.0.0.1:{PGPORT}/broker"


@pytest.fixture(scope="module")
def cluster():
    subprocess.run(["scripts/cluster.sh", "stop"], cwd=ROOT, capture_output=True)
    started = subprocess.run(["scripts/cluster.sh", "start"], cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert started.returncode == 0, started.stdout[-2000:] + started.stderr[-2000:]
    yield
    subprocess.run(["scripts/cluster.sh", "stop"], cwd=ROOT, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def pages(cluster, tmp_path_factory):
    """One pages server per Rasa instance (the console's hold goes to that instance)."""
    env = {**os.environ, "BOT_DATABASE_URL": BROKER_DB, "PYTHONPATH": str(ROOT), "BOT_ALERT_SCAN_S": "3600"}
    # the agent who takes the conversation: the demo staff accounts, seeded as demo mode does
    # (scripts/cluster.sh runs in production mode and creates none)
    seeded = subprocess.run(
        [sys.executable, "-m", "services.staff"], cwd=ROOT, env={**env, "BOT_DEMO_MODE": "1"}, capture_output=True
    )
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    procs, urls = [], []
    for rasa in INSTANCES:
        port = free_port()
        log = open(tmp_path_factory.mktemp("pages") / "pages.log", "ab")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "web.server", "--port", str(port), "--rasa", rasa],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    for url, proc in zip(urls, procs):
        wait_http(url + "/", 60, proc)
    yield urls
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def chat(instance, sender, text):
    resp = requests.post(f"{instance}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=40)
    resp.raise_for_status()
    return resp.json()


def test_client_message_right_after_take_on_the_other_instance(pages):
    token = requests.post(
        f"{pages[0]}/api/staff/login", json={"username": "kf_liu", "password": "agent-demo-pass"}, timeout=10
    ).json()["token"]
    agent = {"Authorization": "Bearer " + token}
    run = uuid.uuid4().hex[:8]
    for n in range(20):
        console, other = pages[n % 2], INSTANCES[(n + 1) % 2]  # take through one instance, chat on the other
        sender = f"hold2-{run}-{n}"
        replies = chat(INSTANCES[n % 2], sender, "我要转人工")
        assert any((r.get("custom") or {}).get("handoff") for r in replies), replies
        items = requests.get(f"{console}/api/agent/inbox", params={"q": sender}, headers=agent, timeout=10).json()
        row = next(i for i in items["items"] if i["sender_id"] == sender)
        started = time.monotonic()
        requests.post(f"{console}/api/agent/handoffs/{row['id']}/take", headers=agent, timeout=30).raise_for_status()
        assert chat(other, sender, "融资利率是多少") == [], n  # at once, on the other instance
        assert chat(INSTANCES[n % 2], sender, "在吗") == [], n
        assert time.monotonic() - started < 30
        if n % 5 == 4:  # closing resumes the bot on both instances
            requests.post(
                f"{console}/api/agent/handoffs/{row['id']}/close", headers=agent, timeout=30
            ).raise_for_status()
            assert any("6.8%" in r.get("text", "") for r in chat(other, sender, "融资利率是多少"))
