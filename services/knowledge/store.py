"""Where published knowledge comes from.

The files in knowledge/faq/ are the reviewed source shipped with the project. A
store reports a cheap `revision()` so that running services notice a change and
rebuild their index without a retrain or restart.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import List, Protocol

import yaml

from core.knowledge.model import Entry
from core.settings import FAQ_DIR, get_settings


class KnowledgeStore(Protocol):
    def revision(self) -> str: ...

    def published(self) -> List[Entry]: ...


def load_entry_file(path: Path) -> Entry:
    with open(path, encoding="utf-8") as f:
        return Entry.from_dict(yaml.safe_load(f))


class FileStore:
    """Entries from knowledge/faq/*.yml (all treated as published)."""

    def __init__(self, directory: Path = FAQ_DIR) -> None:
        self.directory = Path(directory)

    def _files(self) -> List[Path]:
        return sorted(self.directory.glob("*.yml"))

    def revision(self) -> str:
        digest = hashlib.sha1()
        for path in self._files():
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_mtime_ns}:{stat.st_size};".encode())
        return digest.hexdigest()

    def published(self) -> List[Entry]:
        entries = [load_entry_file(p) for p in self._files()]
        return [e for e in entries if e.status == "published"]


class DbStore:
    """The published state in the database, shared by every running assistant."""

    def __init__(self, url: str) -> None:
        self.url = url

    def revision(self) -> str:
        from services.knowledge.publishing import revision
        from storage.db import session_scope

        with session_scope(self.url) as session:
            return f"db:{revision(session)}"

    def published(self) -> List[Entry]:
        from services.knowledge.publishing import published_entries
        from storage.db import session_scope

        with session_scope(self.url) as session:
            return published_entries(session)


def default_store() -> KnowledgeStore:
    """The database when the publishing tables are there and filled; the shipped files otherwise."""
    try:
        store = DbStore(get_settings().database_url)
        if store.revision() != "db:-1" and store.published():
            return store
    except Exception:  # no database, or not migrated yet
        pass
    return FileStore()


@lru_cache(maxsize=1)
def shipped_ids() -> frozenset:
    """Topics shipped in knowledge/faq — the ones the NLU training data covers."""
    return frozenset(e.id for e in FileStore().published())
