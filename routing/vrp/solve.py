"""One entry point for every routing problem: :func:`solve` picks the engine and runs it.

Engines (measured in ``bench``): PyVRP for everything it can express (VRPTW, heterogeneous fleets,
skills, pickup-and-delivery without ride limits); OR-Tools routing with guided local search for
pickup-and-delivery with ride-time limits, and as the fallback.

``solve`` first sets aside jobs that no vehicle could serve even alone (with the reason), then runs
``workers`` independent searches (``SEARCHES`` by default, whatever the machine) with seeds
``seed, seed + 1, ...`` and keeps the best (ties go to the lowest worker). They run in parallel
processes where the machine has a CPU for each and the caller may start processes, else one after
another in this process (also when the stop criterion must be checked here, ``in_process``),
each with an equal share of what is left of any time limit: so the same problem, seed and
iteration limit give the same plan on any machine, in the CLI as in a service worker.
If the search cannot route every job, it runs again with jobs optional, each left out at a large
penalty, so that as many as possible are routed and the rest are reported as ``not_routed``; that
second pass gets the same stopping criterion, so an over-full problem can take twice as long.
``initial`` routes seed the searches: OR-Tools' first worker, which then only accepts better
solutions (the others start from their own constructions), to improve a known plan (merging
single-school runs into mixed-school ones); every PyVRP worker, each with its own seed, to go on
from a plan found in an earlier, shorter search (``transport/fleet_prices.py``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, Literal

from sendplan.routing.vrp import ortools_engine, pyvrp_engine
from sendplan.routing.vrp.penalty import drop_penalty
from sendplan.routing.vrp.problem import (
    InitialTour,
    JobKind,
    Problem,
    Solution,
    Tour,
    Unassigned,
    UnassignedReason,
    Visit,
    VrpError,
    job_kind,
)
from sendplan.routing.vrp.stop import StopCriterion, now, with_runtime

Engine = Literal["auto", "pyvrp", "ortools"]
# Independent searches per solve (seeds seed, seed + 1). The plan depends on this number, so it
# is fixed rather than read from the machine's core count.
SEARCHES = 2
Progress = Callable[[int], None]


def solve(
    problem: Problem,
    stop: StopCriterion,
    seed: int = 1,
    *,
    engine: Engine = "auto",
    workers: int | None = None,
    progress: Progress | None = None,
    initial: Sequence[InitialTour] = (),
) -> Solution:
    """Solve ``problem`` until ``stop`` says stop; every job ends up routed or unassigned.

    ``workers`` (independent searches) defaults to ``SEARCHES``. ``progress`` is called with
    the best feasible cost found so far each time it improves (in the engine's integer cost
    units).
    """
    t0 = now()
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise VrpError(f"workers must be at least 1, got {workers}")
    excluded = screen_jobs(problem)
    keep_clients = [i for i in range(len(problem.clients)) if ("client", i) not in excluded]
    keep_ships = [j for j in range(len(problem.shipments)) if ("shipment", j) not in excluded]
    sub = problem.restrict(clients=keep_clients, shipments=keep_ships)
    chosen = pick_engine(sub) if engine == "auto" else engine
    if chosen == "pyvrp" and problem.has_ride_limits():
        raise VrpError("the pyvrp engine cannot enforce shipments' max_ride; use ortools")
    if initial and problem.shipments and chosen == "pyvrp":
        raise VrpError("initial routes for the pyvrp engine visit clients only")
    start = _initial_in(initial, keep_clients, keep_ships)

    if sub.num_jobs == 0:
        result = Solution((), (), 0, 0, True, chosen, seed)
    else:
        result = _best_of(sub, stop, seed, chosen, workers, t0, progress, prize=None, initial=start)
        # OR-Tools already treats every job as optional (at the same penalty).
        if chosen == "pyvrp" and (not result.feasible or result.unassigned):
            prize = drop_penalty(sub)
            result = _best_of(sub, stop, seed, chosen, workers, now(), progress, prize=prize)
    merged = _map_back(problem, result, keep_clients, keep_ships, excluded)
    return Solution(
        routes=merged.routes,
        unassigned=merged.unassigned,
        cost=merged.cost,
        distance=merged.distance,
        feasible=merged.feasible,
        engine=chosen,
        seed=seed,
        iterations=merged.iterations,
        runtime_s=now() - t0,
    )


def _initial_in(
    initial: Sequence[InitialTour], keep_clients: list[int], keep_ships: list[int]
) -> tuple[InitialTour, ...]:
    """Initial routes in the screened problem's job indices (screened-out jobs dropped)."""
    new = {
        "client": {old: i for i, old in enumerate(keep_clients)},
        "shipment": {old: j for j, old in enumerate(keep_ships)},
    }
    out = []
    for vehicle_type, visits in initial:
        kept = tuple(
            Visit(v.kind, new[job_kind(v)][v.index]) for v in visits if v.index in new[job_kind(v)]
        )
        if kept:
            out.append((vehicle_type, kept))
    return tuple(out)


def default_workers() -> int:
    """The number of independent searches when none is given: ``SEARCHES`` on any machine (a
    plan must not depend on the machine's core count)."""
    return SEARCHES


def _in_parallel(workers: int) -> bool:
    """Whether ``workers`` searches may run in processes of their own: one CPU each, and not
    from a daemonic process (a pool or Dask worker), which may not start processes."""
    return (os.cpu_count() or 1) >= workers and not mp.current_process().daemon


def pick_engine(problem: Problem) -> Literal["pyvrp", "ortools"]:
    return "pyvrp" if pyvrp_engine.supports(problem) else "ortools"


# ---------------------------------------------------------------------------- job screening


def screen_jobs(problem: Problem) -> dict[tuple[JobKind, int], UnassignedReason]:
    """Jobs no vehicle type could serve even on a route of its own, with the reason."""
    out: dict[tuple[JobKind, int], UnassignedReason] = {}
    for kind, i in problem.jobs():
        fits = [k for k in range(len(problem.vehicle_types)) if _fits(problem, kind, i, k)]
        if not fits:
            out[(kind, i)] = UnassignedReason.NO_COMPATIBLE_VEHICLE
        elif not any(_alone_in_time(problem, kind, i, k) for k in fits):
            out[(kind, i)] = UnassignedReason.INFEASIBLE_ALONE
    return out


def _fits(problem: Problem, kind: JobKind, i: int, k: int) -> bool:
    vt = problem.vehicle_types[k]
    if kind == "client":
        c = problem.clients[i]
        need = [max(a, b) for a, b in zip(c.delivery, c.pickup, strict=True)]
        skills = c.skills
    else:
        s = problem.shipments[i]
        need, skills = list(s.amount), s.skills
    return skills <= vt.skills and all(n <= q for n, q in zip(need, vt.capacity, strict=True))


def _alone_in_time(problem: Problem, kind: JobKind, i: int, k: int) -> bool:
    """Whether a single-job route of vehicle type ``k`` meets every time rule."""
    vt = problem.vehicle_types[k]
    dep, arr = problem.depots[vt.start_depot], problem.depots[vt.end_depot]
    tt = problem.duration
    # (location, early, late, service) for each stop in order
    if kind == "client":
        c = problem.clients[i]
        stops = [(c.location, c.tw_early, c.tw_late, c.service_duration)]
        release, max_ride = c.release_time, None
    else:
        s = problem.shipments[i]
        stops = [
            (s.pickup.location, s.pickup.tw_early, s.pickup.tw_late, s.pickup.service_duration),
            (
                s.delivery.location,
                s.delivery.tw_early,
                s.delivery.tw_late,
                s.delivery.service_duration,
            ),
        ]
        release, max_ride = 0, s.max_ride
    start = max(vt.tw_early, dep.tw_early, release)
    if start > dep.tw_late:
        return False
    times, t, loc = [], start, dep.location
    for where, early, late, service in stops:
        t = max(t + int(tt[loc, where]), early)
        if t > late:
            return False
        times.append(t)
        t, loc = t + service, where
    end = max(t + int(tt[loc, arr.location]), arr.tw_early)
    if end > min(vt.tw_late, arr.tw_late):
        return False
    if max_ride is not None:
        # Leave the pickup as late as the delivery allows: the shortest possible ride.
        p_service = stops[0][3]
        latest_pickup = min(stops[0][2], times[1] - p_service - int(tt[stops[0][0], stops[1][0]]))
        if times[1] - (max(latest_pickup, times[0]) + p_service) > max_ride:
            return False
    # Leave the depot as late as the first stop allows: the shortest possible duration.
    latest_start = min(dep.tw_late, times[0] - int(tt[dep.location, stops[0][0]]))
    return end - max(start, latest_start) <= vt.max_duration


# ------------------------------------------------------------------------------- the workers


def _run_engine(
    problem: Problem,
    stop: StopCriterion,
    seed: int,
    engine: str,
    t0: float,
    prize: int | None,
    on_best: Callable[[int], None] | None,
    initial: tuple[InitialTour, ...] = (),
) -> Solution:
    if engine == "pyvrp":
        return pyvrp_engine.solve_pyvrp(
            problem, stop, seed=seed, t0=t0, prize=prize, on_best=on_best, initial=initial
        )
    if engine == "ortools":
        return ortools_engine.solve_ortools(
            problem, stop, seed=seed, t0=t0, prize=prize, on_best=on_best, initial=initial
        )
    raise VrpError(f"unknown engine {engine!r}; expected auto, pyvrp or ortools")


def _quality(result: Solution) -> tuple[bool, int, int]:
    return (not result.feasible, len(result.unassigned), result.cost)


def _best_of(
    problem: Problem,
    stop: StopCriterion,
    seed: int,
    engine: str,
    workers: int,
    t0: float,
    progress: Progress | None,
    *,
    prize: int | None,
    initial: tuple[InitialTour, ...] = (),
) -> Solution:
    if workers == 1:
        return _run_engine(problem, stop, seed, engine, t0, prize, progress, initial)
    run = _run_parallel if _in_parallel(workers) and not stop.in_process() else _run_in_turn
    results = run(problem, stop, seed, engine, workers, t0, progress, prize, initial)
    best = min(range(workers), key=lambda w: (_quality(results[w]), w))
    return results[best]


def _run_in_turn(
    problem: Problem,
    stop: StopCriterion,
    seed: int,
    engine: str,
    workers: int,
    t0: float,
    progress: Progress | None,
    prize: int | None,
    initial: tuple[InitialTour, ...] = (),
) -> list[Solution]:
    """The searches of :func:`_run_parallel`, one after another: search ``w`` gets seed
    ``seed + w`` and an equal share of the time limit left (iteration limits are whole)."""
    budget = stop.max_runtime_s()
    best: list[int] = []

    def on_best(cost: int) -> None:
        if progress is not None and (not best or cost < best[0]):
            best[:] = [cost]
            progress(cost)

    results = []
    for w in range(workers):
        started = now()
        part = stop
        if budget is not None:
            part = with_runtime(stop, max(0.0, budget - (started - t0)) / (workers - w))
        results.append(
            _run_engine(
                problem,
                part,
                seed + w,
                engine,
                started,
                prize,
                on_best if progress is not None else None,
                _initial_for(engine, w, initial),
            )
        )
    return results


def _initial_for(engine: str, w: int, initial: tuple[InitialTour, ...]) -> tuple[InitialTour, ...]:
    return initial if w == 0 or engine == "pyvrp" else ()


def _worker(
    q: Any,
    w: int,
    problem: Problem,
    stop: StopCriterion,
    seed: int,
    engine: str,
    t0: float,
    prize: int | None,
    report: bool,
    initial: tuple[InitialTour, ...],
) -> None:
    try:
        on_best = (lambda cost: q.put(("best", w, cost))) if report else None
        result = _run_engine(problem, stop, seed, engine, t0, prize, on_best, initial)
        q.put(("done", w, result))
    except BaseException:
        q.put(("error", w, traceback.format_exc()))


def _run_parallel(
    problem: Problem,
    stop: StopCriterion,
    seed: int,
    engine: str,
    workers: int,
    t0: float,
    progress: Progress | None,
    prize: int | None,
    initial: tuple[InitialTour, ...] = (),
) -> list[Solution]:
    # fork starts fast and shares the matrices copy-on-write; elsewhere fall back to spawn.
    ctx: Any = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    q = ctx.Queue()
    procs = [
        ctx.Process(
            target=_worker,
            # Worker 0 improves the initial routes; the others search from their own starts.
            args=(
                q,
                w,
                problem,
                stop,
                seed + w,
                engine,
                t0,
                prize,
                progress is not None,
                _initial_for(engine, w, initial),
            ),
            daemon=True,
        )
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    results: dict[int, Solution] = {}
    best_cost: int | None = None
    try:
        while len(results) < workers:
            try:
                kind, w, payload = q.get(timeout=1.0)
            except queue.Empty:
                dead = [w for w, p in enumerate(procs) if not p.is_alive() and w not in results]
                if dead and q.empty():
                    raise RuntimeError(f"routing worker {dead[0]} died without a result") from None
                continue
            if kind == "best" and progress is not None:  # already filtered to feasible costs
                if best_cost is None or payload < best_cost:
                    best_cost = payload
                    progress(payload)
            elif kind == "done":
                results[w] = payload
            elif kind == "error":
                raise RuntimeError(f"routing worker {w} failed:\n{payload}")
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
            p.join()
    return [results[w] for w in range(workers)]


# ---------------------------------------------------------------------------- index mapping


def _map_back(
    problem: Problem,
    result: Solution,
    keep_clients: list[int],
    keep_ships: list[int],
    excluded: dict[tuple[JobKind, int], UnassignedReason],
) -> Solution:
    def orig(v: Visit) -> Visit:
        table = keep_clients if v.kind == "client" else keep_ships
        return Visit(v.kind, table[v.index])

    routes = tuple(
        Tour(
            vehicle_type=r.vehicle_type,
            visits=tuple(orig(v) for v in r.visits),
            times=r.times,
            start_time=r.start_time,
            end_time=r.end_time,
            distance=r.distance,
            cost=r.cost,
        )
        for r in result.routes
    )
    unassigned = [
        Unassigned(u.kind, (keep_clients if u.kind == "client" else keep_ships)[u.index], u.reason)
        for u in result.unassigned
    ]
    unassigned += [Unassigned(kind, i, reason) for (kind, i), reason in excluded.items()]
    unassigned.sort(key=lambda u: (u.kind, u.index))
    return Solution(
        routes=routes,
        unassigned=tuple(unassigned),
        cost=result.cost,
        distance=result.distance,
        feasible=result.feasible,
        engine=result.engine,
        seed=result.seed,
        iterations=result.iterations,
        runtime_s=result.runtime_s,
    )
