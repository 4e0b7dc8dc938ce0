"""Checks on a changes job at submission: its base job, its CHANGES.csv and CONTRACTS.csv texts.

A changes job re-plans the routes of an earlier routed job of the same scenario after mid-year
changes (``job_kinds._changes``). Submission refuses what would only fail in a worker: a base
job that is not the caller's (404), on another scenario, of a kind without routes, unfinished or
without routes.json (422 on ``base_job``); a changes or contracts file the reader refuses (422
on ``changes_csv`` or ``contracts_csv`` naming its row and field, as `sendplan routes --changes`
and ``--contracts`` do).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from sendplan.api.changes_file import read_changes
from sendplan.api.contracts import read_contracts
from sendplan.api.service.auth import Principal, check
from sendplan.api.service.problems import field_problem, not_found
from sendplan.api.service.schemas import ROUTED_KINDS
from sendplan.api.service.scratch import scratch_folder
from sendplan.api.service.tables import JobRow, ResultFileRow
from sendplan.errors import InputError


def check_changes_csv(changes_csv: str) -> None:
    """Problem unless ``changes_csv`` reads as CHANGES.csv (no database: a long file takes a
    while, so routes check it in the thread pool before opening a session)."""
    _check_csv(changes_csv, "changes_csv", "changes.csv", read_changes)


def check_contracts_csv(contracts_csv: str) -> None:
    """Problem unless ``contracts_csv`` reads as CONTRACTS.csv (as ``check_changes_csv``)."""
    _check_csv(contracts_csv, "contracts_csv", "contracts.csv", read_contracts)


def _check_csv(text: str, field: str, name: str, read: Callable[[Path], object]) -> None:
    """Problem on ``field`` unless ``read`` takes ``text`` as the file ``name`` (which errors
    name, with the row and field)."""
    with scratch_folder("changes") as folder:
        path = folder / name
        path.write_text(text, encoding="utf-8", newline="")
        try:
            read(path)
        except InputError as err:
            raise field_problem(field, str(err)) from None


def check_changes_base(
    session: Session, principal: Principal, scenario_id: str, base_job: str
) -> None:
    """Problem unless ``base_job`` has routes to re-plan on this scenario."""
    base = session.get(JobRow, base_job)
    if base is None or base.tenant != principal.tenant:
        raise not_found("job (base_job)")
    check(principal, f"job.{base.kind}")
    if base.scenario_id != scenario_id:
        raise field_problem("base_job", "is a job on another scenario")
    if base.kind not in ROUTED_KINDS:
        raise field_problem("base_job", f"is a {base.kind} job, which plans no routes")
    if base.status != "succeeded" or session.get(ResultFileRow, (base.id, "routes.json")) is None:
        raise field_problem("base_job", f"is {base.status}: it has no routes.json to re-plan")
