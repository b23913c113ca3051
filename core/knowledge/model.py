"""Knowledge entries: the unit that the education team writes and the bot answers with."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from core.policy import Policy

STATUSES = ("draft", "review", "published", "retired")
FAQ_ID = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")  # lower_snake_case, like interest_financing_rate
MAX_FAQ_ID = 64


def is_faq_id(value: object) -> bool:
    """The one rule for a topic id, wherever one arrives (files, editor, feedback)."""
    return isinstance(value, str) and len(value) <= MAX_FAQ_ID and FAQ_ID.match(value) is not None


@dataclass(frozen=True)
class Entry:
    id: str
    version: int
    category: str
    question: str
    paraphrases: Tuple[str, ...]
    answer: str  # template with {{ policy.path | fmt }} placeholders
    tags: Tuple[str, ...] = ()
    cites: Tuple[str, ...] = ()
    money_topic: bool = False
    reviewed_by: str = ""
    reviewed_at: str = ""
    status: str = "published"

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> Entry:
        return cls(
            id=str(data["id"]),
            version=int(data.get("version", 1)),
            category=str(data.get("category", "")),
            question=str(data["question"]).strip(),
            paraphrases=tuple(str(p).strip() for p in data.get("paraphrases") or ()),
            answer=str(data["answer"]).strip(),
            tags=tuple(str(t) for t in data.get("tags") or ()),
            cites=tuple(str(c) for c in data.get("cites") or ()),
            money_topic=bool(data.get("money_topic", False)),
            reviewed_by=str(data.get("reviewed_by", "")),
            reviewed_at=str(data.get("reviewed_at", "")),
            status=str(data.get("status", "published")),
        )

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        for key in ("paraphrases", "tags", "cites"):
            data[key] = list(data[key])
        return data

    @property
    def texts(self) -> List[str]:
        """Everything a client might type for this entry: question first."""
        return [self.question, *self.paraphrases]

    def render(self, policy: Policy) -> str:
        """The answer as the client reads it: policy numbers filled in, reminder appended."""
        text = policy.render(self.answer)
        if self.money_topic:
            text = f"{text}\n{policy.get('texts.risk_reminder')}"
        return text


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float
    parts: Dict[str, float] = field(default_factory=dict)

    @property
    def faq_id(self) -> str:
        return self.entry.id


def find(entries: List[Entry], faq_id: str) -> Optional[Entry]:
    return next((e for e in entries if e.id == faq_id), None)
