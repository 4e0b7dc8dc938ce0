"""Normal restarts of the real `sendplan serve` with real processes: SIGTERM, then Ctrl-C (SIGINT
to the whole process group, as a terminal sends it) mid-job. Each graceful stop puts the job
back in the queue at once without using up an attempt, so with ``SENDPLAN_MAX_ATTEMPTS=1`` the
third service still runs it: it is never failed ``worker_lost`` and its plan is kept. With an
external Dask cluster the workers outlive the service and keep their running jobs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from service.test_durability import ENDLESS, actions, new_job, routing, wait_for
from service.test_durability_workers import _connected, free_port, started
from sqlalchemy import select

from sendplan.api.service.db import make_engine, session_factory
from sendplan.api.service.jobs import request_cancel
from sendplan.api.service.tables import AuditRow, JobRow, ResultFileRow, utc_now

pytestmark = pytest.mark.slow

STOP_S = 60.0  # a graceful stop closes the cluster: seconds, with room on a loaded machine


@contextmanager
def serve(url: str, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`sendplan serve --workers 1` in its own process group (cwd ``folder``: no stray .env);
    whatever is left of it is killed on leaving."""
    env = {**os.environ, "SENDPLAN_DATABASE_URL": url, "SENDPLAN_SECRET_KEY": os.urandom(24).hex(),
           "SENDPLAN_LEASE_S": "2", "SENDPLAN_MAX_ATTEMPTS": "1"}  # fmt: skip
    command = [sys.executable, "-m", "sendplan.api.cli", "serve", "--port", str(free_port()),
               "--workers", "1"]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, cwd=folder, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield process
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def test_sigterm_and_ctrl_c_requeue_without_using_an_attempt(db_url: str, scenario_maker, tmp_path):
    factory = session_factory(make_engine(db_url))
    job_id = new_job(factory, scenario_maker, {"iterations": ENDLESS, "sessions": ["am"]},
                     kind="transport")  # fmt: skip
    stops = [
        lambda p: p.send_signal(signal.SIGTERM),  # kill -TERM <serve pid>
        lambda p: os.killpg(p.pid, signal.SIGINT),  # Ctrl-C in its terminal
    ]
    for stop in stops:
        with serve(db_url, tmp_path) as process:
            job, _ = wait_for(factory, job_id, routing, within_s=120)
            assert job.attempts == 1
            stop(process)
            process.wait(timeout=STOP_S)
        with factory() as session:
            job = session.get_one(JobRow, job_id)
            last = session.scalars(
                select(AuditRow).where(AuditRow.job_id == job_id).order_by(AuditRow.id.desc())
            ).first()
        assert (job.status, job.attempts, job.lease_owner) == ("queued", 0, None)
        assert last is not None and last.action == "job.requeued"
        assert last.detail == "shutdown attempt=1 (not counted)"
    with serve(db_url, tmp_path):
        job, _ = wait_for(factory, job_id, routing, within_s=120)
        assert job.attempts == 1
        with factory() as session:
            request_cancel(session, session.get_one(JobRow, job_id), actor="k")
        done, _ = wait_for(factory, job_id, lambda j: j.status == "cancelled", within_s=60)
    assert (done.reason, done.attempts) == ("cancelled", 1)
    assert json.loads(done.progress)["best_cost_gbp"] is not None
    with factory() as session:
        names = set(
            session.scalars(select(ResultFileRow.name).where(ResultFileRow.job_id == job_id))
        )
    assert {"routes.json", "summary.json"} <= names
    assert actions(factory, job_id).count("job.requeued") == 2
    assert "job.failed" not in actions(factory, job_id)


def test_external_cluster_keeps_running_jobs_across_a_service_restart(db_url: str, scenario_maker):
    """With `serve --scheduler`, the workers outlive the service: a graceful stop leaves their
    running job to them (it keeps its attempt and lease), and the next service sees it end."""
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "SENDPLAN_DATABASE_URL": db_url}
    scheduler = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                 "--port", address.rsplit(":", 1)[1], "--no-dashboard"]  # fmt: skip
    worker = [sys.executable, "-m", "sendplan.api.cli", "worker", "--scheduler", address]
    factory = session_factory(make_engine(db_url))
    job_id = new_job(factory, scenario_maker, {"iterations": ENDLESS, "sessions": ["am"]},
                     kind="transport")  # fmt: skip
    with started(scheduler), started(worker, env):
        with _connected(db_url, address):
            job, _ = wait_for(factory, job_id, routing, within_s=120)
        stopped_at = utc_now()
        # The worker renews the lease after the service stopped: the same attempt, still held.
        renewed, _ = wait_for(
            factory, job_id,
            lambda j: j.updated_at > stopped_at + dt.timedelta(seconds=1), within_s=60,
        )  # fmt: skip
        assert (renewed.status, renewed.attempts, renewed.lease_owner) == (
            "running", 1, job.lease_owner,
        )  # fmt: skip
        with _connected(db_url, address):
            with factory() as session:
                request_cancel(session, session.get_one(JobRow, job_id), actor="k")
            done, _ = wait_for(factory, job_id, lambda j: j.status == "cancelled", within_s=60)
    assert done.attempts == 1
    assert "job.requeued" not in actions(factory, job_id)
    with factory() as session:
        names = set(
            session.scalars(select(ResultFileRow.name).where(ResultFileRow.job_id == job_id))
        )
    assert "routes.json" in names
