"""Jobs: start one on a scenario (202 + Location, Idempotency-Key), poll, cancel, list.

Jobs only get queued here; the dispatcher hands them to worker processes (never this one).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session

from sendplan.api.service.auth import PERMISSIONS, Principal, PrincipalDep, check
from sendplan.api.service.changes_jobs import (
    check_changes_base,
    check_changes_csv,
    check_contracts_csv,
)
from sendplan.api.service.deps import in_session, write_lock_of
from sendplan.api.service.group_commit import JobWriter
from sendplan.api.service.jobs import IdempotencyConflict, request_cancel
from sendplan.api.service.problems import Problem, field_problem
from sendplan.api.service.routers.common import (
    PROBLEM_RESPONSES,
    JobId,
    ScenarioId,
    check_own_scenario,
    file_names,
    job_out,
    own_job,
    own_job_fields,
    own_scenario,
)
from sendplan.api.service.schemas import (
    JobKind,
    JobListOut,
    JobOut,
    JobParamsIn,
    JobStatus,
    next_page,
    request_sha256,
)
from sendplan.api.service.tables import FINISHED_STATUSES, JobRow
from sendplan.api.service.what_if import check_what_if

router = APIRouter(tags=["jobs"], responses=PROBLEM_RESPONSES)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key", max_length=200, pattern=r"^[\x21-\x7e]+$",
        description="Same key and body: the same job; same key, another body: 422.",
    ),
]  # fmt: skip


async def json_body(request: Request) -> None:  # async: no thread needed
    """415 for a body that is not JSON (a form, plain text), before the body is read as one."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type != "application/json" and not content_type.endswith("+json"):
        raise Problem(415, "unsupported-media-type", "Unsupported media type",
                      "send the job's parameters as application/json")  # fmt: skip


def visible_kinds(principal: Principal) -> list[str]:
    """The job kinds the caller's role may see."""
    return [k for k in PERMISSIONS if k.startswith("job.") and principal.role in PERMISSIONS[k]]


@router.post(
    "/scenarios/{scenario_id}/jobs", status_code=202, response_model=JobOut,
    responses={200: {"model": JobOut, "description": "The job made before with this key"},
               415: {"description": "The body is not application/json"}},
    dependencies=[Depends(json_body)],
)  # fmt: skip
async def create_scenario_job(
    request: Request,
    scenario_id: ScenarioId,
    params: JobParamsIn,
    response: Response,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    """Queue a job on a scenario: 202 with Location /jobs/{id} (200 for a repeated key)."""
    check(principal, f"job.{params.kind}")
    if (misfit := params.misfit()) is not None:
        raise field_problem(*misfit)
    stored = params.stored()
    writer: JobWriter = request.app.state.job_writer
    if params.changes_csv is not None:
        await run_in_threadpool(check_changes_csv, params.changes_csv)
    if params.contracts_csv is not None:
        await run_in_threadpool(check_contracts_csv, params.contracts_csv)

    def queue(session: Session) -> tuple[JobOut, bool]:
        if params.what_if is not None:
            scenario = own_scenario(session, principal, scenario_id)
            check_what_if(session, principal, scenario, params.what_if)
        else:
            check_own_scenario(session, principal, scenario_id)
        if params.base_job is not None:
            check_changes_base(session, principal, scenario_id, params.base_job)
        job, created = writer.create_job(
            session, tenant=principal.tenant, scenario_id=scenario_id, kind=params.kind,
            params=stored, actor=principal.key_id, idempotency_key=idempotency_key,
            request_sha256=request_sha256(scenario_id, stored),
        )  # fmt: skip
        return job_out(job, file_names(session, [job])[job.id]), created

    try:
        # Not limited to DB_THREADS: a submission mostly waits for the write lock, asleep.
        job, created = await in_session(request, queue, limited=False)
    except IdempotencyConflict:
        raise field_problem(
            "Idempotency-Key",
            "was used before with a different request; use a new key",
            kind="idempotency-conflict",
        ) from None
    response.status_code = 202 if created else 200
    response.headers["Location"] = f"/jobs/{job.id}"
    return job


@router.get("/jobs/{job_id}", response_model=JobOut)
async def get_job(request: Request, job_id: JobId, principal: PrincipalDep) -> JobOut:
    """A job's status, reason, progress (stage, best cost so far, elapsed) and attempts."""

    def read(session: Session) -> JobOut:
        job = own_job_fields(session, principal, job_id)
        check(principal, f"job.{job.kind}")
        return job_out(job, file_names(session, [job])[job.id])

    return await in_session(request, read)


@router.post(
    "/jobs/{job_id}/cancel", status_code=202, response_model=JobOut,
    responses={409: {"description": "The job has finished"}},
)  # fmt: skip
async def cancel_job(request: Request, job_id: JobId, principal: PrincipalDep) -> JobOut:
    """Cancel: a queued job at once; a running one stops and keeps its best plan so far; a
    finished one is 409."""
    write_lock = write_lock_of(request)

    def cancel(session: Session) -> JobOut:
        job = own_job(session, principal, job_id)
        check(principal, f"job.{job.kind}")
        if job.status in FINISHED_STATUSES:
            raise Problem(409, "finished", "Job finished", f"the job has finished ({job.status})")
        with write_lock:
            job = request_cancel(session, job, actor=principal.key_id)
        return job_out(job, file_names(session, [job])[job.id])

    return await in_session(request, cancel)


@router.get("/jobs", response_model=JobListOut)
async def list_jobs(
    request: Request,
    principal: PrincipalDep,
    status: JobStatus | None = None,
    kind: JobKind | None = None,
    scenario_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> JobListOut:
    """Your authority's jobs of the kinds your role may see, newest first; ``next`` is the URL
    of the following page while there is one."""
    kinds = [k.removeprefix("job.") for k in visible_kinds(principal)]
    query = select(JobRow).where(JobRow.tenant == principal.tenant, JobRow.kind.in_(kinds))
    if status is not None:
        query = query.where(JobRow.status == status)
    if kind is not None:
        query = query.where(JobRow.kind == kind)
    if scenario_id is not None:
        query = query.where(JobRow.scenario_id == scenario_id)
    query = query.order_by(JobRow.created_at.desc(), JobRow.id).offset(offset).limit(limit + 1)

    def read(session: Session) -> JobListOut:
        rows = list(session.scalars(query))
        link = next_page(request.url, offset=offset, limit=limit, more=len(rows) > limit)
        rows = rows[:limit]
        names = file_names(session, rows)
        return JobListOut(items=[job_out(row, names[row.id]) for row in rows], next=link)

    return await in_session(request, read)
