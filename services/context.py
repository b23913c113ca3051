"""Each process's application context: its settings and the services that have a
lifecycle, built once at start-up and started and stopped with the server.

    ctx = AppContext(get_settings())   # in the process's entry point
    ctx.start() … ctx.stop()           # server start / stop listeners

The entry points (bot/serve.py, actions/serve.py, web/server.py) build, `install` and
start it. Rasa's SDK builds actions with no arguments, so an action reaches the
context through `current()`: the one process-wide handle, set by the entry point and
never at import. Code run outside a server (CLIs, tests) gets a context built on first
use, with no background threads (the index it builds does not watch for publishes).
"""

from __future__ import annotations

import logging
import threading
from typing import Optional

from core.settings import Settings, get_settings
from services.handoff import TranscriptWriter
from services.knowledge.insights import QuestionLogWriter
from services.knowledge.service import KnowledgeService
from services.knowledge.store import DbStore, FileStore

log = logging.getLogger(__name__)


class AppContext:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.transcript = TranscriptWriter(settings.database_url)
        self.questions = QuestionLogWriter(settings.database_url)  # for the insights view
        self._knowledge: Optional[KnowledgeService] = None
        self._lock = threading.Lock()
        self.started = False

    @property
    def knowledge(self) -> KnowledgeService:
        """The knowledge service over the database's published state (the shipped
        files while the database is unavailable), built on first use."""
        with self._lock:
            if self._knowledge is None:
                self._knowledge = KnowledgeService(DbStore(self.settings.database_url), fallback=FileStore())
                if self.started:
                    self._knowledge.start()
            return self._knowledge

    @property
    def built_knowledge(self) -> Optional[KnowledgeService]:
        """The knowledge service if it is built already (never builds it: readiness, metrics)."""
        return self._knowledge

    def start(self) -> None:
        """Build the knowledge index and start the background work (idempotent)."""
        if self.started:
            return
        self.started = True
        self.knowledge.start()
        self.transcript.start()
        self.questions.start()
        log.info("application context started (database %s)", self.settings.database_url.split("@")[-1])

    def stop(self) -> None:
        self.started = False
        if self._knowledge is not None:
            self._knowledge.stop()
        self.transcript.stop()
        self.questions.stop()


_process: Optional[AppContext] = None


def install(context: AppContext) -> AppContext:
    """Make `context` this process's (called by the entry point, once)."""
    global _process
    _process = context
    return context


def current() -> AppContext:
    """This process's context. Outside a server: one built on first use, not started, and
    built again when the environment changed (a CLI or test that points elsewhere)."""
    global _process
    if _process is None or (not _process.started and _process.settings != get_settings()):
        if _process is not None:
            _process.stop()
        _process = AppContext(get_settings())
    return _process
