"""What the education team should write next: questions the bot could not answer
confidently or at all, answers clients marked 没帮助 and agents' flags — grouped by likely topic,
newest first. Also the investor-education lecture announcements."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import date
from typing import Any, Dict, List, Optional

from sqlalchemy import insert, select

from core import clock
from core.text import sanitize
from storage.content import AgentFlag, Lecture, QuestionLog
from storage.db import is_transient, session_scope
from storage.models import AnswerFeedback

log = logging.getLogger(__name__)
LIMIT = 2000
SOURCE_NAMES = {
    "clarify": "低置信度",
    "out_of_scope": "超出范围",
    "fallback": "未能理解",
    "unhelpful": "没帮助",
    "flag_wrong": "客服标记建议有误",
    "flag_missing": "客服标记缺少答案",
}


def log_question(
    sender_id: str,
    text: str,
    outcome: str,
    likely_faq_id: Optional[str],
    score: float,
    max_wait_s: float = 10.0,
) -> bool:
    """One question for the insights view, sanitised, retried with backoff while the
    database is locked or away. False (logged with the sender) when it could not be stored."""
    row = {
        "at": clock.now(),
        "sender_id": sanitize(sender_id)[:128],
        "text": sanitize(text)[:2000],
        "outcome": outcome,
        "likely_faq_id": likely_faq_id,
        "score": f"{score:.3f}",
    }
    deadline, pause = time.monotonic() + max_wait_s, 0.05
    while True:
        try:
            with session_scope() as session:
                session.execute(insert(QuestionLog), [row])
            return True
        except Exception as exc:
            if not is_transient(exc) or time.monotonic() + pause > deadline:
                log.error("question log row dropped (sender %s): %s", row["sender_id"], type(exc).__name__)
                return False
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def rows() -> List[Dict[str, Any]]:
    with session_scope() as session:
        questions = session.scalars(select(QuestionLog).order_by(QuestionLog.at.desc()).limit(LIMIT)).all()
        unhelpful = session.scalars(
            select(AnswerFeedback)
            .where(AnswerFeedback.helpful.is_(False))
            .order_by(AnswerFeedback.at.desc())
            .limit(LIMIT)
        ).all()
        out = [
            {
                "at": q.at.isoformat(),
                "source": SOURCE_NAMES.get(q.outcome, q.outcome),
                "text": q.text,
                "likely_faq_id": q.likely_faq_id,
                "detail": f"score {q.score}",
            }
            for q in questions
        ]
        out += [
            {
                "at": f.at.isoformat(),
                "source": SOURCE_NAMES["unhelpful"],
                "text": f.comment or "",
                "likely_faq_id": f.faq_id,
                "detail": f"version {f.version}",
            }
            for f in unhelpful
        ]
        flags = session.scalars(select(AgentFlag).order_by(AgentFlag.at.desc()).limit(LIMIT)).all()
        out += [
            {
                "at": f.at.isoformat(),
                "source": SOURCE_NAMES[f"flag_{f.kind}"],
                "text": f.text,
                "likely_faq_id": f.faq_id,
                "detail": f"{f.agent}: {f.note or ''}",
            }
            for f in flags
        ]
    return sorted(out, key=lambda r: r["at"], reverse=True)


def grouped() -> List[Dict[str, Any]]:
    groups: Dict[str, Dict[str, Any]] = defaultdict(lambda: {"count": 0, "sources": defaultdict(int), "examples": []})
    for row in rows():
        g = groups[row["likely_faq_id"] or "（无相近主题）"]
        g["count"] += 1
        g["sources"][row["source"]] += 1
        if row["text"] and len(g["examples"]) < 5:
            g["examples"].append({"at": row["at"], "text": row["text"], "source": row["source"]})
        g.setdefault("latest", row["at"])
    out = [
        {
            "topic": topic,
            "count": g["count"],
            "sources": dict(g["sources"]),
            "examples": g["examples"],
            "latest": g["latest"],
        }
        for topic, g in groups.items()
    ]
    return sorted(out, key=lambda g: g["latest"], reverse=True)


def lectures(upcoming_only: bool = True) -> List[Dict[str, Any]]:
    with session_scope() as session:
        query = select(Lecture).where(Lecture.published.is_(True)).order_by(Lecture.day)
        if upcoming_only:
            query = query.where(Lecture.day >= clock.today())
        return [{"title": lec.title, "day": lec.day.isoformat(), "place": lec.place} for lec in session.scalars(query)]


def add_lecture(title: str, day: date, place: str, author: str) -> None:
    with session_scope() as session:
        session.add(Lecture(title=title, day=day, place=place, created_by=author, created_at=clock.now()))
