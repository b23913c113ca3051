"""HTTP API of the compliance team: one client's data on request (export) and erasure,
and the audit chain's check. Staff accounts of role "compliance" only; every export and
erasure is audit-logged with the staff member's id.

    GET  /api/records/clients/<id>/export   → everything held about the client (JSON)
    POST /api/records/clients/<id>/erase    → what was removed, what is kept and why
    GET  /api/records/audit/verify          → {"ok", "checked", "broken_id", "reason"}
"""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request

from core.texts import staff as staff_text
from services.records.audit import verify_chain
from services.records.subject import erase_client, export_client, record_export
from storage.db import session_scope
from web.editor_api import blocking, requires_staff

bp = Blueprint("records_api", url_prefix="/api/records")
compliance_only = requires_staff(("compliance",), staff_text.LOGIN_COMPLIANCE)


@bp.get("/clients/<client_id>/export")
@compliance_only
async def export(request: Request, client_id: str):
    def run():
        with session_scope() as s:
            data = export_client(s, client_id)
            record_export(s, client_id, request.ctx.user)
            return data

    data = await blocking(run)
    return response.json(data, headers={"Content-Disposition": f'attachment; filename="{client_id}.json"'})


@bp.post("/clients/<client_id>/erase")
@compliance_only
async def erase(request: Request, client_id: str):
    def run():
        with session_scope() as s:
            return erase_client(s, client_id, request.ctx.user).as_dict()

    return response.json(await blocking(run))


@bp.get("/audit/verify")
@compliance_only
async def audit_verify(request: Request):
    def run():
        with session_scope() as s:
            return verify_chain(s)

    result = await blocking(run)
    return response.json(
        {"ok": result.ok, "checked": result.checked, "broken_id": result.broken_id, "reason": result.reason}
    )
