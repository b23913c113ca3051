"""Rate limits (the `limits` library's moving window), client addresses behind a proxy,
and one budget shared by every instance through Redis."""

import shutil
import subprocess
import time

import pytest

from bot.channels.guards import RateLimiter, forwarded_ip, parse_limit
from core.settings import get_settings
from tests.conftest import free_port


def limiter(monkeypatch, **env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return RateLimiter(get_settings())


def test_moving_window_per_key(monkeypatch):
    guard = limiter(monkeypatch, BOT_RATE_LIMIT_SENDER="3/2")
    assert [guard.allow("a") for _ in range(4)] == [True, True, True, False]
    assert guard.allow("b")  # per key
    time.sleep(2.1)
    assert guard.allow("a")  # the first hits have left the window
    assert parse_limit("30/60").amount == 30 and parse_limit("30/60").get_expiry() == 60


def test_rotating_sender_ids_do_not_escape_the_client_limit(monkeypatch):
    guard = limiter(monkeypatch, BOT_RATE_LIMIT_SENDER="100/60", BOT_RATE_LIMIT_CLIENT="5/60")
    results = [guard.allow(f"sender-{i}", client="C1001") for i in range(8)]
    assert results == [True] * 5 + [False] * 3
    assert guard.allow("sender-x", client="C1002")


def test_connection_and_ip_limits(monkeypatch):
    guard = limiter(monkeypatch, BOT_RATE_LIMIT_CONNECTION="3/60", BOT_RATE_LIMIT_IP="4/60")
    assert [guard.allow(f"room-{i}", connection="sid-1") for i in range(4)] == [True] * 3 + [False]
    assert [guard.allow(f"s{i}", "10.0.0.1") for i in range(5)] == [True] * 4 + [False]
    assert [guard.allow(f"room-{i}") for i in range(10)] == [True] * 10  # no IP known: no shared '?' bucket


def test_forwarded_for_is_believed_only_from_a_trusted_proxy():
    trusted = ("127.0.0.1",)
    assert forwarded_ip("203.0.113.9", "1.2.3.4", trusted) == "203.0.113.9"  # a client's own header: ignored
    assert forwarded_ip("127.0.0.1", "1.2.3.4", trusted) == "1.2.3.4"  # nginx's
    assert forwarded_ip("127.0.0.1", "6.6.6.6, 1.2.3.4", trusted) == "1.2.3.4"  # spoofed hop left of nginx's
    assert forwarded_ip("127.0.0.1", "", trusted) == "127.0.0.1"
    assert forwarded_ip("127.0.0.1", "1.2.3.4", ()) == "127.0.0.1"  # no proxy configured


@pytest.fixture()
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def test_two_instances_share_one_budget_in_redis(monkeypatch, redis_url):
    env = {"BOT_RATE_LIMIT_STORAGE": redis_url, "BOT_RATE_LIMIT_SENDER": "6/60"}
    one, two = limiter(monkeypatch, **env), limiter(monkeypatch, **env)
    results = [(one if i % 2 else two).allow("shared") for i in range(10)]
    assert results == [True] * 6 + [False] * 4  # not 6 each


def test_an_unreachable_redis_lets_messages_through(monkeypatch):
    guard = limiter(
        monkeypatch, BOT_RATE_LIMIT_STORAGE=f"redis://127.0.0.1:{free_port()}", BOT_RATE_LIMIT_SENDER="1/60"
    )
    assert guard.allow("x") and guard.allow("x")
