"""Text normalisation shared by the NLU pipeline and the knowledge retriever.

Clients type traditional characters, full-width digits, English 两融 terms and
pinyin typos. Everything that compares text goes through `normalize` first so
that "維持擔保比例", "margin call" and "维持担宝比例" meet the knowledge base.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Tuple

import yaml

from core.settings import LEXICON_DIR

if TYPE_CHECKING:
    from opencc import OpenCC

MAX_CHARS = 1000  # longer messages are cut before NLU; the channel caps input too

_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\ufeff]")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    import opencc  # local import: only the processes that normalise need it

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _glossary() -> Tuple[re.Pattern[str], Dict[str, str], List[Tuple[str, str]]]:
    with open(Path(LEXICON_DIR) / "glossary.yml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    english = {k.lower(): v for k, v in (data.get("english") or {}).items()}
    keys = sorted(english, key=len, reverse=True)
    # ASCII word edges; Chinese characters count as edges too.
    pattern = re.compile(r"(?<![a-z0-9])(" + "|".join(re.escape(k) for k in keys) + r")(?![a-z0-9])")
    typos = sorted((data.get("typos") or {}).items(), key=lambda kv: len(kv[0]), reverse=True)
    return pattern, english, typos


_SURROGATE = re.compile(r"[\ud800-\udfff]")
_UNSAFE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]")


def sanitize(text: str) -> str:
    """Text safe to store and encode: lone surrogates (which no database or UTF-8 encoder
    accepts) become U+FFFD, control characters other than tab and newlines are dropped."""
    if not isinstance(text, str):
        text = str(text)
    if text.isascii() and text.isprintable():  # the common case, fast
        return text
    return _UNSAFE.sub("", _SURROGATE.sub("\ufffd", text))


def clean(text: str) -> str:
    """Light clean-up that keeps the client's wording: no control chars, single spaces."""
    text = sanitize(_CONTROL.sub(" ", text or ""))  # control characters become spaces here
    return _SPACES.sub(" ", text).strip()


def normalize(text: str) -> str:
    """Canonical form for matching: NFKC, simplified, lower-case, glossary applied."""
    text = clean(unicodedata.normalize("NFKC", text or ""))[:MAX_CHARS]
    if not text:
        return ""
    text = _t2s().convert(text).lower()
    pattern, english, typos = _glossary()
    text = pattern.sub(lambda m: english[m.group(1)], text)
    for wrong, right in typos:
        if wrong in text:
            text = text.replace(wrong, right)
    return _SPACES.sub(" ", text).strip()


def has_meaningful_text(text: str) -> bool:
    """True when the text holds at least one letter, digit or CJK character."""
    return any(ch.isalnum() for ch in clean(text))
