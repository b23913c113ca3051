"""The production topology (scripts/cluster.sh): two Rasa instances with the SQL
tracker store on PostgreSQL and the Redis lock store, behind nginx.

Run apart from the rest (`pytest -m cluster`): it starts its own servers."""

import os
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import ROOT

pytestmark = pytest.mark.cluster
CLUSTER = ROOT / "var" / "cluster"
INSTANCES = ["http://127.0.0.1:5105", "http://127.0.0.1:5106"]
LB = "http://127.0.0.1:5080"
TRACKER = "postgresql+psycopg2://postgres@127.0.0.1:55433/tracker"
QUESTIONS = [
    "融资利率是多少",
    "维持担保比例怎么算",
    "追保线是多少",
    "融券费率多少",
    "开两融要什么条件",
    "提前还款怎么算利息",
    "你好",
    "合约期限多久",
    "谢谢",
    "折算率是多少",
]


@pytest.fixture(scope="module")
def cluster():
    subprocess.run(["scripts/cluster.sh", "stop"], cwd=ROOT, capture_output=True)
    started = subprocess.run(["scripts/cluster.sh", "start"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stdout[-2000:] + started.stderr[-2000:]
    yield
    subprocess.run(["scripts/cluster.sh", "stop"], cwd=ROOT, capture_output=True, timeout=120)


def send(url, sender, message, message_id=None, attempts=6):
    """A client that retries (with the same message id), as the widget does."""
    for attempt in range(attempts):
        try:
            resp = requests.post(
                f"{url}/webhooks/rest/webhook",
                timeout=40,
                json={"sender": sender, "message": message, "message_id": message_id},
            )
            if resp.status_code == 200 and not any(m.get("custom", {}).get("retry") for m in resp.json()):
                return resp.json()
        except requests.RequestException:
            pass
        time.sleep(0.5 * (attempt + 1))
    raise AssertionError(f"no answer for {sender}: {message}")


def user_events(sender):
    engine = create_engine(TRACKER)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"), {"s": sender}
        ).fetchall()
    engine.dispose()
    import json

    return [json.loads(r[0])["text"] for r in rows]


RUN = uuid.uuid4().hex[:6]  # the tracker database outlives a run: senders unique per run


def conversation(prefix, i, urls):
    sender = f"{prefix}-{RUN}-{i}"
    sent = [f"{QUESTIONS[k % len(QUESTIONS)]} ({i}-{k})" for k in range(10)]
    for k, message in enumerate(sent):
        send(urls[k % len(urls)], sender, message, message_id=f"{sender}-{k}")
    return sender, sent


def test_100_conversations_alternating_instances(cluster):
    with ThreadPoolExecutor(max_workers=100) as pool:
        done = list(pool.map(lambda i: conversation("alt", i, INSTANCES), range(100)))
    for sender, sent in done:
        assert user_events(sender) == sent, sender


def test_an_instance_dies_mid_run(cluster):
    def kill_one_soon():
        time.sleep(3)
        pid = int((CLUSTER / "rasa-5106.pid").read_text())
        os.killpg(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_one_soon)
    killer.start()
    with ThreadPoolExecutor(max_workers=50) as pool:
        done = list(pool.map(lambda i: conversation("kill", i, [LB]), range(50)))
    killer.join()
    for sender, sent in done:
        assert user_events(sender) == sent, sender


@pytest.mark.parametrize("service", ["postgresql", "redis"])
def test_database_or_redis_restart_is_polite_and_recovers(cluster, service):
    answers, stop = [], threading.Event()

    def chat_loop():
        n = 0
        while not stop.is_set():
            resp = requests.post(
                f"{LB}/webhooks/rest/webhook",
                timeout=40,
                json={"sender": f"restart-{service}-{RUN}-{n % 50}", "message": "融资利率是多少"},
            )
            texts = " ".join(m.get("text", "") for m in resp.json()) if resp.status_code == 200 else resp.text
            answers.append((time.monotonic(), resp.status_code, texts))
            n += 1
            time.sleep(0.1)

    worker = threading.Thread(target=chat_loop)
    worker.start()
    time.sleep(2)
    if service == "postgresql":
        subprocess.run(
            ["runuser", "-u", "postgres", "--", _pg_ctl(), "-D", "/tmp/liangrong-pg-55433", "-m", "fast", "stop"],
            check=True,
            capture_output=True,
        )
        time.sleep(3)
        back = subprocess.run(
            ["scripts/pg.sh", "start"],
            cwd=ROOT,
            env={**os.environ, "PGPORT": "55433", "PGDATABASE_NAME": "tracker"},
            capture_output=True,
        )
        assert back.returncode == 0
    else:
        subprocess.run(["redis-cli", "-p", "56379", "shutdown", "nosave"], capture_output=True)
        time.sleep(3)
        subprocess.run(
            [
                "redis-server",
                "--port",
                "56379",
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--save",
                "",
                "--pidfile",
                str(CLUSTER / "redis.pid"),
                "--dir",
                str(CLUSTER),
            ],
            check=True,
        )
    returned = time.monotonic()
    deadline = returned + 10
    while time.monotonic() < deadline:
        recent = [a for a in answers if a[0] > returned]
        if any("6.8%" in a[2] for a in recent):
            break
        time.sleep(0.2)
    stop.set()
    worker.join()
    assert all(code == 200 for _, code, _ in answers), {code for _, code, _ in answers}
    assert all("6.8%" in body or "系统繁忙" in body for _, _, body in answers), [
        b for _, _, b in answers if "6.8%" not in b
    ][:3]
    assert any("6.8%" in body for t, _, body in answers if t > returned), "did not recover within 10 s"


def _pg_ctl():
    return sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1].as_posix()
