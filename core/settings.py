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
    # who may read GET /metrics: IPs or networks, comma-separated (loopback + the scraper's address)
    metrics_allow: str = "127.0.0.1,::1"
    # readiness: a knowledge index that could not read the store for this long is not ready
    knowledge_stale_s: float = 30.0


def get_settings() -> Settings:
    """Settings are read per call so tests and scripts can change the environment."""
    return Settings(
        database_url=os.environ.get("BOT_DATABASE_URL", f"sqlite:///{VAR_DIR / 'broker.db'}"),
        # demo default shared by `make run` and `make token`; set your own in production
        jwt_secret=os.environ.get("BOT_JWT_SECRET", "demo-secret-change-me"),
        demo_mode=os.environ.get("BOT_DEMO_MODE", "0") in ("1", "true", "yes"),
        db_timeout_s=float(os.environ.get("BOT_DB_TIMEOUT_S", "3")),
        metrics_allow=os.environ.get("BOT_METRICS_ALLOW", "127.0.0.1,::1"),
        knowledge_stale_s=float(os.environ.get("BOT_KNOWLEDGE_STALE_S", "30")),
    )
