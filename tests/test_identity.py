"""Identity you can trust (issue 12), without servers: client-token claims, the
secrets every process needs, request signatures, and staff accounts on a real
database (logins throttled, tokens checked against the account)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets as pysecrets
import subprocess
import sys
import time

import jwt
import pytest
from sqlalchemy import func, select

from core import auth, secrets, settings, signing
from core.errors import RateLimited, Unauthorized
from services import staff
from storage.content import Editor, StaffLoginFailure
from storage.db import session_scope
from storage.models import AuditLog
from tests.conftest import ROOT, TEST_STAFF_SECRET

NOW = int(time.time())


# -- client tokens ------------------------------------------------------------------
def _token(secret, **claims):
    base = {"sub": "C1001", "aud": "client", "iat": NOW, "exp": NOW + 600}
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, secret, algorithm="HS256")


def test_client_tokens_need_exp_iat_client_audience_and_a_bounded_lifetime(jwt_secret):
    assert auth.verify(_token(jwt_secret)).valid
    assert auth.verify(_token(jwt_secret, aud=None)).status == "invalid"
    assert auth.verify(_token(jwt_secret, iat=None)).status == "invalid"
    assert auth.verify(_token(jwt_secret, aud="staff")).status == "invalid"
    week = auth.verify(_token(jwt_secret, iat=NOW, exp=NOW + 7 * 86400))  # longer than 12 h
    assert week.status == "invalid"
    assert auth.verify(_token(jwt_secret, iat=NOW + 3600, exp=NOW + 4000)).status == "invalid"  # issued in the future


def test_a_token_signed_with_the_old_public_demo_secret_opens_nothing(jwt_secret):
    legacy = _token("demo-secret-change-me")
    assert auth.verify(legacy).status == "invalid"


def test_no_token_verifies_or_mints_against_an_empty_or_short_secret(monkeypatch):
    monkeypatch.setenv("BOT_DEMO_MODE", "0")
    monkeypatch.setenv("BOT_JWT_SECRET", "")
    with pytest.raises(ValueError):
        auth.mint("C1001")
    monkeypatch.setenv("BOT_JWT_SECRET", "short")
    assert auth.verify(_token("short")).status == "invalid"
    with pytest.raises(ValueError):
        auth.mint("C1001")


# -- secrets ----------------------------------------------------------------------
def test_outside_demo_mode_each_secret_must_be_set_long_and_independent(monkeypatch):
    monkeypatch.setenv("BOT_DEMO_MODE", "0")
    for name in settings.SECRET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    found = secrets.problems()
    assert [p.split()[0] for p in found] == list(settings.SECRET_VARIABLES)
    with pytest.raises(SystemExit) as exc:
        secrets.require("test")
    assert exc.value.code != 0 and "BOT_JWT_SECRET" in str(exc.value.code)
    monkeypatch.setenv("BOT_JWT_SECRET", "x" * 40)
    monkeypatch.setenv("BOT_STAFF_JWT_SECRET", "x" * 40)  # the same value: not independent
    monkeypatch.setenv("BOT_ACTION_SECRET", "y" * 40)
    assert secrets.problems() and "different" in secrets.problems()[0]
    monkeypatch.setenv("BOT_STAFF_JWT_SECRET", "short")
    assert secrets.problems() == ["BOT_STAFF_JWT_SECRET is shorter than 32 bytes"]
    monkeypatch.setenv("BOT_STAFF_JWT_SECRET", "z" * 40)
    assert secrets.problems() == []


def test_demo_secrets_are_random_once_per_install(tmp_path, monkeypatch):
    first = settings._demo_secrets(tmp_path / "a" / "demo_secrets.json")
    settings._demo_secrets.cache_clear()
    again = settings._demo_secrets(tmp_path / "a" / "demo_secrets.json")  # read back, not regenerated
    other = settings._demo_secrets(tmp_path / "b" / "demo_secrets.json")
    assert first == again and set(first) == set(settings.SECRET_VARIABLES)
    assert all(len(v) >= 32 for v in first.values()) and len(set(first.values())) == 3
    assert first["BOT_JWT_SECRET"] != other["BOT_JWT_SECRET"]
    assert oct((tmp_path / "a" / "demo_secrets.json").stat().st_mode & 0o777) == "0o600"
    monkeypatch.setattr(settings, "DEMO_SECRETS_FILE", tmp_path / "a" / "demo_secrets.json")
    monkeypatch.setenv("BOT_DEMO_MODE", "1")
    for name in settings.SECRET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert settings.get_settings().jwt_secret == first["BOT_JWT_SECRET"]  # what `make token` mints with
    assert secrets.problems() == []
    settings._demo_secrets.cache_clear()


# -- request signatures --------------------------------------------------------------
def test_signature_covers_the_body_the_secret_and_the_time():
    body = json.dumps({"next_action": "action_query_quota", "tracker": {"sender_id": "s"}}).encode()
    headers = signing.sign(body, "k" * 40)
    assert signing.verify(body, headers, "k" * 40)
    assert not signing.verify(body + b" ", headers, "k" * 40)
    assert not signing.verify(body, headers, "j" * 40)
    assert not signing.verify(body, {}, "k" * 40)
    assert not signing.verify(body, headers, "")
    old = signing.sign(body, "k" * 40, now=time.time() - 3600)
    assert not signing.verify(body, old, "k" * 40)
    started = time.perf_counter()
    for _ in range(1000):
        signing.verify(body, signing.sign(body, "k" * 40), "k" * 40)
    assert (time.perf_counter() - started) / 1000 < 0.0005  # well under a millisecond per call


def test_an_answer_signature_is_bound_to_the_call_it_answers():
    key, answer = "k" * 40, b'{"events": [], "responses": [{"text": "ok"}]}'
    call = signing.sign(b"call one", key)[signing.SIGNATURE_HEADER]
    other_call = signing.sign(b"call two", key)[signing.SIGNATURE_HEADER]
    signature = signing.sign_response(answer, call, key)
    assert signing.verify_response(answer, call, signature, key)
    assert not signing.verify_response(answer + b" ", call, signature, key)  # changed on the way
    assert not signing.verify_response(answer, other_call, signature, key)  # an old answer replayed
    assert not signing.verify_response(answer, call, signing.sign_response(answer, call, "j" * 40), key)
    assert not signing.verify_response(answer, call, "", key) and not signing.verify_response(
        answer, "", signature, key
    )
    assert not signing.verify_response(answer, call, signature, "")


# -- staff accounts ---------------------------------------------------------------
def _account(database_url, role="agent", password="right-password-123", password_hash=None):
    name = "t_" + pysecrets.token_hex(4)
    with session_scope(database_url) as s:
        s.add(
            Editor(
                username=name,
                display_name=name,
                role=role,
                password_hash=password_hash or staff.hash_password(password),
            )
        )
    return name


def _verify(database_url, token):
    with session_scope(database_url) as s:
        return staff.verify_staff_token(s, token)


def _login(database_url, username, password, ip="192.0.2.1"):
    with session_scope(database_url) as s:
        try:
            return staff.login(s, username, password, ip)
        except (Unauthorized, RateLimited) as exc:
            return exc


def test_staff_tokens_are_checked_against_the_account(database_url):
    name = _account(database_url, role="agent")
    with session_scope(database_url) as s:
        token = staff.mint_staff_token(s.get(Editor, name))
    assert _verify(database_url, token).username == name
    # unknown user, minted with the real staff secret
    mallory = jwt.encode(
        {"sub": "mallory", "role": "agent", "aud": "staff", "iat": NOW, "exp": NOW + 600, "ver": 0},
        TEST_STAFF_SECRET,
        algorithm="HS256",
    )
    assert _verify(database_url, mallory) is None
    # a role the account lacks
    reviewer = jwt.encode(
        {"sub": name, "role": "reviewer", "aud": "staff", "iat": NOW, "exp": NOW + 600, "ver": 0},
        TEST_STAFF_SECRET,
        algorithm="HS256",
    )
    assert _verify(database_url, reviewer) is None
    # the client secret does not mint staff tokens
    client_signed = jwt.encode(
        {"sub": name, "role": "agent", "aud": "staff", "iat": NOW, "exp": NOW + 600, "ver": 0},
        os.environ["BOT_JWT_SECRET"],
        algorithm="HS256",
    )
    assert _verify(database_url, client_signed) is None
    # expired
    with session_scope(database_url) as s:
        expired = staff.mint_staff_token(s.get(Editor, name), ttl_s=-5)
    assert _verify(database_url, expired) is None
    # staff tokens live 8 h
    claims = jwt.decode(token, TEST_STAFF_SECRET, algorithms=["HS256"], audience="staff")
    assert claims["exp"] - claims["iat"] == 8 * 3600
    # logout: every earlier token stops working at once
    with session_scope(database_url) as s:
        assert staff.logout(s, token)
    assert _verify(database_url, token) is None
    with session_scope(database_url) as s:
        fresh = staff.mint_staff_token(s.get(Editor, name))
    assert _verify(database_url, fresh) is not None
    # disabled
    with session_scope(database_url) as s:
        staff.set_active(s, name, False)
    assert _verify(database_url, fresh) is None


def test_lockout_after_ten_failures_and_failures_are_audited(database_url):
    name = _account(database_url)
    for _ in range(10):
        assert isinstance(_login(database_url, name, "wrong"), Unauthorized)
    locked = _login(database_url, name, "right-password-123")
    assert isinstance(locked, RateLimited) and "锁定" in locked.message
    with session_scope(database_url) as s:
        audited = s.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.actor == name, AuditLog.action == "staff_login_failed")
        )
        assert audited >= 11
    other = _account(database_url)  # another account from the same IP still logs in
    assert isinstance(_login(database_url, other, "right-password-123"), Editor)


def test_per_ip_throttle_across_accounts(database_url):
    ip = "198.51.100." + str(pysecrets.randbelow(250))
    for i in range(30):
        _login(database_url, f"nobody{i}", "x", ip=ip)
    good = _account(database_url)
    assert isinstance(_login(database_url, good, "right-password-123", ip=ip), RateLimited)
    assert isinstance(_login(database_url, good, "right-password-123", ip="192.0.2.77"), Editor)
    with session_scope(database_url) as s:
        assert s.scalar(select(func.count()).select_from(StaffLoginFailure).where(StaffLoginFailure.ip == ip)) >= 31


def test_argon2_hashes_and_old_scrypt_ones_are_rehashed_at_login(database_url):
    assert staff.hash_password("p").startswith("$argon2id$")
    salt = os.urandom(16)
    digest = hashlib.scrypt(b"legacy-pass", salt=salt, n=2**14, r=8, p=1, dklen=32)
    legacy = "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()
    name = _account(database_url, password_hash=legacy)
    assert isinstance(_login(database_url, name, "wrong"), Unauthorized)
    assert isinstance(_login(database_url, name, "legacy-pass"), Editor)
    with session_scope(database_url) as s:
        assert s.get(Editor, name).password_hash.startswith("$argon2id$")
    assert isinstance(_login(database_url, name, "legacy-pass"), Editor)


def test_demo_staff_are_seeded_only_in_demo_mode(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = {**os.environ, "BOT_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "storage", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [sys.executable, "-m", "services.staff"],
        cwd=ROOT,
        env={**env, "BOT_DEMO_MODE": "0"},
        check=True,
        capture_output=True,
    )
    with session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(Editor)) == 0
    subprocess.run(
        [sys.executable, "-m", "services.staff"],
        cwd=ROOT,
        env={**env, "BOT_DEMO_MODE": "1"},
        check=True,
        capture_output=True,
    )
    with session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(Editor)) == len(staff.DEMO_STAFF)


# -- browser side -------------------------------------------------------------------
def test_csp_connect_src_comes_from_configuration(monkeypatch):
    from web.server import security_headers

    monkeypatch.setenv("BOT_CONNECT_SRC", "https://bot.example.com wss://bot.example.com")
    csp = security_headers("https://rasa.example.com")["Content-Security-Policy"]
    connect = next(p for p in csp.split(";") if "connect-src" in p).split()
    assert connect == [
        "connect-src",
        "'self'",
        "https://rasa.example.com",
        "wss://rasa.example.com",
        "https://bot.example.com",
        "wss://bot.example.com",
    ]
    assert "127.0.0.1:*" not in csp


# -- conversation owners across instances -----------------------------------------------
def test_a_binding_made_by_another_instance_is_read_from_the_shared_tracker_store(tmp_path):
    """Two Rasa instances share a SQL tracker store (production profile): instance B
    never saw the conversation, yet refuses a stranger's message to C1003's conversation."""
    import asyncio
    from types import SimpleNamespace

    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.channels.common import Owners, keeps_trackers_here

    async def scenario():
        shared = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "trackers.db"))
        tracker = DialogueStateTracker.from_events(
            "conv-1", [UserUttered("我的维持担保比例", metadata={"auth_status": "valid", "client_id": "C1003"})]
        )
        await shared.save(tracker)
        instance_b = SimpleNamespace(tracker_store=FailSafeTrackerStore(shared))
        assert not keeps_trackers_here(instance_b)
        owners = Owners()
        assert not await owners.admits(instance_b, "conv-1", None)
        assert not await owners.admits(instance_b, "conv-1", "C1001")
        assert await owners.admits(instance_b, "conv-1", "C1003")
        assert await owners.admits(instance_b, "conv-2", None)  # nobody's yet
        assert await owners.admits(instance_b, "conv-2", "C1001")  # binds it
        assert not await owners.admits(instance_b, "conv-2", "C1003")
        local = SimpleNamespace(tracker_store=FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty())))
        assert keeps_trackers_here(local)

    asyncio.run(scenario())
