"""A graceful stop re-queues the jobs in flight without using up an attempt, and a stale run of
the old attempt still stores nothing (SQLite and PostgreSQL); a job failed ``worker_lost`` keeps
its last progress. The real-process version is in test_durability_restart.py."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sendplan.api.service.jobs import (
    Attempt,
    claim_queued,
    create_job,
    finish_attempt,
    reap_expired,
    renew_lease,
    request_cancel,
    start_attempt,
)
from sendplan.api.service.leases import Claim, requeue_on_shutdown
from sendplan.api.service.tables import AuditRow, JobRow, ScenarioRow, utc_now

Maker = Callable[..., ScenarioRow]
BOTH = ("submitted", "running")


def _job(session: Session, scenario: ScenarioRow) -> JobRow:
    job, _ = create_job(
        session, tenant=scenario.tenant, scenario_id=scenario.id, kind="placement",
        params={"seed": 1}, actor="key1", idempotency_key=None, request_sha256="",
    )  # fmt: skip
    return job


def _fresh(session: Session, job_id: str) -> JobRow:
    return session.get_one(JobRow, job_id, populate_existing=True)


def _audit(session: Session, job_id: str) -> list[tuple[str, str | None]]:
    rows = session.scalars(select(AuditRow).where(AuditRow.job_id == job_id).order_by(AuditRow.id))
    return [(r.action, r.detail) for r in rows]


def _run(session: Session, job_id: str, owner: str) -> Attempt:
    (claim,) = claim_queued(session, limit=1, lease_s=30, actor="d")
    attempt = Attempt(job_id, claim.attempt, owner)
    assert start_attempt(session, attempt, lease_s=30) is not None
    return attempt


@pytest.mark.parametrize("stops", [1, 2, 5])
def test_graceful_stops_never_use_up_attempts(
    db_session: Session, scenario_maker: Maker, stops: int
):
    job = _job(db_session, scenario_maker(db_session))
    stale: list[Attempt] = []
    for stop in range(stops):
        attempt = _run(db_session, job.id, f"host:{100 + stop}")
        assert attempt.attempt == 1
        handled = requeue_on_shutdown(db_session, [_claim(attempt)], statuses=BOTH, actor="d")
        assert handled == [job.id]
        row = _fresh(db_session, job.id)
        assert (row.status, row.attempts, row.lease_owner, row.lease_expires_at) == (
            "queued", 0, None, None,
        )  # fmt: skip
        # Nothing expired: the reaper has nothing to count.
        assert reap_expired(db_session, max_attempts=1) == []
        stale.append(attempt)
    fresh = _run(db_session, job.id, "host:999")
    assert fresh.attempt == 1
    # The old runs (same attempt number, other owners) can neither renew nor store.
    for old in stale:
        assert renew_lease(db_session, old, lease_s=30, progress="{}") is None
        assert not finish_attempt(db_session, old, status="succeeded", reason=None, detail=None)
    assert finish_attempt(db_session, fresh, status="succeeded", reason=None, detail=None)
    assert _fresh(db_session, job.id).status == "succeeded"
    audit = _audit(db_session, job.id)
    requeues = [detail for action, detail in audit if action == "job.requeued"]
    assert requeues == ["shutdown attempt=1 (not counted)"] * stops
    assert not any("worker_lost" in (detail or "") for _, detail in audit)


def _claim(attempt: Attempt) -> Claim:
    """The dispatcher's view of an attempt."""
    return Claim(attempt.job_id, attempt.attempt)


def test_after_a_stop_a_real_loss_still_counts(db_session: Session, scenario_maker: Maker):
    job = _job(db_session, scenario_maker(db_session))
    first = _run(db_session, job.id, "host:1")
    requeue_on_shutdown(db_session, [_claim(first)], statuses=BOTH, actor="d")
    _run(db_session, job.id, "host:2")
    db_session.execute(
        update(JobRow)
        .where(JobRow.id == job.id)
        .values(lease_expires_at=utc_now() - dt.timedelta(seconds=5))
    )
    db_session.commit()
    assert reap_expired(db_session, max_attempts=1) == [job.id]
    row = _fresh(db_session, job.id)
    assert (row.status, row.reason, row.detail) == (
        "failed", "worker_lost", "the worker was lost 1 times",
    )  # fmt: skip


def test_external_cluster_stop_leaves_running_jobs_to_their_workers(
    db_session: Session, scenario_maker: Maker
):
    scenario = scenario_maker(db_session)
    running_job = _job(db_session, scenario)
    waiting_job = _job(db_session, scenario)
    running = _run(db_session, running_job.id, "host:1")
    (waiting,) = claim_queued(db_session, limit=1, lease_s=30, actor="d")
    handled = requeue_on_shutdown(
        db_session, [_claim(running), waiting], statuses=("submitted",), actor="d"
    )
    assert handled == [waiting_job.id]
    assert (_fresh(db_session, waiting_job.id).status, waiting.attempt) == ("queued", 1)
    assert _fresh(db_session, waiting_job.id).attempts == 0
    # The running job's worker lives on: it renews its lease and stores its results.
    assert renew_lease(db_session, running, lease_s=30, progress="{}") is False
    assert finish_attempt(db_session, running, status="succeeded", reason=None, detail=None)
    # The waiting job's old task, if the scheduler still starts it, finds nothing to run.
    old = Attempt(waiting_job.id, waiting.attempt, "host:3")
    assert start_attempt(db_session, old, lease_s=30) is None


def test_a_stop_after_a_cancel_request_cancels(db_session: Session, scenario_maker: Maker):
    job = _job(db_session, scenario_maker(db_session))
    attempt = _run(db_session, job.id, "host:1")
    request_cancel(db_session, _fresh(db_session, job.id), actor="k")
    assert requeue_on_shutdown(db_session, [_claim(attempt)], statuses=BOTH, actor="d") == [job.id]
    row = _fresh(db_session, job.id)
    assert (row.status, row.reason, row.attempts) == ("cancelled", "cancelled", 1)
    assert _audit(db_session, job.id)[-1][0] == "job.cancelled"


def test_a_finished_or_reclaimed_job_is_left_alone(db_session: Session, scenario_maker: Maker):
    job = _job(db_session, scenario_maker(db_session))
    attempt = _run(db_session, job.id, "host:1")
    assert finish_attempt(db_session, attempt, status="succeeded", reason=None, detail=None)
    assert requeue_on_shutdown(db_session, [_claim(attempt)], statuses=BOTH, actor="d") == []
    assert _fresh(db_session, job.id).status == "succeeded"


def test_worker_lost_keeps_the_last_progress(db_session: Session, scenario_maker: Maker):
    job = _job(db_session, scenario_maker(db_session))
    attempt = _run(db_session, job.id, "host:1")
    progress = json.dumps({"stage": "routing am", "best_cost_gbp": 123.45, "elapsed_s": 6.5})
    assert renew_lease(db_session, attempt, lease_s=30, progress=progress) is False
    db_session.execute(
        update(JobRow)
        .where(JobRow.id == job.id)
        .values(lease_expires_at=utc_now() - dt.timedelta(seconds=5))
    )
    db_session.commit()
    assert reap_expired(db_session, max_attempts=1) == [job.id]
    row = _fresh(db_session, job.id)
    assert row.reason == "worker_lost"
    assert json.loads(row.progress) == {"stage": "failed", "best_cost_gbp": 123.45,
                                        "elapsed_s": 6.5}  # fmt: skip
