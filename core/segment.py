"""jieba with the 两融 domain dictionary, loaded once per process."""

from __future__ import annotations

import logging
import threading
from typing import List

import jieba

from core.settings import LEXICON_DIR

_lock = threading.Lock()
_loaded = False
DICTIONARY_DIR = LEXICON_DIR / "jieba"

jieba.setLogLevel(logging.WARNING)


def ensure_dictionary() -> None:
    global _loaded
    with _lock:
        if not _loaded:
            for path in sorted(DICTIONARY_DIR.glob("*.txt")):
                jieba.load_userdict(str(path))
            _loaded = True


def words(text: str) -> List[str]:
    """jieba words without whitespace and punctuation."""
    ensure_dictionary()
    return [w for w in jieba.lcut(text) if w.strip() and any(ch.isalnum() for ch in w)]
