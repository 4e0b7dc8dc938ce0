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
into a head and a tail, goes into a pool; a set-cover MIP (``routing.vrp.mip.choose_cover``)
picks routes covering every stop for the fewest buses, buses being routes minus the "a bus free
at school a's bell runs route j next" links (a maximum bipartite matching for fixed routes). A
stop covered twice stays on one route and leaves the others, which never lengthens a route or a
ride; the final plan is checked to serve every stop exactly once within the limits, and its
buses are recounted exactly.

The routing and the pool live in :mod:`sendplan.bench.sbrp_pool`; chaining routes into buses
and choosing the routes in :mod:`sendplan.bench.sbrp_chain`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sendplan.bench.instances import (
    SbrpInstance,
    benchmarks_dir,
    pick_names,
    read_sbrp,
    read_sbrp_bks,
    sbrp_names,
    sbrp_path,
)
from sendplan.bench.sbrp_chain import check_plan, cover_plan, min_buses
from sendplan.bench.sbrp_pool import (
    LATER_SCENARIOS,
    SCENARIOS,
    Scenario,
    SchoolRoute,
    route_pool,
)

ROUTING_SHARE = 0.3  # of the time limit, for the routing engine; the rest chooses routes
FIRST_MIP_SHARE = 0.75  # of the time left, for the first cover MIP (CBC overruns by its root)
LATER_MIP_SHARE = 0.6  # for a later round's MIP, which has a previous plan to fall back on
LATER_MIP_GROWTH = 1.5  # a later round's MIP (a larger pool) over the last one's time, expected
MIN_LATER_ROUTING_SHARE = 0.05  # of the time limit: less routing rarely adds a useful route


def solve_instance(
    inst: SbrpInstance,
    *,
    max_ride_s: float,
    time_limit_s: float,
    seed: int = 1,
    workers: int | None = None,
    iterations: int | None = None,
    scenarios: Sequence[Scenario] = SCENARIOS,
    later_scenarios: Sequence[Scenario] = LATER_SCENARIOS,
    select_rounds: int = 20,
) -> dict[str, Any]:
    """Buses for one instance: a pool of routes per school, then the best cover of the stops.

    The (school, scenario) solves are independent and run on ``workers`` processes; together
    they get ``ROUTING_SHARE`` of ``time_limit_s``, shared in proportion to the schools' stops.
    The pool (those routes and every head/tail split of them) then goes to a set-cover MIP
    that minimises buses (``choose_cover``) in the time left, which bounds the whole call's
    wall time. While the time left holds a larger MIP and some routing, another routing round
    (next seed, routes added to the pool, its routing time cut to what fits; every second
    round with ``later_scenarios``) and a new MIP run; the best plan is kept. With
    ``iterations``, one round with work limits and a MIP run to optimality make the result
    reproducible (``select_rounds`` bounds the fallback selection).
    """
    started = time.perf_counter()
    deadline = None if iterations is not None else started + time_limit_s
    routes: list[SchoolRoute] = []
    checker_ok = True
    best: tuple[tuple[int, int], list[SchoolRoute], str, bool] | None = None
    full_routing_s = time_limit_s * ROUTING_SHARE
    routing_s = full_routing_s
    for extra in itertools.count():
        t0 = time.perf_counter()
        options, ok = route_pool(
            inst,
            max_ride_s=max_ride_s,
            time_limit_s=routing_s,
            seed=seed + extra,
            workers=workers,
            iterations=iterations,
            scenarios=scenarios if extra % 2 == 0 else later_scenarios,
        )
        checker_ok = checker_ok and ok
        routes += [r for sets in options.values() for rs in sets for r in rs]
        t1 = time.perf_counter()
        # The first cover MIP may take most of the time left: if it finds nothing, only the
        # far weaker whole-route-set fallback is left. Later rounds keep a previous plan.
        plan, selection, proved = cover_plan(
            inst, routes, options, seed=seed, select_rounds=select_rounds, deadline=deadline,
            mip_share=FIRST_MIP_SHARE if best is None else LATER_MIP_SHARE,
        )  # fmt: skip
        check_plan(inst, plan, max_ride_s=max_ride_s)
        key = (min_buses(inst, plan), len(plan))
        if best is None or key < best[0]:
            best = (key, plan, selection, proved)
        if deadline is None:
            break
        # Another round gets the routing time that leaves room for a larger MIP (its pool
        # grows) and the routing's own overhead past its limit, if that is worth a round.
        t2 = time.perf_counter()
        overhead_s = max(0.0, (t1 - t0) - routing_s)
        routing_s = min(
            full_routing_s,
            deadline - t2 - LATER_MIP_GROWTH * (t2 - t1) - overhead_s - 1.0,
        )
        if routing_s < time_limit_s * MIN_LATER_ROUTING_SHARE:
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
