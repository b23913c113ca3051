"""HTTP API of the agents' console (/agent), on the pages server.

Agents log in with a staff account of role "agent" (client tokens and other roles
are refused). Viewing a client's figures is audit-logged with the agent's id.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from sanic import Blueprint, response
from sanic.request import Request

from core import clock, finance, inputs
from core.formatting import ratio_pct
from core.policy import fmt_yuan, get_policy
from services import handoff
from storage.content import AgentFlag
from storage.db import session_scope
from storage.repository import audit, load_client
from web.editor_api import blocking, body_of, error, requires_staff

log = logging.getLogger(__name__)
bp = Blueprint("agent_api", url_prefix="/api/agent")


agents_only = requires_staff(("agent",), "请先用客服账号登录。")


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
    out: Dict[str, Any] = {"client_id": record.id, "name": record.name}
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
            out["cash_to_restore"] = fmt_yuan(finance.cash_to_restore(snap, policy.dec("margin_call.restore_to")))
    return out


@bp.get("/inbox")
@agents_only
async def inbox(request: Request):
    return response.json(await blocking(handoff.inbox))


@bp.get("/handoffs/<handoff_id:int>")
@agents_only
async def detail(request: Request, handoff_id: int):
    data = await blocking(handoff.handoff_detail, handoff_id)
    data["client"] = await blocking(client_figures, data["client_id"], request.ctx.user)
    return response.json(data)


@bp.post("/handoffs/<handoff_id:int>/take")
@agents_only
async def take(request: Request, handoff_id: int):
    await blocking(handoff.take, handoff_id, request.ctx.user, request.ctx.name)
    return response.json({"ok": True})


@bp.post("/handoffs/<handoff_id:int>/send")
@agents_only
async def send(request: Request, handoff_id: int):
    text = inputs.text(body_of(request), "text", max_len=2000, required=False, default="") or ""
    if not 0 < len(text) <= 2000:
        return error("请输入回复内容（2000字以内）。", field="text")
    await blocking(handoff.agent_say, handoff_id, request.ctx.user, text)
    return response.json({"ok": True})


@bp.post("/handoffs/<handoff_id:int>/close")
@agents_only
async def close(request: Request, handoff_id: int):
    await blocking(handoff.close, handoff_id, request.ctx.user)
    return response.json({"ok": True})


@bp.post("/flags")
@agents_only
async def flag(request: Request):
    body = body_of(request)
    kind = inputs.text(body, "kind", max_len=16, required=False, default="")
    text = inputs.text(body, "text", max_len=2000, required=False, default="") or ""
    if kind not in ("wrong", "missing") or not text:
        return error("请说明是“建议有误”还是“缺少答案”，并附上客户的问题。", field="kind" if text else "text")
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
