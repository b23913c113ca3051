"""The education team's workflow: draft → review by a second person → publish.

The published state lives in the database (kb_entries / kb_versions) so that every
running assistant shares it; each publish, retire or rollback bumps kb_state's
revision, which KnowledgeService polls, so changes go live in seconds without a
retrain. knowledge/faq/*.yml stay the reviewed source shipped with the project and
are imported on set-up. Every step is recorded in kb_events with a readable diff.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.errors import Conflict, NotFound, WorkflowRefused
from core.knowledge.model import Entry
from core.knowledge.validate import Problem, errors, find_conflicts, validate_entry
from core.policy import get_policy
from services.knowledge.store import FileStore
from storage.content import KbEntry, KbEvent, KbState, KbVersion

CONTENT_FIELDS = ("category", "question", "paraphrases", "answer", "tags", "cites", "money_topic")


class WorkflowError(WorkflowRefused):
    """A step that is not allowed now; the message is shown to the editor."""


class EditConflict(Conflict):
    """Someone else saved the entry since this editor loaded it."""


@dataclass
class Saved:
    version: int
    lock: int
    problems: List[Problem]


def _content(data: Dict[str, Any]) -> Dict[str, Any]:
    out = {k: data.get(k) for k in CONTENT_FIELDS}
    out["paraphrases"] = [str(p).strip() for p in out.get("paraphrases") or [] if str(p).strip()]
    out["tags"] = [str(t).strip() for t in out.get("tags") or [] if str(t).strip()]
    out["cites"] = [str(c).strip() for c in out.get("cites") or [] if str(c).strip()]
    out["money_topic"] = bool(out.get("money_topic"))
    for key in ("category", "question", "answer"):
        out[key] = str(out.get(key) or "").strip()
    return out


def entry_of(faq_id: str, row: KbVersion, status: str = "published") -> Entry:
    data = json.loads(row.content)
    return Entry.from_dict(
        {
            **data,
            "id": faq_id,
            "version": row.version,
            "status": status,
            "reviewed_by": row.reviewer or "",
            "reviewed_at": (row.reviewed_at or row.created_at).date().isoformat(),
        }
    )


def published_entries(session: Session) -> List[Entry]:
    rows = session.execute(
        select(KbEntry.faq_id, KbVersion)
        .join(KbVersion, (KbVersion.faq_id == KbEntry.faq_id) & (KbVersion.version == KbEntry.published_version))
        .where(KbEntry.published_version.is_not(None), KbEntry.retired.is_(False))
        .order_by(KbEntry.faq_id)
    ).all()
    return [entry_of(faq_id, version) for faq_id, version in rows]


def revision(session: Session) -> int:
    state = session.get(KbState, 1)
    return state.revision if state else -1


def _bump(session: Session) -> None:
    state = session.get(KbState, 1)
    if state is None:
        state = KbState(id=1, revision=0)
        session.add(state)
    state.revision += 1
    state.changed_at = clock.now()


def _dump(content: Dict[str, Any]) -> List[str]:
    return yaml.safe_dump(content, allow_unicode=True, sort_keys=False).splitlines()


def diff(old: Optional[Dict[str, Any]], new: Dict[str, Any], label: str = "") -> str:
    return "\n".join(difflib.unified_diff(_dump(old) if old else [], _dump(new), "之前", "之后", lineterm="", n=1))


def _event(session: Session, actor: str, action: str, faq_id: str, version: Optional[int], text: str = "") -> None:
    session.add(KbEvent(at=clock.now(), actor=actor, action=action, faq_id=faq_id, version=version, diff=text))


def _version(session: Session, faq_id: str, version: int) -> KbVersion:
    row = session.scalars(select(KbVersion).where(KbVersion.faq_id == faq_id, KbVersion.version == version)).first()
    if row is None:
        raise WorkflowError(f"{faq_id} 没有版本 {version}")
    return row


def _latest(session: Session, entry: KbEntry) -> KbVersion:
    return _version(session, entry.faq_id, entry.latest_version)


def draft_entry(faq_id: str, content: Dict[str, Any], version: int = 1) -> Entry:
    """The entry as this (not yet reviewed) content would make it."""
    return Entry.from_dict(
        {
            **_content(content),
            "id": faq_id,
            "version": version,
            "reviewed_by": "待审核",
            "reviewed_at": clock.today().isoformat(),
        }
    )


def check(faq_id: str, content: Dict[str, Any], session: Session, with_conflicts: bool = True) -> List[Problem]:
    """Validation of one entry as it would go live, against the published others."""
    candidate = draft_entry(faq_id, content)
    problems = validate_entry(candidate, get_policy())
    if with_conflicts:
        others = [e for e in published_entries(session) if e.id != faq_id]
        problems += find_conflicts([*others, candidate], only=faq_id)
    return problems


# -- steps ------------------------------------------------------------------------
def import_files(session: Session) -> int:
    """Bring the shipped knowledge/faq files into the database (new ids only)."""
    added = 0
    for entry in FileStore().published():
        if session.get(KbEntry, entry.id) is not None:
            continue
        now = clock.now()
        session.add(
            KbEntry(faq_id=entry.id, published_version=entry.version, latest_version=entry.version, updated_at=now)
        )
        session.add(
            KbVersion(
                faq_id=entry.id,
                version=entry.version,
                status="published",
                content=json.dumps(_content(entry.to_dict()), ensure_ascii=False),
                author=entry.reviewed_by or "import",
                reviewer=entry.reviewed_by,
                created_at=now,
                reviewed_at=now,
                published_at=now,
                note="imported from knowledge/faq",
            )
        )
        added += 1
    if added or session.get(KbState, 1) is None:
        _bump(session)
    return added


def save_draft(
    session: Session, faq_id: str, content: Dict[str, Any], author: str, expected_lock: Optional[int]
) -> Saved:
    """Save the editor's text as the entry's draft. Refused when someone else saved
    since `expected_lock` was read (None = creating a new entry)."""
    content = _content(content)
    entry = session.get(KbEntry, faq_id, with_for_update=True)
    now = clock.now()
    if entry is None:
        if expected_lock is not None:
            raise EditConflict("该条目不存在或已被删除，请刷新。")
        entry = KbEntry(faq_id=faq_id, latest_version=0, lock=0, updated_at=now)
        session.add(entry)
        session.flush()
        previous = None
    else:
        if expected_lock is None or int(expected_lock) != entry.lock:
            raise EditConflict("保存失败：这条内容在您打开后已被其他人修改。请刷新查看最新版本，再合并您的修改。")
        previous = json.loads(_latest(session, entry).content)
    latest = _version(session, faq_id, entry.latest_version) if entry.latest_version else None
    if latest is not None and latest.status == "draft" and latest.author == author:
        latest.content = json.dumps(content, ensure_ascii=False)
        latest.created_at = now
        version = latest.version
    else:
        version = entry.latest_version + 1
        session.add(
            KbVersion(
                faq_id=faq_id,
                version=version,
                status="draft",
                author=author,
                created_at=now,
                content=json.dumps(content, ensure_ascii=False),
            )
        )
        entry.latest_version = version
    entry.lock += 1
    entry.updated_at = now
    session.flush()
    _event(session, author, "save", faq_id, version, diff(previous, content))
    return Saved(version, entry.lock, check(faq_id, content, session))


def _require_clean(session: Session, faq_id: str, row: KbVersion) -> None:
    bad = errors(check(faq_id, json.loads(row.content), session))
    if bad:
        raise WorkflowError("内容未通过校验，不能继续：" + "；".join(f"{p.field}: {p.message}" for p in bad[:5]))


def _latest_in(session: Session, faq_id: str, status: str, refusal: str) -> Tuple[KbEntry, KbVersion]:
    """The entry and its latest version, which must be in `status` and pass validation."""
    entry = _entry(session, faq_id)
    row = _latest(session, entry)
    if row.status != status:
        raise WorkflowError(refusal)
    _require_clean(session, faq_id, row)
    return entry, row


def submit(session: Session, faq_id: str, actor: str) -> int:
    _, row = _latest_in(session, faq_id, "draft", "只有草稿可以提交审核。")
    row.status = "review"
    _event(session, actor, "submit", faq_id, row.version)
    return row.version


def approve(session: Session, faq_id: str, reviewer: str, role: str) -> int:
    if role != "reviewer":
        raise WorkflowError("只有审核人可以审核通过。")
    row = _latest(session, _entry(session, faq_id))
    if row.author == reviewer:
        raise WorkflowError("不能审核自己撰写的内容，请由另一位审核人审核。")
    _, row = _latest_in(session, faq_id, "review", "该版本不在待审核状态。")
    row.status, row.reviewer, row.reviewed_at = "approved", reviewer, clock.now()
    _event(session, reviewer, "approve", faq_id, row.version)
    return row.version


def reject(session: Session, faq_id: str, reviewer: str, role: str, note: str = "") -> int:
    entry = _entry(session, faq_id)
    row = _latest(session, entry)
    if role != "reviewer" or row.status != "review":
        raise WorkflowError("只有审核人可以退回待审核的版本。")
    row.status, row.reviewer, row.reviewed_at, row.note = "rejected", reviewer, clock.now(), note[:500]
    _event(session, reviewer, "reject", faq_id, row.version, note)
    return row.version


def _go_live(session: Session, entry: KbEntry, row: KbVersion) -> None:
    if entry.published_version and entry.published_version != row.version:
        _version(session, entry.faq_id, entry.published_version).status = "superseded"
    row.status, row.published_at = "published", clock.now()
    entry.published_version, entry.retired = row.version, False
    entry.updated_at = clock.now()
    _bump(session)


def publish(session: Session, faq_id: str, actor: str) -> int:
    entry, row = _latest_in(session, faq_id, "approved", "只有审核通过的版本才能发布。")
    before = json.loads(_version(session, faq_id, entry.published_version).content) if entry.published_version else None
    _go_live(session, entry, row)
    _event(session, actor, "publish", faq_id, row.version, diff(before, json.loads(row.content)))
    return row.version


def retire(session: Session, faq_id: str, actor: str) -> None:
    entry = _entry(session, faq_id)
    if entry.retired or entry.published_version is None:
        raise WorkflowError("该条目当前未上线。")
    entry.retired, entry.published_version = True, None
    _bump(session)
    _event(session, actor, "retire", faq_id, None)


def rollback(session: Session, faq_id: str, version: int, actor: str, role: str) -> int:
    """Publish an earlier published version's content again, as a new version."""
    if role != "reviewer":
        raise WorkflowError("只有审核人可以回滚。")
    entry = _entry(session, faq_id)
    old = _version(session, faq_id, version)
    if old.status not in ("published", "superseded"):
        raise WorkflowError("只能回滚到曾经发布过的版本。")
    current = (
        json.loads(_version(session, faq_id, entry.published_version).content) if entry.published_version else None
    )
    new = KbVersion(
        faq_id=faq_id,
        version=entry.latest_version + 1,
        content=old.content,
        status="approved",
        author=old.author,
        reviewer=actor,
        created_at=clock.now(),
        reviewed_at=clock.now(),
        note=f"回滚到版本 {version}",
    )
    session.add(new)
    entry.latest_version = new.version
    entry.lock += 1
    session.flush()
    _require_clean(session, faq_id, new)
    _go_live(session, entry, new)
    _event(session, actor, "rollback", faq_id, new.version, diff(current, json.loads(old.content)))
    return new.version


def _entry(session: Session, faq_id: str) -> KbEntry:
    entry = session.get(KbEntry, faq_id)
    if entry is None:
        raise NotFound(f"没有条目 {faq_id}")
    return entry


# -- reading ---------------------------------------------------------------------
def entry_detail(session: Session, faq_id: str) -> Dict[str, Any]:
    entry = _entry(session, faq_id)
    latest = _latest(session, entry)
    versions = session.scalars(
        select(KbVersion).where(KbVersion.faq_id == faq_id).order_by(KbVersion.version.desc())
    ).all()
    events = session.scalars(select(KbEvent).where(KbEvent.faq_id == faq_id).order_by(KbEvent.id.desc())).all()
    return {
        "faq_id": faq_id,
        "lock": entry.lock,
        "published_version": entry.published_version,
        "retired": entry.retired,
        "latest": {
            "version": latest.version,
            "status": latest.status,
            "author": latest.author,
            "reviewer": latest.reviewer,
            "content": json.loads(latest.content),
        },
        "versions": [
            {
                "version": v.version,
                "status": v.status,
                "author": v.author,
                "reviewer": v.reviewer,
                "created_at": v.created_at.isoformat(),
                "note": v.note,
            }
            for v in versions
        ],
        "history": [
            {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "version": e.version, "diff": e.diff or ""}
            for e in events
        ],
    }


def list_entries(session: Session, query: str = "") -> List[Dict[str, Any]]:
    out = []
    for entry in session.scalars(select(KbEntry).order_by(KbEntry.faq_id)):
        latest = _latest(session, entry)
        content = json.loads(latest.content)
        text = " ".join([entry.faq_id, content["question"], *content.get("tags", [])])
        if query and query.lower() not in text.lower():
            continue
        out.append(
            {
                "faq_id": entry.faq_id,
                "question": content["question"],
                "status": latest.status,
                "latest_version": latest.version,
                "published_version": entry.published_version,
                "retired": entry.retired,
                "updated_at": entry.updated_at.isoformat(),
            }
        )
    return out
