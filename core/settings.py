"""Runtime settings, read from the environment in one place."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
POLICY_FILE = KNOWLEDGE_DIR / "policy.yml"
FAQ_DIR = KNOWLEDGE_DIR / "faq"
LEXICON_DIR = KNOWLEDGE_DIR / "lexicon"
VAR_DIR = ROOT / "var"


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
    # pages server → Rasa (pausing the bot while an agent holds a conversation)
    internal_key: str = ""
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


def get_settings() -> Settings:
    """Settings are read per call so tests and scripts can change the environment."""
    return Settings(
        database_url=os.environ.get("BOT_DATABASE_URL", f"sqlite:///{VAR_DIR / 'broker.db'}"),
        # demo default shared by `make run` and `make token`; set your own in production
        jwt_secret=os.environ.get("BOT_JWT_SECRET", "demo-secret-change-me"),
        demo_mode=os.environ.get("BOT_DEMO_MODE", "0") in ("1", "true", "yes"),
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
        internal_key=os.environ.get("BOT_INTERNAL_KEY")
        or hashlib.sha256(
            (os.environ.get("BOT_JWT_SECRET", "demo-secret-change-me") + ":internal").encode()
        ).hexdigest(),
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
    )


def _days(name: str, default: int) -> int:
    """A retention period in days; at least one day, so a typo cannot purge everything."""
    return max(1, int(os.environ.get(name, str(default))))
