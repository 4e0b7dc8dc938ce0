"""Pieces shared by the job modules: the audit row, the progress text, and an UPDATE that says
whether it won (how every transition detects a concurrent one)."""

from __future__ import annotations

import json
from typing import Any, cast

from sqlalchemy import CursorResult, Update
from sqlalchemy.orm import Session

from sendplan.api.service.tables import AuditRow, JobRow, utc_now

SYSTEM = "system"


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
    """Add an audit row to the session's transaction (committed with the change it records)."""
    session.add(
        AuditRow(
            at=utc_now(),
            tenant=tenant,
            actor=actor,
            action=action,
            scenario_id=scenario_id,
            job_id=job_id,
            detail=detail,
        )
    )


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
