"""Durability with real processes: the service (dispatcher + local Dask cluster) runs in a child
process; Dask worker processes are SIGKILLed mid-job, the whole service is killed and restarted.
No job stays running, none is lost, and every scenario, job and result survives a restart.

Leases are 2 s here; every wait polls the database against a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from service.conftest import small_scenario_files
from sqlalchemy import select
from sqlalchemy.orm import Session

from sendplan.api.service.db import make_engine, session_factory
from sendplan.api.service.jobs import create_job, request_cancel
from sendplan.api.service.tables import AuditRow, JobRow, ResultFileRow, ScenarioRow

pytestmark = pytest.mark.slow

LEASE_S = 2.0
ENDLESS = 100_000  # route iterations: the search runs until stopped
FINITE = 1_500  # a few seconds of routing
# Lease + the reaper's poll + a re-run starting in a fresh worker process, with room to spare
# on a loaded machine.
RECOVERY_S = 45.0

SERVICE = """
import signal, sys, threading
from sendplan.api.service.dispatch import running_workers

url, lease_s, max_attempts = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
with running_workers(database_url=url, workers=2, scheduler=None, lease_s=lease_s,
                     max_attempts=max_attempts, job_timeout_s=600, retention_days=365):
    print("ready", flush=True)
    stop.wait()
print("stopped", flush=True)
"""


@contextmanager
def service(
    url: str, *, max_attempts: int, temp: Path | None = None
) -> Iterator[subprocess.Popen[str]]:
    """The dispatcher and its cluster in a child process (its own process group, so that a
    hard kill takes its Dask processes too), with ``temp`` as its temporary folder; stopped with
    SIGTERM, or killed, on leaving."""
    env = {**os.environ, "TMPDIR": str(temp)} if temp is not None else None
    process = subprocess.Popen(
        [sys.executable, "-c", SERVICE, url, str(LEASE_S), str(max_attempts)],
        stdout=subprocess.PIPE, text=True, start_new_session=True, env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill_group(process)
        kill_group(process)  # any Dask process left behind


def kill_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL the service and every process it started (its process group)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_for(
    factory: Callable[[], Session], job_id: str, ok: Callable[[JobRow], bool], *, within_s: float
) -> tuple[JobRow, float]:
    """The job once ``ok(job)``, and the seconds it took; fails after ``within_s``."""
    t0 = time.monotonic()
    while True:
        with factory() as session:
            job = session.get_one(JobRow, job_id)
        if ok(job):
            return job, time.monotonic() - t0
        assert time.monotonic() - t0 < within_s, f"job {job.status} after {within_s} s"
        time.sleep(0.1)


def running_pid(job: JobRow) -> int:
    """The pid of the worker process holding the job's lease (``host:pid``)."""
    assert job.lease_owner is not None
    host, pid = job.lease_owner.rsplit(":", 1)
    assert host == socket.gethostname()
    return int(pid)


def routing(job: JobRow) -> bool:
    return job.status == "running" and json.loads(job.progress).get("best_cost_gbp") is not None


def new_job(factory: Callable[[], Session], scenario_maker, params: dict, kind: str = "both"):
    with factory() as session:
        scenario = scenario_maker(session, files=small_scenario_files())
        job, _ = create_job(
            session, tenant="856", scenario_id=scenario.id, kind=kind, params=params,
            actor="k", idempotency_key=None, request_sha256="",
        )  # fmt: skip
        return job.id


def actions(factory: Callable[[], Session], job_id: str) -> list[str]:
    with factory() as session:
        rows = session.scalars(
            select(AuditRow.action).where(AuditRow.job_id == job_id).order_by(AuditRow.id)
        )
        return list(rows)


def scratch_of(temp: Path, pid: int) -> list[Path]:
    """The job scratch folders (holding the scenario) of worker process ``pid`` in ``temp``."""
    return [p for p in temp.glob("sendplan-job-*") if p.name.split("-")[-2] == str(pid)]


def test_killed_worker_job_is_rerun_and_succeeds(
    db_url: str, scenario_maker, record_property, tmp_path: Path
):
    factory = session_factory(make_engine(db_url))
    job_id = new_job(factory, scenario_maker, {"iterations": FINITE, "sessions": ["am"]})
    with service(db_url, max_attempts=2, temp=tmp_path) as process:
        job, _ = wait_for(factory, job_id, lambda j: j.status == "running", within_s=60)
        pid = running_pid(job)
        assert pid != process.pid
        until = time.monotonic() + 30
        while not scratch_of(tmp_path, pid):  # killed once its scenario is on disk
            assert time.monotonic() < until, "the job's scratch folder never appeared"
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
        rerun, requeue_s = wait_for(
            factory, job_id, lambda j: j.attempts == 2 and j.status == "running",
            within_s=RECOVERY_S,
        )  # fmt: skip
        assert running_pid(rerun) != pid
        done, _ = wait_for(
            factory, job_id, lambda j: j.status not in ("queued", "submitted", "running"),
            within_s=120,
        )  # fmt: skip
        # The killed worker's scratch folder (children's home points) is swept when Dask
        # restarts that worker.
        until = time.monotonic() + 30
        while scratch_of(tmp_path, pid):
            assert time.monotonic() < until, "a killed worker's scratch folder was left behind"
            time.sleep(0.1)
    record_property("rerun_started_after_kill_s", round(requeue_s, 2))
    assert (done.status, done.attempts) == ("succeeded", 2)
    with factory() as session:
        names = session.scalars(select(ResultFileRow.name).where(ResultFileRow.job_id == job_id))
        assert "routes.json" in set(names)
    assert actions(factory, job_id).count("job.requeued") == 1


def test_killed_worker_fails_worker_lost_with_one_attempt_and_cancel_keeps_a_plan(
    sqlite_url: str, scenario_maker, record_property
):
    from sendplan.api.service.db import migrate

    migrate(sqlite_url)
    factory = session_factory(make_engine(sqlite_url))
    endless = {"iterations": ENDLESS, "sessions": ["am"]}
    lost_id = new_job(factory, scenario_maker, endless)
    cancel_id = new_job(factory, scenario_maker, endless)
    with service(sqlite_url, max_attempts=1):
        job, _ = wait_for(factory, lost_id, lambda j: j.status == "running", within_s=60)
        wait_for(factory, cancel_id, routing, within_s=60)
        os.kill(running_pid(job), signal.SIGKILL)
        with factory() as session:
            request_cancel(session, session.get_one(JobRow, cancel_id), actor="k")
        lost, lost_s = wait_for(
            factory, lost_id, lambda j: j.status == "failed", within_s=RECOVERY_S
        )
        cancelled, _ = wait_for(factory, cancel_id, lambda j: j.status == "cancelled", within_s=30)
    record_property("failed_after_kill_s", round(lost_s, 2))
    assert (lost.status, lost.reason, lost.attempts) == ("failed", "worker_lost", 1)
    assert lost.lease_owner is None and lost.lease_expires_at is None
    assert "job.requeued" not in actions(factory, lost_id)
    assert cancelled.reason == "cancelled"
    with factory() as session:
        query = select(ResultFileRow.name).where(ResultFileRow.job_id == cancel_id)
        names = set(session.scalars(query))
    assert {"routes.json", "placements.csv", "summary.json"} <= names


def test_restarting_the_service_loses_nothing(sqlite_url: str, scenario_maker, record_property):
    """Service 1 is killed outright mid-job (an attempt lost); service 2 re-runs the jobs and is
    stopped with SIGTERM mid-job, re-queueing them at once without using up an attempt; service
    3 finishes them. Scenarios and the finished job's results never change."""
    from sendplan.api.service.db import migrate

    migrate(sqlite_url)
    factory = session_factory(make_engine(sqlite_url))
    done_id = new_job(factory, scenario_maker, {}, kind="placement")
    busy_id = new_job(factory, scenario_maker, {"iterations": FINITE, "sessions": ["am"]})
    endless_id = new_job(factory, scenario_maker, {"iterations": ENDLESS, "sessions": ["am"]})

    def snapshot() -> tuple[set[str], dict[tuple[str, str], bytes]]:
        with factory() as session:
            files = {(r.job_id, r.name): r.content for r in session.scalars(select(ResultFileRow))}
            return set(session.scalars(select(ScenarioRow.id))), files

    def running(attempt: int) -> Callable[[JobRow], bool]:
        return lambda j: j.status == "running" and j.attempts == attempt

    def finished(job: JobRow) -> bool:
        return job.status not in ("queued", "submitted", "running")

    with service(sqlite_url, max_attempts=3) as first:
        wait_for(factory, done_id, lambda j: j.status == "succeeded", within_s=60)
        wait_for(factory, busy_id, running(1), within_s=60)
        wait_for(factory, endless_id, running(1), within_s=60)
        scenarios, before = snapshot()
        kill_group(first)  # the whole service dies at once, mid-job
    with service(sqlite_url, max_attempts=3):
        wait_for(factory, endless_id, running(2), within_s=RECOVERY_S + 15)
        wait_for(factory, busy_id, lambda j: j.attempts == 2 or finished(j), within_s=60)
    # SIGTERM: the cluster closed, killing the endless attempt, and the job was re-queued at
    # once, its attempt given back.
    with factory() as session:
        endless = session.get_one(JobRow, endless_id)
        assert (endless.status, endless.attempts, endless.lease_expires_at) == ("queued", 1, None)
    t0 = time.monotonic()
    with service(sqlite_url, max_attempts=2):  # one loss so far: a second would fail the jobs
        wait_for(factory, endless_id, running(2), within_s=RECOVERY_S)
        record_property("third_service_reran_job_s", round(time.monotonic() - t0, 2))
        with factory() as session:
            request_cancel(session, session.get_one(JobRow, endless_id), actor="k")
        busy, _ = wait_for(factory, busy_id, finished, within_s=120)
        endless, _ = wait_for(factory, endless_id, finished, within_s=30)
    # The busy job either finished in service 2 or was re-queued by its stop: attempt 2 either way.
    assert (busy.status, busy.attempts) == ("succeeded", 2)
    assert actions(factory, busy_id).count("job.requeued") in (1, 2)
    assert (endless.status, endless.attempts) == ("cancelled", 2)
    with factory() as session:
        details = session.scalars(
            select(AuditRow.detail).where(
                AuditRow.job_id == endless_id, AuditRow.action == "job.requeued"
            )
        )
        assert list(details) == ["worker_lost attempt=1", "shutdown attempt=2 (not counted)"]
    after_scenarios, after = snapshot()
    assert after_scenarios == scenarios
    assert {k: v for k, v in after.items() if k[0] == done_id} == before
    assert (busy_id, "routes.json") in after and (endless_id, "routes.json") in after
