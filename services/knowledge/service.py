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
from typing import FrozenSet, List, Optional

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
    long_chars: int = 20  # a long message (a story around the question) scores low on every topic:
    long_answer: float = 0.2  # ...answered at this score when the top topic scores
    long_lead: float = 1.8  # ...this many times the runner-up


@dataclass(frozen=True)
class Decision:
    kind: str  # "answer" | "clarify" | "none"
    hits: List[Hit]

    related: List[Hit] = field(default_factory=list)

    @property
    def best(self) -> Optional[Hit]:
        return self.hits[0] if self.hits else None


class KnowledgeService:
    """Ranks questions over the published entries of `store`.

    When the store cannot be read at construction (database down) or holds nothing yet,
    the service answers from `fallback` (the shipped files) and keeps asking the store:
    the first good read replaces the index. `start()` begins watching the store's
    revision in a background thread; `stop()` ends it.
    """

    def __init__(
        self,
        store: Optional[KnowledgeStore] = None,
        check_interval_s: float = 0.5,
        thresholds: Thresholds = Thresholds(),
        fallback: Optional[KnowledgeStore] = None,
    ) -> None:
        self.store = store or default_store()
        self.fallback = fallback
        self.check_interval_s = check_interval_s
        self.thresholds = thresholds
        self.last_build_seconds = 0.0  # for metrics: the last (re)build
        self.last_ok_at = 0.0  # the last successful look at the store (staleness, readiness)
        self._revision: Optional[str] = None
        self._failing = False
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        if not self._refresh_if_changed():
            if fallback is None:
                raise RuntimeError("knowledge store unavailable and no fallback")
            log.warning("knowledge store unavailable at start: answering from the shipped files, retrying")
            self._retriever = Retriever(fallback.published())

    # -- lifecycle --------------------------------------------------------------
    def start(self) -> None:
        """Keep the index fresh in the background, whether or not questions arrive."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._watch, name="knowledge-watch", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.check_interval_s * 4)
            self._thread = None

    def _watch(self) -> None:
        while not self._stop.wait(self.check_interval_s):
            self._refresh_if_changed()

    # -- freshness --------------------------------------------------------------
    @property
    def revision(self) -> Optional[str]:
        """The store revision the index was built from; None while serving the fallback."""
        return self._revision

    @property
    def ready(self) -> bool:
        """Serving the store's current published state (not the fallback, not stale)."""
        return self._revision is not None and not self._failing

    def _refresh_if_changed(self) -> bool:
        """Rebuild when the store's revision moved; False when the store could not be read."""
        try:
            revision = self.store.revision()
            if revision != self._revision:
                started = time.monotonic()
                entries = self.store.published()
                if not entries and self.fallback is not None:
                    raise LookupError("the store holds no published entries yet")
                retriever = Retriever(entries)
                self._retriever, self._revision = retriever, revision  # readers see one or the other
                self.last_build_seconds = time.monotonic() - started
                log.info(
                    "knowledge index rebuilt in %.2fs (%d entries, revision %s)",
                    self.last_build_seconds,
                    len(retriever.entries),
                    revision,
                )
            self._failing = False
            self.last_ok_at = time.time()
            return True
        except Exception:  # store unreachable or a bad entry: keep serving the previous index
            if not self._failing:  # once per outage, not every poll
                log.warning("knowledge refresh failed; keeping the previous index", exc_info=True)
            self._failing = True
            return False

    # -- queries ----------------------------------------------------------------
    @property
    def entries(self) -> List[Entry]:
        return self._retriever.entries

    @property
    def policy(self) -> Policy:
        return get_policy()

    @property
    def vocabulary(self) -> FrozenSet[str]:
        """Terms that name a topic (tags of the published entries, the domain dictionary)."""
        return self._retriever.vocabulary

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
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        clear_in_long = (
            len(text) >= t.long_chars and hits[0].score >= t.long_answer and hits[0].score >= t.long_lead * runner_up
        )
        if (hits[0].score >= t.answer and lead >= margin) or clear_in_long:
            related = [h for h in hits[1:3] if hits[0].score - h.score <= t.related]
            return Decision("answer", hits[:k], related)
        return Decision("clarify", hits[:k])

    def render(self, entry: Entry) -> str:
        return entry.render(self.policy)
