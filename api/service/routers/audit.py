"""GET /audit: the audit trail of your authority (admins only), newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from sendplan.api.service.auth import Principal, require
from sendplan.api.service.deps import SessionDep
from sendplan.api.service.routers.common import ID_PATTERN, PROBLEM_RESPONSES
from sendplan.api.service.schemas import AuditListOut, AuditOut, next_page
from sendplan.api.service.tables import AuditRow

router = APIRouter(tags=["audit"], responses=PROBLEM_RESPONSES)


@router.get("/audit", response_model=AuditListOut)
def list_audit(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require("audit.read")],
    scenario_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    job_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    action: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_.]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
) -> AuditListOut:
    """Who did what and when (scenario and job ids, no personal data); ``next`` is the URL of
    the following page while there is one."""
    query = select(AuditRow).where(AuditRow.tenant == principal.tenant)
    if scenario_id is not None:
        query = query.where(AuditRow.scenario_id == scenario_id)
    if job_id is not None:
        query = query.where(AuditRow.job_id == job_id)
    if action is not None:
        query = query.where(AuditRow.action == action)
    rows = list(session.scalars(query.order_by(AuditRow.id.desc()).offset(offset).limit(limit + 1)))
    link = next_page(request.url, offset=offset, limit=limit, more=len(rows) > limit)
    return AuditListOut(items=[
        AuditOut(id=r.id, at=r.at, actor=r.actor, action=r.action, scenario_id=r.scenario_id,
                 job_id=r.job_id, detail=r.detail)
        for r in rows[:limit]
    ], next=link)  # fmt: skip
