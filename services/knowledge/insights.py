"""What the education team should write next: questions the bot could not answer
confidently or at all, answers clients marked 没帮助 and agents' flags — grouped by likely
topic (named by the topic's title), newest first; the per-day figures the insights charts
draw; the widget's hot-question chips. Also the investor-education lecture announcements.

Times are shown in broker-local time (Asia/Shanghai). Junk is kept out of the picture:
a likely topic the knowledge base does not know counts as "no close topic", and one
sender counts at most FLOOD_CAP times a day and a group (a flood from one sender does
not make a trend or a top cluster)."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from datetime import time as day_time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from sqlalchemy import select

from core import clock
from core.text import sanitize
from core.texts import api as api_text
from core.texts import editor as editor_text
from services.records.masking import TextMasker
from storage.batch import BatchWriter
from storage.content import AgentFlag, Handoff, HotQuestion, Lecture, QuestionLog
from storage.db import session_scope
from storage.models import AnswerFeedback

log = logging.getLogger(__name__)
LIMIT = 5000
FLOOD_CAP = 5  # rows counted per sender, per day and group
EXAMPLE_CHARS = 80
MAX_EXAMPLES = 5
MAX_DRAFT_QUESTIONS = 12
DEFAULT_DAYS = 14
UNANSWERED = ("clarify", "out_of_scope", "fallback")
SOURCE_NAMES = {
    "clarify": editor_text.SOURCE_CLARIFY,
    "out_of_scope": editor_text.SOURCE_OUT_OF_SCOPE,
    "fallback": editor_text.SOURCE_FALLBACK,
    "unhelpful": editor_text.SOURCE_UNHELPFUL,
    "flag_wrong": editor_text.SOURCE_FLAG_WRONG,
    "flag_missing": editor_text.SOURCE_FLAG_MISSING,
}
NO_TOPIC = editor_text.NO_TOPIC
# The greeting's chips when nothing has been asked yet and the team has set none.
DEFAULT_HOT = ("interest_financing_rate", "eligibility_requirements", "margincall_deadline", "quota_increase")
HOT_COUNT = 4


def question_row(sender_id: str, text: str, outcome: str, likely_faq_id: Optional[str], score: float) -> Dict[str, Any]:
    """One question for the insights view, sanitised (a lone surrogate would fail the insert)."""
    return {
        "at": clock.now(),
        "sender_id": sanitize(sender_id)[:128],
        "text": sanitize(text)[:2000],
        "outcome": outcome,
        "likely_faq_id": likely_faq_id,
        "score": f"{score:.3f}",
    }


class QuestionLogWriter(BatchWriter):
    """The chat path's questions, written in the background (storage/batch.py)."""

    def __init__(self, database_url: Optional[str] = None, **options: Any) -> None:
        super().__init__(QuestionLog, "question log", database_url, **options)

    def add(self, sender_id: str, text: str, outcome: str, likely_faq_id: Optional[str], score: float) -> None:
        self.put(question_row(sender_id, text, outcome, likely_faq_id, score))


def log_question(
    sender_id: str,
    text: str,
    outcome: str,
    likely_faq_id: Optional[str],
    score: float,
    max_wait_s: float = 10.0,
) -> bool:
    """One question stored now (CLIs, tests), retried with backoff while the database is
    locked or away. False (logged with the sender) when it could not be stored."""
    row = question_row(sender_id, text, outcome, likely_faq_id, score)
    return QuestionLogWriter(max_wait_s=max_wait_s).write_now([row]) == 1


# -- date range, local time -----------------------------------------------------------
def date_range(since: Optional[str], until: Optional[str]) -> Tuple[date, date]:
    """The local days asked for (YYYY-MM-DD, both included); the last DEFAULT_DAYS by default."""
    today = clock.today()
    end = date.fromisoformat(until) if until else today
    start = date.fromisoformat(since) if since else end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValueError(api_text.START_AFTER_END)
    if (end - start).days > 366:
        raise ValueError(api_text.RANGE_TOO_LONG)
    return start, end


def _bounds(start: date, end: date) -> Tuple[datetime, datetime]:
    return datetime.combine(start, day_time.min, clock.TZ), datetime.combine(
        end + timedelta(days=1), day_time.min, clock.TZ
    )


def local(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=clock.TZ)).astimezone(clock.TZ)


def shown_time(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m-%d %H:%M")


def truncate(text: str, limit: int = EXAMPLE_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- rows --------------------------------------------------------------------------------
def _collect(start: date, end: date) -> Dict[str, list]:
    lo, hi = _bounds(start, end)
    with session_scope() as session:
        questions = session.scalars(
            select(QuestionLog)
            .where(QuestionLog.at >= lo, QuestionLog.at < hi)
            .order_by(QuestionLog.at.desc())
            .limit(LIMIT)
        ).all()
        feedback = session.scalars(
            select(AnswerFeedback)
            .where(AnswerFeedback.at >= lo, AnswerFeedback.at < hi)
            .order_by(AnswerFeedback.at.desc())
            .limit(LIMIT)
        ).all()
        flags = session.scalars(
            select(AgentFlag).where(AgentFlag.at >= lo, AgentFlag.at < hi).order_by(AgentFlag.at.desc()).limit(LIMIT)
        ).all()
        handoffs = session.scalars(
            select(Handoff).where(Handoff.created_at >= lo, Handoff.created_at < hi).limit(LIMIT)
        ).all()
        # never another client's figures or name (README, "Records and privacy")
        private = TextMasker(session, [q.sender_id for q in questions] + [f.sender_id for f in feedback])
        session.expunge_all()  # detached: the masked texts below are never written back
    for q in questions:
        q.text = private(q.text)
    for f in feedback:
        f.comment = private(f.comment or "")
    for g in flags:
        g.text, g.note = private(g.text), private(g.note or "")
    return {"questions": list(questions), "feedback": list(feedback), "flags": list(flags), "handoffs": list(handoffs)}


def rows(since: Optional[str] = None, until: Optional[str] = None, all_time: bool = False) -> List[Dict[str, Any]]:
    """Everything the team should look at (not answered questions), newest first, local time."""
    start, end = (date(2000, 1, 1), date(2999, 12, 31)) if all_time else date_range(since, until)
    data = _collect(start, end)
    out = [
        {
            "at": local(q.at),
            "sender": q.sender_id,
            "source": SOURCE_NAMES.get(q.outcome, q.outcome),
            "text": q.text,
            "likely_faq_id": q.likely_faq_id,
            "detail": f"score {q.score}",
        }
        for q in data["questions"]
        if q.outcome != "answered"
    ]
    out += [
        {
            "at": local(f.at),
            "sender": f.sender_id,
            "source": SOURCE_NAMES["unhelpful"],
            "text": f.comment or "",
            "likely_faq_id": f.faq_id,
            "detail": f"version {f.version}" + (f" · {f.reason}" if f.reason else ""),
        }
        for f in data["feedback"]
        if not f.helpful
    ]
    out += [
        {
            "at": local(f.at),
            "sender": f.agent,
            "source": SOURCE_NAMES[f"flag_{f.kind}"],
            "text": f.text,
            "likely_faq_id": f.faq_id,
            "detail": f"{f.agent}: {f.note or ''}",
        }
        for f in data["flags"]
    ]
    return sorted(out, key=lambda r: r["at"], reverse=True)


def grouped(
    titles: Mapping[str, str], since: Optional[str] = None, until: Optional[str] = None
) -> List[Dict[str, Any]]:
    """Clusters by likely topic, named by its title; unknown ids go to NO_TOPIC; floods capped."""
    groups: Dict[str, Dict[str, Any]] = {}
    per_sender: Counter = Counter()
    for row in rows(since, until):
        faq_id = row["likely_faq_id"] if row["likely_faq_id"] in titles else None
        key = faq_id or ""
        per_sender[(key, row["sender"], row["at"].date())] += 1
        if per_sender[(key, row["sender"], row["at"].date())] > FLOOD_CAP:
            continue  # the same sender again and again: counted FLOOD_CAP times
        g = groups.setdefault(
            key,
            {
                "faq_id": faq_id,
                "topic": titles[faq_id] if faq_id else NO_TOPIC,
                "count": 0,
                "sources": defaultdict(int),
                "examples": [],
                "questions": [],
                "latest": shown_time(row["at"]),
            },
        )
        g["count"] += 1
        g["sources"][row["source"]] += 1
        text = " ".join((row["text"] or "").split())
        if text and len(g["examples"]) < MAX_EXAMPLES:
            g["examples"].append({"at": shown_time(row["at"]), "text": truncate(text), "source": row["source"]})
        if text and len(text) <= 60 and text not in g["questions"] and len(g["questions"]) < MAX_DRAFT_QUESTIONS:
            g["questions"].append(text)  # for 起草条目: short questions only, as paraphrases
    out = [dict(g, sources=dict(g["sources"])) for g in groups.values()]
    return sorted(out, key=lambda g: (g["count"], g["latest"]), reverse=True)


def _capped(items: Iterable[Tuple[str, date, Any]]) -> List[Tuple[date, Any]]:
    """(sender, day, value) → (day, value), at most FLOOD_CAP per sender and day."""
    seen: Counter = Counter()
    kept = []
    for sender, day, value in items:
        seen[(sender, day)] += 1
        if seen[(sender, day)] <= FLOOD_CAP:
            kept.append((day, value))
    return kept


def charts(titles: Mapping[str, str], since: Optional[str] = None, until: Optional[str] = None) -> Dict[str, Any]:
    """What the insights page draws: per-day trend and rates, top topics, 没帮助 per entry, reasons."""
    start, end = date_range(since, until)
    data = _collect(start, end)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    questions = _capped((q.sender_id, local(q.at).date(), q) for q in data["questions"])
    unanswered, unhelpful, asked, clarify = Counter(), Counter(), Counter(), Counter()
    topics: Counter = Counter()
    for day, q in questions:
        asked[day] += 1
        if q.outcome in UNANSWERED:
            unanswered[day] += 1
        if q.outcome == "clarify":
            clarify[day] += 1
        if q.outcome == "answered" and q.likely_faq_id in titles:
            topics[q.likely_faq_id] += 1
    given: Counter = Counter()
    bad: Counter = Counter()
    reasons: Counter = Counter()
    for f in data["feedback"]:
        if f.faq_id not in titles:
            continue
        given[f.faq_id] += 1
        if not f.helpful:
            bad[f.faq_id] += 1
            unhelpful[local(f.at).date()] += 1
            reasons[f.reason or editor_text.NO_REASON] += 1
    handoffs = Counter(local(h.created_at).date() for h in data["handoffs"])

    def rate(part: Counter, whole: Counter, day: date) -> Optional[float]:
        return round(part[day] / whole[day], 4) if whole[day] else None

    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "timezone": "Asia/Shanghai",
        "days": [d.isoformat() for d in days],
        "unanswered": [unanswered[d] for d in days],
        "unhelpful": [unhelpful[d] for d in days],
        "clarify_rate": [rate(clarify, asked, d) for d in days],
        "handoff_rate": [rate(handoffs, asked, d) for d in days],
        "top_topics": [{"faq_id": f, "topic": titles[f], "count": n} for f, n in topics.most_common(10)],
        "unhelpful_rate": sorted(
            (
                {"faq_id": f, "topic": titles[f], "rate": round(bad[f] / n, 4), "unhelpful": bad[f], "total": n}
                for f, n in given.items()
            ),
            key=lambda r: (r["rate"], r["total"]),
            reverse=True,
        )[:10],
        "reasons": dict(reasons),
    }


# -- hot questions (the widget's greeting chips) ---------------------------------------------
def hot_questions(titles: Optional[Mapping[str, str]] = None) -> List[Dict[str, str]]:
    """The team's list when set; else the topics asked most in the last 30 days, topped up with defaults."""
    with session_scope() as session:
        chosen = session.scalars(select(HotQuestion).order_by(HotQuestion.position)).all()
        if chosen:
            return [{"title": h.title, "question": h.question} for h in chosen]
        now = clock.now()
        asked = session.scalars(
            select(QuestionLog.likely_faq_id)
            .where(QuestionLog.outcome == "answered", QuestionLog.at >= now - timedelta(days=30), QuestionLog.at <= now)
            .order_by(QuestionLog.at.desc())
            .limit(LIMIT)
        ).all()
    if titles is None:
        from services.context import current  # the context imports this module's neighbours

        titles = {e.id: e.question for e in current().knowledge.entries}
    ranked = [f for f, _ in Counter(f for f in asked if f in titles).most_common()]
    ids = (ranked + [f for f in DEFAULT_HOT if f in titles and f not in ranked])[:HOT_COUNT]
    return [{"title": truncate(titles[f], 16), "question": titles[f]} for f in ids]


def set_hot_questions(items: List[Dict[str, str]], author: str) -> None:
    with session_scope() as session:
        for old in session.scalars(select(HotQuestion)).all():
            session.delete(old)
        for i, item in enumerate(items):
            session.add(
                HotQuestion(
                    position=i,
                    title=item["title"],
                    question=item["question"],
                    updated_by=author,
                    updated_at=clock.now(),
                )
            )


def lectures(upcoming_only: bool = True) -> List[Dict[str, Any]]:
    with session_scope() as session:
        query = select(Lecture).where(Lecture.published.is_(True)).order_by(Lecture.day)
        if upcoming_only:
            query = query.where(Lecture.day >= clock.today())
        return [{"title": lec.title, "day": lec.day.isoformat(), "place": lec.place} for lec in session.scalars(query)]


def add_lecture(title: str, day: date, place: str, author: str) -> None:
    with session_scope() as session:
        session.add(Lecture(title=title, day=day, place=place, created_by=author, created_at=clock.now()))
