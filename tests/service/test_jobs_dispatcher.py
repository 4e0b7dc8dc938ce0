"""The dispatcher's loop without a cluster (workers=0): it still reaps lost jobs and purges old
scenarios, on SQLite and PostgreSQL; and the task's database URL never carries a password to an
external cluster."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sendplan.api.service.db import absolute_url
from sendplan.api.service.dispatch import running_workers, task_database_url
from sendplan.api.service.jobs import claim_queued, create_job
from sendplan.api.service.tables import AuditRow, JobRow, ScenarioRow, utc_now

Maker = Callable[..., ScenarioRow]


def test_dispatcher_without_workers_reaps_and_purges(
    db_url: str, db_session: Session, scenario_maker: Maker
):
    old_id = scenario_maker(db_session, created_at=utc_now() - dt.timedelta(days=400)).id
    fresh = scenario_maker(db_session)
    job, _ = create_job(
        db_session, tenant="856", scenario_id=fresh.id, kind="placement", params={}, actor="k",
        idempotency_key=None, request_sha256="",
    )  # fmt: skip
    claim_queued(db_session, limit=1, lease_s=60, actor="gone")
    past = utc_now() - dt.timedelta(seconds=1)
    db_session.execute(update(JobRow).where(JobRow.id == job.id).values(lease_expires_at=past))
    db_session.commit()
    with running_workers(
        database_url=db_url, workers=0, scheduler=None, lease_s=2, max_attempts=2,
        job_timeout_s=60, retention_days=365,
    ):  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            db_session.expire_all()
            requeued = db_session.get_one(JobRow, job.id).status == "queued"
            purged = db_session.get(ScenarioRow, old_id) is None
            if requeued and purged:
                break
            assert time.monotonic() < deadline, (requeued, purged)
            time.sleep(0.1)
    # No cluster: nothing claims the re-queued job.
    assert db_session.get_one(JobRow, job.id).status == "queued"
    actions = set(db_session.scalars(select(AuditRow.action)))
    assert {"job.requeued", "purge"} <= actions


def test_task_url_keeps_passwords_off_the_wire(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pg = "postgresql+psycopg://u:pw@db.example/sendplan"
    assert task_database_url(pg, scheduler="tcp://10.0.0.5:8786") is None
    assert task_database_url(pg, scheduler=None) == pg  # a local cluster: loopback only
    relative = "sqlite:///./service.db"
    expected = f"sqlite:///{tmp_path.resolve() / 'service.db'}"
    assert absolute_url(relative) == expected
    assert task_database_url(relative, scheduler="tcp://10.0.0.5:8786") == expected
