"""HTTP API of the agents' console (/agent), on the pages server.

Agents log in with a staff account of role "agent" (client tokens and other roles
are refused). Viewing a client's figures is audit-logged with the agent's id.

    GET  /api/agent/inbox?view=queued|mine|all|closed&q=&page=&page_size=   one page + counts
    GET  /api/agent/stream?token=…&view=…&q=…&page=…&handoff=…   server-sent events: the
         inbox page and the open conversation, each sent again only when it changed
    POST /api/agent/handoffs/<id>/take | send | typing | notes | transfer | close
    GET/POST/PUT/DELETE /api/agent/canned[/<id>]   the shared library of replies
    GET  /api/editor/insights/ratings?start=YYYY-MM-DD&end=YYYY-MM-DD   clients' ratings

Taking and closing ask Rasa to pause / resume the bot in the conversation
(POST {rasa}/webhooks/handoff/hold, with BOT_ACTION_SECRET, the services' secret); see services/handoff.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, Optional

from sanic import Blueprint, response
from sanic.request import Request

from core import clock, finance, inputs
from core.errors import DomainError, Invalid
from core.formatting import line, ratio_pct
from core.policy import fmt_yuan, get_policy
from core.settings import get_settings
from core.texts import api as api_text
from core.texts import staff as staff_text
from services import handoff
from storage.content import AgentFlag
from storage.db import session_scope
from storage.repository import audit, load_client
from web.editor_api import blocking, body_of, current_staff, error, requires_staff

log = logging.getLogger(__name__)
bp = Blueprint("agent_api", url_prefix="/api/agent")
ratings_bp = Blueprint("ratings_api", url_prefix="/api/editor/insights")
STREAM_INTERVAL_S = 1.0
STREAM_MAX_S = 300.0  # the browser's EventSource reconnects by itself
HOLD_TIMEOUT_S = 10.0
MAX_REPLY_CHARS = 2000


agents_only = requires_staff(("agent",), staff_text.LOGIN_AGENT)


def client_figures(client_id: Optional[str], agent: str) -> Optional[Dict[str, Any]]:
    """What an agent sees of the conversation's client; the view is audit-logged."""
    if not client_id:
        return None
    policy = get_policy()
    with session_scope() as s:
        record = load_client(s, client_id)
        audit(s, actor=agent, subject_client_id=client_id, action="agent_view_client", role="agent")
    if record is None:
        return None
    out: Dict[str, Any] = {"client_id": record.id, "name": record.name, "vip": bool(record.vip_manager)}
    if record.assessment:
        tier = policy.tier(record.assessment.tier)
        out["tier"] = f"{tier['name']}（{tier['code']}）"
        out["assessment_expires"] = finance.assessment_expiry(record.assessment.assessed_on, policy).isoformat()
    account = record.account
    if account:
        snap = account.snapshot
        out["credit_line"] = fmt_yuan(account.credit_line)
        out["available"] = fmt_yuan(finance.available_quota(account.credit_line, snap))
        out["ratio"] = ratio_pct(snap.ratio) if snap.ratio else None
        out["zone"] = finance.zone(snap.ratio, policy)
        if account.open_call:
            out["margin_call_deadline"] = account.open_call.deadline.astimezone(clock.TZ).strftime("%Y-%m-%d %H:%M")
            out["margin_call_overdue"] = account.open_call.deadline < clock.now()
            out["cash_to_restore"] = fmt_yuan(finance.cash_to_restore(snap, policy.dec("margin_call.restore_to")))
            out["restore_to"] = line(policy, "margin_call.restore_to")  # named in the label of cash_to_restore
    return out


def rasa_hold(rasa_url: str):
    """The `pause` of services.handoff: asks Rasa to store the hold in the conversation's
    tracker and returns once it is stored (raises otherwise)."""

    def pause(sender_id: str, paused: bool) -> None:
        req = urllib.request.Request(
            rasa_url.rstrip("/") + "/webhooks/handoff/hold",
            data=json.dumps({"sender_id": sender_id, "paused": paused}).encode(),
            headers={"Content-Type": "application/json", "Authorization": "Bearer " + get_settings().action_secret},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=HOLD_TIMEOUT_S) as resp:
            stored = json.loads(resp.read().decode()).get("paused")
        if stored is not paused:
            raise RuntimeError(f"hold not stored for {sender_id}")

    return pause


def _int(value: Any, default: int, field: str) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Invalid(api_text.FIELD_NOT_INTEGER.format(field=field), field=field) from None


def _inbox_args(request: Request) -> Dict[str, Any]:
    args = request.args
    return {
        "view": args.get("view") or "all",
        "q": args.get("q") or "",
        "page": _int(args.get("page"), 1, "page"),
        "page_size": _int(args.get("page_size"), 20, "page_size"),
    }


@bp.get("/inbox")
@agents_only
async def inbox(request: Request):
    return response.json(await blocking(lambda: handoff.inbox(request.ctx.user, **_inbox_args(request))))


@bp.get("/stream")
async def stream(request: Request):
    """Server-sent events for the console: `inbox` (the page asked for) and `conversation`
    (the open hand-off, without the client's figures) whenever either changed."""
    # EventSource cannot send headers: the token comes in the query, checked like any other
    who = await blocking(current_staff, request.args.get("token"))
    if who is None:
        return error(staff_text.LOGIN_AGENT, 401)
    if who.role != "agent":
        return error(staff_text.NO_PERMISSION, 403)
    try:
        args = _inbox_args(request)
        handoff_id = _int(request.args.get("handoff"), 0, "handoff") or None
        await blocking(lambda: handoff.inbox(who.username, **args))  # bad arguments answer 400, not a broken stream
    except DomainError as exc:
        return response.json(exc.payload(), status=exc.status)
    resp = await request.respond(
        content_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    last: Dict[str, str] = {}
    loop = asyncio.get_running_loop()
    started = loop.time()
    await resp.send("retry: 1000\n\n")
    try:
        while loop.time() - started < STREAM_MAX_S:
            data = {"inbox": await blocking(lambda: handoff.inbox(who.username, **args))}
            if handoff_id:
                try:
                    detail = await blocking(handoff.handoff_detail, handoff_id)
                    data["conversation"] = detail
                except DomainError:
                    pass
            for event, payload in data.items():
                text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
                if last.get(event) != text:
                    last[event] = text
                    await resp.send(f"event: {event}\ndata: {text}\n\n")
            await asyncio.sleep(STREAM_INTERVAL_S)
    except Exception:  # the console went away (or the database did): the browser reconnects
        log.debug("agent stream ended", exc_info=True)
    await resp.eof()


@bp.get("/handoffs/<handoff_id:int>")
@agents_only
async def detail(request: Request, handoff_id: int):
    data = await blocking(handoff.handoff_detail, handoff_id)
    # figures only for a conversation waiting for an agent or held by this one: not for
    # closed ones or a colleague's (README, "Records and privacy")
    mine = data["state"] == "queued" or (data["state"] == "held" and data["agent"] == request.ctx.user)
    data["client"] = await blocking(client_figures, data["client_id"], request.ctx.user) if mine else None
    return response.json(data)


@bp.post("/handoffs/<handoff_id:int>/take")
@agents_only
async def take(request: Request, handoff_id: int):
    pause = rasa_hold(request.app.ctx.rasa_url)
    waited = await blocking(handoff.take, handoff_id, request.ctx.user, request.ctx.name, pause)
    metrics = getattr(request.app.ctx, "metrics", None)
    if metrics is not None and waited is not None:
        metrics.handoff_wait.observe(waited)
    return response.json({"ok": True})


@bp.post("/handoffs/<handoff_id:int>/send")
@agents_only
async def send(request: Request, handoff_id: int):
    text = inputs.text(body_of(request), "text", max_len=MAX_REPLY_CHARS, required=False, default="") or ""
    if not 0 < len(text) <= MAX_REPLY_CHARS:
        return error(staff_text.REPLY_EMPTY.format(max=MAX_REPLY_CHARS), field="text")
    await blocking(handoff.agent_say, handoff_id, request.ctx.user, text)
    return response.json({"ok": True})


@bp.post("/handoffs/<handoff_id:int>/typing")
@agents_only
async def typing(request: Request, handoff_id: int):
    await blocking(handoff.agent_typing, handoff_id, request.ctx.user)
    return response.json({"ok": True})


@bp.post("/handoffs/<handoff_id:int>/notes")
@agents_only
async def note(request: Request, handoff_id: int):
    text = str(body_of(request).get("text") or "")
    await blocking(handoff.add_note, handoff_id, request.ctx.user, request.ctx.name, text)
    return response.json({"ok": True})


@bp.post("/handoffs/<handoff_id:int>/transfer")
@agents_only
async def transfer(request: Request, handoff_id: int):
    name = await blocking(handoff.transfer, handoff_id, request.ctx.user, body_of(request).get("to"))
    return response.json({"ok": True, "to_name": name})


@bp.post("/handoffs/<handoff_id:int>/close")
@agents_only
async def close(request: Request, handoff_id: int):
    pause = rasa_hold(request.app.ctx.rasa_url)
    await blocking(handoff.close, handoff_id, request.ctx.user, pause)
    return response.json({"ok": True})


@bp.get("/agents")
@agents_only
async def agents(request: Request):
    return response.json([a for a in await blocking(handoff.agents) if a["username"] != request.ctx.user])


@bp.get("/canned")
@agents_only
async def canned(request: Request):
    return response.json(await blocking(handoff.canned_replies))


@bp.post("/canned")
@agents_only
async def canned_add(request: Request):
    body = body_of(request)
    reply_id = await blocking(handoff.save_canned, None, body.get("title"), body.get("body"), request.ctx.user)
    return response.json({"ok": True, "id": reply_id})


@bp.put("/canned/<reply_id:int>")
@agents_only
async def canned_edit(request: Request, reply_id: int):
    body = body_of(request)
    await blocking(handoff.save_canned, reply_id, body.get("title"), body.get("body"), request.ctx.user)
    return response.json({"ok": True, "id": reply_id})


@bp.delete("/canned/<reply_id:int>")
@agents_only
async def canned_delete(request: Request, reply_id: int):
    await blocking(handoff.delete_canned, reply_id)
    return response.json({"ok": True})


def _day(value: Any, default: date, field: str) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(api_text.FIELD_DATE.format(field=field), field=field) from None


@ratings_bp.get("/ratings")
@requires_staff(("editor", "reviewer"))
async def ratings(request: Request):
    """Clients' ratings of the agents' service, start to end inclusive (default: 30 days)."""
    today = clock.today()
    end = _day(request.args.get("end"), today, "end")
    start = _day(request.args.get("start"), end - timedelta(days=29), "start")
    if start > end:
        raise Invalid(api_text.START_AFTER_END, field="start")
    since = datetime.combine(start, time(0), clock.TZ)
    until = datetime.combine(end + timedelta(days=1), time(0), clock.TZ)
    return response.json(await blocking(handoff.ratings_summary, since, until))


@bp.post("/flags")
@agents_only
async def flag(request: Request):
    body = body_of(request)
    kind = inputs.text(body, "kind", max_len=16, required=False, default="")
    text = inputs.text(body, "text", max_len=2000, required=False, default="") or ""
    if kind not in ("wrong", "missing") or not text:
        return error(staff_text.FLAG_INVALID, field="kind" if text else "text")
    faq_id = inputs.text(body, "faq_id", max_len=64, required=False)
    note = inputs.text(body, "note", max_len=500, required=False, default="") or ""

    def store():
        with session_scope() as s:
            s.add(
                AgentFlag(
                    at=clock.now(),
                    agent=request.ctx.user,
                    kind=kind,
                    faq_id=faq_id,
                    text=text,
                    note=note,
                )
            )

    await blocking(store)
    return response.json({"ok": True})
