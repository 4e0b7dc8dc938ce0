"""The job state machine against a model: random sequences of claims, starts (right, stale and
duplicate attempts), lease renewals, lease expiries, reaps, cancels and finishes by the owner or
a stranger; after every step the row matches the model, finished jobs never change, and each
transition that happened wrote exactly one more audit row (two for cancelling a queued job)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
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
from sendplan.api.service.tables import AuditRow, JobRow, ScenarioRow, utc_now

MAX_ATTEMPTS = 2
OWNERS = ("h:1", "h:2")
FINAL = ("succeeded", "failed", "cancelled")

# Claims and lost leases weigh more, so that runs reach the last attempt often.
step = st.one_of(
    st.just(("claim",)),
    st.just(("claim",)),
    st.just(("lose",)),
    st.just(("lose",)),
    st.tuples(st.just("start"), st.sampled_from((-1, 0, 0, 1)), st.sampled_from(OWNERS)),
    st.tuples(st.just("renew"), st.sampled_from(OWNERS)),
    st.just(("expire",)),
    st.just(("reap",)),
    st.just(("cancel",)),
    st.tuples(st.just("finish"), st.sampled_from(OWNERS), st.sampled_from(FINAL)),
)


@dataclass
class Model:
    status: str = "queued"
    attempts: int = 0
    owner: str | None = None
    cancel: bool = False
    lease_valid: bool = False
    audits: int = 1  # job.create


def _apply(model: Model, session: Session, job_id: str, action: tuple) -> None:
    kind = action[0]
    if kind == "claim":
        claims = claim_queued(session, limit=1, lease_s=60, actor="d")
        if model.status == "queued":
            assert [c.attempt for c in claims] == [model.attempts + 1]
            model.status, model.attempts, model.owner, model.lease_valid = (
                "submitted", model.attempts + 1, None, True,
            )  # fmt: skip
            model.audits += 1
        else:
            assert claims == []
    elif kind == "start":
        _, offset, owner = action
        got = start_attempt(session, Attempt(job_id, model.attempts + offset, owner), lease_s=60)
        if model.status == "submitted" and offset == 0:
            model.owner, model.lease_valid = owner, True
            if model.cancel:
                model.status = "cancelled"
                model.audits += 2  # running, then cancelled
                assert got is None
            else:
                model.status = "running"
                model.audits += 1
                assert got is not None
        else:
            assert got is None
    elif kind == "renew":
        held = renew_lease(session, Attempt(job_id, model.attempts, action[1]), lease_s=60,
                           progress="{}")  # fmt: skip
        if model.status == "running" and model.owner == action[1]:
            assert held is model.cancel
            model.lease_valid = True
        else:
            assert held is None
    elif kind == "expire":
        past = utc_now() - dt.timedelta(seconds=5)
        session.execute(
            update(JobRow).where(JobRow.id == job_id, JobRow.lease_expires_at.is_not(None))
            .values(lease_expires_at=past)
        )  # fmt: skip
        session.commit()
        model.lease_valid = False
    elif kind == "lose":  # the holder vanished and its lease ran out: then the reaper runs
        _apply(model, session, job_id, ("expire",))
        _apply(model, session, job_id, ("reap",))
    elif kind == "reap":
        handled = reap_expired(session, max_attempts=MAX_ATTEMPTS)
        if model.status in ("submitted", "running") and not model.lease_valid:
            assert handled == [job_id]
            model.audits += 1
            model.owner = None
            if model.cancel:
                model.status = "cancelled"
            elif model.attempts < MAX_ATTEMPTS:
                model.status = "queued"
            else:
                model.status = "failed"
        else:
            assert handled == []
    elif kind == "cancel":
        request_cancel(session, session.get_one(JobRow, job_id), actor="k")
        if model.status == "queued":
            model.status, model.cancel = "cancelled", True
            model.audits += 2
        elif model.status in ("submitted", "running") and not model.cancel:
            model.cancel = True
            model.audits += 1
    elif kind == "finish":
        _, owner, status = action
        won = finish_attempt(session, Attempt(job_id, model.attempts, owner), status=status,
                             reason=None, detail=None)  # fmt: skip
        if model.status == "running" and model.owner == owner:
            assert won
            model.status = status
            model.audits += 1
        else:
            assert not won


@settings(
    max_examples=150, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(actions=st.lists(step, min_size=5, max_size=40))
def test_state_machine_matches_its_model(
    db_session: Session, scenario_maker: Callable[..., ScenarioRow], actions: list[tuple]
):
    scenario = scenario_maker(db_session)
    job, _ = create_job(
        db_session, tenant="856", scenario_id=scenario.id, kind="both", params={}, actor="k",
        idempotency_key=None, request_sha256="",
    )  # fmt: skip
    # Jobs of earlier examples are finished or left alone by claim (limit 1, oldest first):
    # cancel them so that only this example's job is ever claimed or reaped.
    db_session.execute(
        update(JobRow).where(JobRow.id != job.id).values(status="cancelled", lease_expires_at=None)
    )
    db_session.commit()
    model = Model()
    for action in actions:
        before = db_session.get_one(JobRow, job.id, populate_existing=True)
        was_final = before.status in FINAL
        snapshot = (before.status, before.attempts, before.finished_at)
        _apply(model, db_session, job.id, action)
        row = db_session.get_one(JobRow, job.id, populate_existing=True)
        assert (row.status, row.attempts, row.cancel_requested) == (
            model.status, model.attempts, model.cancel,
        ), action  # fmt: skip
        if row.status in ("submitted", "running"):
            assert row.lease_expires_at is not None
        if row.status == "running":
            assert row.lease_owner == model.owner
        if was_final:
            assert (row.status, row.attempts, row.finished_at) == snapshot
        assert row.attempts <= MAX_ATTEMPTS + 1
        audits = db_session.scalar(
            select(func.count()).select_from(AuditRow).where(AuditRow.job_id == job.id)
        )
        assert audits == model.audits, action
    reached[0] = max(reached[0], model.attempts)
    runs[0] += 1


reached = [0]
runs = [0]


def test_the_model_runs_reach_the_last_attempt():
    # Runs after test_state_machine_matches_its_model (file order): the random runs explored
    # the worker_lost boundary, not just the first attempt.
    if not runs[0]:
        pytest.skip("test_state_machine_matches_its_model did not run in this session")
    assert reached[0] >= MAX_ATTEMPTS
