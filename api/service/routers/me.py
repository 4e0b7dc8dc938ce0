"""``GET /me``: who the caller is and what their role may do, so a client (the web UI) can offer
only the actions the API would allow. The API still checks every call; this only informs."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from sendplan.api.service.auth import PERMISSIONS, PrincipalDep, allowed
from sendplan.api.service.routers.common import PROBLEM_RESPONSES

router = APIRouter(tags=["me"], responses=PROBLEM_RESPONSES)


class MeOut(BaseModel):
    """The caller's authority, role and allowed actions (names as in auth.PERMISSIONS)."""

    tenant: str
    role: str
    actions: list[str]


@router.get("/me", response_model=MeOut)
async def get_me(principal: PrincipalDep) -> MeOut:
    """The caller's tenant (local authority), role and the actions that role allows."""
    actions = sorted(action for action in PERMISSIONS if allowed(principal.role, action))
    return MeOut(tenant=principal.tenant, role=principal.role, actions=actions)
