"""Settings: read from the environment, rebuilt only when it changes."""

from __future__ import annotations

import re
from pathlib import Path

from core import settings


def test_settings_rebuild_when_a_variable_they_read_changes(monkeypatch):
    source = Path(settings.__file__).read_text(encoding="utf-8")
    read = set(re.findall(r'(?:environ\.get|_days|_secret|_origins)\("([A-Z0-9_]+)"', source))
    assert read == set(settings.ENV_NAMES)  # every variable read is part of the cache key
    before = settings.get_settings()
    assert settings.get_settings() is before  # nothing changed: the same object
    monkeypatch.setenv("BOT_DB_TIMEOUT_S", "7")
    assert settings.get_settings().db_timeout_s == 7.0
