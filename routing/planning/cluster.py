"""The one module that talks to Dask distributed: run tasks on a cluster, stream the results;
and, for the service, keep a cluster for jobs and join one as a worker (:func:`run_worker`).

A local cluster (one single-threaded worker process per core, localhost only, TLS with a
throwaway certificate, no dashboard, no HTTP port at all) is made and closed per run; with an
address, an existing scheduler's workers run the tasks and the cluster is left as it was.
Whatever stops a run (Ctrl-C, a callback raising, a task failing), pending tasks are cancelled
and the client closed before the exception goes on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import dask
from distributed import (
    Client,
    Future,
    Nanny,
    Scheduler,
    Security,
    SpecCluster,
    Worker,
    as_completed,
    get_worker,
)
from distributed.comm.core import CommClosedError
from distributed.worker_memory import parse_memory_limit

from sendplan.errors import InputError, visible
from sendplan.logs import get_logger

log = get_logger(__name__)

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

CONNECT_TIMEOUT_S = 10
NO_HTTP_ROUTES: dict[str, object] = {
    "distributed.scheduler.http.routes": [],
    "distributed.worker.http.routes": [],
}

# The local scheduler runs in the calling process (the service's web process): its periodic
# callbacks (event-loop tick checks every 20 ms, system monitor every 0.5 s, each worker's memory
# monitor every 0.1 s) held the GIL for about a third of the web process's busy time under load.
# Jobs take seconds to hours, so coarser housekeeping loses nothing.
QUIET_LOOPS: dict[str, object] = {
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}


class _ClosedWithoutTraceback(logging.Filter):
    """A lost connection that Dask logs as an error (a worker's heartbeat when the scheduler
    closes first, as on shutdown) kept as its one-line message, without the traceback: Dask
    retries or closes by itself, and a traceback in the service's log reads as a crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, CommClosedError):
            record.msg, record.args = f"{record.getMessage()} ({error})", ()
            record.exc_info, record.exc_text = None, None
        return True


# Here, at import, because every process of a cluster imports this module: the service, and
# each worker (its class, ``_NoHttpWorker``, lives here). A logger's filter sees only its own
# records, so each logger that reports lost connections gets it.
DASK_CONNECTION_LOGGERS = (
    "distributed.worker", "distributed.nanny", "distributed.core", "distributed.batched",
    "distributed.client", "distributed.scheduler", "distributed.utils",
)  # fmt: skip
for _name in DASK_CONNECTION_LOGGERS:
    logging.getLogger(_name).addFilter(_ClosedWithoutTraceback())


class _NoHttp:
    """Opens no HTTP server. Dask starts one on every scheduler (port 8787, or any free port
    with a warning when 8787 is taken) and worker even without a dashboard (dask/distributed
    issues 7207, 8136); with no routes it only answers 404, yet it is a port nobody asked for."""

    def start_http_server(self, *_args: object, **_kwargs: object) -> None:
        return None


class _NoHttpScheduler(_NoHttp, Scheduler):
    """A scheduler without an HTTP port."""


class _NoHttpWorker(_NoHttp, Worker):
    """A worker without an HTTP port (its nanny runs it in a new process, importing this
    module by name)."""


def default_workers() -> int:
    """One worker per core."""
    return os.cpu_count() or 1


@contextmanager
def dask_client(
    *, workers: int | None = None, scheduler: str | None = None, preload: Sequence[str] = ()
) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler``, else of a new local cluster of ``workers``
    processes that import the ``preload`` modules as they start; both closed on leaving."""
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as err:
            raise InputError(
                "--scheduler", f"cannot reach the Dask scheduler {visible(scheduler, 80)} ({err})"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    n = default_workers() if workers is None else workers
    if n < 1:
        raise ValueError(f"workers must be at least 1, got {n}")
    # Localhost only, no dashboard, no HTTP server: a sweep opens no port to the network.
    # One task per worker process, so a worker that dies (out of memory) was running one
    # variant: fail that variant at once rather than retry it on, and kill, the next workers.
    # No HTTP pages either: Dask's status pages (worker logs, call stacks) have no login.
    config = {"distributed.scheduler.allowed-failures": 0, **NO_HTTP_ROUTES, **QUIET_LOOPS}
    with _sigint_ignored(), dask.config.set(config):
        cluster = _local_cluster(workers=n, preload=preload)
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            with _sigint_ignored():  # a second Ctrl-C must not cut the cleanup short
                client.close()
    finally:
        with _sigint_ignored():
            cluster.close()


def _local_cluster(*, workers: int, preload: Sequence[str]) -> SpecCluster:
    """What ``LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
    host="127.0.0.1", dashboard_address=None, security=True)`` makes, with the scheduler and
    workers that open no HTTP port (LocalCluster cannot be given a scheduler class)."""
    # TLS with a throwaway certificate held in memory: another user of this machine cannot
    # connect to the loopback scheduler and run code in our workers.
    security = Security.temporary()
    common = {"host": "127.0.0.1", "protocol": "tls://", "security": security}
    scheduler = {
        "cls": _NoHttpScheduler,
        "options": {**common, "port": 0, "dashboard": False, "dashboard_address": None},
    }
    worker = {
        "cls": Nanny,
        "options": {
            **common, "worker_class": _NoHttpWorker, "nthreads": 1, "dashboard": False,
            "dashboard_address": None, "silence_logs": logging.ERROR, "preload": list(preload),
            # The machine's memory shared out between the workers, as LocalCluster does.
            "memory_limit": parse_memory_limit("auto", 1, workers, logger=log),
        },
    }  # fmt: skip
    return SpecCluster(
        scheduler=scheduler, workers=dict.fromkeys(range(workers), worker), worker=worker,
        security=security, silence_logs=logging.ERROR,
    )  # fmt: skip


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while inside (main thread only; elsewhere nothing changes).

    Ctrl-C reaches every process of the terminal's process group: worker processes started
    inside inherit the ignored SIGINT (it survives exec), so only this process acts on Ctrl-C,
    by cancelling and closing the cluster, instead of every worker dying with a traceback.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_on_dask(
    task: Callable[[S, T], R],
    shared: S,
    items: Sequence[T],
    *,
    on_done: Callable[[R], None],
    workers: int | None = None,
    scheduler: str | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """``task(shared, item)`` for every item, one Dask task each; ``on_done`` gets each result
    in this process as it finishes (completion order). ``shared`` is sent to the workers once;
    ``on_ready`` is called when the cluster is up, before the first task is sent."""
    # Local workers import the task's module while starting, not inside the first task.
    with dask_client(workers=workers, scheduler=scheduler, preload=(task.__module__,)) as client:
        futures: list[Any] = []
        if on_ready is not None:
            on_ready()
        try:
            data = client.scatter(shared, broadcast=True)
            run = secrets.token_hex(4)  # task keys unique per run on a shared scheduler
            futures = [
                client.submit(task, data, item, key=f"sendplan-{run}-{i}", pure=False)
                for i, item in enumerate(items)
            ]
            for future in as_completed(futures):
                on_done(future.result())
                future.release()
        except BaseException:
            log.info("cancelling %d pending tasks", sum(not f.done() for f in futures))
            client.cancel(futures)
            raise


# --- long-lived clusters: the service's job workers --------------------------------------------


def submit_task(client: Client, task: Callable[..., R], *args: Any, key: str) -> Future:
    """Run ``task(*args)`` once on the cluster under the unique ``key`` (never deduplicated)."""
    return client.submit(task, *args, key=key, pure=False)


def worker_threads(client: Client) -> int:
    """Tasks the cluster can run at once (threads over all its workers, as they join and go)."""
    return sum(client.nthreads().values())


def run_worker(scheduler: str, *, nthreads: int = 1, preload: Sequence[str] = ()) -> None:
    """Join the scheduler at ``scheduler`` as one worker (under a nanny that restarts it if it
    dies) until SIGINT or SIGTERM; the worker imports the ``preload`` modules as it starts."""
    with dask.config.set(NO_HTTP_ROUTES):
        asyncio.run(_serve_worker(scheduler, nthreads=nthreads, preload=preload))


async def _serve_worker(scheduler: str, *, nthreads: int, preload: Sequence[str]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        nanny = await Nanny(
            scheduler, nthreads=nthreads, preload=list(preload), dashboard_address=None,
            worker_class=_NoHttpWorker, silence_logs=logging.ERROR,
        )  # fmt: skip
    except (OSError, TimeoutError, ValueError, RuntimeError) as err:  # Runtime: "failed to start"
        raise InputError(
            "--scheduler", f"cannot join the Dask scheduler {visible(scheduler, 80)} ({err})"
        ) from None
    try:
        log.info("worker joined %s", visible(scheduler, 80))
        finished = asyncio.ensure_future(nanny.finished())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({finished, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for pending in (finished, stopped):
            pending.cancel()
    finally:
        await nanny.close()


def in_dask_worker() -> bool:
    """Whether this code runs in a task on a Dask worker."""
    try:
        get_worker()
    except ValueError:
        return False
    return True
