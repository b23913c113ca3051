"""Scale-out benchmark on the production topology (scripts/cluster.sh must be up, or
--start starts and stops it): throughput and latency at 1, 16 and 64 concurrent
senders for one instance and for two behind nginx, a mixed workload (60% FAQ, 25%
personal lookups, 15% small talk / out of scope), resident memory per process, and
where one request's time goes.

    python -m benchmarks.scaleout [--start] [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from typing import Dict, List

import requests

from benchmarks.latency import drive, our_workload, pct, rss_mb
from bot.inprocess_actions import InProcessActions
from core.settings import ROOT

CLUSTER = ROOT / "var" / "cluster"
TARGETS = {"1 instance": "http://127.0.0.1:5105", "2 instances (nginx)": "http://127.0.0.1:5080"}


def memory() -> Dict[str, float]:
    out = {}
    for pid_file in sorted(CLUSTER.glob("*.pid")):
        try:
            out[pid_file.stem] = rss_mb(int(pid_file.read_text().strip()))
        except (OSError, ValueError):
            pass
    return out


def profile_one_request() -> Dict[str, float]:
    """NLU, action server and database time for a knowledge and a personal request."""
    from rasa.core.agent import Agent

    from benchmarks.eval_nlu import quiet_rasa
    from storage.db import session_scope
    from storage.repository import load_client

    quiet_rasa()
    agent = Agent.load(str(ROOT / "models" / "liangrong.tar.gz"))
    text = "维持担保比例低于多少会被追保"

    async def nlu() -> float:
        for _ in range(5):
            await agent.parse_message(text)
        started = time.perf_counter()
        for _ in range(50):
            await agent.parse_message(text)
        return (time.perf_counter() - started) / 50 * 1000

    nlu_ms = asyncio.run(nlu())
    body = {
        "next_action": "action_answer_faq",
        "sender_id": "prof",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "prof",
            "slots": {},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
            "latest_message": {"text": text, "intent": {"name": "faq"}, "entities": [], "metadata": {}},
        },
    }

    async def faq_action() -> List[float]:  # as Rasa runs it: in-process (endpoints.yml)
        actions = InProcessActions(["action_answer_faq"])
        out = []
        for _ in range(55):
            started = time.perf_counter()
            await actions.run(body)
            out.append((time.perf_counter() - started) * 1000)
        return out[5:]

    samples = asyncio.run(faq_action())
    db = []
    for _ in range(50):
        started = time.perf_counter()
        with session_scope() as s:
            load_client(s, "C1003")
        db.append((time.perf_counter() - started) * 1000)
    samples.sort(), db.sort()
    rest = []
    for i in range(50):
        started = time.perf_counter()
        requests.post(
            "http://127.0.0.1:5105/webhooks/rest/webhook", json={"sender": f"prof-{i}", "message": text}, timeout=30
        ).raise_for_status()
        rest.append((time.perf_counter() - started) * 1000)
    rest.sort()
    return {"rest_total": rest[25], "nlu": nlu_ms, "faq_action": samples[25], "db_client_lookup": db[25]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--start", action="store_true", help="start (and stop) scripts/cluster.sh")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)
    from benchmarks import latency

    for name, value in (
        ("BOT_JWT_SECRET", latency.SECRET),
        ("BOT_STAFF_JWT_SECRET", latency.STAFF_SECRET),
        ("BOT_ACTION_SECRET", latency.ACTION_SECRET),
    ):
        os.environ.setdefault(name, value)  # the cluster (not demo mode) needs all three
    if args.start:
        # one load generator, three clients, one address: the limits are not what is measured
        env = {**os.environ, "BOT_RATE_LIMIT_CLIENT": "1000000/60", "BOT_RATE_LIMIT_IP": "1000000/60"}
        subprocess.run(["scripts/cluster.sh", "start"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        os.environ.setdefault("BOT_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:55433/broker")
        latency.SECRET = os.environ["BOT_JWT_SECRET"]
        results: Dict[str, Dict[int, Dict[str, float]]] = {}
        workload = our_workload(args.requests)
        for name, url in TARGETS.items():
            results[name] = {}
            drive(f"{url}/webhooks/rest/webhook", workload[:20], 4)  # warm-up
            for conc in (1, 16, 64):
                started = time.perf_counter()
                ms = drive(f"{url}/webhooks/rest/webhook", workload, conc)
                elapsed = time.perf_counter() - started
                results[name][conc] = {"rps": len(workload) / elapsed, "p50": pct(ms, 50), "p99": pct(ms, 99)}
        print(f"\nMixed workload (60% FAQ, 25% personal, 15% small talk), {args.requests} requests per cell")
        print(f"{'':<22}{'senders':>8}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
        for name, rows in results.items():
            for conc, r in rows.items():
                print(f"{name:<22}{conc:>8}{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}")
        for conc in (16, 64):
            factor = results["2 instances (nginx)"][conc]["rps"] / results["1 instance"][conc]["rps"]
            print(f"scaling 1 → 2 instances at {conc} senders: ×{factor:.2f}")
        print("resident memory (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in memory().items()))
        prof = profile_one_request()
        print(
            "one knowledge request (ms, median): REST total {rest_total:.1f} · NLU parse {nlu:.1f} · "
            "faq action (in Rasa) {faq_action:.1f} · (client lookup in DB {db_client_lookup:.1f}); "
            "the rest is Rasa's policy loop, tracker store and lock store".format(**prof)
        )
    finally:
        if args.start:
            subprocess.run(["scripts/cluster.sh", "stop"], cwd=ROOT, stdout=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
