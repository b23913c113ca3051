"""Rows written in small batches from one background thread: the chat path hands a
row over and never waits for (or commits to) the database once per message. Rows are
plain dicts written with one multi-row insert (ORM objects cost the chat path their
construction and the writer a flush that held the GIL for milliseconds).

No row is lost for a neighbour's sake: a batch that fails while the database is
locked, busy or away is retried with backoff (up to `max_wait_s`); a batch that fails
otherwise is written row by row, and only a row that still fails is dropped, counted
in `dropped` and logged with its sender.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any, Dict, List, Optional

from sqlalchemy import Table, insert
from sqlalchemy.orm import DeclarativeMeta

from storage.db import is_transient, session_scope

log = logging.getLogger(__name__)
Row = Dict[str, Any]


class BatchWriter:
    def __init__(
        self,
        model: DeclarativeMeta,
        name: str,
        database_url: Optional[str] = None,
        max_batch: int = 200,
        linger_s: float = 0.2,
        max_wait_s: float = 60.0,
    ) -> None:
        self.table: Table = model.__table__
        self.name = name  # for the log and the thread: "transcript", "question log"
        self.database_url = database_url
        self.queue: queue.Queue[Row] = queue.Queue(maxsize=100_000)
        self.max_batch, self.linger_s, self.max_wait_s = max_batch, linger_s, max_wait_s
        self.sent = self.stored = self.dropped = 0
        self._thread: Optional[threading.Thread] = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def put(self, row: Row) -> None:
        self.start()
        try:
            self.queue.put_nowait(row)
            self.sent += 1
        except queue.Full:
            self.dropped += 1
            log.error("%s queue full; dropped a row of sender %s", self.name, row.get("sender_id"))

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name=f"{self.name} writer", daemon=True)
                self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Write what is queued (up to `timeout_s`), then end the thread."""
        self.drain(timeout_s)
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def drain(self, timeout_s: float) -> bool:
        """Wait until every queued row is written or dropped; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self.stored + self.dropped < self.sent:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def write_now(self, rows: List[Row]) -> int:
        """Write rows in the caller's thread, by the same rules; how many were stored."""
        before = self.stored
        self.sent += len(rows)
        self._write(rows)
        return self.stored - before

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                batch = [self.queue.get(timeout=0.5)]
            except queue.Empty:
                continue
            # let the batch gather, then take what came: waiting on the queue instead woke
            # this thread (and took the GIL from the chat path) for every row put
            self._stopping.wait(self.linger_s)
            while len(batch) < self.max_batch:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            self._write(batch)

    def _insert(self, rows: List[Row]) -> None:
        with session_scope(self.database_url) as session:
            session.execute(insert(self.table), rows)

    def _write(self, batch: List[Row]) -> None:
        """The batch, waiting out transient failures; row by row if the batch itself is bad."""
        try:
            self._with_retry(batch)
            self.stored += len(batch)
            return
        except Exception as exc:
            if len(batch) == 1:
                self._drop(batch[0], exc)
                return
            log.warning("%s batch of %d failed (%s); writing row by row", self.name, len(batch), type(exc).__name__)
        for row in batch:
            try:
                self._with_retry([row])
                self.stored += 1
            except Exception as exc:
                self._drop(row, exc)

    def _with_retry(self, rows: List[Row]) -> None:
        deadline, pause = time.monotonic() + self.max_wait_s, 0.05
        while True:
            try:
                self._insert(rows)
                return
            except Exception as exc:
                if not is_transient(exc) or time.monotonic() + pause > deadline:
                    raise
                log.info("%s write waiting for the database (%s)", self.name, type(exc).__name__)
                time.sleep(pause)
                pause = min(pause * 2, 2.0)

    def _drop(self, row: Row, exc: BaseException) -> None:
        self.dropped += 1
        log.error(
            "%s row dropped (sender %s%s): %s (%d dropped so far)",
            self.name,
            row.get("sender_id"),
            f", role {row['role']}" if "role" in row else "",
            type(exc).__name__,
            self.dropped,
        )
