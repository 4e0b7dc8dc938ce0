"""The job state machine: every transition is one conditional UPDATE plus an audit row, committed
together, so concurrent web requests, dispatchers and workers never both win a transition.

::

    queued --claim--> submitted --start--> running --finish--> succeeded | failed | cancelled
      ^                   |                   |
      +------ reap (lease expired, attempts < max_attempts) --+--> failed (worker_lost)
    queued --request_cancel--> cancelled;  submitted/running: cancel_requested, the worker stops
    submitted/running --requeue_on_shutdown (graceful stop; the attempt is given back)--> queued

A submitted or running job holds a lease (``lease_expires_at``): the dispatcher renews it while
the job waits in Dask, the worker's heartbeat while it runs. A job whose lease expires is
re-queued, or failed with reason ``worker_lost`` once it has had ``max_attempts`` attempts, so
no job stays running for ever and none is lost. The lease transitions live in
:mod:`sendplan.api.service.leases`. Every function here that changes a job commits its session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sendplan.api.service.job_rows import (
    SYSTEM,
    audit_job,
    insert_new_jobs,
    new_job_values,
    progress_text,
    record_audit,
    stored_job,
    update_rows,
)

# The lease transitions, importable from here too (the state machine's other half).
from sendplan.api.service.leases import (
    Attempt,
    Claim,
    claim_queued,
    expire_lease,
    finish_attempt,
    reap_expired,
    renew_lease,
    renew_submitted,
    requeue_on_shutdown,
    start_attempt,
)
from sendplan.api.service.tables import (
    ACTIVE_STATUSES,
    JOB_KINDS,
    JobRow,
    ResultFileRow,
    ScenarioFileRow,
    ScenarioRow,
    utc_now,
)


class IdempotencyConflict(Exception):
    """The idempotency key was used before with a different request body."""

    def __init__(self, job_id: str) -> None:
        super().__init__("Idempotency-Key was used before with a different request")
        self.job_id = job_id


def _by_key(session: Session, tenant: str, key: str) -> JobRow | None:
    return session.scalar(
        select(JobRow).where(JobRow.tenant == tenant, JobRow.idempotency_key == key)
    )


def _same_request(job: JobRow, request_sha256: str) -> tuple[JobRow, bool]:
    if job.request_sha256 != request_sha256:
        raise IdempotencyConflict(job.id)
    return job, False


def existing_job(
    session: Session, *, tenant: str, kind: str, idempotency_key: str | None,
    request_sha256: str, **_: Any,
) -> tuple[JobRow, bool] | None:  # fmt: skip
    """What :func:`create_job` answers without writing: ValueError for an unknown kind; the job
    made before with the same key and request (``created`` False), or IdempotencyConflict with
    another request; None when a new job is to be made."""
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    if idempotency_key is not None and (found := _by_key(session, tenant, idempotency_key)):
        return _same_request(found, request_sha256)
    return None


def create_job(
    session: Session,
    *,
    tenant: str,
    scenario_id: str,
    kind: str,
    params: dict[str, Any],
    actor: str,
    idempotency_key: str | None,
    request_sha256: str,
) -> tuple[JobRow, bool]:
    """A new queued job, or the job made before with the same idempotency key and request
    (``created`` False); the same key with another request raises :class:`IdempotencyConflict`."""
    found = existing_job(session, tenant=tenant, kind=kind, idempotency_key=idempotency_key,
                         request_sha256=request_sha256)  # fmt: skip
    if found is not None:
        return found
    values = new_job_values(
        tenant=tenant, scenario_id=scenario_id, kind=kind, params=params, actor=actor,
        idempotency_key=idempotency_key, request_sha256=request_sha256,
    )  # fmt: skip
    try:
        insert_new_jobs(session, [values])  # the job and its audit row: one transaction
        session.commit()
    except IntegrityError:
        # A concurrent request with the same key won the insert: answer with its job.
        session.rollback()
        if idempotency_key is None or (winner := _by_key(session, tenant, idempotency_key)) is None:
            raise
        return _same_request(winner, request_sha256)
    # Attached to the session as if loaded, so callers can go on with it (request_cancel
    # refreshes it).
    job = stored_job(values)
    session.add(job)
    return job, True


def request_cancel(session: Session, job: JobRow, *, actor: str) -> JobRow:
    """Cancel ``job``: a queued job at once; a submitted or running one is flagged and its worker
    stops the search, keeping the best plan so far. A finished job is left as it is."""
    now = utc_now()
    cancelled = update_rows(
        session,
        update(JobRow)
        .where(JobRow.id == job.id, JobRow.status == "queued")
        .values(
            status="cancelled",
            reason="cancelled",
            finished_at=now,
            updated_at=now,
            cancel_requested=True,
            progress=progress_text("cancelled"),
        ),
    )
    if cancelled:
        audit_job(session, job, "job.cancel_requested", actor, None)
        audit_job(session, job, "job.cancelled", actor, None)
    elif update_rows(
        session,
        update(JobRow)
        .where(
            JobRow.id == job.id,
            JobRow.status.in_(("submitted", "running")),
            JobRow.cancel_requested.is_(False),
        )
        .values(cancel_requested=True, updated_at=now),
    ):
        audit_job(session, job, "job.cancel_requested", actor, None)
    session.commit()
    session.refresh(job)
    return job


def purge_expired(session: Session, *, retention_days: int, actor: str = SYSTEM) -> int:
    """Delete scenarios (with their files, jobs and results) uploaded more than
    ``retention_days`` ago and with no job still active; one ``purge`` audit row per tenant.
    Returns the number of scenarios deleted."""
    cutoff = utc_now() - dt.timedelta(days=retention_days)
    active = select(JobRow.scenario_id).where(JobRow.status.in_(ACTIVE_STATUSES))
    old = session.execute(
        select(ScenarioRow.id, ScenarioRow.tenant).where(
            ScenarioRow.created_at < cutoff, ScenarioRow.id.not_in(active)
        )
    ).all()
    if not old:
        return 0
    ids = [scenario_id for scenario_id, _ in old]
    tenants: dict[str, int] = {}
    for _, tenant in old:
        tenants[tenant] = tenants.get(tenant, 0) + 1
    for chunk in _chunks(ids, 500):
        # Explicit deletes rather than relying on ON DELETE CASCADE alone: the same on every
        # backend, whatever a connection's foreign-key setting.
        jobs = select(JobRow.id).where(JobRow.scenario_id.in_(chunk))
        session.execute(delete(ResultFileRow).where(ResultFileRow.job_id.in_(jobs)))
        session.execute(delete(JobRow).where(JobRow.scenario_id.in_(chunk)))
        session.execute(delete(ScenarioFileRow).where(ScenarioFileRow.scenario_id.in_(chunk)))
        session.execute(delete(ScenarioRow).where(ScenarioRow.id.in_(chunk)))
    for tenant, count in sorted(tenants.items()):
        record_audit(
            session, tenant=tenant, actor=actor, action="purge",
            detail=f"scenarios={count} older than {retention_days} days",
        )  # fmt: skip
    session.commit()
    return len(ids)


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


__all__ = [
    "SYSTEM", "Attempt", "Claim", "IdempotencyConflict", "audit_job", "claim_queued", "create_job",
    "existing_job", "expire_lease", "finish_attempt", "progress_text", "purge_expired",
    "reap_expired", "record_audit", "renew_lease", "renew_submitted", "request_cancel",
    "requeue_on_shutdown", "start_attempt",
    "update_rows",
]  # fmt: skip
