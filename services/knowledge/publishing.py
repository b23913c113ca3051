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
import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import yaml
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock
from core.errors import Conflict, Forbidden, Invalid, NotFound, WorkflowRefused
from core.knowledge.model import Entry
from core.knowledge.validate import Problem, errors, find_conflicts, validate_entry
from core.policy import get_policy
from core.texts import api as api_text
from core.texts import editor as editor_text
from services.knowledge.store import FileStore
from storage.content import KbChangeRequest, KbEntry, KbEvent, KbState, KbVersion

log = logging.getLogger(__name__)
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
    """One statement, inside the caller's transaction: two concurrent publishes give
    N+1 and N+2, never N+1 twice (a read-add-write lost one, which no assistant saw)."""
    now = clock.now()
    done = session.execute(
        update(KbState).where(KbState.id == 1).values(revision=KbState.revision + 1, changed_at=now)
    ).rowcount
    if not done:
        session.execute(insert(KbState).values(id=1, revision=1, changed_at=now))


def _dump(content: Dict[str, Any]) -> List[str]:
    return yaml.safe_dump(content, allow_unicode=True, sort_keys=False).splitlines()


def diff(old: Optional[Dict[str, Any]], new: Dict[str, Any], label: str = "") -> str:
    return "\n".join(
        difflib.unified_diff(
            _dump(old) if old else [], _dump(new), editor_text.DIFF_BEFORE, editor_text.DIFF_AFTER, lineterm="", n=1
        )
    )


def _event(
    session: Session,
    actor: str,
    action: str,
    faq_id: str,
    version: Optional[int],
    text: str = "",
    flagged: bool = False,
) -> None:
    session.add(
        KbEvent(at=clock.now(), actor=actor, action=action, faq_id=faq_id, version=version, diff=text, flagged=flagged)
    )


def _claim(session: Session, faq_id: str) -> KbEntry:
    """Take the entry's row for this transaction before reading its state, so that two
    steps on one entry run one after the other (PostgreSQL: the row lock; SQLite: the
    write lock, taken by this first write of the transaction)."""
    if not session.execute(update(KbEntry).where(KbEntry.faq_id == faq_id).values(lock=KbEntry.lock)).rowcount:
        raise NotFound(editor_text.NO_ENTRY.format(faq_id=faq_id))
    entry = session.get(KbEntry, faq_id, populate_existing=True)
    assert entry is not None
    return entry


def _as_lock(value: Any) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid(api_text.LOCK_INVALID, field="lock")
    return value


def _version(session: Session, faq_id: str, version: int) -> KbVersion:
    row = session.scalars(
        select(KbVersion)
        .where(KbVersion.faq_id == faq_id, KbVersion.version == version)
        .execution_options(populate_existing=True)  # fresh after _claim
    ).first()
    if row is None:
        raise WorkflowError(editor_text.NO_VERSION.format(faq_id=faq_id, version=version))
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
            "reviewed_by": editor_text.REVIEW_PENDING,
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
    since `expected_lock` was read (None = creating a new entry).

    The lock is a compare-and-set: `UPDATE … SET lock = lock + 1 WHERE lock = :expected`
    is the transaction's first statement and exactly one of N concurrent saves with the
    same lock changes a row; the others get 409 with the current lock and version."""
    content = _content(content)
    expected_lock = _as_lock(expected_lock)
    problems = check(faq_id, content, session)  # before the first write: no lock held while it runs
    now = clock.now()
    if expected_lock is None:
        if session.get(KbEntry, faq_id) is not None:
            raise _conflict(session, faq_id)
        entry = KbEntry(faq_id=faq_id, latest_version=0, lock=1, updated_at=now)
        session.add(entry)
        try:
            session.flush()  # a concurrent creation of the same id fails here
        except IntegrityError:
            session.rollback()
            raise _conflict(session, faq_id) from None
        previous = None
    else:
        won = session.execute(
            update(KbEntry)
            .where(KbEntry.faq_id == faq_id, KbEntry.lock == expected_lock)
            .values(lock=KbEntry.lock + 1, updated_at=now)
        ).rowcount
        if won != 1:
            raise _conflict(session, faq_id)
        entry = session.get(KbEntry, faq_id, populate_existing=True)
        assert entry is not None
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
    session.flush()
    _event(session, author, "save", faq_id, version, diff(previous, content))
    return Saved(version, entry.lock, problems)


def _conflict(session: Session, faq_id: str) -> EditConflict:
    """The refusal of a lost save, with what is there now (so the page can show it)."""
    entry = session.get(KbEntry, faq_id, populate_existing=True)
    if entry is None:
        return EditConflict(editor_text.ENTRY_GONE)
    return EditConflict(
        editor_text.SAVE_CONFLICT,
        lock=entry.lock,
        version=entry.latest_version,
    )


def _require_clean(session: Session, faq_id: str, row: KbVersion) -> None:
    bad = errors(check(faq_id, json.loads(row.content), session))
    if bad:
        raise WorkflowError(
            editor_text.NOT_VALID.format(problems="；".join(f"{p.field}: {p.message}" for p in bad[:5]))
        )


def _latest_in(
    session: Session, faq_id: str, status: str, refusal: str, validate: bool = True
) -> Tuple[KbEntry, KbVersion]:
    """The entry (claimed) and its latest version, which must be in `status` and pass
    validation. Validation (up to a second) runs before the claim, so the entry's lock
    (SQLite: the database's write lock) is held only for the writes; after the claim,
    the version must still be the one that was validated."""
    row = _latest(session, _entry(session, faq_id))
    if row.status != status:
        raise WorkflowError(refusal)
    if validate:
        _require_clean(session, faq_id, row)
    seen = row.version
    entry = _claim(session, faq_id)
    row = _latest(session, entry)
    if row.version != seen or row.status != status:
        raise Conflict(editor_text.CHANGED_MEANWHILE)
    return entry, row


def submit(session: Session, faq_id: str, actor: str) -> int:
    _, row = _latest_in(session, faq_id, "draft", editor_text.ONLY_DRAFT_SUBMITTED)
    row.status = "review"
    _event(session, actor, "submit", faq_id, row.version)
    return row.version


def approve(session: Session, faq_id: str, reviewer: str, role: str) -> int:
    """The content review: a reviewer who is not the author approves the text. It does not
    go live until a publish request is approved (see request_change)."""
    if role != "reviewer":
        raise WorkflowError(editor_text.ONLY_REVIEWER_APPROVES)
    row = _latest(session, _entry(session, faq_id))
    if row.author == reviewer:
        raise WorkflowError(editor_text.NOT_OWN_REVIEW)
    _, row = _latest_in(session, faq_id, "review", editor_text.NOT_IN_REVIEW)
    row.status, row.reviewer, row.reviewed_at = "approved", reviewer, clock.now()
    _event(session, reviewer, "approve", faq_id, row.version)
    return row.version


def reject(session: Session, faq_id: str, reviewer: str, role: str, note: str = "") -> int:
    entry = _claim(session, faq_id)
    row = _latest(session, entry)
    if role != "reviewer" or row.status != "review":
        raise WorkflowError(editor_text.ONLY_REVIEWER_REJECTS)
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


def _publish(session: Session, faq_id: str, actor: str, note: str, version: int) -> int:
    entry, row = _latest_in(session, faq_id, "approved", editor_text.ONLY_APPROVED_PUBLISHED, validate=False)
    if row.version != version:
        raise Conflict(editor_text.CHANGED_AFTER_REQUEST)
    before = json.loads(_version(session, faq_id, entry.published_version).content) if entry.published_version else None
    _go_live(session, entry, row)
    _event(session, actor, "publish", faq_id, row.version, note + diff(before, json.loads(row.content)))
    return row.version


def _retire(session: Session, faq_id: str, actor: str, note: str, flagged: bool = False) -> None:
    entry = _claim(session, faq_id)
    if entry.retired or entry.published_version is None:
        raise WorkflowError(editor_text.NOT_LIVE)
    entry.retired, entry.published_version = True, None
    _bump(session)
    _event(session, actor, "emergency_retire" if flagged else "retire", faq_id, None, note, flagged=flagged)


def _rollback(session: Session, faq_id: str, version: int, actor: str, note: str) -> int:
    """Publish an earlier published version's content again, as a new version."""
    entry = _claim(session, faq_id)
    old = _version(session, faq_id, version)  # validated by the caller, before the claim
    if old.status not in ("published", "superseded"):
        raise WorkflowError(editor_text.ONLY_PUBLISHED_ROLLBACK)
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
        note=editor_text.ROLLBACK_NOTE.format(version=version),
    )
    session.add(new)
    entry.latest_version = new.version
    entry.lock += 1
    session.flush()
    _go_live(session, entry, new)
    _event(session, actor, "rollback", faq_id, new.version, note + diff(current, json.loads(old.content)))
    return new.version


def _rollback_target(session: Session, faq_id: str, version: Any) -> KbVersion:
    if isinstance(version, bool) or not isinstance(version, int) or not 0 < version < 1_000_000:
        raise Invalid(api_text.ROLLBACK_VERSION_INVALID, field="version")
    old = _version(session, faq_id, version)
    if old.status not in ("published", "superseded"):
        raise WorkflowError(editor_text.ONLY_PUBLISHED_ROLLBACK)
    _require_clean(session, faq_id, old)  # the policy may have changed since
    return old


# -- two people for every change clients see ----------------------------------------
CHANGE_ACTIONS = {
    "publish": editor_text.CHANGE_PUBLISH,
    "retire": editor_text.CHANGE_RETIRE,
    "rollback": editor_text.CHANGE_ROLLBACK,
}
STAFF_ROLES = ("editor", "reviewer")
EMERGENCY_REASON_CHARS = (2, 500)


def request_change(
    session: Session,
    faq_id: str,
    action: str,
    actor: str,
    role: str,
    version: Any = None,
    reason: str = "",
) -> int:
    """Ask for a change clients will see; it happens when another reviewer approves it.
    Returns the request's id."""
    if action not in CHANGE_ACTIONS:
        raise Invalid(api_text.CHANGE_ACTION_INVALID, field="action")
    if role not in STAFF_ROLES:
        raise Forbidden(editor_text.MAY_NOT_REQUEST)
    if action == "publish":
        _, row = _latest_in(session, faq_id, "approved", editor_text.ONLY_APPROVED_REQUESTED)
        version = row.version
    elif action == "rollback":
        version = _rollback_target(session, faq_id, version).version
    entry = _claim(session, faq_id)  # one open request per entry, even when two ask at once
    if action == "retire":
        if entry.retired or entry.published_version is None:
            raise WorkflowError(editor_text.NOT_LIVE)
        version = entry.published_version
    pending = session.scalars(
        select(KbChangeRequest).where(KbChangeRequest.faq_id == faq_id, KbChangeRequest.state == "open")
    ).first()
    if pending is not None:
        raise Conflict(
            editor_text.REQUEST_PENDING.format(action=CHANGE_ACTIONS[pending.action], requester=pending.requested_by),
            request_id=pending.id,
        )
    req = KbChangeRequest(
        faq_id=faq_id,
        action=action,
        version=version,
        reason=(reason or "")[:500],
        state="open",
        requested_by=actor,
        requested_at=clock.now(),
    )
    session.add(req)
    session.flush()
    _event(session, actor, f"request_{action}", faq_id, version, reason or "")
    return req.id


def _open_request(session: Session, request_id: Any) -> KbChangeRequest:
    if isinstance(request_id, bool) or not isinstance(request_id, int):
        raise Invalid(editor_text.REQUEST_ID_INVALID, field="request_id")
    req = session.get(KbChangeRequest, request_id)
    if req is None:
        raise NotFound(editor_text.NO_REQUEST)
    return req


def approve_change(session: Session, request_id: int, actor: str, role: str) -> Optional[int]:
    """A second person — a reviewer who did not ask for it — carries the change out.
    Returns the version that went live (publish, rollback) or None (retire)."""
    req = _open_request(session, request_id)
    if role != "reviewer":
        raise Forbidden(editor_text.ONLY_REVIEWER_DECIDES)
    if req.requested_by == actor:
        raise WorkflowError(editor_text.NOT_OWN_REQUEST)
    if req.state != "open":
        raise Conflict(editor_text.REQUEST_DECIDED)
    if req.action == "publish":  # validated before the entry is claimed (see _latest_in)
        _require_clean(session, req.faq_id, _version(session, req.faq_id, int(req.version)))
    elif req.action == "rollback":
        _rollback_target(session, req.faq_id, req.version)
    _claim(session, req.faq_id)
    # compare-and-set on the request: of two approvals at once, one carries it out
    won = session.execute(
        update(KbChangeRequest)
        .where(KbChangeRequest.id == req.id, KbChangeRequest.state == "open")
        .values(state="approved", decided_by=actor, decided_at=clock.now())
    ).rowcount
    if won != 1:
        raise Conflict(editor_text.REQUEST_DECIDED)
    note = (
        editor_text.APPROVAL_NOTE.format(requester=req.requested_by, approver=actor)
        + (editor_text.APPROVAL_REASON.format(reason=req.reason) if req.reason else "")
        + "\n"
    )
    result: Optional[int] = None
    if req.action == "publish":
        result = _publish(session, req.faq_id, actor, note, int(req.version))
    elif req.action == "retire":
        _retire(session, req.faq_id, actor, note)
    else:
        result = _rollback(session, req.faq_id, int(req.version), actor, note)
    session.execute(update(KbChangeRequest).where(KbChangeRequest.id == req.id).values(result_version=result))
    return result


def reject_change(session: Session, request_id: int, actor: str, role: str, note: str = "") -> None:
    """A reviewer declines a request; the requester may also withdraw their own."""
    req = _open_request(session, request_id)
    if role != "reviewer" and req.requested_by != actor:
        raise Forbidden(editor_text.MAY_NOT_WITHDRAW)
    won = session.execute(
        update(KbChangeRequest)
        .where(KbChangeRequest.id == req.id, KbChangeRequest.state == "open")
        .values(state="rejected", decided_by=actor, decided_at=clock.now())
    ).rowcount
    if won != 1:
        raise Conflict(editor_text.REQUEST_DECIDED)
    _event(session, actor, f"reject_{req.action}", req.faq_id, req.version, (note or "")[:500])


def emergency_retire(session: Session, faq_id: str, actor: str, role: str, reason: Any) -> None:
    """A reviewer takes a live answer offline at once (e.g. it states a wrong rate).
    Only with a reason; audit-logged and flagged in the history for a second look."""
    if role != "reviewer":
        raise Forbidden(editor_text.ONLY_REVIEWER_EMERGENCY)
    lo, hi = EMERGENCY_REASON_CHARS
    if not isinstance(reason, str) or not lo <= len(reason.strip()) <= hi:
        raise Invalid(editor_text.EMERGENCY_REASON_NEEDED.format(min=lo, max=hi), field="reason")
    _retire(session, faq_id, actor, editor_text.EMERGENCY_NOTE.format(reason=reason.strip()), flagged=True)
    log.warning("knowledge entry %s retired in an emergency by %s: %s", faq_id, actor, reason.strip())


def open_requests(session: Session, faq_id: Optional[str] = None) -> List[Dict[str, Any]]:
    query = select(KbChangeRequest).where(KbChangeRequest.state == "open").order_by(KbChangeRequest.id)
    if faq_id:
        query = query.where(KbChangeRequest.faq_id == faq_id)
    return [
        {
            "id": r.id,
            "faq_id": r.faq_id,
            "action": r.action,
            "version": r.version,
            "reason": r.reason or "",
            "requested_by": r.requested_by,
            "requested_at": r.requested_at.isoformat(),
        }
        for r in session.scalars(query)
    ]


def _entry(session: Session, faq_id: str) -> KbEntry:
    entry = session.get(KbEntry, faq_id)
    if entry is None:
        raise NotFound(editor_text.NO_ENTRY.format(faq_id=faq_id))
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
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "version": e.version,
                "diff": e.diff or "",
                "flagged": bool(e.flagged),
            }
            for e in events
        ],
        "requests": open_requests(session, faq_id),
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
