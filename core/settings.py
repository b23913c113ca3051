"""Runtime settings, read from the environment in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
    # guards (bot/channels/guards.py): "count/seconds" per key, counted in `rate_limit_storage`
    rate_limit_storage: str = "memory://"
    rate_limit_client: str = "60/60"
    rate_limit_sender: str = "30/60"
    rate_limit_connection: str = "30/60"
    rate_limit_ip: str = "3000/60"
    trusted_proxies: tuple = ()
    max_body_bytes: int = 64 * 1024
    actions_max_body_bytes: int = 1024 * 1024  # the action server receives whole trackers
    actions_host: str = "0.0.0.0"


def get_settings() -> Settings:
    """Settings are read per call so tests and scripts can change the environment."""
    return Settings(
        database_url=os.environ.get("BOT_DATABASE_URL", f"sqlite:///{VAR_DIR / 'broker.db'}"),
        # demo default shared by `make run` and `make token`; set your own in production
        jwt_secret=os.environ.get("BOT_JWT_SECRET", "demo-secret-change-me"),
        demo_mode=os.environ.get("BOT_DEMO_MODE", "0") in ("1", "true", "yes"),
        db_timeout_s=float(os.environ.get("BOT_DB_TIMEOUT_S", "3")),
        rate_limit_storage=os.environ.get("BOT_RATE_LIMIT_STORAGE", "memory://"),
        rate_limit_client=os.environ.get("BOT_RATE_LIMIT_CLIENT", "60/60"),
        rate_limit_sender=os.environ.get("BOT_RATE_LIMIT_SENDER", "30/60"),
        rate_limit_connection=os.environ.get("BOT_RATE_LIMIT_CONNECTION", "30/60"),
        rate_limit_ip=os.environ.get("BOT_RATE_LIMIT_IP", "3000/60"),
        trusted_proxies=tuple(p.strip() for p in os.environ.get("BOT_TRUSTED_PROXIES", "").split(",") if p.strip()),
        max_body_bytes=int(os.environ.get("BOT_MAX_BODY_BYTES", str(64 * 1024))),
        actions_max_body_bytes=int(os.environ.get("BOT_ACTIONS_MAX_BODY_BYTES", str(1024 * 1024))),
        actions_host=os.environ.get("SANIC_HOST", "0.0.0.0"),  # rasa_sdk's own variable
    )
