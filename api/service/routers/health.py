"""GET /health: no credentials, no data; says the web process is up."""

from __future__ import annotations

from importlib import metadata

from fastapi import APIRouter

from sendplan.api.service.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
def health() -> HealthOut:
    """The service is up."""
    return HealthOut(status="ok", version=metadata.version("sendplan"))
