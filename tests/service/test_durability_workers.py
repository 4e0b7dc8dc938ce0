"""Scale-out with real processes: a Dask scheduler, a `sendplan worker --scheduler ADDRESS`
joined to it, and the dispatcher using that cluster (`sendplan serve --scheduler ADDRESS`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress

import pytest
from service.conftest import small_scenario_files
from sqlalchemy import select

from sendplan.api.service.db import make_engine, session_factory
from sendplan.api.service.dispatch import running_workers
from sendplan.api.service.jobs import create_job
from sendplan.api.service.tables import JobRow, ResultFileRow

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def started(command: list[str], env: dict[str, str] | None = None) -> Iterator[None]:
    """A child process in its own process group, SIGTERMed (then killed) on leaving."""
    process = subprocess.Popen(
        command, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


def test_a_joined_worker_runs_the_services_jobs(db_url: str, scenario_maker):
    """With PostgreSQL the URL holds a password, so it is not sent with the task: the worker
    uses its own SENDPLAN_DATABASE_URL; with SQLite the task carries the file's URL."""
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "SENDPLAN_DATABASE_URL": db_url}
    scheduler = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                 "--port", address.rsplit(":", 1)[1], "--no-dashboard"]  # fmt: skip
    worker = [sys.executable, "-m", "sendplan.api.cli", "worker", "--scheduler", address]
    factory = session_factory(make_engine(db_url))
    with factory() as session:
        scenario = scenario_maker(session, files=small_scenario_files())
        job, _ = create_job(
            session, tenant="856", scenario_id=scenario.id, kind="both",
            params={"iterations": 20, "sessions": ["am"]}, actor="k", idempotency_key=None,
            request_sha256="",
        )  # fmt: skip
    with started(scheduler), started(worker, env), _connected(db_url, address):
        deadline = time.monotonic() + 120
        while True:
            with factory() as session:
                row = session.get_one(JobRow, job.id)
            if row.status in ("succeeded", "failed", "cancelled"):
                break
            assert time.monotonic() < deadline, f"job still {row.status}"
            time.sleep(0.2)
    assert (row.status, row.attempts) == ("succeeded", 1), row.detail
    assert row.lease_owner is not None
    assert int(row.lease_owner.rsplit(":", 1)[1]) != os.getpid()
    with factory() as session:
        names = set(
            session.scalars(select(ResultFileRow.name).where(ResultFileRow.job_id == job.id))
        )
    assert "routes.json" in names


@contextmanager
def _connected(db_url: str, address: str) -> Iterator[None]:
    """running_workers on the scheduler at ``address``, retried while the scheduler starts."""
    from sendplan.errors import InputError

    deadline = time.monotonic() + 60
    with ExitStack() as stack:
        while True:
            try:
                stack.enter_context(
                    running_workers(
                        database_url=db_url,
                        workers=0,
                        scheduler=address,
                        lease_s=5,
                        max_attempts=2,
                        job_timeout_s=600,
                        retention_days=365,
                    )
                )
                break
            except InputError:  # not listening yet
                assert time.monotonic() < deadline, "the scheduler did not start"
                time.sleep(0.5)
        yield


def test_worker_refuses_a_bad_scheduler_address():
    done = subprocess.run(
        [sys.executable, "-m", "sendplan.api.cli", "worker", "--scheduler", "nonsense://x"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: --scheduler: ")
