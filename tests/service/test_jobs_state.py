"""The job state machine on SQLite and PostgreSQL: idempotency, cancel, claim, start, lease
renewal, the reaper, finishing, purge, and an audit row for each transition."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from sendplan.api.service.db import session_factory
from sendplan.api.service.jobs import (
    Attempt,
    IdempotencyConflict,
    claim_queued,
    create_job,
    expire_lease,
    finish_attempt,
    purge_expired,
    reap_expired,
    renew_lease,
    request_cancel,
    start_attempt,
)
from sendplan.api.service.tables import AuditRow, JobRow, ResultFileRow, ScenarioRow, utc_now

Maker = Callable[..., ScenarioRow]


def _job(session: Session, scenario: ScenarioRow, *, key: str | None = None, body: str = "a"):
    job, _ = create_job(
        session, tenant=scenario.tenant, scenario_id=scenario.id, kind="placement",
        params={"seed": 1}, actor="key1", idempotency_key=key, request_sha256=body * 64,
    )  # fmt: skip
    return job


def _actions(session: Session, job_id: str) -> list[str]:
    rows = session.scalars(select(AuditRow).where(AuditRow.job_id == job_id).order_by(AuditRow.id))
    return [r.action for r in rows]


def _expire(session: Session, job_id: str) -> None:
    """The lease ran out (as if its holder stopped renewing it a while ago)."""
    past = utc_now() - dt.timedelta(seconds=5)
    session.execute(update(JobRow).where(JobRow.id == job_id).values(lease_expires_at=past))
    session.commit()


def _fresh(session: Session, job_id: str) -> JobRow:
    return session.get_one(JobRow, job_id, populate_existing=True)


def test_create_job_is_queued_with_an_audit_row(db_session: Session, scenario_maker: Maker):
    job = _job(db_session, scenario_maker(db_session))
    assert (job.status, job.attempts, job.cancel_requested) == ("queued", 0, False)
    assert json.loads(job.params) == {"seed": 1}
    assert json.loads(job.progress)["stage"] == "queued"
    assert _actions(db_session, job.id) == ["job.create"]
    assert job.created_at.tzinfo is not None


def test_idempotency_same_key_same_body_same_job(db_session: Session, scenario_maker: Maker):
    scenario = scenario_maker(db_session)
    first = _job(db_session, scenario, key="k1")
    again, created = create_job(
        db_session, tenant=scenario.tenant, scenario_id=scenario.id, kind="placement",
        params={"seed": 1}, actor="key1", idempotency_key="k1", request_sha256="a" * 64,
    )  # fmt: skip
    assert (again.id, created) == (first.id, False)
    with pytest.raises(IdempotencyConflict) as caught:
        _job(db_session, scenario, key="k1", body="b")
    assert caught.value.job_id == first.id
    # Without a key, or under another key or tenant, the same body makes a new job.
    assert _job(db_session, scenario).id != first.id
    assert _job(db_session, scenario, key="k2").id != first.id
    other = scenario_maker(db_session, tenant="855")
    assert _job(db_session, other, key="k1").id != first.id
    assert db_session.scalars(select(JobRow)).all().__len__() == 4


def test_unknown_kind_is_refused(db_session: Session, scenario_maker: Maker):
    scenario = scenario_maker(db_session)
    with pytest.raises(ValueError, match="kind"):
        create_job(
            db_session, tenant="856", scenario_id=scenario.id, kind="nonsense", params={},
            actor="k", idempotency_key=None, request_sha256="",
        )  # fmt: skip


def test_cancel_queued_job_is_cancelled_at_once(db_session: Session, scenario_maker: Maker):
    job = _job(db_session, scenario_maker(db_session))
    job = request_cancel(db_session, job, actor="key2")
    assert (job.status, job.reason, job.finished_at is not None) == ("cancelled", "cancelled", True)
    assert claim_queued(db_session, limit=5, lease_s=2, actor="d") == []
    assert _actions(db_session, job.id) == ["job.create", "job.cancel_requested", "job.cancelled"]
    # A second cancel of a finished job changes nothing and audits nothing.
    request_cancel(db_session, job, actor="key2")
    assert len(_actions(db_session, job.id)) == 3


def test_cancel_running_job_flags_it_for_the_worker(db_session: Session, scenario_maker: Maker):
    job = _job(db_session, scenario_maker(db_session))
    (claim,) = claim_queued(db_session, limit=5, lease_s=30, actor="d")
    attempt = Attempt(job.id, claim.attempt, "host:1")
    assert start_attempt(db_session, attempt, lease_s=30) is not None
    job = request_cancel(db_session, job, actor="key2")
    assert (job.status, job.cancel_requested) == ("running", True)
    assert renew_lease(db_session, attempt, lease_s=30, progress="{}") is True


def test_cancel_before_start_cancels_at_start(db_session: Session, scenario_maker: Maker):
    job = _job(db_session, scenario_maker(db_session))
    (claim,) = claim_queued(db_session, limit=5, lease_s=30, actor="d")
    request_cancel(db_session, job, actor="key2")
    assert start_attempt(db_session, Attempt(job.id, claim.attempt, "h:1"), lease_s=30) is None
    assert (_fresh(db_session, job.id).status, _fresh(db_session, job.id).reason) == (
        "cancelled",
        "cancelled",
    )


def test_claim_start_finish_happy_path(db_session: Session, scenario_maker: Maker):
    job = _job(db_session, scenario_maker(db_session))
    (claim,) = claim_queued(db_session, limit=5, lease_s=30, actor="dispatcher")
    assert claim.attempt == 1
    assert _fresh(db_session, job.id).status == "submitted"
    assert claim_queued(db_session, limit=5, lease_s=30, actor="dispatcher") == []
    stale = Attempt(job.id, claim.attempt + 1, "host:1")
    assert start_attempt(db_session, stale, lease_s=30) is None
    attempt = Attempt(job.id, claim.attempt, "host:1")
    running = start_attempt(db_session, attempt, lease_s=30)
    assert running is not None and running.lease_owner == "host:1"
    assert start_attempt(db_session, attempt, lease_s=30) is None  # a duplicate task
    assert renew_lease(db_session, attempt, lease_s=30, progress='{"stage": "x"}') is False
    other = Attempt(job.id, claim.attempt, "host:2")
    assert renew_lease(db_session, other, lease_s=30, progress="{}") is None
    assert not finish_attempt(db_session, other, status="succeeded", reason=None, detail=None)
    files = [("summary.json", "application/json", b"{}")]
    assert finish_attempt(
        db_session, attempt, status="succeeded", reason=None, detail=None, files=files
    )
    done = _fresh(db_session, job.id)
    assert (done.status, done.finished_at is not None, done.lease_expires_at) == (
        "succeeded",
        True,
        None,
    )
    stored = db_session.scalars(select(ResultFileRow).where(ResultFileRow.job_id == job.id)).all()
    assert [(f.name, f.content) for f in stored] == [("summary.json", b"{}")]
    assert _actions(db_session, job.id) == [
        "job.create", "job.submitted", "job.running", "job.succeeded",
    ]  # fmt: skip


@pytest.mark.parametrize("max_attempts", [1, 2, 3])
def test_reaper_requeues_until_attempts_run_out(
    db_session: Session, scenario_maker: Maker, max_attempts: int
):
    job = _job(db_session, scenario_maker(db_session))
    for attempt_no in range(1, max_attempts + 1):
        (claim,) = claim_queued(db_session, limit=1, lease_s=30, actor="d")
        assert claim.attempt == attempt_no
        attempt = Attempt(job.id, claim.attempt, f"host:{attempt_no}")
        assert start_attempt(db_session, attempt, lease_s=30) is not None
        assert reap_expired(db_session, max_attempts=max_attempts) == []  # lease still valid
        _expire(db_session, job.id)
        assert reap_expired(db_session, max_attempts=max_attempts) == [job.id]
        row = _fresh(db_session, job.id)
        if attempt_no < max_attempts:
            assert (row.status, row.lease_owner) == ("queued", None)
        else:
            assert (row.status, row.reason) == ("failed", "worker_lost")
        # The lost worker, if it comes back, can store nothing.
        assert renew_lease(db_session, attempt, lease_s=30, progress="{}") is None
        assert not finish_attempt(db_session, attempt, status="succeeded", reason=None, detail=None)
    actions = _actions(db_session, job.id)
    assert actions.count("job.requeued") == max_attempts - 1
    assert actions[-1] == "job.failed"


def test_reaper_handles_a_submitted_job_whose_dispatcher_was_lost(
    db_session: Session, scenario_maker: Maker
):
    job = _job(db_session, scenario_maker(db_session))
    (claim,) = claim_queued(db_session, limit=1, lease_s=30, actor="d")
    expire_lease(db_session, claim)
    assert reap_expired(db_session, max_attempts=2) == [job.id]
    assert _fresh(db_session, job.id).status == "queued"


def test_reaper_cancels_a_lost_job_whose_cancel_was_requested(
    db_session: Session, scenario_maker: Maker
):
    job = _job(db_session, scenario_maker(db_session))
    (claim,) = claim_queued(db_session, limit=1, lease_s=30, actor="d")
    start_attempt(db_session, Attempt(job.id, claim.attempt, "h:1"), lease_s=30)
    request_cancel(db_session, job, actor="k")
    _expire(db_session, job.id)
    reap_expired(db_session, max_attempts=5)
    assert (_fresh(db_session, job.id).status, _fresh(db_session, job.id).reason) == (
        "cancelled",
        "cancelled",
    )


def test_concurrent_dispatchers_claim_each_job_once(db_engine: Engine, scenario_maker: Maker):
    factory = session_factory(db_engine)
    with factory() as session:
        scenario = scenario_maker(session)
        ids = {_job(session, scenario).id for _ in range(12)}
    claims: list[str] = []
    lock = threading.Lock()

    def dispatcher(name: str) -> None:
        with factory() as session:
            while got := claim_queued(session, limit=3, lease_s=30, actor=name):
                with lock:
                    claims.extend(c.job_id for c in got)

    threads = [threading.Thread(target=dispatcher, args=(f"d{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claims) == sorted(ids)


def test_purge_deletes_old_scenarios_with_their_jobs_and_results(
    db_session: Session, scenario_maker: Maker
):
    old_at = utc_now() - dt.timedelta(days=31)
    old = scenario_maker(db_session, files={"children.csv": b"x"}, created_at=old_at)
    busy = scenario_maker(db_session, created_at=old_at)
    young = scenario_maker(db_session, created_at=utc_now() - dt.timedelta(days=29))
    done = _job(db_session, old)
    (claim,) = claim_queued(db_session, limit=1, lease_s=30, actor="d")
    attempt = Attempt(done.id, claim.attempt, "h:1")
    start_attempt(db_session, attempt, lease_s=30)
    finish_attempt(
        db_session, attempt, status="succeeded", reason=None, detail=None,
        files=[("a.csv", "text/csv", b"1")],
    )  # fmt: skip
    _job(db_session, busy)  # queued: still active, so its scenario is kept
    _job(db_session, young)
    assert purge_expired(db_session, retention_days=30) == 1
    left = set(db_session.scalars(select(ScenarioRow.id)).all())
    assert left == {busy.id, young.id}
    assert db_session.get(JobRow, done.id) is None
    assert db_session.scalars(select(ResultFileRow)).all() == []
    purges = db_session.scalars(select(AuditRow).where(AuditRow.action == "purge")).all()
    assert [(p.tenant, p.detail) for p in purges] == [("856", "scenarios=1 older than 30 days")]
    assert purge_expired(db_session, retention_days=30) == 0
