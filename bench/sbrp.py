"""Park-Tae-Kim school-bus benchmark (RSRB/CSCB): buses needed for the morning runs.

Conventions of Bertsimas, Delarue & Martin (2019), whose published bus counts are the reference
(``sbrp_park_tae_kim/bks.csv``): Manhattan distances in feet at 29.33 ft/s (20 mph); 19 s per
stop plus 2.6 s per student; buses of 66 seats; 154.4 s to drop off at a school, finishing by its
bell (the AMEARLY time); a student rides from leaving their stop to arriving at school for at most
the maximum riding time (2700 s or 5400 s); each route serves one school. A bus may run several
routes in a morning: after school A's bell it drives to the first stop of a route for school B
and must finish that route's drop-off by B's bell. These match the BiRD code
(mitschoolbus/SchoolBusRouting): ``src/load.jl`` (bell = AMEARLY, dwell 154.4 s, the speeds and
stop times), ``src/scenarios.jl`` (``serviceTime``; the ride limit excludes the first stop's own
stop time) and ``isFeasibleInTime`` in ``src/selection.jl`` (A's bell + drive to the first stop +
service time + B's dwell <= B's bell; nothing earlier than the bell). Their "combined" row adds
Chen et al.'s published routes as one more scenario; we use no published routes.

Method: per school, the engine solves a VRPTW in which the maximum ride becomes a time window
(routes end at the school at a fixed time, so a stop's departure must be at most the ride limit
earlier); routes are costed by a fixed cost per route plus travel time. Several fixed costs and
route caps trade fewer routes against shorter ones. Every distinct route, and every split of one
into a head and a tail, goes into a pool; a set-cover MIP (``routing.mip.choose_cover``) then
picks routes covering every stop for the fewest buses, buses being routes minus the "a bus free
at school a's bell runs route j next" links (a maximum bipartite matching for fixed routes). A
stop covered twice stays on one route and leaves the others, which never lengthens a route or a
ride; the final plan is checked to serve every stop exactly once within the limits, and its
buses are recounted exactly.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing as mp
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from sendplan.bench.instances import (
    SbrpInstance,
    benchmarks_dir,
    pick_names,
    read_sbrp,
    read_sbrp_bks,
    sbrp_names,
    sbrp_path,
)
from sendplan.routing.vrp.check import check_solution
from sendplan.routing.vrp.mip import CoverError, choose_cover
from sendplan.routing.vrp.problem import UNBOUNDED, Problem, ProblemBuilder
from sendplan.routing.vrp.solve import default_workers, solve
from sendplan.routing.vrp.stop import MaxIterations, MaxRuntime, NoImprovement, StopCriterion

BUS_SEATS = 66
SPEED_FT_PER_S = 29.3333333
STOP_S = 19.0
PER_STUDENT_S = 2.6
DWELL_S = 154.4
TICKS_PER_S = 10  # the solver works in tenths of a second, rounded up (never optimistic)
ROUTING_SHARE = 0.3  # of the time limit, for the routing engine; the rest chooses routes
KEEP_PREDECESSORS = 10  # schools that may hand a route a bus, the latest bells first


def bell_s(hhmm: int) -> float:
    """Seconds after midnight of an HHMM bell time (810 is 08:10)."""
    return 3600.0 * (hhmm // 100) + 60.0 * (hhmm % 100)


def travel_s(a: tuple[float, float], b: tuple[float, float]) -> float:
    return (abs(a[0] - b[0]) + abs(a[1] - b[1])) / SPEED_FT_PER_S


def stop_s(students: int) -> float:
    return STOP_S + PER_STUDENT_S * students


@dataclass(frozen=True)
class SchoolRoute:
    """Stops (indices into the instance's stops) in driving order, ending at ``school``."""

    school: int
    stops: tuple[int, ...]
    service_s: float  # from the start of the first stop to arrival at school
    max_ride_s: float


def _ticks(seconds: float) -> int:
    return math.ceil(seconds * TICKS_PER_S - 1e-9)


def school_problem(
    inst: SbrpInstance,
    school: int,
    stops: Sequence[int],
    *,
    max_ride_s: float,
    route_cost: int,
    max_route_s: float | None = None,
    start_from: int | None = None,
) -> Problem:
    """One school's morning as a VRPTW: every route ends at the school.

    Routes start anywhere for free, or, with ``start_from``, at that (earlier) school, so the
    drive from there to the first stop counts and routes begin where a bus is likely to be.
    Arrival at school is pinned to ``horizon``; a stop must then be left no earlier than
    ``horizon - max_ride``, which is the ride limit. Times in ticks, rounded up.
    """
    sch = inst.schools[school]
    points = [(sch.x, sch.y)] + [(inst.stops[i].x, inst.stops[i].y) for i in stops]
    if start_from is not None:
        points.insert(0, (inst.schools[start_from].x, inst.schools[start_from].y))
    xy = np.asarray(points, dtype=float)
    manhattan = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2)
    ticks = np.ceil(manhattan / SPEED_FT_PER_S * TICKS_PER_S - 1e-9).astype(np.int64)
    n = len(stops) + 2  # 0: the start, 1: the school, then the stops
    travel = np.zeros((n, n), dtype=np.int64)
    if start_from is None:
        travel[1:, 1:] = ticks
    else:
        travel[:, :] = ticks
    max_ride = int(max_ride_s * TICKS_PER_S)
    services = [_ticks(stop_s(inst.stops[i].students)) for i in stops]
    horizon = max_ride + max(services, default=0) + int(travel[0].max()) + 1
    travel[1:, 0] = horizon  # nothing returns to the start
    builder = ProblemBuilder(distance=travel, duration=travel, load_names=["students"])
    builder.add_depot(0, tw_early=0, tw_late=horizon, name="free start")
    builder.add_depot(1, tw_early=0, tw_late=horizon, name=sch.school_id)
    for k, i in enumerate(stops):
        builder.add_client(
            k + 2,
            pickup=[inst.stops[i].students],
            service_duration=services[k],
            tw_early=horizon - max_ride - services[k],
            tw_late=horizon,
            name=inst.stops[i].stop_id,
        )
    builder.add_vehicle_type(
        num_available=max(1, len(stops)),
        capacity=[BUS_SEATS],
        start_depot=0,
        end_depot=1,
        fixed_cost=route_cost,
        max_duration=UNBOUNDED if max_route_s is None else int(max_route_s * TICKS_PER_S),
    )
    return builder.build()


def route_times(inst: SbrpInstance, school: int, stops: Sequence[int]) -> tuple[float, float]:
    """(service time, longest ride) of a route in exact seconds."""
    sch = inst.schools[school]
    sch_xy = (sch.x, sch.y)
    remaining = travel_s((inst.stops[stops[-1]].x, inst.stops[stops[-1]].y), sch_xy)
    max_ride = remaining
    for a, b in zip(reversed(stops[:-1]), reversed(stops[1:]), strict=True):
        sa, sb = inst.stops[a], inst.stops[b]
        remaining += travel_s((sa.x, sa.y), (sb.x, sb.y)) + stop_s(sb.students)
        max_ride = max(max_ride, remaining)
    return remaining + stop_s(inst.stops[stops[0]].students), max_ride


def solve_school(
    inst: SbrpInstance,
    school: int,
    stops: Sequence[int],
    *,
    max_ride_s: float,
    route_cost: int,
    max_route_s: float | None,
    stop: StopCriterion,
    seed: int,
    workers: int | None,
    start_from: int | None = None,
) -> tuple[list[SchoolRoute], bool]:
    """Routes for one school, and whether the checker accepted the engine's result. Stops the
    engine could not route (possible under a tight route cap) are on no route."""
    problem = school_problem(
        inst,
        school,
        stops,
        max_ride_s=max_ride_s,
        route_cost=route_cost,
        max_route_s=max_route_s,
        start_from=start_from,
    )
    result = solve(problem, stop, seed, workers=workers)
    ok = check_solution(problem, result).ok and result.feasible
    routes = []
    for r in result.routes:
        seq = tuple(stops[v.index] for v in r.visits)
        service, ride = route_times(inst, school, seq)
        routes.append(SchoolRoute(school, seq, service, ride))
    return routes, ok


def can_follow(inst: SbrpInstance, routes: Sequence[SchoolRoute]) -> np.ndarray:
    """follow[a, j]: a bus free at school ``a``'s bell can run route j next (reach its first
    stop, run it and drop off before its school's bell). It depends on ``a``, not on which of
    a's routes the bus ran, which keeps the scheduling graph small."""
    bells = np.array([bell_s(s.am_early_hhmm) for s in inst.schools])
    sx = np.array([s.x for s in inst.schools])
    sy = np.array([s.y for s in inst.schools])
    school = np.array([r.school for r in routes], dtype=int)
    fx = np.array([inst.stops[r.stops[0]].x for r in routes])
    fy = np.array([inst.stops[r.stops[0]].y for r in routes])
    service = np.array([r.service_s for r in routes])
    drive = (np.abs(sx[:, None] - fx[None, :]) + np.abs(sy[:, None] - fy[None, :])) / SPEED_FT_PER_S
    ready = bells[:, None] + drive + service[None, :] + DWELL_S
    same = np.arange(len(inst.schools))[:, None] == school[None, :]
    follow: np.ndarray = (ready <= bells[school][None, :]) & ~same
    return follow


def count_buses(follow: np.ndarray, routes_at: np.ndarray) -> int:
    """Fewest buses for a set of routes: routes minus the most "bus runs route j after a route
    of school a" links, a maximum flow (each route has one successor and one predecessor)."""
    n_schools, n_routes = follow.shape
    a, j = np.nonzero(follow)
    src, sink, first_route = 0, 1, 2 + n_schools
    tails = np.concatenate([np.zeros(n_schools, int), 2 + a, first_route + np.arange(n_routes)])
    heads = np.concatenate([2 + np.arange(n_schools), first_route + j, np.full(n_routes, sink)])
    caps = np.concatenate([routes_at, np.ones(len(a), int), np.ones(n_routes, int)])
    size = first_route + n_routes
    graph = csr_matrix((caps.astype(np.int32), (tails, heads)), shape=(size, size))
    flow = maximum_flow(graph, src, sink, method="dinic").flow_value
    return n_routes - int(flow)


def min_buses(inst: SbrpInstance, routes: Sequence[SchoolRoute]) -> int:
    """Fewest buses to run every route."""
    routes_at = np.bincount([r.school for r in routes], minlength=len(inst.schools))
    return count_buses(can_follow(inst, routes), routes_at)


Scenario = tuple[float, float | None, bool]

SCENARIOS: tuple[Scenario, ...] = (
    (100.0, None, False),
    (1.0, None, False),
    (0.25, None, False),
    (100.0, 0.75, False),
    (100.0, 0.5, False),
)
"""Route sets generated per school, as (fixed cost per route, cap on a route's duration, start
at the previous school): cost and cap are multiples of the ride limit. A cost of 100 means fewest
routes first; lower costs and caps give more, shorter routes, which chain more easily into one
bus's morning. Starting at the nearest school with an earlier bell (putting first stops where a
bus arriving from there can reach them) is available but measured no better, so not a default."""


def previous_school(inst: SbrpInstance, school: int) -> int | None:
    """The nearest school whose bell rings earlier, if any."""
    me = inst.schools[school]
    earlier = [
        k for k, s in enumerate(inst.schools) if bell_s(s.am_early_hhmm) < bell_s(me.am_early_hhmm)
    ]
    if not earlier:
        return None
    return min(
        earlier,
        key=lambda k: (abs(inst.schools[k].x - me.x) + abs(inst.schools[k].y - me.y), k),
    )


@dataclass(frozen=True)
class _Task:
    inst: SbrpInstance
    school: int
    stops: tuple[int, ...]
    max_ride_s: float
    route_cost: int
    max_route_s: float | None
    stop: StopCriterion
    seed: int
    start_from: int | None


def _solve_task(task: _Task) -> tuple[list[SchoolRoute], bool]:
    return solve_school(
        task.inst,
        task.school,
        task.stops,
        max_ride_s=task.max_ride_s,
        route_cost=task.route_cost,
        max_route_s=task.max_route_s,
        stop=task.stop,
        seed=task.seed,
        workers=1,
        start_from=task.start_from,
    )


def route_pool(
    inst: SbrpInstance,
    *,
    max_ride_s: float,
    time_limit_s: float,
    seed: int = 1,
    workers: int | None = None,
    iterations: int | None = None,
    scenarios: Sequence[Scenario] = SCENARIOS,
) -> tuple[dict[int, list[list[SchoolRoute]]], bool]:
    """Complete route sets per school (one per scenario that routed every stop), and whether
    the checker accepted every engine result. The (school, scenario) solves are independent and
    run on ``workers`` processes within ``time_limit_s`` wall time, shared in proportion to the
    schools' stops (``iterations`` per solve instead, if given)."""
    school_of = {sc.school_id: k for k, sc in enumerate(inst.schools)}
    by_school: dict[int, list[int]] = {}
    for i, s in enumerate(inst.stops):
        by_school.setdefault(school_of[s.school_id], []).append(i)
    workers = workers or default_workers()
    tasks = []
    for cost_factor, cap_factor, from_previous in scenarios:
        cost = int(cost_factor * max_ride_s * TICKS_PER_S) + 1
        cap = None if cap_factor is None else cap_factor * max_ride_s
        for k, stops in sorted(by_school.items()):
            share = time_limit_s * workers * len(stops) / len(inst.stops) / len(scenarios)
            stop: StopCriterion = (
                MaxRuntime(share) | NoImprovement(20_000)
                if iterations is None
                else MaxIterations(iterations)
            )
            start = previous_school(inst, k) if from_previous else None
            tasks.append(_Task(inst, k, tuple(stops), max_ride_s, cost, cap, stop, seed, start))
    if workers > 1:
        ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        with ctx.Pool(workers) as pool:
            solved = pool.map(_solve_task, tasks, chunksize=1)
    else:
        solved = [_solve_task(t) for t in tasks]
    options: dict[int, list[list[SchoolRoute]]] = {k: [] for k in by_school}
    for task, (routes, _ok) in zip(tasks, solved, strict=True):
        if sum(len(r.stops) for r in routes) == len(task.stops):  # only complete route sets
            options[task.school].append(routes)
    checker_ok = all(ok for _routes, ok in solved)
    missing = sorted(inst.schools[k].school_id for k, sets in options.items() if not sets)
    if missing:
        raise RuntimeError(f"{inst.name}: no complete routing for schools {missing}")
    return options, checker_ok


def solve_instance(
    inst: SbrpInstance,
    *,
    max_ride_s: float,
    time_limit_s: float,
    seed: int = 1,
    workers: int | None = None,
    iterations: int | None = None,
    scenarios: Sequence[Scenario] = SCENARIOS,
    select_rounds: int = 20,
) -> dict[str, Any]:
    """Buses for one instance: a pool of routes per school, then the best cover of the stops.

    The (school, scenario) solves are independent and run on ``workers`` processes; together
    they get ``ROUTING_SHARE`` of ``time_limit_s``, shared in proportion to the schools' stops.
    The pool (those routes and every head/tail split of them) then goes to a set-cover MIP
    that minimises buses (``choose_cover``) in the time left, which bounds the whole call's
    wall time. While another routing round (next seed, routes added to the pool) and a new MIP
    fit in the time left, they run; the best plan is kept. With ``iterations``, one round with
    work limits and a MIP run to optimality make the result reproducible (``select_rounds``
    bounds the fallback selection).
    """
    started = time.perf_counter()
    deadline = None if iterations is not None else started + time_limit_s
    routes: list[SchoolRoute] = []
    checker_ok = True
    best: tuple[tuple[int, int], list[SchoolRoute], str, bool] | None = None
    for extra in itertools.count():
        t0 = time.perf_counter()
        options, ok = route_pool(
            inst,
            max_ride_s=max_ride_s,
            time_limit_s=time_limit_s * ROUTING_SHARE,
            seed=seed + extra,
            workers=workers,
            iterations=iterations,
            scenarios=scenarios,
        )
        checker_ok = checker_ok and ok
        routes += [r for sets in options.values() for rs in sets for r in rs]
        t1 = time.perf_counter()
        plan, selection, proved = _cover_plan(
            inst, routes, options, seed=seed, select_rounds=select_rounds, deadline=deadline
        )
        check_plan(inst, plan, max_ride_s=max_ride_s)
        key = (min_buses(inst, plan), len(plan))
        if best is None or key < best[0]:
            best = (key, plan, selection, proved)
        # Another round of routing only if it and a larger MIP fit in the time left.
        ahead = (t1 - t0) + 2 * (time.perf_counter() - t1) + 1.0
        if deadline is None or time.perf_counter() + ahead > deadline:
            break
    assert best is not None  # the loop runs at least once
    (buses, n_routes), plan, selection, proved = best
    return {
        "buses": buses,
        "routes": n_routes,
        "max_ride_s": round(max(r.max_ride_s for r in plan), 1),
        "checker_ok": checker_ok,
        "selection": selection,
        "selection_optimal": proved,
        "routing_rounds": extra + 1,
    }


def _cover_plan(
    inst: SbrpInstance,
    routes: Sequence[SchoolRoute],
    options: dict[int, list[list[SchoolRoute]]],
    *,
    seed: int,
    select_rounds: int,
    deadline: float | None,
) -> tuple[list[SchoolRoute], str, bool]:
    """The plan from the best cover of the stops by ``routes`` and their splits found by the
    deadline; whether it came from the cover MIP ("cover") or, failing that, from whole route
    sets of ``options`` ("scenarios"); and whether the MIP proved its choice optimal."""
    pool = split_routes(inst, routes)
    follow = can_follow(inst, pool)
    links = np.argwhere(latest_predecessors(inst, follow, keep=KEEP_PREDECESSORS))
    try:
        limit = None
        if deadline is not None:  # CBC overruns short limits by its root node: leave room
            limit = max(1.0, 0.6 * (deadline - time.perf_counter()) - 0.5)
        choice = choose_cover(
            covers=[r.stops for r in pool],
            n_items=len(inst.stops),
            group=[r.school for r in pool],
            links=links,
            time_limit_s=limit,
        )
    except CoverError:  # fall back on whole scenario sets, one per school
        chosen = _select_scenarios(
            inst, options, seed=seed, rounds=select_rounds, deadline=deadline
        )
        return drop_repeats(inst, chosen), "scenarios", False
    return drop_repeats(inst, [pool[i] for i in choice.chosen]), "cover", choice.optimal


def _select_scenarios(
    inst: SbrpInstance,
    options: dict[int, list[list[SchoolRoute]]],
    *,
    seed: int,
    rounds: int,
    deadline: float | None,
) -> list[SchoolRoute]:
    """One whole route set per school, by ``select_route_sets``."""
    candidates: list[SchoolRoute] = []
    members: dict[tuple[int, int], list[int]] = {}
    for k, sets in options.items():
        for alt, routes in enumerate(sets):
            members[(k, alt)] = list(range(len(candidates), len(candidates) + len(routes)))
            candidates += routes
    follow = can_follow(inst, candidates)

    def buses_for(ch: dict[int, int]) -> int:
        idx = [i for k in sorted(ch) for i in members[(k, ch[k])]]
        routes_at = np.zeros(len(inst.schools), dtype=int)
        for k in ch:
            routes_at[k] = len(members[(k, ch[k])])
        return count_buses(follow[:, idx], routes_at)

    choice = select_route_sets(
        options, buses_for, seed=seed, rounds=None if deadline else rounds, deadline=deadline
    )
    return [candidates[i] for k in sorted(choice) for i in members[(k, choice[k])]]


def split_routes(inst: SbrpInstance, routes: Sequence[SchoolRoute]) -> list[SchoolRoute]:
    """Each distinct route once, then every split of one into a head and a tail (both are
    routes: dropping stops never lengthens a Manhattan route or a ride)."""
    pool: dict[tuple[int, tuple[int, ...]], SchoolRoute] = {}
    for r in routes:
        pool.setdefault((r.school, r.stops), r)
    for school, stops in list(pool):
        for cut in range(1, len(stops)):
            for part in (stops[:cut], stops[cut:]):
                if (school, part) not in pool:
                    pool[(school, part)] = SchoolRoute(
                        school, part, *route_times(inst, school, part)
                    )
    return list(pool.values())


def latest_predecessors(inst: SbrpInstance, follow: np.ndarray, *, keep: int) -> np.ndarray:
    """``follow`` keeping, for each route, the ``keep`` schools with the latest bells that can
    precede it: a bus rarely idles through several bells, and it shrinks the model."""
    bells = np.array([bell_s(s.am_early_hhmm) for s in inst.schools])
    order = np.argsort(-bells, kind="stable")
    rank = np.cumsum(follow[order], axis=0)  # per route, how many predecessors so far
    kept = np.zeros_like(follow)
    kept[order] = follow[order] & (rank <= keep)
    return kept


def drop_repeats(inst: SbrpInstance, routes: Sequence[SchoolRoute]) -> list[SchoolRoute]:
    """Each stop on exactly one route: a stop on several stays on the one it lengthens least
    (the others lose it, which never makes a route or a ride longer); empty routes go."""
    stops = [list(r.stops) for r in routes]
    on: dict[int, list[int]] = {}
    for k, r in enumerate(routes):
        for i in r.stops:
            on.setdefault(i, []).append(k)
    for i in sorted(on):
        if len(on[i]) < 2:
            continue

        def saving(k: int, stop: int = i) -> float:
            rest = [s for s in stops[k] if s != stop]
            before = route_times(inst, routes[k].school, stops[k])[0]
            return before - (route_times(inst, routes[k].school, rest)[0] if rest else 0.0)

        keeper = min(on[i], key=lambda k: (saving(k), k))
        for k in on[i]:
            if k != keeper:
                stops[k].remove(i)
    out = []
    for r, seq in zip(routes, stops, strict=True):
        if seq:
            t = tuple(seq)
            out.append(
                r if t == r.stops else SchoolRoute(r.school, t, *route_times(inst, r.school, t))
            )
    return out


def check_plan(inst: SbrpInstance, routes: Sequence[SchoolRoute], *, max_ride_s: float) -> None:
    """Raise unless every stop is on exactly one route, of its own school, within the seats and
    the ride limit."""
    school_of = {sc.school_id: k for k, sc in enumerate(inst.schools)}
    seen = np.zeros(len(inst.stops), dtype=int)
    for r in routes:
        seen[list(r.stops)] += 1
        if any(school_of[inst.stops[i].school_id] != r.school for i in r.stops):
            raise RuntimeError(f"{inst.name}: a route carries a stop of another school")
        if sum(inst.stops[i].students for i in r.stops) > BUS_SEATS:
            raise RuntimeError(f"{inst.name}: a route has more than {BUS_SEATS} students")
        if route_times(inst, r.school, r.stops)[1] > max_ride_s + 1e-6:
            raise RuntimeError(f"{inst.name}: a ride exceeds {max_ride_s:g} s")
    if (seen != 1).any():
        bad = int(np.flatnonzero(seen != 1)[0])
        raise RuntimeError(f"{inst.name}: stop {inst.stops[bad].stop_id} is on {seen[bad]} routes")


def select_route_sets(
    options: dict[int, list[list[SchoolRoute]]],
    buses_for: Callable[[dict[int, int]], int],
    *,
    seed: int,
    rounds: int | None,
    deadline: float | None,
) -> dict[int, int]:
    """Pick one route set per school for the fewest buses (then fewest routes, then least
    driving): a descent over single-school swaps, restarted from random perturbations of the
    best choice (iterated local search, seeded) for ``rounds`` rounds or until ``deadline``
    (``time.perf_counter``), whichever comes first."""
    rng = random.Random(seed)
    schools = sorted(options)

    def key(ch: dict[int, int]) -> tuple[int, int, float]:
        routes = [r for k in schools for r in options[k][ch[k]]]
        return buses_for(ch), len(routes), sum(r.service_s for r in routes)

    def descend(ch: dict[int, int], best: tuple[int, int, float]) -> tuple[dict, tuple]:
        improved = True
        while improved:
            improved = False
            for k in schools:
                for alt in range(len(options[k])):
                    if alt == ch[k]:
                        continue
                    trial = {**ch, k: alt}
                    value = key(trial)
                    if value < best:
                        ch, best, improved = trial, value, True
        return ch, best

    choice, best = descend({k: 0 for k in schools}, key({k: 0 for k in schools}))
    movable = [k for k in schools if len(options[k]) > 1]
    done = 0
    while movable and (rounds is None or done < rounds):
        if deadline is not None and time.perf_counter() >= deadline:
            break
        done += 1
        trial = dict(choice)
        for k in rng.sample(movable, min(len(movable), max(2, len(movable) // 10))):
            trial[k] = rng.randrange(len(options[k]))
        trial, value = descend(trial, key(trial))
        if value <= best:
            choice, best = trial, value
    return choice


def bench_sbrp(
    *,
    time_limit_s: float = 20.0,
    instances: Sequence[str] | None = None,
    max_ride_s: Sequence[float] = (2700.0, 5400.0),
    seed: int = 1,
    workers: int | None = None,
    iterations: int | None = None,
    root: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Buses per instance and ride limit against the best published method in bks.csv."""
    refs = read_sbrp_bks(root)
    folder = (root or benchmarks_dir()) / "sbrp_park_tae_kim" / "instances"
    default = sorted({name for name, _t in refs})
    names = pick_names(instances, sbrp_names(root), folder) if instances else default
    rows = []
    started = time.perf_counter()
    for name in names:
        inst = read_sbrp(sbrp_path(name, root))
        for limit in max_ride_s:
            if progress is not None:
                progress(f"{name}, max ride {limit:g} s")
            t0 = time.perf_counter()
            row: dict[str, Any] = {
                "instance": name,
                "max_riding_time_s": limit,
                "schools": len(inst.schools),
                "stops": len(inst.stops),
                "students": sum(s.students for s in inst.stops),
            }
            row.update(
                solve_instance(
                    inst,
                    max_ride_s=limit,
                    time_limit_s=time_limit_s,
                    seed=seed,
                    workers=workers,
                    iterations=iterations,
                )
            )
            ref = refs.get((name, int(limit)))
            if ref is not None:
                row["best_buses_in_table"] = ref.buses_best
                row["buses_by_method"] = ref.buses_by_method
                row["buses_minus_best"] = row["buses"] - ref.buses_best
            row["ride_ok"] = row["max_ride_s"] <= limit
            row["seconds"] = round(time.perf_counter() - t0, 1)
            rows.append(row)
    compared = [r for r in rows if "buses_minus_best" in r]
    return {
        "benchmark": "sbrp",
        "time_limit_s": time_limit_s if iterations is None else None,
        "iterations": iterations,
        "seed": seed,
        "count": len(rows),
        "total_buses": sum(r["buses"] for r in rows),
        "total_best_buses": sum(r["best_buses_in_table"] for r in compared),
        "at_or_below_best": sum(r["buses_minus_best"] <= 0 for r in compared),
        "above_best": sum(r["buses_minus_best"] > 0 for r in compared),
        "all_rides_ok": all(r["ride_ok"] for r in rows),
        "checker_ok": all(r["checker_ok"] for r in rows),
        "total_seconds": round(time.perf_counter() - started, 1),
        "instances": rows,
    }
