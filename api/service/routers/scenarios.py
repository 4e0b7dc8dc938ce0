"""Scenarios: upload (CSV files, an .xlsx workbook or JSON), list, metadata, delete.

Metadata only ever: counts, name, dates. A scenario's rows are stored for the workers and never
returned.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from sendplan.api.service.auth import Principal, require
from sendplan.api.service.deps import SessionDep, SettingsDep
from sendplan.api.service.jobs import audit_job, record_audit
from sendplan.api.service.problems import Problem
from sendplan.api.service.routers.common import (
    PROBLEM_RESPONSES,
    ScenarioId,
    own_scenario,
    scenario_out,
)
from sendplan.api.service.schemas import ScenarioListOut, ScenarioOut, next_page
from sendplan.api.service.tables import (
    ACTIVE_STATUSES,
    JobRow,
    ResultFileRow,
    ScenarioFileRow,
    ScenarioRow,
)
from sendplan.api.service.uploads import (
    Limits,
    Upload,
    load_folder_upload,
    load_json_upload,
    load_workbook_upload,
    upload_problem,
)

router = APIRouter(tags=["scenarios"], responses=PROBLEM_RESPONSES)

MAX_FILES = 6
_FILE = {"type": "string", "format": "binary"}
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"type": "object"}},
                    "schools": {"type": "array", "items": {"type": "object"}},
                    "fleet": {"type": "array", "items": {"type": "object"}},
                    "policy": {"type": "object"},
                    "as_of": {"type": "string"},
                },
                "required": ["schools", "children"],
            }},
            "multipart/form-data": {"schema": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "files": {"type": "array", "items": _FILE, "description":
                              "children.csv, schools.csv, fleet.csv, policy.toml, scenario.toml "
                              "(by file name), or one .xlsx workbook"},
                },
                "required": ["files"],
            }},
        },
    }
}  # fmt: skip


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _load_json(raw: bytes, limits: Limits) -> Upload:
    try:
        document = json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        raise upload_problem("body", f"not valid JSON ({err.msg}, line {err.lineno})") from None
    except (ValueError, RecursionError) as err:
        message = str(err) if isinstance(err, ValueError) else "nested too deeply"
        raise upload_problem("body", f"not valid JSON ({message[:80]})") from None
    return load_json_upload(document, limits=limits)


async def read_upload(request: Request, limits: Limits, max_bytes: int) -> Upload:
    """The request's scenario, by content type, loaded (in a thread) by the CLI's loader."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        raw = await request.body()
        # Parsing megabytes of JSON is work: off the event loop, with the loading.
        return await run_in_threadpool(_load_json, raw, limits)
    if content_type == "multipart/form-data":
        return await _read_multipart(request, limits, max_bytes)
    raise Problem(
        415,
        "unsupported-media-type",
        "Unsupported media type",
        "send multipart/form-data (CSV files or an .xlsx workbook) or application/json",
    )


async def _read_multipart(request: Request, limits: Limits, max_bytes: int) -> Upload:
    try:
        form = await request.form(
            max_files=MAX_FILES, max_fields=MAX_FILES, max_part_size=max_bytes
        )
    except MultiPartException as err:
        raise upload_problem("body", f"not valid multipart form data ({err.message})") from None
    name: str | None = None
    files: dict[str, bytes] = {}
    try:
        for field, value in form.multi_items():
            if isinstance(value, UploadFile):
                file = (value.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
                if not file:
                    raise upload_problem(field, "a file part needs a file name", field=field)
                if file in files:
                    raise upload_problem(file, "sent twice")
                files[file] = await value.read()
            elif field == "name":
                name = value
            else:
                raise upload_problem("body", "unknown form field; use files and name",
                                     field=field[:60])  # fmt: skip
    finally:
        await form.close()
    workbooks = [file for file in files if file.lower().endswith(".xlsx")]
    if workbooks:
        if len(files) > 1:
            raise upload_problem(workbooks[0], "send one .xlsx workbook alone, or CSV files")
        file = workbooks[0]
        return await run_in_threadpool(load_workbook_upload, file, files[file], name=name,
                                       limits=limits)  # fmt: skip
    if not files:
        raise upload_problem(
            "body",
            "no files: send schools.csv and children.csv (and optionally fleet.csv, "
            "policy.toml, scenario.toml, options.csv) or a workbook",
        )
    return await run_in_threadpool(load_folder_upload, files, name=name, limits=limits)


def _store(session: Session, principal: Principal, upload: Upload) -> ScenarioRow:
    scenario = upload.scenario
    row = ScenarioRow(
        tenant=principal.tenant, name=scenario.name, created_by=principal.key_id,
        children=len(scenario.children), schools=len(scenario.schools),
        vehicles=sum(v.available for v in scenario.fleet), content_sha256=upload.content_sha256,
    )  # fmt: skip
    session.add(row)
    session.flush()
    session.add_all(
        ScenarioFileRow(scenario_id=row.id, name=name, content=content)
        for name, content in upload.files.items()
    )
    record_audit(session, tenant=principal.tenant, actor=principal.key_id,
                 action="scenario.create", scenario_id=row.id,
                 detail=f"children={row.children} schools={row.schools}")  # fmt: skip
    session.commit()
    return row


@router.post(
    "/scenarios", status_code=201, response_model=ScenarioOut, openapi_extra=UPLOAD_BODY,
    responses={415: {"description": "Not multipart or JSON"}},
)  # fmt: skip
async def create_scenario(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, require("scenario.create")],
) -> ScenarioOut:
    """Upload a scenario; it is checked by the same loader as the CLI (422 names file/row/field)."""
    limits = Limits(max_children=settings.max_children, max_vehicles=settings.max_vehicles)
    upload = await read_upload(request, limits, settings.max_request_bytes)
    row = await run_in_threadpool(_store, session, principal, upload)
    response.headers["Location"] = f"/scenarios/{row.id}"
    return scenario_out(row)


@router.get("/scenarios", response_model=ScenarioListOut)
def list_scenarios(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require("scenario.read")],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ScenarioListOut:
    """Your authority's scenarios, newest first; ``next`` is the URL of the following page
    while there is one."""
    rows = list(
        session.scalars(
            select(ScenarioRow)
            .where(ScenarioRow.tenant == principal.tenant)
            .order_by(ScenarioRow.created_at.desc(), ScenarioRow.id)
            .offset(offset)
            .limit(limit + 1)
        )
    )
    link = next_page(request.url, offset=offset, limit=limit, more=len(rows) > limit)
    return ScenarioListOut(items=[scenario_out(row) for row in rows[:limit]], next=link)


@router.get("/scenarios/{scenario_id}", response_model=ScenarioOut)
def get_scenario(
    scenario_id: ScenarioId,
    session: SessionDep,
    principal: Annotated[Principal, require("scenario.read")],
) -> ScenarioOut:
    """A scenario's metadata (counts, name, date): never its rows."""
    return scenario_out(own_scenario(session, principal, scenario_id))


@router.delete("/scenarios/{scenario_id}", status_code=204, response_class=Response)
def delete_scenario(
    scenario_id: ScenarioId, session: SessionDep,
    principal: Annotated[Principal, require("scenario.delete")],
) -> Response:  # fmt: skip
    """Delete a scenario with its jobs and results (audited; each job still active gets its
    ``job.cancelled`` row, reason ``scenario_deleted``, as its end)."""
    row = own_scenario(session, principal, scenario_id)
    jobs = select(JobRow.id).where(JobRow.scenario_id == row.id)
    job_count = session.scalar(select(func.count()).select_from(jobs.subquery())) or 0
    active = session.scalars(
        select(JobRow).where(JobRow.scenario_id == row.id, JobRow.status.in_(ACTIVE_STATUSES))
    ).all()
    for job in active:  # a running job's worker finds its row gone and stores nothing
        audit_job(session, job, "job.cancelled", principal.key_id, "reason=scenario_deleted")
    # Explicit deletes: the same on every backend, whatever the foreign-key setting.
    session.execute(delete(ResultFileRow).where(ResultFileRow.job_id.in_(jobs)))
    session.execute(delete(JobRow).where(JobRow.scenario_id == row.id))
    session.execute(delete(ScenarioFileRow).where(ScenarioFileRow.scenario_id == row.id))
    session.execute(delete(ScenarioRow).where(ScenarioRow.id == row.id))
    record_audit(
        session,
        tenant=principal.tenant,
        actor=principal.key_id,
        action="scenario.delete",
        scenario_id=row.id,
        detail=f"jobs={job_count}",
    )
    session.commit()
    return Response(status_code=204)
