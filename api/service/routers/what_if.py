"""What-if routes for the UI: what a what-if on a scenario may change, and a finished job's
deltas against its base job (the figures side by side, the children whose school changed with
their change in journey and cost, the must-admit notes, and the what-if applied).

The deltas reuse :func:`sendplan.routing.planning.compare.compare` on the two jobs' stored
summary.json and placements.csv. Both jobs must be the caller's authority's (another's is 404)
and of kinds the role may see; the per-child list needs ``results.placements``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from sendplan.api.neutralise import restore
from sendplan.api.service.auth import Principal, PrincipalDep, allowed, check
from sendplan.api.service.deps import SessionDep
from sendplan.api.service.problems import Problem, field_problem
from sendplan.api.service.routers.common import (
    ID_PATTERN,
    PROBLEM_RESPONSES,
    JobId,
    ScenarioId,
    own_job,
    own_scenario,
)
from sendplan.api.service.tables import ACTIVE_STATUSES, JobRow, ResultFileRow
from sendplan.api.service.what_if import SOLVE_KINDS, what_if_choices
from sendplan.routing.planning.compare import ResultView, compare

router = APIRouter(tags=["what-if"], responses={
    **PROBLEM_RESPONSES, 409: {"description": "A job is not finished or has no results"},
})  # fmt: skip

KPI_KEYS = (
    "placement_cost_gbp_per_year", "placed", "placed_in_area", "placed_out_of_area", "unplaced",
    "mean_travel_min", "max_travel_min", "first_preference_met", "transport_cost_gbp_per_year",
    "routes",
)  # fmt: skip
"""The figures the deltas show, in order (those neither job has are left out)."""

Row = dict[str, str]
BaseQuery = Annotated[
    str | None, Query(pattern=ID_PATTERN, description="the base job; default: what_if.base_job")
]


@router.get("/scenarios/{scenario_id}/what-if", response_model=dict[str, Any])
def get_what_if_choices(
    scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """What a what-if on this scenario may change: its schools, the policy weights (current
    value and limits) and, for roles that may run expansion, the expansion options."""
    check(principal, "scenario.read")
    if not any(allowed(principal.role, f"job.{kind}") for kind in SOLVE_KINDS):
        raise Problem(403, "forbidden", "Forbidden",
                      f"role {principal.role} may run no solve job")  # fmt: skip
    return what_if_choices(session, principal, own_scenario(session, principal, scenario_id))


@router.get("/jobs/{job_id}/deltas", response_model=dict[str, Any])
def get_deltas(
    job_id: JobId,
    session: SessionDep,
    principal: PrincipalDep,
    base: BaseQuery = None,
) -> dict[str, Any]:
    """The job's figures and placements against its base job's: each figure with its delta,
    each child whose school changed (old and new school, change in journey minutes and yearly
    cost), the must-admit effects, the locked children past a school's places and the what-if
    applied."""
    check(principal, "results.placements")
    job = _finished(session, principal, job_id, "job")
    if base is None:
        what_if = json.loads(job.params or "{}").get("what_if") or {}
        base = what_if.get("base_job") if isinstance(what_if, dict) else None
        if not isinstance(base, str):
            raise field_problem("base", "give the base job's id (this job names none)")
    if base == job.id:
        raise field_problem("base", "is this job itself")
    base_job = _finished(session, principal, base, "base job")
    summaries = [_json(session, j, "summary.json") for j in (base_job, job)]
    rows = [_placements(session, j) for j in (base_job, job)]
    views = [ResultView(summary=s, schools={c: r["school_id"] or None for c, r in p.items()},
                        school_names={r["school_id"]: r["school_name"] for r in p.values()
                                      if r["school_id"]})
             for s, p in zip(summaries, rows, strict=True)]  # fmt: skip
    comparison = compare(views, names=(base_job.id, job.id))
    kpis = []
    for key in KPI_KEYS:
        try:
            row = comparison.kpi(key)
        except KeyError:
            continue
        if any(v is not None for v in row.values):
            kpis.append({"key": key, "base": row.values[0], "value": row.values[1],
                         "delta": row.deltas[1]})  # fmt: skip
    names = {**views[0].school_names, **views[1].school_names}
    stored = _stored(session, job, "what_if.json")
    what_if = json.loads(stored.decode("utf-8")) if stored is not None else None
    site = _sites(what_if)
    changed = [
        _changed(
            c.child_id, c.change, rows[0].get(c.child_id), rows[1].get(c.child_id), names, site
        )
        for c in comparison.changes
    ]
    return {
        "job_id": job.id,
        "base_job_id": base_job.id,
        "kpis": kpis,
        "changed_children": changed,
        # A move between a school and its expansion's places is no change of school.
        "changed_counts": {
            k: sum(1 for c in changed if c["change"] == k and not c["same_site"])
            for k in sorted({c["change"] for c in changed if not c["same_site"]})
        },
        "same_site_moves": sum(1 for c in changed if c["same_site"]),
        "must_admit_effects": summaries[1].get("must_admit_effects") or {},
        # Locks are the council's decision, so the placement keeps them even past a school's
        # places: how many over, per school (a warning, not a refusal).
        "locked_over_capacity_by_school": summaries[1].get("locked_over_capacity_by_school") or {},
        "what_if": what_if,
    }


def _finished(session: Session, principal: Principal, job_id: str, what: str) -> JobRow:
    job = own_job(session, principal, job_id)
    check(principal, f"job.{job.kind}")
    if job.status in ACTIVE_STATUSES:
        raise Problem(409, "not-finished", "Job not finished", f"the {what} is {job.status}")
    if job.kind not in SOLVE_KINDS:
        raise field_problem("base" if what == "base job" else "job_id",
                            f"is a {job.kind} job; deltas compare placement runs")  # fmt: skip
    return job


def _stored(session: Session, job: JobRow, name: str) -> bytes | None:
    row = session.get(ResultFileRow, (job.id, name))
    return None if row is None else row.content


def _json(session: Session, job: JobRow, name: str) -> dict[str, Any]:
    content = _stored(session, job, name)
    if content is None:
        raise Problem(409, "no-results", "No results", f"job {job.id} ({job.status}) has no {name}")
    value = json.loads(content.decode("utf-8"))
    return value if isinstance(value, dict) else {}


def _placements(session: Session, job: JobRow) -> dict[str, Row]:
    content = _stored(session, job, "placements.csv")
    if content is None:
        raise Problem(409, "no-results", "No results",
                      f"job {job.id} ({job.status}) has no placements.csv")  # fmt: skip
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    return {
        restore(r.get("child_id") or ""): {k: restore(v or "") for k, v in r.items() if k}
        for r in reader
        if r.get("child_id")
    }


def _number(row: Row | None, key: str) -> float | None:
    try:
        value = float((row or {}).get(key) or "nan")
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _sites(what_if: Any) -> dict[str, str]:
    """School id -> the site it is on: each expansion option switched on at an existing school
    (what_if.json's options) is on that school's site; others are their own."""
    options = what_if.get("options") if isinstance(what_if, dict) else None
    if not isinstance(options, dict):
        return {}
    return {
        str(option_id): str(option["school_id"])
        for option_id, option in options.items()
        if isinstance(option, dict) and option.get("on") and option.get("school_id")
    }


def _changed(
    child_id: str,
    change: str,
    before: Row | None,
    after: Row | None,
    names: dict[str, str],
    site: dict[str, str],
) -> dict[str, Any]:
    def delta(key: str, scale: float, digits: int) -> float | None:
        old, new = _number(before, key), _number(after, key)
        return None if old is None or new is None else round((new - old) / scale, digits)

    old_school = (before or {}).get("school_id") or None
    new_school = (after or {}).get("school_id") or None
    return {
        "child_id": child_id,
        "change": change,
        "from_school_id": old_school,
        "from_school_name": names.get(old_school or "", ""),
        "to_school_id": new_school,
        "to_school_name": names.get(new_school or "", ""),
        "delta_travel_min": delta("travel_s", 60.0, 1),
        "delta_cost_gbp": delta("annual_cost_gbp", 1.0, 0),
        "same_site": old_school is not None
        and new_school is not None
        and site.get(old_school, old_school) == site.get(new_school, new_school),
    }
