"""Group commit of job submissions (service/group_commit.py): submissions that wait for the write
lock are committed together, each still gets its own job and audit row, and a batch that fails
(a raced Idempotency-Key) falls back to one transaction each, with create_job's answers.

Each test holds the writer's lock while its threads queue up, so that the batch is certain
(no timing involved), then lets them go."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from sendplan.api.service.db import session_factory
from sendplan.api.service.group_commit import JobWriter
from sendplan.api.service.jobs import IdempotencyConflict, create_job, record_audit, request_cancel
from sendplan.api.service.tables import AuditRow, JobRow, ScenarioRow


@pytest.fixture
def commits(db_engine: Engine) -> Iterator[list[int]]:
    """One entry per transaction committed on the engine."""
    seen: list[int] = []

    def count(_connection: Any) -> None:
        seen.append(1)

    event.listen(db_engine, "commit", count)
    yield seen
    event.remove(db_engine, "commit", count)


def _arguments(scenario: ScenarioRow, *, seed: int, key: str | None = None) -> dict[str, Any]:
    return {"tenant": scenario.tenant, "scenario_id": scenario.id, "kind": "placement",
            "params": {"seed": seed}, "actor": f"key{seed}", "idempotency_key": key,
            "request_sha256": f"{seed:064d}"}  # fmt: skip


def _submit_queued(
    writer: JobWriter, sessions: sessionmaker[Session], submissions: list[dict[str, Any]]
) -> list[tuple[JobRow, bool] | Exception]:
    """Every submission from its own thread while the test holds the lock; once all of them
    wait, the lock is let go. Each thread's answer (or error), in submission order."""
    answers: list[tuple[JobRow, bool] | Exception | None] = [None] * len(submissions)

    def submit(index: int) -> None:
        with sessions() as session:
            try:
                answers[index] = writer.create_job(session, **submissions[index])
            except Exception as err:
                answers[index] = err

    holding = writer.lock
    assert isinstance(holding, type(threading.Lock()))
    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(submissions))]
    with holding:
        for thread in threads:
            thread.start()
        while True:  # until all of them wait for the lock: the batch is then certain
            with writer._guard:
                if len(writer._waiting) == len(submissions):
                    break
            threading.Event().wait(0.001)
    for thread in threads:
        thread.join()
    assert all(answer is not None for answer in answers)
    return [answer for answer in answers if answer is not None]


def _writer() -> JobWriter:
    return JobWriter(threading.Lock(), group_commit=True)


def _audit_creates(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(AuditRow.job_id, func.count()).where(AuditRow.action == "job.create")
        .group_by(AuditRow.job_id)
    ).all()  # fmt: skip
    return {job_id: count for job_id, count in rows}


def test_waiting_submissions_commit_together_each_with_its_job_and_audit_row(
    db_engine: Engine, db_session: Session, scenario_maker: Callable[..., ScenarioRow],
    commits: list[int],
):  # fmt: skip
    scenario = scenario_maker(db_session)
    commits.clear()
    submissions = [_arguments(scenario, seed=seed) for seed in range(12)]
    answers = _submit_queued(_writer(), session_factory(db_engine), submissions)
    assert len(commits) == 1  # one transaction for the twelve
    jobs = [answer for answer in answers if not isinstance(answer, Exception)]
    assert len(jobs) == 12 and all(created for _, created in jobs)
    # Each request got its own job, as submitted, and each job is stored with one audit row.
    assert [job.params for job, _ in jobs] == [f'{{"seed": {seed}}}' for seed in range(12)]
    assert [job.created_by for job, _ in jobs] == [f"key{seed}" for seed in range(12)]
    stored = {row.id: row for row in db_session.scalars(select(JobRow))}
    assert sorted(stored) == sorted(job.id for job, _ in jobs)
    assert all(stored[job.id].status == "queued" for job, _ in jobs)
    assert _audit_creates(db_session) == {job.id: 1 for job, _ in jobs}


def test_a_raced_key_in_a_batch_gets_create_jobs_answers(
    db_engine: Engine, db_session: Session, scenario_maker: Callable[..., ScenarioRow],
):  # fmt: skip
    scenario = scenario_maker(db_session)
    same = _arguments(scenario, seed=1, key="k1")
    other_body = _arguments(scenario, seed=2, key="k1")
    submissions = [same, dict(same), other_body, _arguments(scenario, seed=3)]
    answers = _submit_queued(_writer(), session_factory(db_engine), submissions)
    # One job for key k1: made once, the same request again gets it (not created), another
    # body under the key is refused; the submission without a key is made.
    keyed = db_session.scalars(select(JobRow).where(JobRow.idempotency_key == "k1")).all()
    assert len(keyed) == 1
    first = keyed[0]

    def outcome(answer: tuple[JobRow, bool] | Exception) -> str:
        if isinstance(answer, IdempotencyConflict):
            return "conflict"
        if isinstance(answer, Exception):
            return repr(answer)
        job, created = answer
        if job.id != first.id:
            return "other"
        return "created" if created else "again"

    outcomes = [outcome(answer) for answer in answers]
    if first.request_sha256 == same["request_sha256"]:
        assert sorted(outcomes[:2]) == ["again", "created"] and outcomes[2] == "conflict"
    else:  # the other body won the key: both of the first two are refused
        assert outcomes[:3] == ["conflict", "conflict", "created"]
    assert outcomes[3] == "other"
    assert len(db_session.scalars(select(JobRow)).all()) == 2
    assert set(_audit_creates(db_session).values()) == {1}


def test_a_batched_job_is_usable_by_its_request(
    db_engine: Engine, db_session: Session, scenario_maker: Callable[..., ScenarioRow],
):  # fmt: skip
    scenario = scenario_maker(db_session)
    sessions = session_factory(db_engine)
    answers = _submit_queued(
        _writer(), sessions, [_arguments(scenario, seed=seed) for seed in range(3)]
    )
    job, _ = answers[2]  # type: ignore[misc]
    # Detached, every column loaded: the request answers from it, and it can be cancelled.
    assert (job.status, job.attempts, job.cancel_requested) == ("queued", 0, False)
    with sessions() as session:
        cancelled = request_cancel(session, session.merge(job, load=True), actor="k")
        assert cancelled.status == "cancelled"


def test_without_group_commit_each_submission_commits_alone(
    db_engine: Engine, db_session: Session, scenario_maker: Callable[..., ScenarioRow],
    commits: list[int],
):  # fmt: skip
    scenario = scenario_maker(db_session)
    commits.clear()
    writer = JobWriter(threading.Lock(), group_commit=False)
    for seed in range(3):
        job, created = writer.create_job(db_session, **_arguments(scenario, seed=seed))
        assert created and job in db_session  # as create_job: attached to the session
    assert len(commits) == 3
    # Unknown kinds are refused as create_job refuses them, with or without group commit.
    bad = {**_arguments(scenario, seed=9), "kind": "nonsense"}
    for grouped in (False, True):
        with pytest.raises(ValueError, match="kind"):
            JobWriter(threading.Lock(), group_commit=grouped).create_job(db_session, **bad)
    with pytest.raises(ValueError, match="kind"):
        create_job(db_session, **bad)


def test_an_audit_row_goes_with_its_transaction(
    db_session: Session, scenario_maker: Callable[..., ScenarioRow]
):
    scenario = scenario_maker(db_session)
    record_audit(db_session, tenant="856", actor="k", action="x.rolled_back",
                 scenario_id=scenario.id)  # fmt: skip
    db_session.rollback()
    record_audit(db_session, tenant="856", actor="k", action="x.committed",
                 scenario_id=scenario.id, detail="d")  # fmt: skip
    db_session.commit()
    rows = db_session.scalars(select(AuditRow).where(AuditRow.scenario_id == scenario.id)).all()
    assert [(r.action, r.actor, r.detail, r.at.tzinfo is not None) for r in rows] == [
        ("x.committed", "k", "d", True)
    ]
