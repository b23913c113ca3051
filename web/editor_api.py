"""HTTP API of the education team's publishing page (/editor), on the pages server.

Every route but login needs a staff token (Authorization: Bearer …); client tokens
are refused. Workflow rules live in bot/knowledge/publishing.py; this module only
translates HTTP to those calls and their errors to readable 4xx answers.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from functools import wraps
from typing import Any, Callable, Dict, List, Optional, Tuple

from sanic import Blueprint, response
from sanic.request import Request

from core import inputs
from core.errors import DomainError, Invalid
from core.inputs import parse_json
from core.knowledge.retriever import Retriever
from core.knowledge.validate import ID_PATTERN
from core.policy import PolicyError, get_policy
from core.text import sanitize
from services.knowledge import insights, publishing
from services.knowledge.service import shared_service
from services.staff import authenticate, mint_staff_token, verify_staff_token
from storage.db import session_scope
from web.errors import BUSY, error

log = logging.getLogger(__name__)
bp = Blueprint("editor_api", url_prefix="/api")


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


def requires_staff(
    roles: Tuple[str, ...] = ("editor", "reviewer"), login_message: str = "请先登录（投教/合规人员账号）。"
) -> Callable:
    """A staff token of one of `roles`; workflow errors become readable 4xx answers."""

    def decorate(handler: Callable) -> Callable:
        @wraps(handler)
        async def wrapped(request: Request, *args: Any, **kwargs: Any):
            who = verify_staff_token(bearer(request))
            if who is None:
                return error(login_message, 401)
            if who[2] not in roles:
                return error("该账号没有此页面的权限。", 403)
            request.ctx.user, request.ctx.name, request.ctx.role = who
            try:
                return await handler(request, *args, **kwargs)
            except DomainError as exc:
                return response.json(exc.payload(), status=exc.status)
            except Exception:
                log.exception("staff api failed")
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
        with session_scope() as s:
            editor = authenticate(s, username, password)
            return None if editor is None else (mint_staff_token(editor), editor.role, editor.display_name)

    try:
        found = await blocking(run)
    except Exception:
        log.exception("login failed")
        return error("系统繁忙，请稍后再试。", 503)
    if found is None:
        return error("用户名或密码错误。", 401)  # same answer whether or not the account exists
    token, role, name = found
    return response.json({"token": token, "role": role, "name": name})


@bp.get("/editor/entries")
@staff_only
async def entries(request: Request):
    def run():
        with session_scope() as s:
            return publishing.list_entries(s, request.args.get("q", "")[:100])

    return response.json(await blocking(run))


@bp.get("/editor/entries/<faq_id>")
@staff_only
async def entry(request: Request, faq_id: str):
    def run():
        with session_scope() as s:
            return publishing.entry_detail(s, faq_id)

    return response.json(await blocking(run))


def _problems(problems) -> List[Dict[str, str]]:
    return [{"field": p.field, "message": p.message, "level": p.level} for p in problems]


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
    if not ID_PATTERN.match(faq_id) or len(faq_id) > 64:
        return error("主题 ID 须为小写字母、数字和下划线，如 interest_financing_rate。", field="faq_id")
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
            raise Invalid(f"content.{key} 必须是字符串。", field=f"content.{key}")
        if value is not None and len(value) > limit:
            raise Invalid(f"content.{key} 不能超过{limit}个字符。", field=f"content.{key}")
        out[key] = sanitize(value or "")
    for key, items in (("paraphrases", 200), ("tags", 30), ("cites", 30)):
        out[key] = inputs.text_list(content.get(key), f"content.{key}", max_items=items, max_len=500)
    money = content.get("money_topic", False)
    if money is not None and not isinstance(money, bool):
        raise Invalid("content.money_topic 必须是 true 或 false。", field="content.money_topic")
    out["money_topic"] = bool(money)
    return out


@bp.post("/editor/entries/<faq_id>/<step>")
@staff_only
async def step(request: Request, faq_id: str, step: str):
    if step not in STEPS:
        return error("未知操作。", 404)
    body = body_of(request)

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
        return error("未知操作。", 404)
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
        return error("请输入要试问的问题。", field="text")
    faq_id = inputs.text(body, "faq_id", max_len=64, required=False, default="") or ""
    content = inputs.obj(body, "content", required=False)
    content = checked_content(content) if content is not None else None

    def run():
        service = shared_service()
        before = service.rank(text, k=3)
        after = before
        if faq_id and isinstance(content, dict):
            draft = publishing.draft_entry(faq_id, content, version=0)  # 0: not live
            others = [e for e in service.entries if e.id != faq_id]
            after = Retriever([*others, draft]).rank(text, k=3)
        return {"before": _ranked(before), "after": _ranked(after)}

    return response.json(await blocking(run))


@bp.get("/editor/insights")
@staff_only
async def insights_view(request: Request):
    return response.json(await blocking(insights.grouped))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula (= + - @ tab CR)
    gets a leading apostrophe, so a client's "=HYPERLINK(…)" is never run."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@bp.get("/editor/insights.csv")
@staff_only
async def insights_csv(request: Request):
    rows = await blocking(insights.rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["时间", "来源", "可能的主题", "内容", "详情"])
    for row in rows:
        writer.writerow(
            [csv_cell(v) for v in (row["at"], row["source"], row["likely_faq_id"] or "", row["text"], row["detail"])]
        )
    return response.text(
        "\ufeff" + out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=insights.csv"},
    )


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
