"""From a route pool to buses for the SBRP benchmark: which routes a bus can run one after
another, the fewest buses for a set of routes, and the choice of routes (a set-cover MIP, or
whole route sets per school when it fails), made to serve every stop exactly once and checked.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from sendplan.bench.instances import SbrpInstance
from sendplan.bench.sbrp_pool import (
    BUS_SEATS,
    DWELL_S,
    SPEED_FT_PER_S,
    SchoolRoute,
    bell_s,
    route_times,
    split_routes,
)
from sendplan.routing.vrp.mip import CoverError, choose_cover

KEEP_PREDECESSORS = 10  # schools that may hand a route a bus, the latest bells first


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


def cover_plan(
    inst: SbrpInstance,
    routes: Sequence[SchoolRoute],
    options: dict[int, list[list[SchoolRoute]]],
    *,
    seed: int,
    select_rounds: int,
    deadline: float | None,
    mip_share: float,
) -> tuple[list[SchoolRoute], str, bool]:
    """The plan from the best cover of the stops by ``routes`` and their splits found by the
    deadline; whether it came from the cover MIP ("cover") or, failing that, from whole route
    sets of ``options`` ("scenarios"); and whether the MIP proved its choice optimal. The MIP
    may use ``mip_share`` of the time left (CBC overruns short limits by its root node)."""
    pool = split_routes(inst, routes)
    follow = can_follow(inst, pool)
    links = np.argwhere(latest_predecessors(inst, follow, keep=KEEP_PREDECESSORS))
    try:
        limit = None
        if deadline is not None:
            limit = max(1.0, mip_share * (deadline - time.perf_counter()) - 0.5)
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
