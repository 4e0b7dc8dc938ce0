"""The dispatcher: hands queued jobs to Dask workers, reaps lost ones, purges old data.

`sendplan serve` enters :func:`running_workers` around the web app. Inside, a Dask cluster runs
the jobs (a local one of ``workers`` processes, one job each, on 127.0.0.1 with no dashboard; or,
with ``scheduler``, the cluster of a running Dask scheduler, which `sendplan worker --scheduler
ADDRESS` processes join from other machines), and a dispatcher thread loops every
:data:`POLL_S`:

1. **reap**: a submitted or running job whose lease expired (its worker process died, or the
   service was killed) is re-queued while ``attempts < max_attempts``, else failed ``worker_lost``;
2. **watch**: the lease of each job still waiting in Dask is renewed; a task that died with its
   worker has its lease ended at once, so step 1 handles it on the next loop;
3. **submit**: queued jobs are claimed (one conditional UPDATE each: two dispatchers never claim
   one job) up to the cluster's free threads, and :func:`sendplan.api.service.runner.run_job`
   is submitted for each, one Dask task per attempt with a unique key, carrying the service's
   road network path (``SENDPLAN_ROAD_NETWORK``; see :func:`running_workers`);
4. **purge**: hourly, scenarios (with their jobs and results) past ``retention_days``.

A graceful stop (SIGTERM, Ctrl-C) re-queues the jobs in flight at once without counting an
attempt (:meth:`Dispatcher.release_inflight`); only a real loss counts one.

The database row is the truth: Dask's own retries are off on the local cluster, and a task Dask
retries anyway (an external scheduler's ``allowed-failures``) finds its attempt already taken and
returns. Nothing runs a solve in the web process.
"""

from __future__ import annotations

import secrets
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from sendplan.api.service.db import absolute_url, make_engine, session_factory
from sendplan.api.service.jobs import purge_expired
from sendplan.api.service.leases import (
    Claim,
    claim_queued,
    expire_lease,
    reap_expired,
    renew_submitted,
    requeue_on_shutdown,
)
from sendplan.api.service.scratch import sweep_orphans
from sendplan.logs import get_logger
from sendplan.routing.planning.cluster import dask_client, submit_task, worker_threads

log = get_logger(__name__)

POLL_S = 0.5
PURGE_INTERVAL_S = 3600.0
ACTOR = "system:dispatcher"


def run_job_task(
    database_url: str | None,
    job_id: str,
    attempt: int,
    lease_s: float,
    job_timeout_s: float,
    road_network: str | None = None,
) -> str:
    """The Dask task: :func:`sendplan.api.service.runner.run_job`, imported in the worker (the
    web process never loads the solvers)."""
    from sendplan.api.service.runner import run_job

    return run_job(database_url, job_id, attempt, lease_s, job_timeout_s, road_network)


class Dispatcher:
    """One loop of reap, watch, submit and purge per :meth:`tick`; :meth:`run` loops."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        client: Any | None,
        *,
        task_url: str | None,
        lease_s: float,
        max_attempts: int,
        job_timeout_s: float,
        retention_days: int,
        road_network: Path | None = None,
    ) -> None:
        self.factory = factory
        self.client = client
        self.task_url = task_url
        self.lease_s = lease_s
        self.max_attempts = max_attempts
        self.job_timeout_s = job_timeout_s
        self.retention_days = retention_days
        self.road_network = None if road_network is None else str(road_network)
        self.inflight: dict[Claim, Any] = {}
        self.next_purge = 0.0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.tick()
            except Exception:  # the database or scheduler is briefly away: next loop retries
                log.warning("dispatcher loop failed; retrying", exc_info=True)
            self.stopping.wait(POLL_S)

    def tick(self) -> None:
        with self.factory() as session:
            for job_id in reap_expired(session, max_attempts=self.max_attempts, actor=ACTOR):
                log.info("job %s: lease expired (worker lost)", job_id)
            if self.client is not None:
                self._watch(session)
                self._submit(session)
            if time.monotonic() >= self.next_purge:
                self.next_purge = time.monotonic() + PURGE_INTERVAL_S
                purged = purge_expired(session, retention_days=self.retention_days, actor=ACTOR)
                if purged:
                    log.info("purged %d scenarios past %d days", purged, self.retention_days)

    def _watch(self, session: Session) -> None:
        for claim, future in list(self.inflight.items()):
            if future.status == "pending":
                continue
            if future.status != "finished":  # error or cancelled: the worker died with it
                log.info("job %s attempt %d: task %s", claim.job_id, claim.attempt, future.status)
                expire_lease(session, claim)
            future.release()
            del self.inflight[claim]
        renew_submitted(session, self.inflight, lease_s=self.lease_s)

    def _submit(self, session: Session) -> None:
        assert self.client is not None
        free = worker_threads(self.client) - len(self.inflight)
        for claim in claim_queued(session, limit=free, lease_s=self.lease_s, actor=ACTOR):
            key = f"sendplan-job-{claim.job_id}-{claim.attempt}-{secrets.token_hex(4)}"
            self.inflight[claim] = submit_task(
                self.client, run_job_task, self.task_url, claim.job_id, claim.attempt,
                self.lease_s, self.job_timeout_s, self.road_network, key=key,
            )  # fmt: skip

    def release_inflight(self, *, local: bool) -> None:
        """On a graceful stop: put the jobs this dispatcher held back in the queue at once,
        without using up an attempt (:func:`requeue_on_shutdown`).

        ``local``: the cluster is gone and its workers with it, so running jobs are re-queued
        too. With an external cluster only jobs still waiting for a worker are: a running job's
        worker outlives this process, keeps renewing its lease and stores its results (were it
        re-queued, the run would be thrown away)."""
        statuses = ("submitted", "running") if local else ("submitted",)
        with self.factory() as session:
            for job_id in requeue_on_shutdown(
                session, list(self.inflight), statuses=statuses, actor=ACTOR
            ):
                log.info("job %s: re-queued (the service stopped)", job_id)
        self.inflight.clear()


def task_database_url(database_url: str, *, scheduler: str | None) -> str | None:
    """The URL to send with each task: none to an external cluster when it holds a password
    (those workers read their own ``SENDPLAN_DATABASE_URL``), so no secret crosses the wire."""
    if scheduler is not None and make_url(absolute_url(database_url)).password is not None:
        return None
    return absolute_url(database_url)


@contextmanager
def _sigterm_exits() -> Iterator[None]:
    """While inside, SIGTERM raises ``SystemExit(0)`` (once; a second one kills at once), so
    that the clean-up of :func:`running_workers` runs; only in the main thread, and only where
    nobody else handles SIGTERM.

    uvicorn catches SIGTERM for its graceful shutdown, then restores the previous handler and
    raises the signal again: with the default handler the process died there, leaving the jobs
    in flight ``running`` until the next start counted them as lost."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def stop(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def running_workers(
    *,
    database_url: str,
    workers: int,
    scheduler: str | None,
    lease_s: float,
    max_attempts: int,
    job_timeout_s: float,
    retention_days: int,
    road_network: Path | None = None,
) -> Iterator[None]:
    """Run the job workers and the dispatcher while inside (see the module docstring).

    ``workers`` 0 without ``scheduler`` starts no cluster: jobs wait in the queue (the reaper and
    the purge still run). ``road_network`` (an absolute path; None: straight-line travel) goes
    with every task rather than in each worker's own settings: one file, checked once at start,
    for every worker, local or joined from elsewhere (which must see it at the same path)."""
    sweep_orphans()  # an upload's or a job's scratch folder left by a killed service
    engine = make_engine(absolute_url(database_url))
    cluster = (
        nullcontext(None)
        if scheduler is None and workers == 0
        else dask_client(
            workers=workers, scheduler=scheduler, preload=("sendplan.api.service.runner",)
        )
    )
    dispatcher: Dispatcher | None = None
    try:
        with _sigterm_exits(), cluster as client:
            dispatcher = Dispatcher(
                session_factory(engine), client,
                task_url=task_database_url(database_url, scheduler=scheduler), lease_s=lease_s,
                max_attempts=max_attempts, job_timeout_s=job_timeout_s,
                retention_days=retention_days, road_network=road_network,
            )  # fmt: skip
            thread = threading.Thread(target=dispatcher.run, name="sendplan-dispatcher")
            thread.start()
            try:
                yield
            finally:
                dispatcher.stopping.set()
                thread.join()
    finally:
        # After the cluster is closed: a local cluster's workers died with it, so its jobs are
        # re-queued; an external cluster's keep running theirs (see release_inflight).
        if dispatcher is not None:
            try:
                dispatcher.release_inflight(local=scheduler is None)
            except Exception:
                log.warning("could not release the jobs in flight", exc_info=True)
        engine.dispose()
