"""Conversations handed to a person, and the transcript agents read.

Channels log what clients and the bot say; actions open a hand-off; agents take,
answer and close it from the console. While an agent holds a conversation the
channels pass nothing to Rasa, so the bot stays silent. Agent (and system)
messages are written here and pushed to the client's widget by the socket.io
channel's delivery loop (see HandoffMonitor), which works the same with one or
many Rasa instances.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any, Dict, List, Optional, Set

from sqlalchemy import insert, select

from core import clock
from core.errors import Conflict, NotFound
from core.text import sanitize
from storage.content import Handoff, TranscriptMessage
from storage.db import is_transient, session_scope

log = logging.getLogger(__name__)
OPEN_STATES = ("queued", "held")
BOT_BACK = "人工客服已结束本次服务，接下来由智能助手继续为您解答。如需人工帮助，随时输入“人工”。"
AGENT_JOINED = "{name}已接入，正在为您服务。"


def _row(sender_id: str, role: str, text: str) -> Dict[str, Any]:
    """A transcript row for what a channel has already sent or received: it is never
    delivered again (agents' and hand-off messages, which are, are written directly).
    Text is sanitised here: a lone surrogate would fail the insert of a whole batch."""
    now = clock.now()
    return {
        "sender_id": sanitize(sender_id)[:128],
        "role": role,
        "text": sanitize(text)[:5000],
        "author": None,
        "at": now,
        "delivered_at": now,
    }


class TranscriptWriter:
    """Writes chat messages in small batches from one background thread, so the chat
    path never waits for (or commits to) the database once per message. Rows are
    plain dicts written with one multi-row insert: ORM objects cost the chat path
    their construction and the writer a flush that held the GIL for milliseconds.

    No row is lost for a neighbour's sake: a batch that fails while the database is
    locked, busy or away is retried with backoff (up to `max_wait_s`); a batch that
    fails otherwise is written row by row, and only a row that still fails is dropped,
    counted in `dropped` and logged with its sender."""

    def __init__(self, max_batch: int = 200, linger_s: float = 0.2, max_wait_s: float = 60.0) -> None:
        self.queue: queue.Queue[Dict[str, Any]] = queue.Queue(maxsize=100_000)
        self.max_batch, self.linger_s, self.max_wait_s = max_batch, linger_s, max_wait_s
        self.sent = self.stored = self.dropped = 0
        self._thread: Optional[threading.Thread] = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def add(self, sender_id: str, role: str, texts: List[str]) -> None:
        self.start()
        for text in texts:
            if text:
                self.put(_row(sender_id, role, text))

    def put(self, row: Dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(row)
            self.sent += 1
        except queue.Full:
            self.dropped += 1
            log.error("transcript queue full; dropped a message of sender %s", row.get("sender_id"))

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="transcript-writer", daemon=True)
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

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                batch = [self.queue.get(timeout=0.5)]
            except queue.Empty:
                continue
            deadline = time.monotonic() + self.linger_s
            while len(batch) < self.max_batch and time.monotonic() < deadline:
                try:
                    batch.append(self.queue.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            self._write(batch)

    def _insert(self, rows: List[Dict[str, Any]]) -> None:
        with session_scope() as session:
            session.execute(insert(TranscriptMessage), rows)

    def _write(self, batch: List[Dict[str, Any]]) -> None:
        """The batch, waiting out transient failures; row by row if the batch itself is bad."""
        try:
            self._with_retry(batch)
            self.stored += len(batch)
            return
        except Exception as exc:
            if len(batch) == 1:
                self._drop(batch[0], exc)
                return
            log.warning("transcript batch of %d failed (%s); writing row by row", len(batch), type(exc).__name__)
        for row in batch:
            try:
                self._with_retry([row])
                self.stored += 1
            except Exception as exc:
                self._drop(row, exc)

    def _with_retry(self, rows: List[Dict[str, Any]]) -> None:
        deadline, pause = time.monotonic() + self.max_wait_s, 0.05
        while True:
            try:
                self._insert(rows)
                return
            except Exception as exc:
                if not is_transient(exc) or time.monotonic() + pause > deadline:
                    raise
                log.info("transcript write waiting for the database (%s)", type(exc).__name__)
                time.sleep(pause)
                pause = min(pause * 2, 2.0)

    def _drop(self, row: Dict[str, Any], exc: BaseException) -> None:
        self.dropped += 1
        log.error(
            "transcript row dropped (sender %s, role %s): %s (%d dropped so far)",
            row.get("sender_id"),
            row.get("role"),
            type(exc).__name__,
            self.dropped,
        )


TRANSCRIPT = TranscriptWriter()


def open_handoff(sender_id: str, client_id: Optional[str], reason: str) -> int:
    """The conversation's open hand-off, created if there is none."""
    with session_scope() as session:
        existing = session.scalars(
            select(Handoff).where(Handoff.sender_id == sender_id, Handoff.state.in_(OPEN_STATES))
        ).first()
        if existing:
            return existing.id
        handoff = Handoff(
            sender_id=sender_id, client_id=client_id, reason=reason, state="queued", created_at=clock.now()
        )
        session.add(handoff)
        session.flush()
        return handoff.id


def held_senders() -> Set[str]:
    with session_scope() as session:
        return set(session.scalars(select(Handoff.sender_id).where(Handoff.state == "held")))


def _get(session, handoff_id: int) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise NotFound("没有这个转人工记录。")
    return handoff


def take(handoff_id: int, agent: str, agent_name: str) -> None:
    with session_scope() as session:
        handoff = _get(session, handoff_id)
        if handoff.state == "held" and handoff.agent != agent:
            raise Conflict(f"该会话已由 {handoff.agent} 接待。")
        if handoff.state == "closed":
            raise Conflict("该会话已结束。")
        handoff.state, handoff.agent, handoff.taken_at = "held", agent, clock.now()
        session.add(
            TranscriptMessage(
                sender_id=handoff.sender_id, role="system", at=clock.now(), text=AGENT_JOINED.format(name=agent_name)
            )
        )


def agent_say(handoff_id: int, agent: str, text: str) -> None:
    with session_scope() as session:
        handoff = _get(session, handoff_id)
        if handoff.state != "held" or handoff.agent != agent:
            raise Conflict("请先接入该会话。")
        session.add(
            TranscriptMessage(
                sender_id=handoff.sender_id, role="agent", text=sanitize(text)[:2000], author=agent, at=clock.now()
            )
        )


def close(handoff_id: int, agent: str) -> None:
    with session_scope() as session:
        handoff = _get(session, handoff_id)
        if handoff.state == "held" and handoff.agent != agent:
            raise Conflict(f"该会话由 {handoff.agent} 接待，只有接待人可以结束。")
        handoff.state, handoff.closed_at = "closed", clock.now()
        handoff.agent = handoff.agent or agent
        session.add(TranscriptMessage(sender_id=handoff.sender_id, role="system", text=BOT_BACK, at=clock.now()))


def _summary(h: Handoff) -> Dict[str, Any]:
    return {
        "id": h.id,
        "sender_id": h.sender_id,
        "client_id": h.client_id,
        "reason": h.reason,
        "state": h.state,
        "agent": h.agent,
        "created_at": h.created_at.isoformat(),
    }


def inbox() -> List[Dict[str, Any]]:
    with session_scope() as session:
        rows = session.scalars(select(Handoff).where(Handoff.state.in_(OPEN_STATES)).order_by(Handoff.created_at))
        return [_summary(h) for h in rows]


def transcript(sender_id: str, limit: int = 200) -> List[Dict[str, Any]]:
    with session_scope() as session:
        rows = session.scalars(
            select(TranscriptMessage)
            .where(TranscriptMessage.sender_id == sender_id)
            .order_by(TranscriptMessage.id.desc())
            .limit(limit)
        ).all()
        return [{"role": m.role, "text": m.text, "author": m.author, "at": m.at.isoformat()} for m in reversed(rows)]


def handoff_detail(handoff_id: int) -> Dict[str, Any]:
    with session_scope() as session:
        data = _summary(_get(session, handoff_id))
    data["transcript"] = transcript(data["sender_id"])
    return data


def undelivered(sender_ids: Set[str]) -> List[TranscriptMessage]:
    if not sender_ids:
        return []
    with session_scope() as session:
        return list(
            session.scalars(
                select(TranscriptMessage)
                .where(TranscriptMessage.delivered_at.is_(None), TranscriptMessage.sender_id.in_(sender_ids))
                .order_by(TranscriptMessage.id)
            )
        )


def mark_delivered(ids: List[int]) -> None:
    with session_scope() as session:
        for row in session.scalars(select(TranscriptMessage).where(TranscriptMessage.id.in_(ids))):
            row.delivered_at = clock.now()


class HeldConversations:
    """Which conversations an agent holds, refreshed in the background (no DB read
    per message)."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self.interval_s = interval_s
        self.held: Set[str] = set()
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._loop, name="handoff-held", daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                self.held = held_senders()
            except Exception:
                log.debug("held conversations: database unavailable", exc_info=True)
            time.sleep(self.interval_s)

    def __contains__(self, sender_id: str) -> bool:
        self.start()
        return sender_id in self.held


HELD = HeldConversations()
