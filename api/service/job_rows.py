"""Pieces shared by the job modules: the audit row, the progress text, a new job's row, and an
UPDATE that says whether it won (how every transition detects a concurrent one)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Table, Update, insert
from sqlalchemy.orm import Session, make_transient_to_detached

from sendplan.api.service.tables import AuditRow, JobRow, new_id, utc_now

SYSTEM = "system"
# Plain INSERTs, built once: an audit row is written with every state change and a job row with
# every submission (the service's busiest write), and the ORM's unit of work cost several times
# as much per row (nothing is needed back from the rows).
_INSERT_AUDIT = insert(cast(Table, AuditRow.__table__))
_INSERT_JOB = insert(cast(Table, JobRow.__table__))


def record_audit(
    session: Session,
    *,
    tenant: str,
    actor: str,
    action: str,
    scenario_id: str | None = None,
    job_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Write an audit row in the session's transaction (committed with the change it records,
    or rolled back with it)."""
    session.connection().execute(
        _INSERT_AUDIT,
        {"at": utc_now(), "tenant": tenant, "actor": actor, "action": action,
         "scenario_id": scenario_id, "job_id": job_id, "detail": detail},
    )  # fmt: skip


def progress_text(stage: str, *, best_cost_gbp: float | None = None, elapsed_s: float = 0.0) -> str:
    """The progress column: ``{"stage", "best_cost_gbp", "elapsed_s"}`` as JSON."""
    return json.dumps(
        {"stage": stage, "best_cost_gbp": best_cost_gbp, "elapsed_s": round(elapsed_s, 3)},
        sort_keys=True,
    )


def update_rows(session: Session, statement: Update) -> int:
    """Run an UPDATE; the number of rows it changed (0: another process won the transition)."""
    result = session.execute(statement)
    return int(cast(CursorResult[Any], result).rowcount)


def audit_job(session: Session, job: JobRow, action: str, actor: str, detail: str | None) -> None:
    """Add an audit row about ``job`` (tenant, scenario and job ids from the row)."""
    record_audit(
        session, tenant=job.tenant, actor=actor, action=action, scenario_id=job.scenario_id,
        job_id=job.id, detail=detail,
    )  # fmt: skip


def new_job_values(
    *,
    tenant: str,
    scenario_id: str,
    kind: str,
    params: dict[str, Any],
    actor: str,
    idempotency_key: str | None,
    request_sha256: str,
) -> dict[str, Any]:
    """Every column of a new queued job (a fresh id)."""
    now = utc_now()
    return {
        "id": new_id(), "tenant": tenant, "scenario_id": scenario_id, "kind": kind,
        "params": json.dumps(params, sort_keys=True), "status": "queued", "reason": None,
        "detail": None, "idempotency_key": idempotency_key, "request_sha256": request_sha256,
        "created_by": actor, "created_at": now, "updated_at": now, "started_at": None,
        "finished_at": None, "attempts": 0, "lease_owner": None, "lease_expires_at": None,
        "progress": progress_text("queued"), "cancel_requested": False,
    }  # fmt: skip


def insert_new_jobs(session: Session, jobs: Sequence[dict[str, Any]]) -> None:
    """INSERT the jobs (:func:`new_job_values`) and a ``job.create`` audit row for each, in the
    session's transaction (not committed here)."""
    connection = session.connection()
    connection.execute(_INSERT_JOB, list(jobs))
    connection.execute(
        _INSERT_AUDIT,
        [{"at": job["created_at"], "tenant": job["tenant"], "actor": job["created_by"],
          "action": "job.create", "scenario_id": job["scenario_id"], "job_id": job["id"],
          "detail": f"kind={job['kind']}"} for job in jobs],
    )  # fmt: skip


def stored_job(values: dict[str, Any]) -> JobRow:
    """The job row inserted with ``values``, as if loaded (detached; no query)."""
    job = JobRow(**values)
    make_transient_to_detached(job)
    return job
