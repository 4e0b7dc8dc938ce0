"""What the routers share: id path parameters, tenant-scoped look-ups (another tenant's object is
404, never 403) and rows as response models."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Path
from sqlalchemy import select
from sqlalchemy.orm import Session

from sendplan.api.service.auth import Principal
from sendplan.api.service.problems import PROBLEM_RESPONSES, not_found
from sendplan.api.service.schemas import JobOut, ProgressOut, ScenarioOut
from sendplan.api.service.tables import ACTIVE_STATUSES, JobRow, ResultFileRow, ScenarioRow

ID_PATTERN = r"^[0-9a-f]{32}$"
ScenarioId = Annotated[str, Path(pattern=ID_PATTERN, description="32-hex scenario id")]
JobId = Annotated[str, Path(pattern=ID_PATTERN, description="32-hex job id")]
KeyId = Annotated[str, Path(pattern=ID_PATTERN, description="32-hex API key id")]

__all__ = ["PROBLEM_RESPONSES", "JobId", "KeyId", "ScenarioId"]


def own_scenario(session: Session, principal: Principal, scenario_id: str) -> ScenarioRow:
    row = session.get(ScenarioRow, scenario_id)
    if row is None or row.tenant != principal.tenant:
        raise not_found("scenario")
    return row


def own_job(session: Session, principal: Principal, job_id: str) -> JobRow:
    row = session.get(JobRow, job_id)
    if row is None or row.tenant != principal.tenant:
        raise not_found("job")
    return row


def scenario_out(row: ScenarioRow) -> ScenarioOut:
    return ScenarioOut(
        id=row.id, name=row.name, created_at=row.created_at, children=row.children,
        schools=row.schools, vehicles=row.vehicles, content_sha256=row.content_sha256,
    )  # fmt: skip


def file_names(session: Session, jobs: Iterable[JobRow]) -> dict[str, list[str]]:
    """Each job's stored result file names, sorted (only finished jobs have files)."""
    rows = list(jobs)
    names: dict[str, list[str]] = {job.id: [] for job in rows}
    ids = [job.id for job in rows if job.status not in ACTIVE_STATUSES]
    if ids:
        found = session.execute(
            select(ResultFileRow.job_id, ResultFileRow.name)
            .where(ResultFileRow.job_id.in_(ids))
            .order_by(ResultFileRow.name)
        )
        for job_id, name in found:
            names[job_id].append(name)
    return names


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def job_out(row: JobRow, files: list[str]) -> JobOut:
    progress = _json_object(row.progress)
    return JobOut(
        id=row.id, scenario_id=row.scenario_id, kind=row.kind,  # type: ignore[arg-type]
        status=row.status,  # type: ignore[arg-type]
        reason=row.reason, detail=row.detail, params=_json_object(row.params),
        progress=ProgressOut(
            stage=progress.get("stage"), best_cost_gbp=progress.get("best_cost_gbp"),
            elapsed_s=progress.get("elapsed_s"),
        ),
        attempts=row.attempts, cancel_requested=row.cancel_requested,
        created_at=row.created_at, updated_at=row.updated_at, started_at=row.started_at,
        finished_at=row.finished_at, files=files,
    )  # fmt: skip
