"""Where published knowledge comes from.

The files in knowledge/faq/ are the reviewed source shipped with the project. A
store reports a cheap `revision()` so that running services notice a change and
rebuild their index without a retrain or restart.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import List, Protocol

import yaml

from bot.knowledge.model import Entry
from bot.settings import FAQ_DIR


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
