"""REST latency and memory: this assistant vs a minimal Rasa bot, measured in one run.

The minimal bot (same Rasa, three intents, JiebaTokenizer + char n-grams + DIET +
RulePolicy, replies from the domain) is generated and trained here, then both are
driven with the same messages (this assistant's mix of questions, personal lookups
and small talk), sequentially and with 16 concurrent senders on 127.0.0.1, in
alternating blocks. This assistant runs as `make run` starts it (Rasa with its
in-process actions, plus the action server). The minimal bot on its own short
training phrases is printed too, for reference.

    python -m benchmarks.latency [--requests 500]
    python -m benchmarks.latency --metrics-only     # just the cost of a turn's metrics

It also prints what a turn's instrumentation costs (bot/channels/observe.py and the
counters it moves), timed in this process over many turns: the target is < 0.5 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import requests
import yaml

from benchmarks.common import free_port, load_items
from core.auth import mint
from core.settings import ROOT

RASA = str(Path(sys.executable).parent / "rasa")
PY = sys.executable
# independent benchmark secrets, each ≥ 32 bytes (the servers refuse weaker ones)
SECRET = "bench-client-token-secret-0123456789abcdef"
STAFF_SECRET = "bench-staff-token-secret-fedcba9876543210"
ACTION_SECRET = "bench-action-server-secret-001122334455"
MINIMAL_NLU = {
    "greet": ["你好", "您好", "hi", "hello", "在吗", "早上好", "嗨", "哈喽"],
    "goodbye": ["再见", "拜拜", "bye", "回头见", "下次聊", "先走了", "886", "晚安"],
    "ask_rate": [
        "融资利率是多少",
        "利息多少",
        "融资年利率",
        "借钱利息怎么算",
        "融券费率多少",
        "利率高吗",
        "融资要付多少利息",
        "年化利率是多少",
    ],
}


def build_minimal_bot(directory: Path) -> Path:
    nlu = {
        "version": "3.1",
        "nlu": [{"intent": k, "examples": "".join(f"- {e}\n" for e in v)} for k, v in MINIMAL_NLU.items()],
    }
    (directory / "data").mkdir(parents=True, exist_ok=True)
    (directory / "data" / "nlu.yml").write_text(yaml.safe_dump(nlu, allow_unicode=True), encoding="utf-8")
    rules = {
        "version": "3.1",
        "rules": [{"rule": k, "steps": [{"intent": k}, {"action": f"utter_{k}"}]} for k in MINIMAL_NLU],
    }
    (directory / "data" / "rules.yml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    domain = {
        "version": "3.1",
        "intents": list(MINIMAL_NLU),
        "responses": {f"utter_{k}": [{"text": f"{k} 回复"}] for k in MINIMAL_NLU},
    }
    (directory / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True), encoding="utf-8")
    config = {
        "recipe": "default.v1",
        "language": "zh",
        "assistant_id": "minimal",
        "pipeline": [
            {"name": "JiebaTokenizer"},
            {"name": "CountVectorsFeaturizer", "analyzer": "char", "min_ngram": 1, "max_ngram": 3},
            {"name": "DIETClassifier", "epochs": 30},
        ],
        "policies": [{"name": "RulePolicy"}],
    }
    (directory / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    subprocess.run(
        [RASA, "train", "--fixed-model-name", "minimal", "--out", str(directory / "models"), "--quiet"],
        cwd=directory,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=bench_env(),
    )
    return directory / "models" / "minimal.tar.gz"


def bench_env(**extra: str) -> Dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TELEMETRY_ENABLED": "false",
        "SANIC_HOST": "127.0.0.1",
        "BOT_JWT_SECRET": SECRET,
        # the load generator is three clients on one address: it measures latency, not the limits
        "BOT_RATE_LIMIT_CLIENT": "1000000/60",
        "BOT_RATE_LIMIT_IP": "1000000/60",
        "BOT_STAFF_JWT_SECRET": STAFF_SECRET,
        "BOT_ACTION_SECRET": ACTION_SECRET,
        **extra,
    }


def rss_mb(pid: int) -> float:
    """A process's resident memory in MB (NaN once it has none, e.g. it exited)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    def __init__(self, args: List[str], env: Dict[str, str], health: str, cwd: Path = ROOT) -> None:
        self.proc = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{args[:3]} exited")
            try:
                if requests.get(health, timeout=1).status_code < 500:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        raise TimeoutError(health)

    def rss_mb(self) -> float:
        return rss_mb(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)


def drive(url: str, messages: Sequence[Tuple[str, dict]], concurrency: int) -> List[float]:
    """Send each (text, metadata); returns per-request latency in ms. Senders are distinct
    conversations so that concurrency is real, and each keeps one identity (a conversation
    of a verified client takes no one else's messages)."""

    def one(i: int) -> float:
        text, meta = messages[i]
        who = (meta.get("token") or "anon")[-8:]
        started = time.perf_counter()
        resp = requests.post(
            url,
            json={"sender": f"bench-{i % max(concurrency, 1)}-{i}-{who}", "message": text, "metadata": meta},
            timeout=60,
        )
        resp.raise_for_status()
        return (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, range(len(messages))))


def pct(values: List[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def our_workload(n: int) -> List[Tuple[str, dict]]:
    """60% knowledge questions, 25% personal lookups (with tokens), 15% small talk / out of scope."""
    rng = random.Random(7)
    faq = [i["text"] for i in load_items("heldout_faq.yml")]
    personal = ["我还能融多少", "我的维持担保比例多少", "我的风险等级", "我能开两融吗", "跌10%会怎样"]
    small = ["你好", "谢谢", "今天天气怎么样", "再见", "推荐个股票"]
    tokens = [mint(c, ttl_s=3600, secret=SECRET) for c in ("C1001", "C1003", "C1004")]
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.60:
            out.append((rng.choice(faq), {}))
        elif r < 0.85:
            out.append((rng.choice(personal), {"token": rng.choice(tokens)}))
        else:
            out.append((rng.choice(small), {}))
    return out


def minimal_workload(n: int) -> List[Tuple[str, dict]]:
    rng = random.Random(7)
    texts = [t for v in MINIMAL_NLU.values() for t in v]
    return [(rng.choice(texts), {}) for _ in range(n)]


def measure(runs: Dict[str, Tuple[str, List[Tuple[str, dict]]]], block: int = 50) -> Dict[str, Dict[str, float]]:
    """Drive each (url, workload), alternating blocks of requests between them so that
    the machine's ups and downs fall on all of them alike."""
    seq: Dict[str, List[float]] = {name: [] for name in runs}
    conc: Dict[str, List[float]] = {name: [] for name in runs}
    elapsed = {name: 0.0 for name in runs}
    for url, workload in runs.values():
        drive(url, workload[:20], 1)  # warm-up
    longest = max(len(workload) for _, workload in runs.values())
    for start in range(0, longest, block):
        for name, (url, workload) in runs.items():
            seq[name] += drive(url, workload[start : start + block], 1)
    for start in range(0, longest, block * 4):
        for name, (url, workload) in runs.items():
            began = time.perf_counter()
            conc[name] += drive(url, workload[start : start + block * 4], 16)
            elapsed[name] += time.perf_counter() - began
    return {
        name: {
            "seq_p50": pct(seq[name], 50),
            "seq_p99": pct(seq[name], 99),
            "c16_p50": pct(conc[name], 50),
            "c16_p99": pct(conc[name], 99),
            "c16_rps": len(conc[name]) / elapsed[name],
        }
        for name in runs
    }


def endpoints_for(tmp: Path, action_port: int) -> Path:
    """The shipped endpoints.yml (so in-process actions too), with the action server's port."""
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{action_port}/webhook"
    path = tmp / "endpoints.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


OWN = "minimal bot, own phrases"


def metrics_cost_ms(turns: int = 5000) -> float:
    """Milliseconds per turn of the instrumentation a chat turn runs: reading the turn's
    events (intent, actions, step times), classifying its outcome, and the counter and
    histogram updates of the Rasa process plus the action server's two for its action."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    from bot.channels import observe
    from services.metrics import Metrics

    metrics = Metrics("bench")
    now = time.time()
    history = [UserUttered("早", {"name": "greet"}, timestamp=now - 60)] * 40  # an ongoing conversation
    events = [
        *history,
        UserUttered("融资利率是多少", {"name": "faq", "confidence": 0.98}, timestamp=now),
        SlotSet("faq_id", "interest_financing_rate", timestamp=now),
        BotUttered("示例证券融资年利率为6.8%", {"custom": {"faq_id": "x"}}, timestamp=now + 0.004),
        ActionExecuted("action_answer_faq", timestamp=now + 0.004),
        ActionExecuted("action_listen", timestamp=now + 0.005),
    ]
    replies = [{"recipient_id": "u", "text": "…", "custom": {"faq_id": "interest_financing_rate", "version": 1}}]
    first_new = len(history) + 2
    started = time.perf_counter()
    for _ in range(turns):
        metrics.messages_received.labels("rest").inc()
        turn = observe.Turn()
        turn.nlu_s = 0.003
        observe.read_turn(events, first_new, turn)
        observe.record(metrics, "rest", turn, replies, 0.012)
        observe.remote_action_failed(turn, ("action_answer_faq",), replies)
        metrics.action_seconds.labels("action_query_quota").observe(0.004)  # the action server's share
        metrics.actions.labels("action_query_quota", "ok").inc()
    return (time.perf_counter() - started) * 1000 / turns


def start_assistant(tmp_path: Path, env: Dict[str, str]) -> Tuple[List[Server], str]:
    """This assistant as `make run` starts it, on free ports and the database of `env`:
    the action server and Rasa (with its in-process actions). Returns (servers, Rasa URL)."""
    subprocess.run([sys.executable, "-m", "storage", "setup"], env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    port, action_port = free_port(), free_port()
    actions = Server([PY, "-m", "actions.serve", "-p", str(action_port)], env, f"http://127.0.0.1:{action_port}/health")
    try:
        rasa = Server(
            [
                PY,
                "-m",
                "bot.serve",
                "-i",
                "127.0.0.1",
                "-p",
                str(port),
                "-m",
                str(ROOT / "models" / "liangrong.tar.gz"),
                "--credentials",
                str(ROOT / "credentials.yml"),
                "--endpoints",
                str(endpoints_for(tmp_path, action_port)),
            ],
            env,
            f"http://127.0.0.1:{port}/webhooks/rest/",
        )
    except Exception:
        actions.stop()
        raise
    return [actions, rasa], f"http://127.0.0.1:{port}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--metrics-only", action="store_true", help="only the per-turn cost of the metrics")
    args = parser.parse_args(argv)
    cost = metrics_cost_ms()
    print(f"metrics instrumentation per turn: {cost:.3f} ms (target < 0.5 ms)", flush=True)
    if args.metrics_only:
        return 0
    servers: List[Server] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        print("training the minimal reference bot …", flush=True)
        minimal_model = build_minimal_bot(tmp_path / "minimal")
        env = bench_env(BOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bench.db'}")
        minimal_port = free_port()
        try:
            started, rasa_url = start_assistant(tmp_path, env)
            servers += started
            ours = started[-1]
            port = int(rasa_url.rsplit(":", 1)[1])
            minimal = Server(
                [RASA, "run", "-i", "127.0.0.1", "-p", str(minimal_port), "-m", str(minimal_model)],
                bench_env(),
                f"http://127.0.0.1:{minimal_port}/webhooks/rest/",
                cwd=tmp_path / "minimal",
            )
            servers.append(minimal)
            url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
            minimal_url = f"http://127.0.0.1:{minimal_port}/webhooks/rest/webhook"
            workload = our_workload(args.requests)
            results = measure(
                {
                    "this assistant": (url, workload),
                    "minimal bot": (minimal_url, workload),
                    OWN: (minimal_url, minimal_workload(args.requests)),
                }
            )
            quota_ms = drive(url, [("我还能融多少", {"token": mint("C1001", ttl_s=3600, secret=SECRET)})] * 100, 1)
            rss = {"this assistant": ours.rss_mb(), "minimal bot": minimal.rss_mb(), "actions": servers[0].rss_mb()}
            rss[OWN] = rss["minimal bot"]
        finally:
            for server in servers:
                server.stop()

    a = results["this assistant"]
    keys = ("seq_p50", "seq_p99", "c16_p50", "c16_p99")
    print(f"\nREST latency on 127.0.0.1, {args.requests} messages per run, runs in alternating blocks (ms)")
    print(f"{'':<34}{'seq p50':>9}{'seq p99':>9}{'c16 p50':>9}{'c16 p99':>9}{'c16 msg/s':>11}{'RSS MB':>8}")
    for name, r in results.items():
        print(f"{name:<34}" + "".join(f"{r[k]:>9.1f}" for k in keys) + f"{r['c16_rps']:>11.1f}{rss[name]:>8.0f}")
    for name in ("minimal bot", OWN):
        print(
            f"{'ratio to ' + name:<34}"
            + "".join(f"{a[k] / results[name][k]:>9.2f}" for k in keys)
            + "   (target ≤ 1.30)"
        )
    print(
        f"query_quota round trip (REST, token, SQLite lookup + audit), sequential: "
        f"p50 {pct(quota_ms, 50):.1f} ms, p99 {pct(quota_ms, 99):.1f} ms"
    )
    print(
        f"Rasa server resident memory: {rss['this assistant']:.0f} MB (target ≤ 1200); "
        f"action server {rss['actions']:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
