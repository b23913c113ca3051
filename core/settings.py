"""Runtime settings, read from the environment in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

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
    )
