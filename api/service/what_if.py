"""What-if jobs in the service: a job's ``what_if`` checked against its stored scenario at
submission (422 naming the field, so a bad lock never reaches a worker), and what the UI
offers to change (schools, the policy weights with their current values and limits, and the
expansion options for roles that may run expansion).

The stored scenario is loaded as the workers load it, and kept (by content hash) for the next
submission; its options as an expansion job reads them (options.csv, else the shipped ones).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sendplan.api.loader import load_scenario
from sendplan.api.service.auth import Principal, allowed, check
from sendplan.api.service.problems import Problem, field_problem, not_found
from sendplan.api.service.scratch import scratch_folder
from sendplan.api.service.tables import JobRow, ScenarioFileRow, ScenarioRow
from sendplan.api.what_if_params import parse_what_if, scenario_options
from sendplan.errors import InputError
from sendplan.routing.model import Scenario
from sendplan.routing.planning.options import Option
from sendplan.routing.what_if_apply import POLICY_LIMITS, WhatIfError, apply_what_if

SOLVE_KINDS = ("placement", "transport", "both")
Loaded = tuple[Scenario, tuple[Option, ...] | None, str]


@lru_cache(maxsize=4)
def _load(content_sha256: str, blobs: tuple[tuple[str, bytes], ...]) -> Loaded:
    """The scenario, its options (None when they do not fit it) and why not ('' when they do)."""
    with scratch_folder("whatif") as folder:
        for name, content in blobs:
            if Path(name).name != name or name.startswith("."):
                raise InputError(name, "not a plain file name")
            (folder / name).write_bytes(content)
        books = [name for name, _ in blobs if name.lower().endswith(".xlsx")]
        source = folder / books[0] if len(blobs) == 1 and books else folder
        scenario = load_scenario(source)
        try:
            return scenario, scenario_options(source, scenario), ""
        except InputError as err:
            return scenario, None, err.message


def stored_scenario(session: Session, row: ScenarioRow) -> Loaded:
    """The scenario of ``row`` as a worker loads it, its expansion options and any problem
    with them."""
    files = session.scalars(select(ScenarioFileRow).where(ScenarioFileRow.scenario_id == row.id))
    blobs = tuple(sorted((f.name, f.content) for f in files))
    try:
        return _load(row.content_sha256, blobs)
    except InputError:  # the upload passed the loader, so this is ours: no input detail
        raise Problem(
            500, "internal", "Internal error", "the stored scenario is unreadable"
        ) from None


def check_what_if(
    session: Session, principal: Principal, row: ScenarioRow, document: dict[str, Any]
) -> None:
    """Problem (422 naming the field; 404 for a base job not the caller's; 403 for switching
    options without the right to run expansion) unless the what-if applies to the scenario."""
    what_if, base_job = parse_what_if(document)  # the schema checked it already: no error here
    if what_if.options:
        check(principal, "job.expansion")
    if base_job is not None:
        base = session.get(JobRow, base_job)
        if base is None or base.tenant != principal.tenant:
            raise not_found("job (what_if.base_job)")
        check(principal, f"job.{base.kind}")
        if base.scenario_id != row.id:
            raise field_problem("what_if.base_job", "is a job on another scenario")
        if base.kind not in SOLVE_KINDS:
            raise field_problem("what_if.base_job", f"is a {base.kind} job, not a solve job")
    scenario, options, why = stored_scenario(session, row)
    if what_if.options and options is None:
        raise field_problem("what_if.options", why)
    try:
        apply_what_if(scenario, what_if, options=options or ())
    except WhatIfError as err:
        raise field_problem(f"what_if.{err.field}", err.message) from None


def what_if_choices(session: Session, principal: Principal, row: ScenarioRow) -> dict[str, Any]:
    """What a what-if on this scenario may change: schools, policy weights (value and limits)
    and, for roles that may run expansion, the options with their places."""
    scenario, options, why = stored_scenario(session, row)
    policy = scenario.policy
    body: dict[str, Any] = {
        "scenario_id": row.id,
        "schools": [
            {"school_id": s.school_id, "name": s.name, "capacity": s.capacity, "in_area": s.in_area}
            for s in sorted(scenario.schools, key=lambda s: s.school_id)
        ],
        "policy": [
            {"name": name, "value": getattr(policy, name), "min": low, "max": high}
            for name, (low, high) in POLICY_LIMITS.items()
        ],
    }
    if allowed(principal.role, "job.expansion"):
        body["options"] = [
            {"option_id": o.option_id, "name": o.name, "places": o.places,
             "school_id": o.school_id, "requires": o.requires,
             "exclusive_group": o.exclusive_group}
            for o in options or ()
        ]  # fmt: skip
        if options is None:
            body["options_note"] = why
    return body
