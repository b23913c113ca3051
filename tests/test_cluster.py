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
# the same variables as scripts/cluster.sh, with its defaults
PGPORT = int(os.environ.get("CLUSTER_PGPORT", "55433"))
REDIS_PORT = int(os.environ.get("CLUSTER_REDIS_PORT", "56379"))
RASA_PORTS = os.environ.get("CLUSTER_RASA_PORTS", "5105 5106").split()
ACTION_PORTS = os.environ.get("CLUSTER_ACTION_PORTS", "5155 5156").split()
INSTANCES = [f"http://127.0.0.1:{p}" for p in RASA_PORTS]
LB = f"http://127.0.0.1:{os.environ.get('CLUSTER_LB_PORT', '5080')}"
TRACKER = f"postgresql+psycopg2://postgres@127.0.0.1:{PGPORT}/tracker"
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
    # the load generator is one address: its per-IP budget must not be what the tests measure
    env = {**os.environ, "BOT_RATE_LIMIT_IP": "100000/60"}
    started = subprocess.run(
        ["scripts/cluster.sh", "start"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=400
    )
    assert started.returncode == 0, started.stdout[-2000:] + started.stderr[-2000:]
    yield
    subprocess.run(["scripts/cluster.sh", "stop"], cwd=ROOT, capture_output=True, timeout=120)


def is_answer(resp):
    return resp.status_code == 200 and not any(m.get("custom", {}).get("retry") for m in resp.json())


RETRIES = []  # (sender, what came back) for every attempt that was not an answer


def send(url, sender, message, message_id=None, deadline_s=60.0):
    """A client that retries (with the same message id) until it is answered, as the
    widget does: after a busy reply with custom.retry, an error status or no connection."""
    deadline = time.monotonic() + deadline_s
    pause = 0.2
    while True:
        try:
            resp = requests.post(
                f"{url}/webhooks/rest/webhook",
                timeout=40,
                json={"sender": sender, "message": message, "message_id": message_id},
            )
            if is_answer(resp):
                return resp.json()
            RETRIES.append((sender, resp.status_code))
        except requests.RequestException as exc:
            RETRIES.append((sender, type(exc).__name__))
        if time.monotonic() > deadline:
            raise AssertionError(f"no answer for {sender}: {message}")
        time.sleep(pause)
        pause = min(pause * 1.5, 2.0)


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


def test_the_limit_is_the_same_through_nginx_with_two_instances_as_with_one(cluster):
    """Counters are in Redis: 2 instances behind nginx allow what one allows (30/60 s per conversation)."""

    def flood(urls, sender):
        codes = []
        for i in range(36):
            resp = requests.post(
                f"{urls[i % len(urls)]}/webhooks/rest/webhook",
                timeout=40,
                json={"sender": sender, "message": f"你好 {i}"},
            )
            codes.append(resp.status_code)
        return codes

    one = flood(INSTANCES[:1], f"limit-one-{RUN}")
    both = flood(INSTANCES, f"limit-both-{RUN}")
    through_lb = flood([LB], f"limit-lb-{RUN}")
    print(f"allowed of 36: one instance {one.count(200)}, alternating {both.count(200)}, nginx {through_lb.count(200)}")
    assert one.count(200) == both.count(200) == through_lb.count(200) == 30
    assert one[30:] == both[30:] == through_lb[30:] == [429] * 6


def _pg_ctl():
    return sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1].as_posix()


def restart_postgresql():
    subprocess.run(
        ["runuser", "-u", "postgres", "--", _pg_ctl(), "-D", f"/tmp/liangrong-pg-{PGPORT}", "-m", "fast", "stop"],
        check=True,
        capture_output=True,
    )
    time.sleep(3)
    env = {**os.environ, "PGPORT": str(PGPORT), "PGDATABASE_NAME": "tracker"}
    assert subprocess.run(["scripts/pg.sh", "start"], cwd=ROOT, env=env, capture_output=True).returncode == 0


def restart_redis():
    subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "shutdown", "nosave"], capture_output=True)
    time.sleep(3)
    subprocess.run(
        [
            *("redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--daemonize", "yes", "--save", ""),
            *("--pidfile", str(CLUSTER / "redis.pid"), "--dir", str(CLUSTER)),
        ],
        check=True,
    )


def reload_nginx():
    subprocess.run(["nginx", "-c", str(CLUSTER / "nginx.conf"), "-p", str(CLUSTER), "-s", "reload"], check=True)


def kill_action_server():
    os.killpg(int((CLUSTER / f"actions-{ACTION_PORTS[1]}.pid").read_text()), signal.SIGKILL)


def kill_rasa():
    os.killpg(int((CLUSTER / f"rasa-{RASA_PORTS[1]}.pid").read_text()), signal.SIGKILL)


def probe_until_answered(started, limit_s=30.0):
    """Seconds from `started` until a fresh conversation gets a normal answer."""
    n = 0
    while time.monotonic() - started < limit_s:
        try:
            resp = requests.post(
                f"{LB}/webhooks/rest/webhook",
                timeout=10,
                json={"sender": f"probe-{RUN}-{uuid.uuid4().hex[:6]}", "message": "融资利率是多少"},
            )
            if is_answer(resp) and "6.8%" in resp.text:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        n += 1
        time.sleep(0.2)
    return float("inf")


FAULTS = {
    "postgresql-restart": restart_postgresql,
    "redis-restart": restart_redis,
    "nginx-reload": reload_nginx,
    "action-server-kill": kill_action_server,
    "rasa-kill": kill_rasa,  # last: the topology runs on with one instance
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_no_acknowledged_message_is_lost(cluster, fault):
    """60 conversations x 5 messages through nginx, the fault about 2 s in: every
    conversation's user events in the tracker store are exactly what its client was
    answered for, in order, once; a fresh conversation is answered within 10 s."""
    conversations, turns = 60, 5
    answered = {}
    recovery = {}

    def client(i):
        sender = f"{fault}-{RUN}-{i}"
        got = []
        for k in range(turns):
            message = f"{QUESTIONS[(i + k) % len(QUESTIONS)]} ({i}-{k})"
            send(LB, sender, message, message_id=f"{sender}-{k}")
            got.append(message)
            time.sleep(0.3)
        answered[sender] = got

    def inject():
        time.sleep(2)
        FAULTS[fault]()
        recovery["s"] = probe_until_answered(time.monotonic())

    injector = threading.Thread(target=inject)
    injector.start()
    with ThreadPoolExecutor(max_workers=conversations) as pool:
        list(pool.map(client, range(conversations)))
    injector.join()
    stored = {sender: user_events(sender) for sender in answered}
    retried = sum(1 for sender, _ in RETRIES if sender.startswith(f"{fault}-{RUN}-"))
    lost = [s for s in answered if stored[s] != answered[s]]
    sent = conversations * turns
    print(
        f"{fault}: {sent} messages answered, {sum(len(v) for v in stored.values())} user events stored, "
        f"{len(lost)} conversations differ, {retried} attempts answered busy/error and retried, "
        f"recovery {recovery['s']:.2f} s"
    )
    assert len(answered) == conversations and not lost, {s: (answered[s], stored[s]) for s in lost[:3]}
    assert recovery["s"] < 10
