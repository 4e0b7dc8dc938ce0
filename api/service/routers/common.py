"""What the routers share: id path parameters, tenant-scoped look-ups (another tenant's object is
404, never 403) and rows as response models."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Annotated, Any, cast

from fastapi import Path
from sqlalchemy import Row, Table, bindparam, select
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


# Plain SELECTs built once, for the routes clients call most (polling a job, submitting one):
# a row without an ORM object costs half as much to fetch.
_JOBS = cast(Table, JobRow.__table__)
_JOB_BY_ID = select(_JOBS).where(_JOBS.c.id == bindparam("id"))
_SCENARIOS = cast(Table, ScenarioRow.__table__)
_SCENARIO_TENANT = select(_SCENARIOS.c.tenant).where(_SCENARIOS.c.id == bindparam("id"))


def own_job_fields(session: Session, principal: Principal, job_id: str) -> Row[Any]:
    """:func:`own_job` as a read-only row (its columns as attributes)."""
    row = session.connection().execute(_JOB_BY_ID, {"id": job_id}).one_or_none()
    if row is None or row.tenant != principal.tenant:
        raise not_found("job")
    return row


def check_own_scenario(session: Session, principal: Principal, scenario_id: str) -> None:
    """404 unless the scenario exists and is the principal's (:func:`own_scenario` without
    loading it)."""
    tenant = session.connection().execute(_SCENARIO_TENANT, {"id": scenario_id}).scalar()
    if tenant is None or tenant != principal.tenant:
        raise not_found("scenario")


def scenario_out(row: ScenarioRow) -> ScenarioOut:
    return ScenarioOut(
        id=row.id, name=row.name, created_at=row.created_at, children=row.children,
        schools=row.schools, vehicles=row.vehicles, content_sha256=row.content_sha256,
    )  # fmt: skip


def file_names(session: Session, jobs: Iterable[JobRow | Row[Any]]) -> dict[str, list[str]]:
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


def job_out(row: JobRow | Row[Any], files: list[str]) -> JobOut:
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
