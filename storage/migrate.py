"""Schema migrations (Alembic): a deployed database is upgraded in place, never recreated."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config

from core.settings import get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: Optional[str] = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    return cfg


def upgrade(url: Optional[str] = None, revision: str = "head") -> None:
    _ensure_sqlite_dir(url or get_settings().database_url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: Optional[str] = None, revision: str = "-1") -> None:
    command.downgrade(alembic_config(url), revision)


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
