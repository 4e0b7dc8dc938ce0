"""A finished job's results: summary, placements, routes as GeoJSON, route sheets, any stored
file; and the comparison of finished jobs. 409 while a job is not finished.

What a role may read follows the file: placements (and the report, which lists them) for panels
and planners; routes, route sheets and GeoPackages for transport teams (they carry the stops at
children's homes, which pickups need); the summary for every role that may see the job
(auth.PERMISSIONS).
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from sendplan.api.neutralise import restore
from sendplan.api.result_reader import (
    read_gpkg_schools,
    read_placements,
    read_summary,
    with_status_quo_notes,
)
from sendplan.api.service.auth import Principal, PrincipalDep, check, file_action, require
from sendplan.api.service.deps import SessionDep
from sendplan.api.service.problems import Problem, field_problem, not_found
from sendplan.api.service.routers.common import PROBLEM_RESPONSES, JobId, own_job
from sendplan.api.service.schemas import PlacementsOut
from sendplan.api.service.scratch import scratch_folder
from sendplan.api.service.tables import ACTIVE_STATUSES, JobRow, ResultFileRow
from sendplan.errors import InputError
from sendplan.routing.planning.compare import ResultView, compare

router = APIRouter(tags=["results"], responses={
    **PROBLEM_RESPONSES, 409: {"description": "The job is not finished"},
})  # fmt: skip

MAX_COMPARED = 10
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def finished_job(session: Session, principal: Principal, job_id: str) -> JobRow:
    job = own_job(session, principal, job_id)
    check(principal, f"job.{job.kind}")
    if job.status in ACTIVE_STATUSES:
        raise Problem(409, "not-finished", "Job not finished",
                      f"the job is {job.status}; results come when it has finished")  # fmt: skip
    return job


def result_file(session: Session, principal: Principal, job_id: str, name: str) -> ResultFileRow:
    """A stored file of a finished job of the caller's, if the role may read it."""
    job = finished_job(session, principal, job_id)
    check(principal, file_action(name, kind=job.kind))
    row = session.get(ResultFileRow, (job.id, name))
    if row is None:
        raise not_found(f"result file {name} for this job (status {job.status})")
    return row


def attachment(row: ResultFileRow) -> Response:
    filename = row.name.rsplit("/", 1)[-1]
    return Response(
        row.content, media_type=row.media_type or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )  # fmt: skip


@router.get("/jobs/{job_id}/summary", response_model=dict[str, Any])
def get_summary(job_id: JobId, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """summary.json of a finished job: the run's figures."""
    row = result_file(session, principal, job_id, "summary.json")
    value = json.loads(row.content.decode("utf-8"))
    if not isinstance(value, dict):
        raise Problem(500, "internal", "Internal error", "the stored summary is not an object")
    return value


@router.get("/jobs/{job_id}/placements", response_model=PlacementsOut)
def get_placements(job_id: JobId, session: SessionDep, principal: PrincipalDep) -> PlacementsOut:
    """placements.csv as JSON rows: each child by pseudonymous id, with school and reason."""
    row = result_file(session, principal, job_id, "placements.csv")
    reader = csv.reader(io.StringIO(row.content.decode("utf-8-sig")))
    header = next(reader, [])
    rows = [
        {column: restore(cell) for column, cell in zip(header, cells, strict=False)}
        for cells in reader
        if any(cells)
    ]
    return PlacementsOut(job_id=job_id, columns=header, rows=rows)


@router.get(
    "/jobs/{job_id}/routes.geojson",
    responses={200: {"content": {"application/geo+json": {}}, "description": "Routes"}},
)  # fmt: skip
def get_routes_geojson(job_id: JobId, session: SessionDep, principal: PrincipalDep) -> Response:
    """The routes as GeoJSON (transport and admin roles)."""
    row = result_file(session, principal, job_id, "routes.geojson")
    return Response(row.content, media_type="application/geo+json")


@router.get(
    "/jobs/{job_id}/route_sheets.xlsx",
    responses={200: {"content": {XLSX: {}}, "description": "Route sheets workbook"}},
)  # fmt: skip
def get_route_sheets(job_id: JobId, session: SessionDep, principal: PrincipalDep) -> Response:
    """The drivers' and escorts' route sheets as an .xlsx workbook."""
    return attachment(result_file(session, principal, job_id, "route_sheets.xlsx"))


@router.get(
    "/jobs/{job_id}/files/{name:path}",
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file"}},
)  # fmt: skip
def get_file(job_id: JobId, name: str, session: SessionDep, principal: PrincipalDep) -> Response:
    """Any stored result file of a finished job, as an attachment with its media type."""
    if not _NAME.fullmatch(name) or ".." in name:
        raise field_problem("name", "a result file name (letters, digits, . _ - /)")
    return attachment(result_file(session, principal, job_id, name))


@router.get("/compare", response_model=dict[str, Any])
def compare_jobs(
    session: SessionDep,
    jobs: Annotated[str, Query(max_length=33 * MAX_COMPARED,
                               description="comma-separated job ids; the first is the baseline")],
    principal: Annotated[Principal, require("compare")],
) -> dict[str, Any]:  # fmt: skip
    """Finished jobs side by side: every figure with its deltas, school fill, who moves."""
    ids = [part.strip() for part in jobs.split(",") if part.strip()]
    if not 2 <= len(ids) <= MAX_COMPARED or len(set(ids)) != len(ids):
        raise field_problem("jobs", f"give 2..{MAX_COMPARED} distinct job ids, comma-separated")
    if not all(re.fullmatch(r"[0-9a-f]{32}", job_id) for job_id in ids):
        raise field_problem("jobs", "each job id is 32 hex characters")
    views = [_view(session, principal, job_id) for job_id in ids]
    comparison = compare([view for view, _ in views], names=ids)
    own = [own_placement for _, own_placement in views]
    return with_status_quo_notes(comparison, own_placement=own).to_dict()


def _view(session: Session, principal: Principal, job_id: str) -> tuple[ResultView, bool]:
    """The job's comparable view, and whether it has a placement of its own."""
    job = own_job(session, principal, job_id)
    if job.status in ACTIVE_STATUSES:
        raise Problem(409, "not-finished", "Job not finished", f"job {job_id} is {job.status}")
    stored = {name: session.get(ResultFileRow, (job.id, name))
              for name in ("summary.json", "placements.csv")}  # fmt: skip
    # A transport job on current schools places no one: its schools (the status quo) are in
    # its results.gpkg, as ``sendplan compare`` reads a routes folder (only then is that
    # larger file loaded).
    if stored["placements.csv"] is None:
        stored["results.gpkg"] = session.get(ResultFileRow, (job.id, "results.gpkg"))
    on_current = stored.get("results.gpkg") is not None
    needed = ("summary.json", "results.gpkg" if on_current else "placements.csv")
    capacities = None
    with scratch_folder("compare") as tmp:
        for name in needed:
            row = stored[name]
            if row is None:
                raise field_problem("jobs", f"job {job_id} has no {name} to compare")
            (tmp / name).write_bytes(row.content)
        try:
            summary = read_summary(tmp / "summary.json", label=f"{job_id}/summary.json")
            if on_current and summary.get("placed") is None:
                schools, names, capacities = read_gpkg_schools(
                    tmp / "results.gpkg", label=f"{job_id}/results.gpkg"
                )
            elif on_current:
                raise InputError(f"{job_id}/placements.csv", "missing: the job placed children")
            else:
                schools, names = read_placements(
                    tmp / "placements.csv", label=f"{job_id}/placements.csv"
                )
        except InputError as err:
            raise field_problem("jobs", str(err)) from None
    view = ResultView(summary=summary, schools=schools, school_names=names, capacities=capacities)
    return view, not on_current
