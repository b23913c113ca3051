"""The knowledge service: the one place that answers "which entry fits this question".

Used by the faq action (chat) and the agents' assist endpoint, so both rank the
same way. It watches its store's revision and swaps in a rebuilt index in the
background, so an edited or newly published entry is answered within seconds,
without retraining or restarting Rasa.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import List, Optional

from core.knowledge.model import Entry, Hit, find
from core.knowledge.retriever import Retriever
from core.policy import Policy, get_policy
from core.text import normalize
from services.knowledge.store import KnowledgeStore, default_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thresholds:
    # Tuned on tests/eval/heldout_faq.yml (dev); checked on fresh_faq.yml (test).
    answer: float = 0.25  # top score at/above which we answer directly
    margin: float = 0.05  # ...and lead over the runner-up, else clarify
    clarify: float = 0.12  # below this nothing is close enough to suggest
    related: float = 0.15  # runner-ups this close to an answer are offered as buttons
    short_chars: int = 3  # a bare term ("额度") names an area, not a question:
    short_margin: float = 0.15  # ...answer it only when one topic clearly leads


@dataclass(frozen=True)
class Decision:
    kind: str  # "answer" | "clarify" | "none"
    hits: List[Hit]

    related: List[Hit] = field(default_factory=list)

    @property
    def best(self) -> Optional[Hit]:
        return self.hits[0] if self.hits else None


class KnowledgeService:
    def __init__(
        self,
        store: Optional[KnowledgeStore] = None,
        check_interval_s: float = 0.5,
        thresholds: Thresholds = Thresholds(),
        watch: bool = True,
    ) -> None:
        self.store = store or default_store()
        self.check_interval_s = check_interval_s
        self.thresholds = thresholds
        started = time.monotonic()
        self._revision = self.store.revision()
        self._retriever = Retriever(self.store.published())
        self._failing = False
        self.last_build_seconds = time.monotonic() - started  # for metrics: the last (re)build
        self.last_ok_at = time.time()  # the last successful look at the store (staleness)
        if watch:  # keep the index fresh whether or not questions are arriving
            threading.Thread(target=self._watch, name="knowledge-watch", daemon=True).start()

    # -- freshness --------------------------------------------------------------
    def _watch(self) -> None:
        while True:
            time.sleep(self.check_interval_s)
            self._refresh_if_changed()

    def _refresh_if_changed(self) -> None:
        try:
            revision = self.store.revision()
            if revision != self._revision:
                started = time.monotonic()
                retriever = Retriever(self.store.published())
                self._retriever, self._revision = retriever, revision  # readers see one or the other
                self.last_build_seconds = time.monotonic() - started
                log.info(
                    "knowledge index rebuilt in %.2fs (%d entries, revision %s)",
                    time.monotonic() - started,
                    len(retriever.entries),
                    revision,
                )
            self._failing = False
            self.last_ok_at = time.time()
        except Exception:  # store unreachable or a bad entry: keep serving the previous index
            if not self._failing:  # once per outage, not every poll
                log.warning("knowledge refresh failed; keeping the previous index", exc_info=True)
            self._failing = True

    @property
    def revision(self) -> str:
        return self._revision

    # -- queries ----------------------------------------------------------------
    @property
    def entries(self) -> List[Entry]:
        return self._retriever.entries

    @property
    def policy(self) -> Policy:
        return get_policy()

    def get(self, faq_id: str) -> Optional[Entry]:
        return find(self.entries, faq_id)

    def rank(self, question: str, k: int = 3) -> List[Hit]:
        return self._retriever.rank(question, k=k)

    def decide(self, question: str, k: int = 3) -> Decision:
        text = normalize(question)
        hits = self._retriever.rank_normalized(text, k=max(k, 3))
        t = self.thresholds
        if not hits or hits[0].score < t.clarify:
            return Decision("none", hits[:k])
        lead = hits[0].score - (hits[1].score if len(hits) > 1 else 0.0)
        margin = t.short_margin if len(text) <= t.short_chars else t.margin
        if hits[0].score >= t.answer and lead >= margin:
            related = [h for h in hits[1:3] if hits[0].score - h.score <= t.related]
            return Decision("answer", hits[:k], related)
        return Decision("clarify", hits[:k])

    def render(self, entry: Entry) -> str:
        return entry.render(self.policy)


_shared: Optional[KnowledgeService] = None
_shared_lock = threading.Lock()


def shared_service() -> KnowledgeService:
    """One service per process, built on first use (never at import time); it
    watches its store for published changes."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = KnowledgeService()
        return _shared


def built_service() -> Optional[KnowledgeService]:
    """The process's service if it has been built already (this never builds it):
    for readiness and metrics, which must not wait ~3 s for an index."""
    return _shared
