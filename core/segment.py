"""jieba with the 两融 domain dictionary, loaded once per process."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import FrozenSet, List

import jieba

from core.settings import LEXICON_DIR

DICTIONARY_DIR = LEXICON_DIR / "jieba"

jieba.setLogLevel(logging.WARNING)


@lru_cache(maxsize=1)
def ensure_dictionary() -> None:
    """Add the domain words to jieba's (process-wide) dictionary, once."""
    for path in sorted(DICTIONARY_DIR.glob("*.txt")):
        jieba.load_userdict(str(path))


@lru_cache(maxsize=1)
def domain_words() -> FrozenSet[str]:
    """The words of the domain dictionary (融资融券, 维持担保比例, 追保 …)."""
    out = set()
    for path in sorted(DICTIONARY_DIR.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.add(line.split()[0])
    return frozenset(out)


def words(text: str) -> List[str]:
    """jieba words without whitespace and punctuation."""
    ensure_dictionary()
    return [w for w in jieba.lcut(text) if w.strip() and any(ch.isalnum() for ch in w)]
