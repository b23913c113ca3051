"""Conversations handed to a person, and the transcript agents read.

Channels log what clients and the bot say; actions open a hand-off; agents take,
answer, transfer and close it from the console. Taking a conversation pauses the
bot in the conversation itself: the caller's `pause` appends Rasa's
ConversationPaused event to the tracker under the lock store (bot/channels/handoff.py),
and only then is "已接入" written; closing resumes it. Every Rasa instance reads the
tracker at the next message, so there is no window in which the bot can still answer.
Agent (and system) messages are written here and pushed to the client's widget by
the socket.io channel's delivery loop, which works the same with one or many
Rasa instances.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from sqlalchemy import and_, case, func, or_, select, update

from core import clock
from core.errors import Conflict, Invalid, NotFound, Unavailable
from core.policy import PolicyError, get_policy
from core.text import sanitize
from core.texts import api as api_text
from core.texts import client as client_text
from core.texts import staff as staff_text
from storage import delivery
from storage.batch import BatchWriter
from storage.content import CannedReply, Editor, Handoff, HandoffNote, HandoffRating, TranscriptMessage
from storage.db import session_scope
from storage.models import Client
from storage.repository import has_open_margin_call

log = logging.getLogger(__name__)
OPEN_STATES = ("queued", "held")
BOT_BACK = client_text.BOT_BACK
AGENT_JOINED = client_text.AGENT_JOINED
AGENT_TRANSFERRED = client_text.AGENT_TRANSFERRED
AGENT_LEFT = client_text.AGENT_LEFT
STATE_LABELS = {"queued": staff_text.STATE_QUEUED, "held": staff_text.STATE_HELD, "closed": staff_text.STATE_CLOSED}
PRIORITY_LABELS = {
    0: staff_text.PRIORITY_URGENT,
    1: staff_text.PRIORITY_VIP,
    2: staff_text.PRIORITY_VERIFIED,
    3: staff_text.PRIORITY_ANONYMOUS,
}
LIQUIDATION_REASONS = ("平仓", "追保")  # words of a hand-off reason that make it urgent
VIEWS = ("queued", "mine", "all", "closed")
RATING_LABELS = {client_text.RATING_SATISFIED: 5, client_text.RATING_NEUTRAL: 3, client_text.RATING_UNSATISFIED: 1}
MAX_NOTE_CHARS = 2000
MAX_CANNED_TITLE_CHARS = 100
MAX_CANNED_BODY_CHARS = 2000
MAX_LEFT_MESSAGE_CHARS = 2000
DEFAULT_HANDLE_MIN = 4.0  # expected minutes per conversation before there is history to average
TYPING_FRESH_S = 5.0
RATING_WINDOW = timedelta(hours=24)


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


class TranscriptWriter(BatchWriter):
    """The transcript agents read, written in the background (storage/batch.py)."""

    def __init__(self, database_url: Optional[str] = None, **options: Any) -> None:
        super().__init__(TranscriptMessage, "transcript", database_url, **options)

    def add(self, sender_id: str, role: str, texts: List[str]) -> None:
        for text in texts:
            if text:
                self.put(_row(sender_id, role, text))


Pause = Callable[[str, bool], None]  # (sender_id, paused): stores the hold in the conversation


def _priority(session, client_id: Optional[str], reason: str) -> int:
    """0 a client in a margin call or asking about liquidation, 1 VIP, 2 verified, 3 anonymous."""
    if any(word in reason for word in LIQUIDATION_REASONS):
        return 0
    if not client_id:
        return 3
    if has_open_margin_call(session, client_id):
        return 0
    client = session.get(Client, client_id)
    return 1 if client is not None and client.vip_manager else 2


def open_handoff(sender_id: str, client_id: Optional[str], reason: str) -> int:
    """The conversation's open hand-off (one row per conversation), created if there is none."""
    with session_scope() as session:
        priority = _priority(session, client_id, reason)
        existing = session.scalars(
            select(Handoff).where(Handoff.sender_id == sender_id, Handoff.state.in_(OPEN_STATES))
        ).first()
        if existing:
            if priority < existing.priority:  # e.g. a queued client now asks about liquidation
                existing.priority, existing.reason = priority, reason
            existing.client_id = existing.client_id or client_id
            return existing.id
        handoff = Handoff(
            sender_id=sender_id,
            client_id=client_id,
            reason=reason,
            state="queued",
            created_at=clock.now(),
            priority=priority,
            kind="chat",
        )
        session.add(handoff)
        session.flush()
        return handoff.id


def _get(session, handoff_id: int) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise NotFound(staff_text.HANDOFF_NOT_FOUND)
    return handoff


def _event(session, sender_id: str, role: str, text: str, author: Optional[str] = None) -> None:
    """A message for the client's widget (delivered by the socket.io channel)."""
    session.add(TranscriptMessage(sender_id=sender_id, role=role, text=text, author=author, at=clock.now()))


def take(handoff_id: int, agent: str, agent_name: str, pause: Pause) -> Optional[float]:
    """Claim the hand-off, pause the bot in the conversation, then tell the client;
    returns how long the client waited (seconds), or None when this agent held it already.

    The claim is one conditional UPDATE, so of two agents taking at once exactly one
    wins. "已接入" is written only after `pause` returned, i.e. after the pause is stored
    in the tracker; if the pause fails the claim is undone."""
    with session_scope() as session:
        handoff = _get(session, handoff_id)
        sender_id, previous = handoff.sender_id, (handoff.state, handoff.agent, handoff.agent_name, handoff.taken_at)
        if handoff.state == "closed":
            raise Conflict(staff_text.HANDOFF_ENDED)
        if handoff.state == "held" and handoff.agent == agent:
            return None
        waited = (clock.now() - handoff.created_at).total_seconds()
        claimed = session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.state == "queued")
            .values(state="held", agent=agent, agent_name=agent_name, taken_at=clock.now())
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            raise Conflict(
                staff_text.HANDOFF_TAKEN.format(name=handoff.agent_name or handoff.agent or staff_text.OTHER_AGENT)
            )
    try:
        pause(sender_id, True)
    except Exception as exc:
        with session_scope() as session:
            session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.agent == agent)
                .values(state=previous[0], agent=previous[1], agent_name=previous[2], taken_at=previous[3])
            )
        log.warning("pausing the bot for a hand-off failed: %s", exc)
        raise Unavailable(staff_text.PAUSE_FAILED) from exc
    with session_scope() as session:
        _event(session, sender_id, "agent_event", AGENT_JOINED.format(name=agent_name), agent)
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


def _held_by(session, handoff_id: int, agent: str) -> Handoff:
    handoff = _get(session, handoff_id)
    if handoff.state != "held" or handoff.agent != agent:
        raise Conflict(staff_text.TAKE_FIRST)
    return handoff


def agent_say(handoff_id: int, agent: str, text: str) -> None:
    with session_scope() as session:
        handoff = _held_by(session, handoff_id, agent)
        handoff.agent_typing_at = None
        session.add(
            TranscriptMessage(
                sender_id=handoff.sender_id, role="agent", text=sanitize(text)[:2000], author=agent, at=clock.now()
            )
        )


def agent_typing(handoff_id: int, agent: str) -> None:
    """The agent is typing: the client's widget shows "客服 … 正在输入" for a few seconds."""
    with session_scope() as session:
        _held_by(session, handoff_id, agent).agent_typing_at = clock.now()


def transfer(handoff_id: int, agent: str, to_agent: str) -> str:
    """Hand a held conversation to another agent (the bot stays paused); their display name."""
    with session_scope() as session:
        handoff = _held_by(session, handoff_id, agent)
        target = session.get(Editor, to_agent) if isinstance(to_agent, str) else None
        if target is None or target.role != "agent":
            raise Invalid(staff_text.TRANSFER_CHOOSE, field="to")
        if target.username == agent:
            raise Invalid(staff_text.TRANSFER_SELF, field="to")
        handoff.agent, handoff.agent_name, handoff.agent_typing_at = target.username, target.display_name, None
        handoff.taken_at = clock.now()
        _event(session, handoff.sender_id, "agent_event", AGENT_TRANSFERRED.format(name=target.display_name), agent)
        return target.display_name


def close(handoff_id: int, agent: str, pause: Pause) -> None:
    """End the hand-off: the bot is resumed in the conversation first, then the client is told."""
    with session_scope() as session:
        handoff = _get(session, handoff_id)
        if handoff.state == "closed":
            raise Conflict(staff_text.HANDOFF_ENDED)
        if handoff.state == "held" and handoff.agent != agent:
            raise Conflict(staff_text.CLOSE_NOT_YOURS.format(name=handoff.agent_name or handoff.agent))
        sender_id, was_held, name = handoff.sender_id, handoff.state == "held", handoff.agent_name
    if was_held:
        try:
            pause(sender_id, False)
        except Exception as exc:
            log.warning("resuming the bot after a hand-off failed: %s", exc)
            raise Unavailable(staff_text.RESUME_FAILED) from exc
    with session_scope() as session:
        handoff = _get(session, handoff_id)
        handoff.state, handoff.closed_at, handoff.agent_typing_at = "closed", clock.now(), None
        handoff.agent = handoff.agent or agent
        if was_held:
            _event(
                session,
                sender_id,
                "agent_event",
                AGENT_LEFT.format(name=name or client_text.HUMAN_AGENT),
                handoff.agent,
            )
        _event(session, sender_id, "system", BOT_BACK)


def add_note(handoff_id: int, agent: str, agent_name: str, text: str) -> None:
    text = (text or "").strip()
    if not 0 < len(text) <= MAX_NOTE_CHARS:
        raise Invalid(staff_text.NOTE_EMPTY.format(max=MAX_NOTE_CHARS), field="text")
    with session_scope() as session:
        _get(session, handoff_id)
        session.add(HandoffNote(handoff_id=handoff_id, agent=agent, agent_name=agent_name, text=text, at=clock.now()))


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat() if moment else None


def _summary(h: Handoff, now: datetime) -> Dict[str, Any]:
    return {
        "id": h.id,
        "sender_id": h.sender_id,
        "client_id": h.client_id,
        "reason": h.reason,
        "priority": h.priority,
        "priority_label": PRIORITY_LABELS.get(h.priority, ""),
        "state": h.state,
        "state_label": STATE_LABELS.get(h.state, h.state),
        "kind": h.kind,
        "agent": h.agent,
        "agent_name": h.agent_name,
        "waiting_since": h.created_at.isoformat(),
        "waiting_s": max(0, int(((h.closed_at or h.taken_at or now) - h.created_at).total_seconds()))
        if h.state != "queued"
        else max(0, int((now - h.created_at).total_seconds())),
        "created_at": h.created_at.isoformat(),
        "taken_at": _iso(h.taken_at),
        "closed_at": _iso(h.closed_at),
    }


def _view_filter(view: str, agent: Optional[str]):
    if view == "queued":
        return Handoff.state == "queued"
    if view == "mine":
        return and_(Handoff.state == "held", Handoff.agent == agent)
    if view == "closed":
        return Handoff.state == "closed"
    return Handoff.state.in_(("queued", "held", "closed"))


def _search_filter(q: str):
    like = f"%{q.replace('%', '').replace('_', '')}%"
    in_transcript = select(TranscriptMessage.sender_id).where(TranscriptMessage.text.like(like))
    return or_(
        Handoff.client_id.ilike(like),
        Handoff.sender_id.like(like),
        Handoff.reason.like(like),
        Handoff.sender_id.in_(in_transcript),
    )


def inbox(
    agent: Optional[str] = None, view: str = "all", q: str = "", page: int = 1, page_size: int = 20
) -> Dict[str, Any]:
    """One page of the inbox: priority first, then the longest wait (closed: newest first),
    with counts per state, the view (queued | mine | all | closed) and a search."""
    if view not in VIEWS:
        raise Invalid(api_text.UNKNOWN_VIEW, field="view")
    page, page_size = max(1, int(page)), max(1, min(100, int(page_size)))
    q = (q or "").strip()[:64]
    now = clock.now()
    with session_scope() as session:
        where = [_view_filter(view, agent)]
        if q:
            where.append(_search_filter(q))
        total = session.scalar(select(func.count(Handoff.id)).where(*where)) or 0
        state_rank = case((Handoff.state == "closed", 1), else_=0)  # open ones first, then by priority and wait
        if view == "closed":
            order = [Handoff.closed_at.desc(), Handoff.id.desc()]
        else:
            order = [state_rank, Handoff.priority, Handoff.created_at, Handoff.id]
        rows = session.scalars(
            select(Handoff).where(*where).order_by(*order).offset((page - 1) * page_size).limit(page_size)
        ).all()
        items = [_summary(h, now) for h in rows]
        last = _last_client_messages(session, [h.sender_id for h in rows])
        for item in items:
            item["last_message"] = last.get(item["sender_id"])
        counts = dict(session.execute(select(Handoff.state, func.count(Handoff.id)).group_by(Handoff.state)).all())
        mine = (
            session.scalar(select(func.count(Handoff.id)).where(Handoff.state == "held", Handoff.agent == agent))
            if agent
            else 0
        )
    return {
        "items": items,
        "total": total,
        "page": page,
        "page_size": page_size,
        "view": view,
        "q": q,
        "counts": {
            "queued": counts.get("queued", 0),
            "held": counts.get("held", 0),
            "mine": mine or 0,
            "closed": counts.get("closed", 0),
            "all": sum(counts.get(s, 0) for s in ("queued", "held", "closed")),
        },
    }


def _last_client_messages(session, sender_ids: List[str]) -> Dict[str, Dict[str, Any]]:
    if not sender_ids:
        return {}
    latest = (
        select(func.max(TranscriptMessage.id))
        .where(TranscriptMessage.sender_id.in_(sender_ids), TranscriptMessage.role == "client")
        .group_by(TranscriptMessage.sender_id)
    )
    rows = session.scalars(select(TranscriptMessage).where(TranscriptMessage.id.in_(latest))).all()
    return {m.sender_id: {"text": m.text[:200], "at": m.at.isoformat()} for m in rows}


def transcript(sender_id: str, limit: int = 200) -> List[Dict[str, Any]]:
    with session_scope() as session:
        rows = session.scalars(
            select(TranscriptMessage)
            .where(TranscriptMessage.sender_id == sender_id)
            .order_by(TranscriptMessage.id.desc())
            .limit(limit)
        ).all()
        return [
            {"id": m.id, "role": m.role, "text": m.text, "author": m.author, "at": m.at.isoformat()}
            for m in reversed(rows)
        ]


def handoff_detail(handoff_id: int) -> Dict[str, Any]:
    with session_scope() as session:
        data = _summary(_get(session, handoff_id), clock.now())
        data["notes"] = [
            {"agent": n.agent, "agent_name": n.agent_name, "text": n.text, "at": n.at.isoformat()}
            for n in session.scalars(
                select(HandoffNote).where(HandoffNote.handoff_id == handoff_id).order_by(HandoffNote.id)
            )
        ]
        rating = session.scalars(select(HandoffRating).where(HandoffRating.handoff_id == handoff_id)).first()
        data["rating"] = {"score": rating.score, "label": rating.label, "comment": rating.comment} if rating else None
    data["transcript"] = transcript(data["sender_id"])
    return data


def agents() -> List[Dict[str, str]]:
    with session_scope() as session:
        return [
            {"username": e.username, "name": e.display_name}
            for e in session.scalars(select(Editor).where(Editor.role == "agent").order_by(Editor.username))
        ]


# -- canned replies ------------------------------------------------------------------
def _render(body: str) -> Tuple[str, Optional[str]]:
    try:
        return get_policy().render(body), None
    except (PolicyError, KeyError, ValueError, TypeError) as exc:
        return body, staff_text.CANNED_PLACEHOLDER.format(error=exc)


def canned_replies() -> List[Dict[str, Any]]:
    with session_scope() as session:
        rows = session.scalars(select(CannedReply).order_by(CannedReply.title, CannedReply.id)).all()
        out = []
        for r in rows:
            text, problem = _render(r.body)
            out.append(
                {
                    "id": r.id,
                    "title": r.title,
                    "body": r.body,
                    "text": text,
                    "problem": problem,
                    "updated_by": r.updated_by,
                    "updated_at": r.updated_at.isoformat(),
                }
            )
        return out


def save_canned(reply_id: Optional[int], title: str, body: str, agent: str) -> int:
    title, body = (title or "").strip(), (body or "").strip()
    if not 0 < len(title) <= MAX_CANNED_TITLE_CHARS:
        raise Invalid(staff_text.CANNED_TITLE.format(max=MAX_CANNED_TITLE_CHARS), field="title")
    if not 0 < len(body) <= MAX_CANNED_BODY_CHARS:
        raise Invalid(staff_text.CANNED_BODY.format(max=MAX_CANNED_BODY_CHARS), field="body")
    _, problem = _render(body)
    if problem:
        raise Invalid(problem, field="body")
    with session_scope() as session:
        if reply_id is None:
            row = CannedReply(title=title, body=body, updated_by=agent, updated_at=clock.now())
            session.add(row)
        else:
            row = session.get(CannedReply, reply_id)
            if row is None:
                raise NotFound(staff_text.CANNED_NOT_FOUND)
            row.title, row.body, row.updated_by, row.updated_at = title, body, agent, clock.now()
        session.flush()
        return row.id


def delete_canned(reply_id: int) -> None:
    with session_scope() as session:
        row = session.get(CannedReply, reply_id)
        if row is None:
            raise NotFound(staff_text.CANNED_NOT_FOUND)
        session.delete(row)


# -- the client's side ---------------------------------------------------------------------
def _expected_minutes(session, ahead: int) -> int:
    """Minutes until an agent answers: the conversations ahead (and this one) times the
    recent average handling time, shared by the agents serving now."""
    recent = session.execute(
        select(Handoff.taken_at, Handoff.closed_at)
        .where(Handoff.state == "closed", Handoff.taken_at.is_not(None), Handoff.closed_at.is_not(None))
        .order_by(Handoff.closed_at.desc())
        .limit(20)
    ).all()
    spans = [(c - t).total_seconds() / 60 for t, c in recent if c > t]
    per = sum(spans) / len(spans) if spans else DEFAULT_HANDLE_MIN
    serving = session.scalar(select(func.count(func.distinct(Handoff.agent))).where(Handoff.state == "held")) or 1
    return max(1, math.ceil((ahead + 1) * per / serving))


def client_status(sender_id: str) -> Dict[str, Any]:
    """What the client's widget shows about its hand-off: queue position and expected wait,
    the agent (and whether they are typing), or a rating to ask for."""
    now = clock.now()
    with session_scope() as session:
        h = session.scalars(
            select(Handoff).where(Handoff.sender_id == sender_id).order_by(Handoff.id.desc()).limit(1)
        ).first()
        if h is None:
            return {"state": "none"}
        out: Dict[str, Any] = {"state": h.state, "handoff_id": h.id, "kind": h.kind}
        if h.state == "queued":
            ahead = (
                session.scalar(
                    select(func.count(Handoff.id)).where(
                        Handoff.state == "queued",
                        or_(
                            Handoff.priority < h.priority,
                            and_(
                                Handoff.priority == h.priority,
                                or_(
                                    Handoff.created_at < h.created_at,
                                    and_(Handoff.created_at == h.created_at, Handoff.id < h.id),
                                ),
                            ),
                        ),
                    )
                )
                or 0
            )
            out.update(ahead=ahead, wait_min=_expected_minutes(session, ahead), on_duty=clock.agents_on_duty())
            if not out["on_duty"]:
                out["opening"] = clock.next_agent_opening().isoformat()
        elif h.state == "held":
            typing = h.agent_typing_at is not None and (now - h.agent_typing_at).total_seconds() < TYPING_FRESH_S
            out.update(agent_name=h.agent_name, typing=typing)
        else:
            rated = session.scalars(select(HandoffRating.id).where(HandoffRating.handoff_id == h.id)).first()
            served = h.taken_at is not None and h.closed_at is not None
            out.update(
                agent_name=h.agent_name,
                rate=served and rated is None and now - h.closed_at < RATING_WINDOW,
                rated=rated is not None,
            )
        return out


def rate(sender_id: str, handoff_id: Any, score: Any = None, label: Any = None, comment: Any = None) -> Dict[str, Any]:
    """The client's rating of a closed hand-off of their own conversation (once)."""
    if isinstance(label, str) and label in RATING_LABELS and score is None:
        score = RATING_LABELS[label]
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise Invalid(client_text.RATING_INVALID, field="score")
    if label not in RATING_LABELS:
        label = (
            client_text.RATING_SATISFIED
            if score >= 4
            else client_text.RATING_NEUTRAL
            if score == 3
            else client_text.RATING_UNSATISFIED
        )
    comment = comment.strip()[:500] if isinstance(comment, str) and comment.strip() else None
    if isinstance(handoff_id, bool) or not isinstance(handoff_id, int):
        raise Invalid(api_text.FIELD_NOT_INTEGER.format(field="handoff_id"), field="handoff_id")
    with session_scope() as session:
        h = session.get(Handoff, handoff_id)
        if h is None or h.sender_id != sender_id:
            raise NotFound(client_text.RATING_NO_HANDOFF)
        if h.state != "closed" or h.taken_at is None:
            raise Conflict(client_text.RATING_NOT_CLOSED)
        existing = session.scalars(select(HandoffRating).where(HandoffRating.handoff_id == handoff_id)).first()
        if existing is not None:
            if comment and not existing.comment:  # the comment may follow the quick reply
                existing.comment = comment
                return {"ok": True, "score": existing.score, "label": existing.label}
            raise Conflict(client_text.RATING_ALREADY)
        session.add(
            HandoffRating(
                handoff_id=handoff_id,
                sender_id=sender_id,
                agent=h.agent,
                score=score,
                label=label,
                comment=comment,
                at=clock.now(),
            )
        )
    return {"ok": True, "score": score, "label": label}


def leave_message(sender_id: str, text: Any) -> int:
    """A message left outside service hours: it joins the conversation's queued hand-off
    (opened if needed), marked 留言, and waits for the next trading day's agents."""
    if not isinstance(text, str) or not text.strip():
        raise Invalid(client_text.LEAVE_MESSAGE_EMPTY, field="text")
    if len(text) > MAX_LEFT_MESSAGE_CHARS:
        raise Invalid(client_text.LEAVE_MESSAGE_TOO_LONG.format(max=MAX_LEFT_MESSAGE_CHARS), field="text")
    with session_scope() as session:
        h = session.scalars(
            select(Handoff).where(Handoff.sender_id == sender_id, Handoff.state.in_(OPEN_STATES))
        ).first()
        client_id = h.client_id if h else None
    handoff_id = open_handoff(sender_id, client_id, staff_text.HANDOFF_REASON_MESSAGE) if h is None else h.id
    now = clock.now()
    with session_scope() as session:
        session.get(Handoff, handoff_id).kind = "message"
        session.add(
            TranscriptMessage(
                sender_id=sender_id[:128],
                role="client",
                text=staff_text.MESSAGE_MARK + text.strip(),
                at=now,
                delivered_at=now,
            )
        )
    return handoff_id


def ratings_summary(start: datetime, end: datetime) -> Dict[str, Any]:
    """Ratings given in [start, end): totals, share per label, per agent, latest comments
    (for the education team's insights)."""
    with session_scope() as session:
        rows = session.execute(
            select(HandoffRating, Editor.display_name)
            .outerjoin(Editor, Editor.username == HandoffRating.agent)
            .where(HandoffRating.at >= start, HandoffRating.at < end)
            .order_by(HandoffRating.at.desc(), HandoffRating.id.desc())
        ).all()
    count = len(rows)
    by_label = {label: 0 for label in RATING_LABELS}
    by_score = {str(n): 0 for n in range(1, 6)}
    agents_: Dict[str, Dict[str, Any]] = {}
    for r, name in rows:
        by_label[r.label] = by_label.get(r.label, 0) + 1
        by_score[str(r.score)] += 1
        a = agents_.setdefault(r.agent or "", {"agent": r.agent, "name": name or r.agent, "count": 0, "total": 0})
        a["count"] += 1
        a["total"] += r.score
    per_agent = [
        {"agent": a["agent"], "name": a["name"], "count": a["count"], "average": round(a["total"] / a["count"], 2)}
        for a in sorted(agents_.values(), key=lambda a: -a["count"])
    ]
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "count": count,
        "average": round(sum(r.score for r, _ in rows) / count, 2) if count else None,
        "satisfied_share": round(by_label.get(client_text.RATING_SATISFIED, 0) / count, 3) if count else None,
        "by_label": by_label,
        "by_score": by_score,
        "by_agent": per_agent,
        "comments": [
            {"at": r.at.isoformat(), "agent": name or r.agent, "label": r.label, "score": r.score, "text": r.comment}
            for r, name in rows
            if r.comment
        ][:50],
    }


# -- delivery to the widget ----------------------------------------------------------------
def undelivered(sender_ids: Set[str]) -> List[TranscriptMessage]:
    return delivery.undelivered(TranscriptMessage, TranscriptMessage.sender_id, sender_ids)


def undelivered_payloads(sender_ids: Set[str]) -> List[Tuple[int, str, Dict[str, Any]]]:
    """(row id, conversation, bot_uttered payload) of the messages due in these conversations;
    agents' messages name the person (display name, role) so the widget shows them as one."""
    rows = undelivered(sender_ids)
    authors = {r.author for r in rows if r.author}
    names: Dict[str, str] = {}
    if authors:
        with session_scope() as session:
            names = dict(
                session.execute(select(Editor.username, Editor.display_name).where(Editor.username.in_(authors))).all()
            )
    out = []
    for r in rows:
        custom: Dict[str, Any] = {"from": r.role, "agent": r.author}
        if r.author:
            custom["agent_name"] = names.get(r.author, r.author)
            custom["agent_role"] = client_text.HUMAN_AGENT
        out.append((r.id, r.sender_id, {"text": r.text, "custom": custom}))
    return out


def mark_delivered(ids: List[int]) -> None:
    delivery.mark_delivered(TranscriptMessage, ids, clock.now())
