"""The lease transitions of a job (see :mod:`sendplan.api.service.jobs` for the state machine):
the dispatcher claims queued jobs, keeps their leases while they wait in Dask and reaps expired
ones; the worker starts its attempt, renews the lease and finishes. Each transition is one
conditional UPDATE plus an audit row, committed together, so a stale or duplicate worker never
overwrites the attempt that holds the job.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sendplan.api.service.job_rows import SYSTEM, audit_job, progress_text, update_rows
from sendplan.api.service.tables import JobRow, ResultFileRow, utc_now


@dataclass(frozen=True)
class Claim:
    """A job the dispatcher moved to submitted: run attempt ``attempt`` of it."""

    job_id: str
    attempt: int


# --- the dispatcher's side ------------------------------------------------------------


def claim_queued(session: Session, *, limit: int, lease_s: float, actor: str) -> list[Claim]:
    """Move up to ``limit`` queued jobs, oldest first, to submitted with a lease and one more
    attempt; a job another dispatcher claimed first is skipped."""
    if limit <= 0:
        return []
    ids = session.scalars(
        select(JobRow.id).where(JobRow.status == "queued").order_by(JobRow.created_at).limit(limit)
    ).all()
    claims: list[Claim] = []
    for job_id in ids:
        now = utc_now()
        won = update_rows(
            session,
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status == "queued")
            .values(
                status="submitted",
                attempts=JobRow.attempts + 1,
                updated_at=now,
                lease_owner=None,
                lease_expires_at=now + dt.timedelta(seconds=lease_s),
                progress=progress_text("submitted"),
            ),
        )
        if won:
            job = session.get_one(JobRow, job_id, populate_existing=True)
            claims.append(Claim(job_id, job.attempts))
            audit_job(session, job, "job.submitted", actor, f"attempt={job.attempts}")
        session.commit()
    return claims


def renew_submitted(session: Session, claims: Iterable[Claim], *, lease_s: float) -> None:
    """Extend the lease of jobs still waiting in Dask for a worker (their futures are alive)."""
    expires = utc_now() + dt.timedelta(seconds=lease_s)
    for claim in claims:
        update_rows(
            session,
            update(JobRow)
            .where(
                JobRow.id == claim.job_id,
                JobRow.status == "submitted",
                JobRow.attempts == claim.attempt,
            )
            .values(lease_expires_at=expires),
        )
    session.commit()


def expire_lease(session: Session, claim: Claim) -> None:
    """End the lease of an attempt whose Dask task died (its worker was lost), so that the
    next :func:`reap_expired` handles it without waiting for the lease to run out."""
    update_rows(
        session,
        update(JobRow)
        .where(
            JobRow.id == claim.job_id,
            JobRow.status.in_(("submitted", "running")),
            JobRow.attempts == claim.attempt,
        )
        .values(lease_expires_at=utc_now() - dt.timedelta(seconds=1)),
    )
    session.commit()


def requeue_on_shutdown(
    session: Session, claims: Iterable[Claim], *, statuses: Sequence[str], actor: str
) -> list[str]:
    """Jobs this dispatcher held when the service stopped gracefully: back to queued at once,
    the attempt given back (a stop is not a lost worker, so it never leads to ``worker_lost``);
    a job whose cancel was requested is cancelled. Only ``statuses`` are touched: with an
    external cluster a running job's worker lives on and finishes it. Returns the ids handled.

    The attempt number is reused by the next claim; a stale run of the old attempt still
    cannot store anything, because the worker guard also needs the lease owner (``host:pid``),
    which the requeue clears and the next run sets to its own live process."""
    now = utc_now()
    handled: list[str] = []
    for claim in claims:
        cancel = session.scalar(select(JobRow.cancel_requested).where(JobRow.id == claim.job_id))
        if cancel:
            values: dict[str, Any] = {
                "status": "cancelled", "reason": "cancelled", "finished_at": now,
                "progress": progress_text("cancelled"),
            }  # fmt: skip
            action, detail = "job.cancelled", "service stopped after the cancel request"
        else:
            values = {"status": "queued", "attempts": JobRow.attempts - 1,
                      "progress": progress_text("queued")}  # fmt: skip
            action, detail = "job.requeued", f"shutdown attempt={claim.attempt} (not counted)"
        won = update_rows(
            session,
            update(JobRow)
            .where(
                JobRow.id == claim.job_id,
                JobRow.status.in_(tuple(statuses)),
                JobRow.attempts == claim.attempt,
            )
            .values(lease_owner=None, lease_expires_at=None, updated_at=now, **values),
        )
        if won:
            job = session.get_one(JobRow, claim.job_id, populate_existing=True)
            audit_job(session, job, action, actor, detail)
            handled.append(claim.job_id)
        session.commit()
    return handled


def _kept_progress(text: str | None, stage: str) -> str:
    """``text``'s best cost and elapsed time under a new stage (a lost job keeps what it had)."""
    try:
        old = json.loads(text or "{}")
    except ValueError:
        old = {}
    if not isinstance(old, dict):
        old = {}
    best = old.get("best_cost_gbp")
    elapsed = old.get("elapsed_s")
    return progress_text(
        stage,
        best_cost_gbp=float(best) if isinstance(best, int | float) else None,
        elapsed_s=float(elapsed) if isinstance(elapsed, int | float) else 0.0,
    )


def reap_expired(session: Session, *, max_attempts: int, actor: str = SYSTEM) -> list[str]:
    """Jobs whose lease expired (their worker or dispatcher was lost): re-queued while attempts
    remain, else failed with reason ``worker_lost``; a job whose cancel was requested is
    cancelled. Returns the ids handled."""
    now = utc_now()
    expired = session.execute(
        select(
            JobRow.id, JobRow.status, JobRow.attempts, JobRow.cancel_requested, JobRow.progress
        ).where(JobRow.status.in_(("submitted", "running")), JobRow.lease_expires_at < now)
    ).all()
    handled: list[str] = []
    for job_id, status, attempts, cancel, progress in expired:
        if cancel:
            values: dict[str, Any] = {
                "status": "cancelled",
                "reason": "cancelled",
                "finished_at": now,
                "progress": progress_text("cancelled"),
            }
            action, detail = "job.cancelled", "worker lost after the cancel request"
        elif attempts < max_attempts:
            values = {"status": "queued", "progress": progress_text("queued")}
            action, detail = "job.requeued", f"worker_lost attempt={attempts}"
        else:
            values = {"status": "failed", "reason": "worker_lost", "finished_at": now,
                      "detail": f"the worker was lost {attempts} times",
                      "progress": _kept_progress(progress, "failed")}  # fmt: skip
            action, detail = "job.failed", f"worker_lost attempt={attempts}"
        won = update_rows(
            session,
            update(JobRow)
            .where(
                JobRow.id == job_id,
                JobRow.status == status,
                JobRow.attempts == attempts,
                JobRow.lease_expires_at < now,
            )
            .values(lease_owner=None, lease_expires_at=None, updated_at=now, **values),
        )
        if won:
            audit_job(session, session.get_one(JobRow, job_id), action, actor, detail)
            handled.append(job_id)
        session.commit()
    return handled


# --- the worker's side ----------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One attempt at a job, as its worker holds it: the lease is valid while ``owner`` matches."""

    job_id: str
    attempt: int
    owner: str


def _mine(attempt: Attempt) -> Any:
    return (
        (JobRow.id == attempt.job_id)
        & (JobRow.status == "running")
        & (JobRow.attempts == attempt.attempt)
        & (JobRow.lease_owner == attempt.owner)
    )


def start_attempt(session: Session, attempt: Attempt, *, lease_s: float) -> JobRow | None:
    """Move the job from submitted to running under ``attempt.owner``'s lease; None when this
    attempt is stale (re-queued, finished, or another attempt started) or the job was cancelled
    before it started (then it is cancelled here)."""
    now = utc_now()
    won = update_rows(
        session,
        update(JobRow)
        .where(
            JobRow.id == attempt.job_id,
            JobRow.status == "submitted",
            JobRow.attempts == attempt.attempt,
        )
        .values(
            status="running",
            lease_owner=attempt.owner,
            started_at=now,
            updated_at=now,
            lease_expires_at=now + dt.timedelta(seconds=lease_s),
            progress=progress_text("starting"),
        ),
    )
    if not won:
        session.commit()
        return None
    job = session.get_one(JobRow, attempt.job_id, populate_existing=True)
    audit_job(session, job, "job.running", f"worker:{attempt.owner}", f"attempt={attempt.attempt}")
    session.commit()
    if job.cancel_requested:
        finish_attempt(session, attempt, status="cancelled", reason="cancelled", detail=None)
        return None
    return job


def renew_lease(
    session: Session, attempt: Attempt, *, lease_s: float, progress: str
) -> bool | None:
    """Extend the lease and store the progress; returns whether a cancel was requested, or None
    when the attempt no longer holds the job (it was reaped: stop and store nothing)."""
    now = utc_now()
    held = update_rows(
        session,
        update(JobRow)
        .where(_mine(attempt))
        .values(
            lease_expires_at=now + dt.timedelta(seconds=lease_s), updated_at=now, progress=progress
        ),
    )
    cancel = session.scalar(select(JobRow.cancel_requested).where(JobRow.id == attempt.job_id))
    session.commit()
    return bool(cancel) if held else None


def finish_attempt(
    session: Session,
    attempt: Attempt,
    *,
    status: str,
    reason: str | None,
    detail: str | None,
    files: Sequence[tuple[str, str, bytes]] = (),
    progress: str | None = None,
) -> bool:
    """End the attempt with ``status`` and store ``files`` (name, media type, bytes) in the same
    transaction; False (nothing stored) when the attempt no longer holds the job."""
    if status not in ("succeeded", "failed", "cancelled"):
        raise ValueError(f"not a final status: {status!r}")
    now = utc_now()
    values: dict[str, Any] = {
        "status": status,
        "reason": reason,
        "detail": detail,
        "finished_at": now,
        "updated_at": now,
        "lease_expires_at": None,
    }
    if progress is not None:
        values["progress"] = progress
    won = update_rows(session, update(JobRow).where(_mine(attempt)).values(**values))
    if not won:
        session.rollback()
        return False
    session.execute(delete(ResultFileRow).where(ResultFileRow.job_id == attempt.job_id))
    session.add_all(
        ResultFileRow(job_id=attempt.job_id, name=name, media_type=media, content=content)
        for name, media, content in files
    )
    job = session.get_one(JobRow, attempt.job_id, populate_existing=True)
    note = f"reason={reason}" if reason else None
    audit_job(session, job, f"job.{status}", f"worker:{attempt.owner}", note)
    session.commit()
    return True
