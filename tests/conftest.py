"""Shared fixtures: policy, a migrated + seeded database (SQLite, or PostgreSQL when
BOT_TEST_DATABASE_URL is set), and the real servers for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests
from sqlalchemy import text

from benchmarks.common import free_port
from benchmarks.latency import endpoints_for
from core.policy import Policy, get_policy
from services.knowledge.publishing import import_files
from services.staff import seed_demo_staff
from storage import migrate
from storage.db import engine_for, session_scope
from storage.seed import seed

ROOT = Path(__file__).resolve().parent.parent
# Independent test secrets (≥ 32 bytes each) for every process the tests start and every
# token they mint; nothing falls back to a built-in value.
TEST_SECRET = "e2e-client-token-secret-0123456789abcdef"
TEST_STAFF_SECRET = "e2e-staff-token-secret-fedcba9876543210"
TEST_ACTION_SECRET = "e2e-action-server-secret-00112233445566"
os.environ.update(
    BOT_JWT_SECRET=TEST_SECRET, BOT_STAFF_JWT_SECRET=TEST_STAFF_SECRET, BOT_ACTION_SECRET=TEST_ACTION_SECRET
)


@pytest.fixture(scope="session")
def policy() -> Policy:
    return get_policy()


def _reset(url: str) -> None:
    """Empty the test database (PostgreSQL) so every session starts from migrations."""
    if url.startswith("postgresql"):
        with engine_for(url).begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
        engine_for.cache_clear()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("BOT_TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'broker.db'}"
    _reset(url)
    migrate.upgrade(url)
    with session_scope(url) as session:
        seed(session)
        import_files(session)
        seed_demo_staff(session)
    previous = os.environ.get("BOT_DATABASE_URL")
    os.environ["BOT_DATABASE_URL"] = url
    yield url
    if previous is None:
        os.environ.pop("BOT_DATABASE_URL", None)
    else:
        os.environ["BOT_DATABASE_URL"] = previous


@pytest.fixture()
def jwt_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    secret = "unit-test-client-secret-0123456789abcdef"
    monkeypatch.setenv("BOT_JWT_SECRET", secret)
    return secret


# -- real servers ---------------------------------------------------------------
MODEL = ROOT / "models" / "liangrong.tar.gz"
RISK_KEY = "e2e-risk-key"
LOGGING = ("--logging-config-file", str(ROOT / "deploy" / "logging.yml"))  # as scripts/run.sh: masked logs


def wait_http(url: str, timeout_s: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early ({proc.returncode}): {url}")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise TimeoutError(url)


class Servers:
    """Action server + Rasa server on free loopback ports, on the test database."""

    logging_args: tuple = LOGGING  # the logging config both servers start with
    rasa_args: tuple = ("--cors", "*")  # more `rasa run` options

    def __init__(self, database_url: str, tmp: Path) -> None:
        self.tmp = tmp
        self.rasa_port, self.actions_port, self.pages_port = free_port(), free_port(), free_port()
        # ports for the tests that run a pages server of their own: socket.io admits their origins too
        self.spare_pages_ports = [free_port() for _ in range(4)]
        self.env = {
            **os.environ,
            "BOT_DATABASE_URL": database_url,
            "BOT_JWT_SECRET": TEST_SECRET,
            "BOT_STAFF_JWT_SECRET": TEST_STAFF_SECRET,
            "BOT_ACTION_SECRET": TEST_ACTION_SECRET,
            "PYTHONPATH": str(ROOT),
            "SANIC_HOST": "127.0.0.1",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "RASA_TELEMETRY_ENABLED": "false",
            "BOT_FAKE_NOW": "2026-11-26T10:00:00+08:00",
            # the browser origin the widget runs on (the pages server below): socket.io admits only it
            "BOT_ALLOWED_ORIGINS": " ".join(
                f"http://127.0.0.1:{p}" for p in [self.pages_port, *self.spare_pages_ports]
            ),
            # every test logs in from 127.0.0.1 (the fuzz test with junk), and failures are counted
            # in the shared database: the per-IP throttle is tested on the service (test_identity.py)
            "BOT_LOGIN_IP_MAX_FAILURES": "100000",
        }
        self.endpoints = endpoints_for(tmp, self.actions_port)  # the shipped ones, this port
        self.actions = self.rasa = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def spare_pages_port(self) -> int:
        """A port for a test's own pages server whose origin socket.io admits."""
        return self.spare_pages_ports.pop()

    def _spawn(self, args, log_name):
        log = open(self.tmp / log_name, "ab")
        return subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_actions(self) -> None:
        self.actions = self._spawn(
            [sys.executable, "-m", "actions.serve", "-p", str(self.actions_port), *self.logging_args], "actions.log"
        )
        wait_http(f"http://127.0.0.1:{self.actions_port}/health", 90, self.actions)

    def stop_actions(self) -> None:
        if self.actions and self.actions.poll() is None:
            os.killpg(self.actions.pid, signal.SIGTERM)
            self.actions.wait(20)

    def start_rasa(self) -> None:
        if not MODEL.exists():
            raise RuntimeError("no trained model: run `make setup` first")
        self.rasa = self._spawn(
            [
                sys.executable,
                "-m",
                "bot.serve",
                "-i",
                "127.0.0.1",
                "-p",
                str(self.rasa_port),
                "-m",
                str(MODEL),
                "--credentials",
                str(ROOT / "credentials.yml"),
                "--endpoints",
                str(self.endpoints),
                *self.rasa_args,
                *self.logging_args,
            ],
            "rasa.log",
        )
        wait_http(f"{self.url}/webhooks/rest/", 180, self.rasa)

    def stop_rasa(self) -> None:
        if self.rasa and self.rasa.poll() is None:
            os.killpg(self.rasa.pid, signal.SIGKILL)  # as if the process died
            self.rasa.wait(30)

    def start(self) -> Servers:
        self.start_actions()
        self.start_rasa()
        return self

    def stop(self) -> None:
        self.stop_actions()
        self.stop_rasa()

    def chat(self, message, sender="e2e", metadata=None, timeout=30):
        body = {"sender": sender, "message": message, "metadata": metadata or {}}
        return requests.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=timeout)

    def token(self, client_id: str, ttl_s: int = 600) -> str:
        from core.auth import mint

        return mint(client_id, ttl_s=ttl_s, secret=TEST_SECRET)


@pytest.fixture(scope="session")
def servers(database_url, tmp_path_factory) -> Iterator[Servers]:
    s = Servers(database_url, tmp_path_factory.mktemp("servers"))
    try:
        yield s.start()
    finally:
        s.stop()


@pytest.fixture(scope="session")
def pages(servers, tmp_path_factory):
    """The pages server (widget, demo login, editor) in demo mode, on the test servers."""
    port = servers.pages_port
    env = {
        **servers.env,
        "BOT_DEMO_MODE": "1",
        "BOT_RISK_API_KEY": RISK_KEY,
        "BOT_ALERT_SCAN_S": "2",
    }
    log = open(tmp_path_factory.mktemp("pages") / "pages.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "web.server", "--port", str(port), "--rasa", servers.url],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/", 60, proc)
    yield url
    proc.terminate()
    proc.wait(10)


def pytest_collection_modifyitems(items: list) -> None:
    """Tests that load the trained model or start servers carry the marker that says so,
    so `make test-fast` can leave them out."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "agent" in fixtures:
            item.add_marker(pytest.mark.model)
        if "servers" in fixtures or "pages" in fixtures:
            item.add_marker(pytest.mark.e2e)
