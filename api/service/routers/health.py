"""GET /health: no credentials, no data; says the web process is up."""

from __future__ import annotations

from importlib import metadata

from fastapi import APIRouter

from sendplan.api.service.schemas import HealthOut

router = APIRouter(tags=["health"])
# Read once: looking the version up scans the installed distributions (~0.3 ms a call).
VERSION = metadata.version("sendplan")


@router.get("/health", response_model=HealthOut)
async def health() -> HealthOut:  # async: no thread needed
    """The service is up."""
    return HealthOut(status="ok", version=VERSION)
