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
from datetime import timezone
from typing import Any, Dict, List, Optional, Set, Tuple

from sqlalchemy import func, insert, select

from core import clock
from core.errors import Conflict, NotFound
from storage.content import Handoff, TranscriptMessage
from storage.db import session_scope

log = logging.getLogger(__name__)
OPEN_STATES = ("queued", "held")
BOT_BACK = "人工客服已结束本次服务，接下来由智能助手继续为您解答。如需人工帮助，随时输入“人工”。"
AGENT_JOINED = "{name}已接入，正在为您服务。"


def _row(sender_id: str, role: str, text: str) -> Dict[str, Any]:
    """A transcript row for what a channel has already sent or received: it is never
    delivered again (agents' and hand-off messages, which are, are written directly)."""
    now = clock.now()
    return {
        "sender_id": sender_id[:128],
        "role": role,
        "text": text[:5000],
        "author": None,
        "at": now,
        "delivered_at": now,
    }


class TranscriptWriter:
    """Writes chat messages in small batches from one background thread, so the chat
    path never waits for (or commits to) the database once per message. Rows are
    plain dicts written with one multi-row insert: ORM objects cost the chat path
    their construction and the writer a flush that held the GIL for milliseconds."""

    def __init__(self, max_batch: int = 200, linger_s: float = 0.2) -> None:
        self.queue: queue.Queue[Dict[str, Any]] = queue.Queue(maxsize=100_000)
        self.max_batch, self.linger_s = max_batch, linger_s
        self._started = False
        self._lock = threading.Lock()

    def add(self, sender_id: str, role: str, texts: List[str]) -> None:
        self._start()
        for text in texts:
            if text:
                try:
                    self.queue.put_nowait(_row(sender_id, role, text))
                except queue.Full:
                    log.warning("transcript queue full; dropping a message of %s", sender_id)

    def _start(self) -> None:
        with self._lock:
            if not self._started:
                self._started = True
                threading.Thread(target=self._run, name="transcript-writer", daemon=True).start()

    def _run(self) -> None:
        while True:
            batch = [self.queue.get()]
            deadline = time.monotonic() + self.linger_s
            while len(batch) < self.max_batch and time.monotonic() < deadline:
                try:
                    batch.append(self.queue.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            try:
                with session_scope() as session:
                    session.execute(insert(TranscriptMessage), batch)
            except Exception:
                log.warning("transcript write failed (%d messages)", len(batch), exc_info=True)


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


def take(handoff_id: int, agent: str, agent_name: str) -> Optional[float]:
    """The agent takes the conversation; returns how long the client waited (seconds),
    or None when this agent held it already."""
    with session_scope() as session:
        handoff = _get(session, handoff_id)
        if handoff.state == "held" and handoff.agent != agent:
            raise Conflict(f"该会话已由 {handoff.agent} 接待。")
        if handoff.state == "closed":
            raise Conflict("该会话已结束。")
        waited = None if handoff.state == "held" else (clock.now() - handoff.created_at).total_seconds()
        handoff.state, handoff.agent, handoff.taken_at = "held", agent, clock.now()
        session.add(
            TranscriptMessage(
                sender_id=handoff.sender_id, role="system", at=clock.now(), text=AGENT_JOINED.format(name=agent_name)
            )
        )
        return waited


def queue_stats() -> Tuple[int, float]:
    """Hand-offs waiting for an agent, and how long the oldest has waited (seconds)."""
    with session_scope() as session:
        count, oldest = session.execute(
            select(func.count(Handoff.id), func.min(Handoff.created_at)).where(Handoff.state == "queued")
        ).one()
    if not count or oldest is None:
        return 0, 0.0
    if oldest.tzinfo is None:  # SQLite hands min() back as a naive UTC datetime
        oldest = oldest.replace(tzinfo=timezone.utc)
    return int(count), max(0.0, (clock.now() - oldest).total_seconds())


def agent_say(handoff_id: int, agent: str, text: str) -> None:
    with session_scope() as session:
        handoff = _get(session, handoff_id)
        if handoff.state != "held" or handoff.agent != agent:
            raise Conflict("请先接入该会话。")
        session.add(
            TranscriptMessage(sender_id=handoff.sender_id, role="agent", text=text[:2000], author=agent, at=clock.now())
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
