"""HTTP API of the education team's publishing page (/editor), on the pages server.

Every route but login needs a staff token (Authorization: Bearer …); client tokens
are refused. Workflow rules live in bot/knowledge/publishing.py; this module only
translates HTTP to those calls and their errors to readable 4xx answers.
"""

from __future__ import annotations

import asyncio
import csv
import difflib
import io
import json
import logging
import re
from functools import wraps
from typing import Any, Callable, Dict, List, Optional, Tuple

from sanic import Blueprint, response
from sanic.request import Request
from sqlalchemy import select

from core import inputs
from core.errors import DomainError, Invalid
from core.inputs import parse_json
from core.knowledge.model import is_faq_id
from core.knowledge.retriever import Retriever
from core.policy import PolicyError, get_policy
from core.text import sanitize
from core.texts import api as api_text
from core.texts import editor as editor_text
from core.texts import staff as staff_text
from services import staff
from services.context import current
from services.knowledge import insights, publishing
from services.metrics import count_database_error
from storage.content import KbVersion
from storage.db import session_scope
from web.errors import BUSY, error

log = logging.getLogger(__name__)
bp = Blueprint("editor_api", url_prefix="/api")
MAX_HOT_QUESTIONS = 8  # the widget greeting's chips
MAX_HOT_TITLE_CHARS = 16
MAX_HOT_QUESTION_CHARS = 200


async def blocking(fn: Callable, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def body_of(request: Request) -> Dict[str, Any]:
    """The JSON object sent, or {} for anything else."""
    body = parse_json(request.body)
    return body if isinstance(body, dict) else {}


def bearer(request: Request) -> Optional[str]:
    """The token of an `Authorization: Bearer …` header, or None."""
    header = request.headers.get("authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else None


def current_staff(token: Optional[str]) -> Optional[staff.StaffUser]:
    """The account behind a staff token, checked in the staff table on every request."""
    with session_scope() as s:
        return staff.verify_staff_token(s, token)


def requires_staff(
    roles: Tuple[str, ...] = ("editor", "reviewer"), login_message: str = staff_text.LOGIN_EDITOR
) -> Callable:
    """A staff token of one of `roles`; workflow errors become readable 4xx answers."""

    def decorate(handler: Callable) -> Callable:
        @wraps(handler)
        async def wrapped(request: Request, *args: Any, **kwargs: Any):
            try:
                who = await blocking(current_staff, bearer(request))
            except Exception:
                log.exception("staff check failed")
                return error(BUSY, 503)
            if who is None:
                return error(login_message, 401)
            if who.role not in roles:
                return error(staff_text.NO_PERMISSION, 403)
            request.ctx.user, request.ctx.name, request.ctx.role = who.username, who.name, who.role
            try:
                return await handler(request, *args, **kwargs)
            except DomainError as exc:
                return response.json(exc.payload(), status=exc.status)
            except Exception:
                log.exception("staff api failed")
                count_database_error("pages")
                return error(BUSY, 503)

        return wrapped

    return decorate


staff_only = requires_staff()


@bp.post("/staff/login")
async def login(request: Request):
    body = body_of(request)
    try:
        username = inputs.text(body, "username", max_len=64, required=False, default="")
        password = inputs.text(body, "password", max_len=256, required=False, default="")
    except Invalid as exc:
        return response.json(exc.payload(), status=400)

    def run():
        # its own unit of work: a refused login's failure record must be committed
        with session_scope() as s:
            try:
                editor = staff.login(s, username, password, request.ip or "?")
            except DomainError as exc:
                return exc
            return staff.mint_staff_token(editor), editor.role, editor.display_name

    try:
        found = await blocking(run)
    except Exception:
        log.exception("login failed")
        return error(BUSY, 503)
    if isinstance(found, DomainError):  # same answer whether or not the account exists
        return response.json(found.payload(), status=found.status)
    token, role, name = found
    return response.json({"token": token, "role": role, "name": name})


@bp.post("/staff/logout")
async def logout(request: Request):
    """Every token of the account issued so far stops working."""

    def run():
        with session_scope() as s:
            return staff.logout(s, bearer(request))

    try:
        done = await blocking(run)
    except Exception:
        log.exception("logout failed")
        return error(BUSY, 503)
    return response.json({"ok": True}) if done else error(staff_text.LOGIN_NEEDED, 401)


@bp.get("/editor/entries")
@staff_only
async def entries(request: Request):
    def run():
        with session_scope() as s:
            return publishing.list_entries(s, request.args.get("q", "")[:100])

    return response.json(await blocking(run))


# Placeholders stay whole; Latin words and numbers are one token; each CJK character is one.
TOKEN = re.compile(r"\{\{[^{}]*\}\}|[A-Za-z0-9_.,%]+|\s+|.", re.S)


def word_diff(old: str, new: str) -> List[Dict[str, str]]:
    """[{op: eq | del | ins, text}] from `old` to `new`, by words, placeholders never split."""
    a, b = TOKEN.findall(old or ""), TOKEN.findall(new or "")
    out: List[Dict[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append({"op": "eq", "text": "".join(a[i1:i2])})
            continue
        if i2 > i1:
            out.append({"op": "del", "text": "".join(a[i1:i2])})
        if j2 > j1:
            out.append({"op": "ins", "text": "".join(b[j1:j2])})
    return out


def _live_content(s: Any, faq_id: str, version: Optional[int]) -> Optional[Dict[str, Any]]:
    if not version:
        return None
    row = s.scalars(select(KbVersion).where(KbVersion.faq_id == faq_id, KbVersion.version == version)).first()
    return json.loads(row.content) if row else None


@bp.get("/editor/entries/<faq_id>")
@staff_only
async def entry(request: Request, faq_id: str):
    def run():
        with session_scope() as s:
            detail = publishing.entry_detail(s, faq_id)
            live = _live_content(s, faq_id, detail["published_version"])
        latest = detail["latest"]["content"]
        if live is not None and detail["latest"]["version"] != detail["published_version"]:
            detail["changes"] = {  # what the latest version changes against the live one, by words
                key: word_diff(_as_text(live.get(key)), _as_text(latest.get(key)))
                for key in ("question", "answer", "paraphrases", "tags", "cites")
                if live.get(key) != latest.get(key)
            }
        detail["stamp"] = _stamp(detail)
        return detail

    return response.json(await blocking(run))


def _stamp(detail: Dict[str, Any]) -> str:
    """Changes whenever anyone saves, submits, reviews, publishes, retires or rolls back the entry."""
    latest = detail["latest"]
    parts = (detail["lock"], latest["version"], latest["status"], detail["published_version"], detail["retired"])
    return ":".join(str(p) for p in parts) + f":{len(detail['history'])}"


def _as_text(value: Any) -> str:
    return "\n".join(value) if isinstance(value, list) else str(value or "")


@bp.get("/editor/entries/<faq_id>/state")
@staff_only
async def entry_state(request: Request, faq_id: str):
    """What the page polls every few seconds: a changed lock means someone else changed the entry."""

    def run():
        with session_scope() as s:
            d = publishing.entry_detail(s, faq_id)
        last = d["history"][0] if d["history"] else {}
        return {
            "stamp": _stamp(d),
            "lock": d["lock"],
            "status": d["latest"]["status"],
            "version": d["latest"]["version"],
            "published_version": d["published_version"],
            "by": last.get("actor"),
        }

    return response.json(await blocking(run))


def _problems(problems) -> List[Dict[str, Any]]:
    """Each problem at its field, with the offending text (`span`) for the preview to highlight."""
    return [{"field": p.field, "message": p.message, "level": p.level, "span": p.span} for p in problems]


def _preview(content: Dict[str, Any], faq_id: str) -> str:
    try:
        return publishing.draft_entry(faq_id, content).render(get_policy())
    except (PolicyError, KeyError, ValueError):
        return ""


@bp.post("/editor/validate")
@staff_only
async def validate(request: Request):
    body = body_of(request)
    faq_id = inputs.text(body, "faq_id", max_len=64, required=False, default="") or ""
    content = checked_content(inputs.obj(body, "content", required=False) or {})

    def run():
        with session_scope() as s:
            return publishing.check(faq_id, content, s, with_conflicts=False)  # live, as they type

    problems = await blocking(run)
    return response.json({"problems": _problems(problems), "preview": _preview(content, faq_id)})


@bp.put("/editor/entries/<faq_id>")
@staff_only
async def save(request: Request, faq_id: str):
    body = body_of(request)
    if not is_faq_id(faq_id):
        return error(editor_text.ID_FORMAT, field="faq_id")
    content = checked_content(inputs.obj(body, "content"))
    lock = inputs.integer(body, "lock", lo=0, hi=2**31 - 1, required=False)

    def run():
        with session_scope() as s:
            return publishing.save_draft(s, faq_id, content, request.ctx.user, lock)

    saved = await blocking(run)
    return response.json({"version": saved.version, "lock": saved.lock, "problems": _problems(saved.problems)})


STEPS = {
    "submit": lambda s, fid, req, body: publishing.submit(s, fid, req.ctx.user),
    "approve": lambda s, fid, req, body: publishing.approve(s, fid, req.ctx.user, req.ctx.role),
    "reject": lambda s, fid, req, body: publishing.reject(
        s, fid, req.ctx.user, req.ctx.role, inputs.text(body, "note", max_len=500, required=False, default="") or ""
    ),
    # what clients see changes only through a request and another reviewer's approval
    "request": lambda s, fid, req, body: publishing.request_change(
        s,
        fid,
        inputs.text(body, "action", max_len=16) or "",
        req.ctx.user,
        req.ctx.role,
        inputs.integer(body, "version", lo=1, hi=999_999, required=False),
        inputs.text(body, "reason", max_len=500, required=False, default="") or "",
    ),
    "emergency-retire": lambda s, fid, req, body: publishing.emergency_retire(
        s, fid, req.ctx.user, req.ctx.role, inputs.text(body, "reason", min_len=2, max_len=500)
    ),
}


def checked_content(content: Dict[str, Any]) -> Dict[str, Any]:
    """An entry's fields, each of its type (400 naming the field otherwise)."""
    out: Dict[str, Any] = {}
    for key, limit in (("category", 32), ("question", 500), ("answer", 5000)):
        value = content.get(key)
        if value is not None and not isinstance(value, str):
            raise Invalid(api_text.FIELD_NOT_TEXT.format(field=f"content.{key}"), field=f"content.{key}")
        if value is not None and len(value) > limit:
            raise Invalid(api_text.FIELD_TOO_LONG.format(field=f"content.{key}", max=limit), field=f"content.{key}")
        out[key] = sanitize(value or "")
    for key, items in (("paraphrases", 200), ("tags", 30), ("cites", 30)):
        out[key] = inputs.text_list(content.get(key), f"content.{key}", max_items=items, max_len=500)
    money = content.get("money_topic", False)
    if money is not None and not isinstance(money, bool):
        raise Invalid(api_text.FIELD_NOT_BOOLEAN.format(field="content.money_topic"), field="content.money_topic")
    out["money_topic"] = bool(money)
    return out


@bp.post("/editor/entries/<faq_id>/<step>")
@staff_only
async def step(request: Request, faq_id: str, step: str):
    if step not in STEPS:
        return error(api_text.UNKNOWN_OPERATION, 404)
    body = body_of(request)
    if step == "reject" and not str(body.get("note") or "").strip():
        raise Invalid(editor_text.REJECT_NEEDS_REASON, field="note")

    def run():
        with session_scope() as s:
            return STEPS[step](s, faq_id, request, body)

    result = await blocking(run)
    key = "request" if step == "request" else "version"
    return response.json({"ok": True, key: result})


@bp.post("/editor/requests/<request_id:int>/<decision>")
@staff_only
async def decide(request: Request, request_id: int, decision: str):
    """Another reviewer approves (and so carries out) or rejects a change request."""
    if decision not in ("approve", "reject"):
        return error(api_text.UNKNOWN_OPERATION, 404)
    body = body_of(request)
    note = inputs.text(body, "note", max_len=500, required=False, default="") or ""

    def run():
        with session_scope() as s:
            if decision == "approve":
                return publishing.approve_change(s, request_id, request.ctx.user, request.ctx.role)
            return publishing.reject_change(s, request_id, request.ctx.user, request.ctx.role, note)

    return response.json({"ok": True, "version": await blocking(run)})


@bp.get("/editor/requests")
@staff_only
async def requests_view(request: Request):
    def run():
        with session_scope() as s:
            return publishing.open_requests(s)

    return response.json(await blocking(run))


def _ranked(hits) -> List[Dict[str, Any]]:
    return [
        {"faq_id": h.faq_id, "question": h.entry.question, "score": h.score, "version": h.entry.version} for h in hits
    ]


@bp.post("/editor/try")
@staff_only
async def try_question(request: Request):
    """试问: what the bot answers now, and what it would answer with this draft live."""
    body = body_of(request)
    text = inputs.text(body, "text", max_len=500, required=False, default="") or ""
    if not text.strip():
        return error(editor_text.TRY_EMPTY, field="text")
    faq_id = inputs.text(body, "faq_id", max_len=64, required=False, default="") or ""
    content = inputs.obj(body, "content", required=False)
    content = checked_content(content) if content is not None else None

    def run():
        service = current().knowledge
        before = service.rank(text, k=3)
        after = before
        if faq_id and isinstance(content, dict):
            draft = publishing.draft_entry(faq_id, content, version=0)  # 0: not live
            others = [e for e in service.entries if e.id != faq_id]
            after = Retriever([*others, draft]).rank(text, k=3)
        return {"before": _ranked(before), "after": _ranked(after)}

    return response.json(await blocking(run))


def _titles() -> Dict[str, str]:
    """Live entries' ids → titles (their standard question): clusters are named by these."""
    return {e.id: e.question for e in current().knowledge.entries}


def _range(request: Request) -> Tuple[Optional[str], Optional[str]]:
    since, until = request.args.get("from") or None, request.args.get("to") or None
    try:
        insights.date_range(since, until)
    except ValueError as exc:
        ours = str(exc) in (api_text.START_AFTER_END, api_text.RANGE_TOO_LONG)  # else fromisoformat's
        raise Invalid(str(exc) if ours else api_text.DATE_FORMAT, field="from") from exc
    return since, until


@bp.get("/editor/insights")
@staff_only
async def insights_view(request: Request):
    since, until = _range(request)
    return response.json(await blocking(lambda: insights.grouped(_titles(), since, until)))


@bp.get("/editor/insights/charts")
@staff_only
async def insights_charts(request: Request):
    """Per-day trend and rates, top topics, 没帮助 per entry (local days, Asia/Shanghai)."""
    since, until = _range(request)
    return response.json(await blocking(lambda: insights.charts(_titles(), since, until)))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula (= + - @ tab CR)
    gets a leading apostrophe, so a client's "=HYPERLINK(…)" is never run."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@bp.get("/editor/insights.csv")
@staff_only
async def insights_csv(request: Request):
    rows = await blocking(lambda: insights.rows(all_time=True))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            editor_text.CSV_TIME,
            editor_text.CSV_SOURCE,
            editor_text.CSV_TOPIC,
            editor_text.CSV_TEXT,
            editor_text.CSV_DETAIL,
        ]
    )
    for row in rows:
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    insights.shown_time(row["at"]),
                    row["source"],
                    row["likely_faq_id"] or "",
                    row["text"],
                    row["detail"],
                )
            ]
        )
    return response.text(
        "\ufeff" + out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=insights.csv"},
    )


@bp.get("/editor/hot-questions")
@staff_only
async def hot_questions(request: Request):
    return response.json(await blocking(lambda: insights.hot_questions(_titles())))


@bp.put("/editor/hot-questions")
@staff_only
async def set_hot_questions(request: Request):
    """The widget greeting's chips, in order; an empty list goes back to the most asked topics."""
    items = body_of(request).get("items")
    if not isinstance(items, list) or len(items) > MAX_HOT_QUESTIONS:
        raise Invalid(editor_text.HOT_TOO_MANY.format(max=MAX_HOT_QUESTIONS), field="items")
    clean = []
    for item in items:
        title = str((item or {}).get("title") or "").strip() if isinstance(item, dict) else ""
        question = str((item or {}).get("question") or "").strip() if isinstance(item, dict) else ""
        if not (0 < len(title) <= MAX_HOT_TITLE_CHARS and 0 < len(question) <= MAX_HOT_QUESTION_CHARS):
            raise Invalid(
                editor_text.HOT_ITEM.format(title_max=MAX_HOT_TITLE_CHARS, question_max=MAX_HOT_QUESTION_CHARS),
                field="items",
            )
        clean.append({"title": title, "question": question})
    await blocking(insights.set_hot_questions, clean, request.ctx.user)
    return response.json({"ok": True, "items": clean})


def _suggested_format(path: str, value: Any) -> str:
    if isinstance(value, str):
        return "raw"
    if isinstance(value, float) and value <= 10 and not path.endswith(("_days", "_months", "_years")):
        return "pct"
    if isinstance(value, int) and value >= 10000:
        return "wan" if value % 10000 == 0 else "yuan"
    return "int" if isinstance(value, int) else "raw"


@bp.get("/editor/policy-paths")
@staff_only
async def policy_paths(request: Request):
    """Every policy value an answer may cite, with a suggested format and how it reads: the policy picker."""
    policy = get_policy()
    out: List[Dict[str, Any]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, f"{path}.{key}" if path else str(key))
        elif isinstance(node, (int, float, str)) and not isinstance(node, bool) and path.count(".") >= 1:
            fmt = _suggested_format(path, node)
            placeholder = "{{ " + path + " | " + fmt + " }}"
            try:
                shown = policy.render(placeholder)
            except (PolicyError, ValueError, ArithmeticError):
                return
            out.append({"path": path, "format": fmt, "shown": shown, "placeholder": placeholder})

    for top, node in policy.data.items():
        if top not in ("texts", "market_holidays", "version"):
            walk(node, str(top))
    return response.json(out)


@bp.get("/editor/lectures")
@staff_only
async def lectures(request: Request):
    return response.json(await blocking(insights.lectures, False))


@bp.post("/editor/lectures")
@staff_only
async def add_lecture(request: Request):
    body = body_of(request)
    day = inputs.iso_date(body, "day")
    title = inputs.text(body, "title", min_len=1, max_len=200)
    place = inputs.text(body, "place", min_len=1, max_len=300)
    await blocking(insights.add_lecture, title, day, place, request.ctx.user)
    return response.json({"ok": True})
