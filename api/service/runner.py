"""Run one attempt at a job inside a Dask worker process: :func:`run_job`.

The attempt first claims the job (submitted -> running under this process's lease, ``host:pid``);
a stale or duplicate task finds nothing to claim and returns. A heartbeat thread renews the lease
every ``lease_s / 3`` (at most 2 s) with the progress (stage, best cost so far, elapsed) and
reads the cancel flag. The scenario's files are written to a scratch folder (swept when a
worker starts, should a killed worker leave one: :mod:`.scratch`) and read by the CLI's
loader; the library's solve, forecast, expand or sweep runs here, in this process (a worker
process may not start processes of its own, so the routing searches run one after another: the
same plan as the CLI's for the same seed and iteration limit), and every output file is stored
with the final status in one transaction.

Cancel and timeout stop the routing search through :class:`JobStop`, keeping the best routes
found so far: a cancelled job ends ``cancelled``, a timed-out one ``failed`` (``timeout``), both
with their results. A sweep runs its variants one by one and stops between them. Bad input ends
``failed`` (``bad_input``, the loader's file/row/field message); anything else ``failed``
(``internal_error``; the traceback goes to the worker's log, never to the database).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sendplan.api.json_files import write_json
from sendplan.api.manifest import write_command_manifest
from sendplan.api.service import job_kinds
from sendplan.api.service.db import session_factory, shared_engine
from sendplan.api.service.job_rows import progress_text
from sendplan.api.service.leases import (
    Attempt,
    finish_attempt,
    renew_lease,
    start_attempt,
)
from sendplan.api.service.scratch import scratch_folder, sweep_orphans
from sendplan.api.service.tables import JobRow, ResultFileRow, ScenarioFileRow
from sendplan.errors import InputError
from sendplan.logs import get_logger, scrub
from sendplan.routing.planning.cluster import in_dask_worker
from sendplan.routing.transport.rules import COST_UNITS_PER_GBP
from sendplan.routing.vrp.stop import Checker, MaxIterations, StopCriterion

log = get_logger(__name__)

DATABASE_URL_ENV = "SENDPLAN_DATABASE_URL"
HEARTBEAT_MAX_S = 2.0  # a cancel is seen within this, however long the lease


WORKER_NICENESS = 10
_niced = threading.Lock()
_nice_done: list[bool] = []


def lower_priority_once() -> None:
    """Lower this worker process's CPU priority, once: solves then yield the cores to the web
    process on the same machine, which keeps answering while every worker is busy."""
    with _niced:
        if not _nice_done:
            _nice_done.append(True)
            try:
                os.nice(WORKER_NICENESS)
            except OSError:  # not permitted here: run at the normal priority
                log.info("could not lower the worker's priority")


def dask_setup(worker: object) -> None:
    """Dask calls this as each job worker process starts (workers preload this module): remove
    the scratch folders, with their scenario files, of job workers on this host that were
    killed mid-job."""
    sweep_orphans()


def worker_identity() -> str:
    """``host:pid`` of this process: the lease owner, and the audit actor ``worker:host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class JobControl:
    """What the search, the heartbeat and the runner share: stop requests and progress."""

    def __init__(self, *, timeout_s: float) -> None:
        self._lock = threading.Lock()
        self.t0 = time.monotonic()
        self.deadline = self.t0 + timeout_s
        self.cancelled = False
        self.lost = False  # the lease was lost: store nothing
        self.stage = "starting"
        self._bests: list[float] = []

    def timed_out(self) -> bool:
        return time.monotonic() >= self.deadline

    def should_stop(self) -> bool:
        return self.cancelled or self.lost or self.timed_out()

    def say(self, message: str) -> None:
        """The library's progress line (stage names only; they carry no child data)."""
        with self._lock:
            self.stage = message

    def new_search(self) -> int:
        with self._lock:
            self._bests.append(float("inf"))
            return len(self._bests) - 1

    def saw(self, search: int, cost: float) -> None:
        with self._lock:
            if cost < self._bests[search]:
                self._bests[search] = cost

    def progress(self) -> str:
        with self._lock:
            found = [b for b in self._bests if b != float("inf")]
            best = round(sum(found) / COST_UNITS_PER_GBP, 2) if found else None
            stage = self.stage
        return progress_text(stage, best_cost_gbp=best, elapsed_s=time.monotonic() - self.t0)


@dataclass(frozen=True, eq=False)
class JobStop(StopCriterion):
    """``MaxIterations(iterations)`` that also stops when the job is cancelled, times out or
    loses its lease, and records each search's best cost.

    The planner shares its iterations out with ``with_limits`` (the fleet probe's share, the
    merge stage's), which sets them through ``with_iterations``; the share keeps the job's
    control. It reports its count as its bound, as ``MaxIterations`` does (the searches read
    it: PyVRP's late-acceptance history is greedy below ``pyvrp_engine.GREEDY_BELOW_ITERATIONS``),
    so uncancelled the routes equal those of ``MaxIterations(iterations)``, as `sendplan routes
    --iterations` plans them."""

    iterations: int
    control: JobControl

    def with_iterations(self, iterations: int) -> StopCriterion:
        return replace(self, iterations=iterations)

    def start(self, t0: float | None = None) -> Checker:
        limit = self.iterations
        search = self.control.new_search()
        done = 0

        def check(cost: float) -> bool:
            nonlocal done
            done += 1
            self.control.saw(search, cost)
            return done > limit or self.control.should_stop()

        return check

    def max_runtime_s(self) -> float | None:
        return None

    def in_process(self) -> bool:
        return True  # the cancel flag and the search's best live in this process

    def max_iterations(self) -> int | None:
        return self.iterations

    def __repr__(self) -> str:
        # The summary's work_limit: the same as a CLI run with --iterations.
        return repr(MaxIterations(self.iterations))


@contextmanager
def heartbeat(
    factory: Callable[[], Any], attempt: Attempt, control: JobControl, *, lease_s: float
) -> Iterator[None]:
    """Renew the lease every ``lease_s / 3`` (at most :data:`HEARTBEAT_MAX_S`) while inside,
    publishing progress and reading the cancel flag; a lost lease sets ``control.lost``."""
    done = threading.Event()
    interval_s = min(lease_s / 3, HEARTBEAT_MAX_S)

    def beat() -> None:
        while not done.wait(interval_s):
            try:
                with factory() as session:
                    cancel = renew_lease(
                        session, attempt, lease_s=lease_s, progress=control.progress()
                    )
            except Exception:  # the database is briefly unreachable: try again next beat
                log.warning("job %s: lease renewal failed", attempt.job_id, exc_info=True)
                continue
            if cancel is None:
                control.lost = True
                return
            control.cancelled = control.cancelled or cancel

    thread = threading.Thread(target=beat, name=f"heartbeat-{attempt.job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _write_scenario(factory: Callable[[], Any], job: JobRow, folder: Path) -> Path:
    """The job's scenario files into ``folder``/scenario; the path the loader reads (that
    folder, or the workbook when the scenario was uploaded as one). The folder's name is fixed:
    a scenario without a name of its own is named after it, and a temporary folder's random
    name would make two identical jobs' reports differ."""
    folder = folder / "scenario"
    folder.mkdir()
    with factory() as session:
        rows = session.scalars(
            select(ScenarioFileRow).where(ScenarioFileRow.scenario_id == job.scenario_id)
        ).all()
        files = {row.name: row.content for row in rows}
    for name, content in files.items():
        if Path(name).name != name or name.startswith("."):
            raise InputError(name, "not a plain file name")
        (folder / name).write_bytes(content)
    books = [name for name in files if name.lower().endswith(".xlsx")]
    return folder / books[0] if len(files) == 1 and books else folder


def _note_cut_short(summary_json: Path, note: str) -> None:
    """Add ``note`` and what it means to summary.json's ``notes`` (the file as outputs.py
    writes it; before the manifest is written), so a plan cut short does not read as a
    complete, reproducible run."""
    if not summary_json.is_file():
        return
    note += "; this is the best plan found by then, not the plan of the full work limit"
    summary = json.loads(summary_json.read_text(encoding="utf-8"))
    summary["notes"] = [*summary.get("notes", []), note]
    write_json(summary, summary_json)


def _base_schools(
    factory: Callable[[], Any], params: dict[str, Any]
) -> dict[str, str | None] | None:
    """Where a what-if's base job placed each child (None: no base job, or it has no
    placements), for what_if.json."""
    what_if = params.get("what_if")
    base = what_if.get("base_job") if isinstance(what_if, dict) else None
    if not isinstance(base, str):
        return None
    with factory() as session:
        row = session.get(ResultFileRow, (base, "placements.csv"))
        return None if row is None else job_kinds.placed_schools(row.content)


def _base_routes(factory: Callable[[], Any], kind: str, params: dict[str, Any]) -> bytes | None:
    """A changes job's base routes.json (None: another kind, or the base job has none)."""
    base = params.get("base_job")
    if kind != "changes" or not isinstance(base, str):
        return None
    with factory() as session:
        row = session.get(ResultFileRow, (base, "routes.json"))
        return None if row is None else bytes(row.content)


def run_job(
    database_url: str | None,
    job_id: str,
    attempt: int,
    lease_s: float,
    job_timeout_s: float,
    road_network: str | None = None,
) -> str:
    """Run attempt ``attempt`` of job ``job_id`` (the Dask task); returns the final status, or
    ``"stale"`` when the attempt was not this task's to run. ``database_url`` None: the
    worker's own ``SENDPLAN_DATABASE_URL`` (workers joined with `sendplan worker`).
    ``road_network``: the service's road network file, which planning jobs travel on (None:
    straight-line travel)."""
    if in_dask_worker():
        lower_priority_once()
    url = database_url or os.environ.get(DATABASE_URL_ENV)
    if not url:
        raise RuntimeError(f"no database: set {DATABASE_URL_ENV} for this worker")
    factory = session_factory(shared_engine(url))
    me = Attempt(job_id, attempt, worker_identity())
    with factory() as session:
        job = start_attempt(session, me, lease_s=lease_s)
    if job is None:
        return "stale"
    control = JobControl(timeout_s=job_timeout_s)
    files: list[tuple[str, str, bytes]] = []
    status, reason, detail = "succeeded", None, None
    ended = ""  # "cancelled" or "timeout" when the search was stopped short
    with heartbeat(factory, me, control, lease_s=lease_s):
        try:
            with scratch_folder("job") as temp:
                source = _write_scenario(factory, job, temp)
                out = temp / "out"
                out.mkdir()
                params = json.loads(job.params)
                network = Path(road_network) if road_network else None
                job_kinds.run(job.kind, params, source, out, control=control, stop=JobStop,
                              base_schools=_base_schools(factory, params),
                              base_routes=_base_routes(factory, job.kind, params),
                              road_network=network)  # fmt: skip
                ended = (
                    "cancelled" if control.cancelled else "timeout" if control.timed_out() else ""
                )
                if ended:
                    how = "early" if ended == "cancelled" else f"after {job_timeout_s:g} s"
                    _note_cut_short(out / "summary.json", f"{ended}: the search was stopped {how}")
                # As a CLI run's folder has one: every file's sha256 and size, the versions,
                # and what was asked (no command line: the job's kind and parameters).
                write_command_manifest(out, command=None, job_kind=job.kind, params=params)
                files = job_kinds.read_outputs(out)
        except InputError as err:
            status, reason, detail = "failed", "bad_input", scrub(str(err))[:2000]
        except Exception:
            log.exception("job %s attempt %d: internal error", job_id, attempt)
            status, reason, detail = "failed", "internal_error", "an internal error; see the log"
    if status == "succeeded" and ended == "cancelled":
        status, reason = "cancelled", "cancelled"
    elif status == "succeeded" and ended == "timeout":
        status, reason = "failed", "timeout"
        detail = f"the job ran past its limit of {job_timeout_s:g} s; the best plan is kept"
    control.say(status)
    final = control.progress()
    with factory() as session:
        stored = finish_attempt(
            session, me, status=status, reason=reason,
            detail=detail, files=files, progress=final,
        )  # fmt: skip
    lost = "" if stored else " but the lease was lost: nothing stored"
    log.info("job %s attempt %d: %s%s (worker:%s)", job_id, attempt, status, lost, me.owner)
    return status if stored else "stale"
