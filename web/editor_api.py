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
from datetime import date
from functools import wraps
from typing import Any, Callable, Dict, List, Optional, Tuple

from sanic import Blueprint, response
from sanic.request import Request

from core.errors import DomainError
from core.inputs import parse_json
from core.knowledge.retriever import Retriever
from core.knowledge.validate import ID_PATTERN
from core.policy import PolicyError, get_policy
from services import staff
from services.knowledge import insights, publishing
from services.knowledge.service import shared_service
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


def current_staff(token: Optional[str]) -> Optional[staff.StaffUser]:
    """The account behind a staff token, checked in the staff table on every request."""
    with session_scope() as s:
        return staff.verify_staff_token(s, token)


def requires_staff(
    roles: Tuple[str, ...] = ("editor", "reviewer"), login_message: str = "请先登录（投教/合规人员账号）。"
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
                return error("该账号没有此页面的权限。", 403)
            request.ctx.user, request.ctx.name, request.ctx.role = who.username, who.name, who.role
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

    def run():
        # its own unit of work: a refused login's failure record must be committed
        with session_scope() as s:
            try:
                editor = staff.login(s, body.get("username"), body.get("password"), request.ip or "?")
            except DomainError as exc:
                return exc
            return staff.mint_staff_token(editor), editor.role, editor.display_name

    try:
        found = await blocking(run)
    except Exception:
        log.exception("login failed")
        return error("系统繁忙，请稍后再试。", 503)
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
    return response.json({"ok": True}) if done else error("请先登录。", 401)


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
    faq_id, content = str(body.get("faq_id") or ""), body.get("content") or {}

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
        return error("主题 ID 须为小写字母、数字和下划线，如 interest_financing_rate。")
    if not isinstance(body.get("content"), dict):
        return error("content 必须是对象。")

    def run():
        with session_scope() as s:
            return publishing.save_draft(s, faq_id, body["content"], request.ctx.user, body.get("lock"))

    saved = await blocking(run)
    return response.json({"version": saved.version, "lock": saved.lock, "problems": _problems(saved.problems)})


STEPS = {
    "submit": lambda s, fid, req, body: publishing.submit(s, fid, req.ctx.user),
    "approve": lambda s, fid, req, body: publishing.approve(s, fid, req.ctx.user, req.ctx.role),
    "reject": lambda s, fid, req, body: publishing.reject(
        s, fid, req.ctx.user, req.ctx.role, str(body.get("note", ""))
    ),
    "publish": lambda s, fid, req, body: publishing.publish(s, fid, req.ctx.user),
    "retire": lambda s, fid, req, body: publishing.retire(s, fid, req.ctx.user),
    "rollback": lambda s, fid, req, body: publishing.rollback(
        s, fid, int(body.get("version", 0)), req.ctx.user, req.ctx.role
    ),
}


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
    return response.json({"ok": True, "version": result})


def _ranked(hits) -> List[Dict[str, Any]]:
    return [
        {"faq_id": h.faq_id, "question": h.entry.question, "score": h.score, "version": h.entry.version} for h in hits
    ]


@bp.post("/editor/try")
@staff_only
async def try_question(request: Request):
    """试问: what the bot answers now, and what it would answer with this draft live."""
    body = body_of(request)
    text = str(body.get("text") or "")[:500]
    if not text.strip():
        return error("请输入要试问的问题。")
    faq_id, content = str(body.get("faq_id") or ""), body.get("content")

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


@bp.get("/editor/insights.csv")
@staff_only
async def insights_csv(request: Request):
    rows = await blocking(insights.rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["时间", "来源", "可能的主题", "内容", "详情"])
    for row in rows:
        writer.writerow([row["at"], row["source"], row["likely_faq_id"] or "", row["text"], row["detail"]])
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
    try:
        day = date.fromisoformat(str(body.get("day")))
    except ValueError:
        return error("日期格式应为 YYYY-MM-DD。")
    title, place = str(body.get("title") or "").strip(), str(body.get("place") or "").strip()
    if not (0 < len(title) <= 200 and 0 < len(place) <= 300):
        return error("请填写标题（200字以内）和地点或链接（300字以内）。")
    await blocking(insights.add_lecture, title, day, place, request.ctx.user)
    return response.json({"ok": True})
