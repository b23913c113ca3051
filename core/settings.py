"""Runtime settings, read from the environment in one place."""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
POLICY_FILE = KNOWLEDGE_DIR / "policy.yml"
FAQ_DIR = KNOWLEDGE_DIR / "faq"
LEXICON_DIR = KNOWLEDGE_DIR / "lexicon"
VAR_DIR = ROOT / "var"
# demo mode only: random secrets generated once per install (var/ is not in git)
DEMO_SECRETS_FILE = VAR_DIR / "demo_secrets.json"
SECRET_VARIABLES = ("BOT_JWT_SECRET", "BOT_STAFF_JWT_SECRET", "BOT_ACTION_SECRET")
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class Settings:
    database_url: str
    jwt_secret: str
    jwt_algorithm: str = "HS256"
    demo_mode: bool = False
    db_timeout_s: float = 3.0
    rasa_speedups: bool = True
    risk_api_key: Optional[str] = None
    alert_scan_s: float = 60.0
    fake_now: Optional[str] = None
    action_server_host: str = "127.0.0.1"
    # Records and privacy (core/retention.py names the data classes; README, "Records and privacy")
    retain_anon_chat_days: int = 180
    retain_question_log_days: int = 180
    retain_client_records_days: int = 7305  # 20 years
    retain_audit_days: int = 7305
    retain_feedback_days: int = 730
    retain_outbox_days: int = 1096
    retain_staff_login_failures_days: int = 365
    purge_daily_at: str = "03:30"  # broker-local time of the pages server's daily purge; "off" disables it
    purge_batch: int = 500
    # who may read GET /metrics: IPs or networks, comma-separated (loopback + the scraper's address)
    metrics_allow: str = "127.0.0.1,::1"
    # readiness: a knowledge index that could not read the store for this long is not ready
    knowledge_stale_s: float = 30.0
    # guards (bot/channels/guards.py): "count/seconds" per key, counted in `rate_limit_storage`
    rate_limit_storage: str = "memory://"
    rate_limit_client: str = "60/60"
    rate_limit_sender: str = "30/60"
    rate_limit_connection: str = "30/60"
    rate_limit_ip: str = "3000/60"
    trusted_proxies: Tuple[str, ...] = ()
    max_body_bytes: int = 64 * 1024
    actions_max_body_bytes: int = 1024 * 1024  # the action server receives whole trackers
    staff_jwt_secret: str = ""
    action_secret: str = ""
    token_max_lifetime_s: int = 12 * 3600  # a client token living longer than this is refused
    staff_token_ttl_s: int = 8 * 3600
    # browser origins allowed to open the socket.io channel, and the pages' CSP connect-src
    allowed_origins: Tuple[str, ...] = ("http://127.0.0.1:8080", "http://localhost:8080")
    connect_src: Tuple[str, ...] = ()
    login_max_failures: int = 10  # per account within login_window_s, then locked for that window
    login_ip_max_failures: int = 30  # per IP within login_window_s
    login_window_s: int = 15 * 60


@lru_cache(maxsize=4)
def _demo_secrets(path: Path) -> Dict[str, str]:
    """The install's demo secrets, created on first use. O_EXCL: processes starting
    together agree on one file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fd = -1
    if fd >= 0:
        data = {name: secrets.token_urlsafe(48) for name in SECRET_VARIABLES}
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
        return data
    for _ in range(50):  # another process may be writing it right now
        try:
            data = json.loads(path.read_text() or "{}")
        except ValueError:
            data = {}
        if all(k in data for k in SECRET_VARIABLES):
            return data
        time.sleep(0.05)
    raise RuntimeError(f"{path} is incomplete: delete it to generate new demo secrets")


def _secret(name: str, demo_mode: bool) -> str:
    value = os.environ.get(name, "")
    if value or not demo_mode:
        return value
    return _demo_secrets(DEMO_SECRETS_FILE)[name]


def _origins(name: str, default: Tuple[str, ...]) -> Tuple[str, ...]:
    raw = os.environ.get(name)
    return default if raw is None else tuple(o for o in raw.replace(",", " ").split() if o)


# every variable `_read` uses: the settings are rebuilt only when one of them changes
ENV_NAMES = (
    "BOT_DEMO_MODE", "PAGES_PORT", "BOT_ALLOWED_ORIGINS", "BOT_CONNECT_SRC", "BOT_DATABASE_URL",
    "BOT_JWT_SECRET", "BOT_STAFF_JWT_SECRET", "BOT_ACTION_SECRET", "BOT_DB_TIMEOUT_S", "BOT_RASA_SPEEDUPS",
    "BOT_RISK_API_KEY", "BOT_ALERT_SCAN_S", "BOT_FAKE_NOW", "SANIC_HOST",
    "BOT_RETAIN_ANON_CHAT_DAYS", "BOT_RETAIN_QUESTION_LOG_DAYS", "BOT_RETAIN_CLIENT_RECORDS_DAYS",
    "BOT_RETAIN_AUDIT_DAYS", "BOT_RETAIN_FEEDBACK_DAYS", "BOT_RETAIN_OUTBOX_DAYS",
    "BOT_RETAIN_STAFF_LOGIN_FAILURES_DAYS", "BOT_PURGE_DAILY_AT", "BOT_PURGE_BATCH", "BOT_METRICS_ALLOW",
    "BOT_KNOWLEDGE_STALE_S", "BOT_RATE_LIMIT_STORAGE", "BOT_RATE_LIMIT_CLIENT", "BOT_RATE_LIMIT_SENDER",
    "BOT_RATE_LIMIT_CONNECTION", "BOT_RATE_LIMIT_IP", "BOT_TRUSTED_PROXIES", "BOT_MAX_BODY_BYTES",
    "BOT_ACTIONS_MAX_BODY_BYTES", "BOT_TOKEN_MAX_LIFETIME_S", "BOT_LOGIN_MAX_FAILURES", "BOT_LOGIN_IP_MAX_FAILURES",
)  # fmt: skip


_ENV_KEYS = tuple(os.environ.encodekey(name) for name in ENV_NAMES)


def get_settings() -> Settings:
    """The settings of the current environment. Read per call, so tests and scripts can
    change the environment, but built only when a variable changed (a turn asks often).
    The key is the variables' raw values in os.environ's own mapping: decoding all of
    them on every call cost more than the rest of the call."""
    raw = os.environ._data  # type: ignore[attr-defined]
    return _built(tuple(map(raw.get, _ENV_KEYS)), DEMO_SECRETS_FILE)


@lru_cache(maxsize=8)
def _built(_environment: Tuple[Optional[str], ...], _demo_file: Path) -> Settings:
    return _read()


def _read() -> Settings:
    demo = os.environ.get("BOT_DEMO_MODE", "0") in ("1", "true", "yes")
    pages_port = os.environ.get("PAGES_PORT", "8080")
    origins = _origins("BOT_ALLOWED_ORIGINS", (f"http://127.0.0.1:{pages_port}", f"http://localhost:{pages_port}"))
    return Settings(
        database_url=os.environ.get("BOT_DATABASE_URL", f"sqlite:///{VAR_DIR / 'broker.db'}"),
        # outside demo mode these must be set (core.secrets refuses to start otherwise)
        jwt_secret=_secret("BOT_JWT_SECRET", demo),
        staff_jwt_secret=_secret("BOT_STAFF_JWT_SECRET", demo),
        action_secret=_secret("BOT_ACTION_SECRET", demo),
        demo_mode=demo,
        db_timeout_s=float(os.environ.get("BOT_DB_TIMEOUT_S", "3")),
        rasa_speedups=os.environ.get("BOT_RASA_SPEEDUPS", "1") not in ("0", "false", "no"),
        risk_api_key=os.environ.get("BOT_RISK_API_KEY") or None,
        alert_scan_s=float(os.environ.get("BOT_ALERT_SCAN_S", "60")),
        fake_now=os.environ.get("BOT_FAKE_NOW") or None,
        # rasa_sdk's own variable: the action server trusts its callers, so loopback by default
        action_server_host=os.environ.get("SANIC_HOST", "127.0.0.1"),
        retain_anon_chat_days=_days("BOT_RETAIN_ANON_CHAT_DAYS", 180),
        retain_question_log_days=_days("BOT_RETAIN_QUESTION_LOG_DAYS", 180),
        retain_client_records_days=_days("BOT_RETAIN_CLIENT_RECORDS_DAYS", 7305),
        retain_audit_days=_days("BOT_RETAIN_AUDIT_DAYS", 7305),
        retain_feedback_days=_days("BOT_RETAIN_FEEDBACK_DAYS", 730),
        retain_outbox_days=_days("BOT_RETAIN_OUTBOX_DAYS", 1096),
        retain_staff_login_failures_days=_days("BOT_RETAIN_STAFF_LOGIN_FAILURES_DAYS", 365),
        purge_daily_at=os.environ.get("BOT_PURGE_DAILY_AT", "03:30"),
        purge_batch=max(1, int(os.environ.get("BOT_PURGE_BATCH", "500"))),
        metrics_allow=os.environ.get("BOT_METRICS_ALLOW", "127.0.0.1,::1"),
        knowledge_stale_s=float(os.environ.get("BOT_KNOWLEDGE_STALE_S", "30")),
        rate_limit_storage=os.environ.get("BOT_RATE_LIMIT_STORAGE", "memory://"),
        rate_limit_client=os.environ.get("BOT_RATE_LIMIT_CLIENT", "60/60"),
        rate_limit_sender=os.environ.get("BOT_RATE_LIMIT_SENDER", "30/60"),
        rate_limit_connection=os.environ.get("BOT_RATE_LIMIT_CONNECTION", "30/60"),
        rate_limit_ip=os.environ.get("BOT_RATE_LIMIT_IP", "3000/60"),
        trusted_proxies=tuple(p.strip() for p in os.environ.get("BOT_TRUSTED_PROXIES", "").split(",") if p.strip()),
        max_body_bytes=int(os.environ.get("BOT_MAX_BODY_BYTES", str(64 * 1024))),
        actions_max_body_bytes=int(os.environ.get("BOT_ACTIONS_MAX_BODY_BYTES", str(1024 * 1024))),
        token_max_lifetime_s=int(os.environ.get("BOT_TOKEN_MAX_LIFETIME_S", str(12 * 3600))),
        allowed_origins=origins,
        connect_src=_origins("BOT_CONNECT_SRC", ()),
        login_max_failures=int(os.environ.get("BOT_LOGIN_MAX_FAILURES", "10")),
        login_ip_max_failures=int(os.environ.get("BOT_LOGIN_IP_MAX_FAILURES", "30")),
    )


def _days(name: str, default: int) -> int:
    """A retention period in days; at least one day, so a typo cannot purge everything."""
    return max(1, int(os.environ.get(name, str(default))))
