"""Transport benchmarks beside a baseline and over time (issue 17, items 2 and 3).

``run_baseline_bench``: per seed, the scenario solved by sendplan (as ``bench transport`` does)
and, in the same run with the same work limit and processes, by plain PyVRP per school
(``pyvrp_baseline.py``); both plans are passed through the independent checker. ``ratio`` is
sendplan's cost over the baseline's (below 1: sendplan is cheaper). Forced solo runs
(travel-alone children, and children whose direct journey already breaks their limit) are the
same on both sides and no planner can change them, so ``ratio_without_solo`` compares the rest, and
``ratio_without_solo_for_target`` is what that ratio must reach for ``ratio`` to meet the target.

With a ``bound_stop``, each distinct instance also gets two lower bounds on any single-school
plan, both seeded with both plans' runs: ``routing.transport.bound``'s covering programme over
every school (the fleet shared) and ``bound_exact``'s integer bound per school (their sum).
``lowest_possible_ratio`` is the better of them over the baseline's cost, the least ratio any
plan could reach, so a ``lowest_possible_mean_ratio`` above the target would prove the target
out of reach.

``run_anytime_bench``: the cost at each time limit, each solved from scratch with the same seed.
A checkpoint in one long run would not measure a short run: sendplan shares its budget among
schools in proportion to their children, so at 10 s of a 120 s run most schools are unstarted.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sendplan.bench.pyvrp_baseline import plan_baseline
from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario
from sendplan.routing.result import Result
from sendplan.routing.solve import solve
from sendplan.routing.transport.bound import SessionBound, session_bound
from sendplan.routing.transport.bound_exact import SchoolBound, school_bounds
from sendplan.routing.transport.check import check_transport
from sendplan.routing.transport.plan import Route, RouteFlag, Session, TransportPlan
from sendplan.routing.transport.planner import school_of_children
from sendplan.routing.vrp.stop import StopCriterion, work_limit

TARGET_MEAN_RATIO = 0.97
TARGET_MAX_RATIO = 1.00
ANYTIME_SHORT_S = 10.0
ANYTIME_LONG_S = 120.0
ANYTIME_TARGET_PCT = 2.0
VIOLATIONS_SHOWN = 10

Bounds = tuple[SessionBound, tuple[SchoolBound, ...]]


def _sendplan(
    scenario: Scenario, *, session: Session, time_limit_s: float, iterations: int | None,
    seed: int, workers: int | None,
) -> tuple[Result, float]:  # fmt: skip
    t0 = time.monotonic()
    result = solve(
        scenario,
        sessions=(session,),
        stop=work_limit(time_limit_s=time_limit_s, iterations=iterations),
        seed=seed,
        placement="auto",
        workers=workers,
        status_quo=False,
    )
    return result, time.monotonic() - t0


def _figures(
    plan: TransportPlan, ok: bool, violations: Sequence[str], seconds: float
) -> dict[str, Any]:
    return {
        "cost_gbp": round(plan.cost_gbp, 2),
        "solo_cost_gbp": round(solo_cost_gbp(plan), 2),
        "routes": len(plan.routes),
        "solo_routes": sum(forced_solo(route) for route in plan.routes),
        "mixed_school_routes": sum(route.mixed for route in plan.routes),
        "transported": plan.transported,
        "unrouted": len(plan.unrouted),
        "checker_ok": ok,
        "violations": list(violations[:VIOLATIONS_SHOWN]),
        "seconds": round(seconds, 2),
    }


# Solo runs the rules force on every plan of the same children. A never-together run is the
# planner's own choice (which child leaves the shared run), so it stays among the runs compared.
FORCED_SOLO = frozenset({RouteFlag.TRAVEL_ALONE, RouteFlag.DIRECT_RIDE_OVER_LIMIT})


def forced_solo(route: Route) -> bool:
    return route.solo and set(route.flags) <= FORCED_SOLO


def solo_cost_gbp(plan: TransportPlan) -> float:
    """What the plan's forced solo runs (``FORCED_SOLO``) cost."""
    return sum(route.cost_gbp for route in plan.routes if forced_solo(route))


def ratio_without_solo(
    ours_gbp: float, ours_solo_gbp: float, base_gbp: float, base_solo_gbp: float
) -> tuple[float | None, float | None]:
    """The ratio over the runs a planner can change, and the one it needs for the whole plan's
    ratio to be ``TARGET_MEAN_RATIO``; None when the baseline has no such runs."""
    rest = base_gbp - base_solo_gbp
    if rest <= 0:
        return None, None
    needed = (TARGET_MEAN_RATIO * base_gbp - ours_solo_gbp) / rest
    return (ours_gbp - ours_solo_gbp) / rest, needed


def compare_seed(
    scenario: Scenario,
    *,
    seed: int,
    session: Session = "am",
    time_limit_s: float = 60.0,
    iterations: int | None = None,
    workers: int | None = None,
    bound_stop: StopCriterion | None = None,
    bounds: dict[tuple[Any, ...], Bounds] | None = None,
) -> dict[str, Any]:
    """One seed: sendplan's plan and plain PyVRP's, each checked, and the cost ratio; with
    ``bound_stop``, the instance's lower bounds too (kept in ``bounds`` for the next seeds:
    the schools' ceilings are then the first seed's plans', which keeps them valid)."""
    result, seconds = _sendplan(scenario, session=session, time_limit_s=time_limit_s,
                                iterations=iterations, seed=seed, workers=workers)  # fmt: skip
    school_of = school_of_children(result.scenario, result.placement)
    travel = result.travel
    if travel is None:  # solve always records it; a plan without one cannot be checked
        raise RuntimeError("the solve returned no travel model")
    ours = result.transport[0]
    ours_check = check_transport(result.scenario, school_of, travel, ours)
    t0 = time.monotonic()
    stop = work_limit(time_limit_s=time_limit_s, iterations=iterations)
    base = plan_baseline(result.scenario, school_of, travel, session=session, stop=stop,
                         seed=seed, workers=workers)  # fmt: skip
    base_seconds = time.monotonic() - t0
    base_check = check_transport(result.scenario, school_of, travel, base)
    ratio = ours.cost_gbp / base.cost_gbp if base.cost_gbp else None
    shared, needed = ratio_without_solo(
        ours.cost_gbp, solo_cost_gbp(ours), base.cost_gbp, solo_cost_gbp(base)
    )
    row: dict[str, Any] = {}
    if bound_stop is not None:
        known = {} if bounds is None else bounds
        key = (result.scenario.name, session, tuple(sorted(school_of.items())))
        if key not in known:
            known[key] = lower_bounds(result.scenario, school_of, travel, session=session,
                                      stop=bound_stop, plans=(ours.routes, base.routes),
                                      workers=workers)  # fmt: skip
        row = bound_figures(known[key], ours.cost_gbp, base.cost_gbp)
    return row | {
        "seed": seed,
        "scenario": result.scenario.name,
        "children": len(school_of),
        "sendplan_cost_gbp": round(ours.cost_gbp, 2),
        "baseline_cost_gbp": round(base.cost_gbp, 2),
        "ratio": None if ratio is None else round(ratio, 4),
        "ratio_without_solo": None if shared is None else round(shared, 4),
        "ratio_without_solo_for_target": None if needed is None else round(needed, 4),
        "sendplan_checker_ok": ours_check.ok,
        "baseline_checker_ok": base_check.ok,
        "sendplan": _figures(ours, ours_check.ok, ours_check.violations, seconds),
        "baseline": _figures(base, base_check.ok, base_check.violations, base_seconds),
    }


def lower_bounds(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    travel: TravelModel,
    *,
    session: Session,
    stop: StopCriterion,
    plans: Sequence[Sequence[Route]],
    workers: int | None = None,
) -> Bounds:
    """The session's programme bound (fleet shared) and each school's integer bound."""
    whole = session_bound(scenario, school_of, travel, session=session, stop=stop,
                          start=[r for p in plans for r in p], workers=workers or 2)  # fmt: skip
    schools = school_bounds(scenario, school_of, travel, session=session, stop=stop,
                            plans=plans, workers=workers or 2)  # fmt: skip
    return whole, schools


def bound_figures(bounds: Bounds, ours_gbp: float, baseline_gbp: float | None = None
                  ) -> dict[str, Any]:  # fmt: skip
    """The bounds' figures, the best of them, sendplan's gap to it and (with a baseline) the
    least ratio any plan could reach."""
    whole, schools = bounds
    integer = math.floor(sum(b.bound_gbp for b in schools) * 100) / 100
    best = max(whole.bound_gbp or 0.0, integer)
    out: dict[str, Any] = {
        "lower_bound": asdict(whole),
        "school_bounds": {
            "bound_gbp": integer,
            "schools": len(schools),
            "schools_exact": sum(b.exact for b in schools),
            "schools_converged": sum(b.converged for b in schools),
            "per_school": [asdict(b) for b in schools],
        },
        "best_bound_gbp": best,
    }
    if best > 0:
        out["sendplan_over_bound_pct"] = round(100 * (ours_gbp / best - 1), 2)
        if baseline_gbp:
            out["baseline_over_bound_pct"] = round(100 * (baseline_gbp / best - 1), 2)
            out["lowest_possible_ratio"] = round(best / baseline_gbp, 4)
    return out


def run_baseline_bench(
    scenario_of: Callable[[int], Scenario],
    *,
    seeds: Sequence[int],
    baseline: str = "pyvrp",
    session: Session = "am",
    time_limit_s: float = 60.0,
    iterations: int | None = None,
    workers: int | None = None,
    bound_stop: StopCriterion | None = None,
) -> dict[str, Any]:
    """Every seed (``scenario_of(seed)`` is its instance) and the ratios' mean and maximum;
    with ``bound_stop``, each instance's lower bound and the least mean ratio it allows."""
    bounds: dict[tuple[Any, ...], Bounds] = {}
    rows = [
        compare_seed(
            scenario_of(seed),
            seed=seed,
            session=session,
            time_limit_s=time_limit_s,
            iterations=iterations,
            workers=workers,
            bound_stop=bound_stop,
            bounds=bounds,
        )
        for seed in seeds
    ]
    ratios = [r["ratio"] for r in rows if r["ratio"] is not None]
    every_ok = all(r["sendplan_checker_ok"] and r["baseline_checker_ok"] for r in rows)
    same_children = all(r["sendplan"]["unrouted"] == r["baseline"]["unrouted"] for r in rows)
    mean = statistics.fmean(ratios) if ratios else None
    top = max(ratios) if ratios else None
    shared = [r["ratio_without_solo"] for r in rows if r["ratio_without_solo"] is not None]
    extra: dict[str, Any] = {}
    if bound_stop is not None:
        lowest = [r["lowest_possible_ratio"] for r in rows if "lowest_possible_ratio" in r]
        least = statistics.fmean(lowest) if rows and len(lowest) == len(rows) else None
        extra["lowest_possible_mean_ratio"] = None if least is None else round(least, 4)
        # Above the target, no plan could meet it: the bound proves it out of reach.
        extra["target_provably_out_of_reach"] = least is not None and least > TARGET_MEAN_RATIO
    return extra | {
        "baseline": baseline,
        "session": session,
        "time_limit_s": time_limit_s if iterations is None else None,
        "iterations": iterations,
        "seeds": list(seeds),
        "per_seed": rows,
        "mean_ratio": None if mean is None else round(mean, 4),
        "max_ratio": top,
        "mean_ratio_without_solo": round(statistics.fmean(shared), 4) if shared else None,
        "every_plan_checker_ok": every_ok,
        "same_unrouted_counts": same_children,
        "target": {"mean_ratio_at_most": TARGET_MEAN_RATIO, "max_ratio_at_most": TARGET_MAX_RATIO},
        "target_met": bool(
            every_ok
            and mean is not None
            and top is not None
            and mean <= TARGET_MEAN_RATIO
            and top <= TARGET_MAX_RATIO
        ),
    }


def run_anytime_bench(
    scenario: Scenario,
    *,
    limits_s: Sequence[float],
    seed: int = 1,
    session: Session = "am",
    workers: int | None = None,
) -> dict[str, Any]:
    """The plan's cost at each time limit (each solved from scratch with ``seed``)."""
    points: list[dict[str, Any]] = []
    for limit in sorted(set(limits_s)):
        result, seconds = _sendplan(scenario, session=session, time_limit_s=limit,
                                    iterations=None, seed=seed, workers=workers)  # fmt: skip
        plan, check = result.transport[0], result.checks[0]
        points.append(
            {
                "time_limit_s": limit,
                "cost_gbp": round(plan.cost_gbp, 2),
                "routes": len(plan.routes),
                "unrouted": len(plan.unrouted),
                "checker_ok": check.ok,
                "seconds": round(seconds, 2),
            }
        )
    longest = points[-1]["cost_gbp"] if points else 0.0
    for p in points:
        p["over_longest_pct"] = round(100 * (p["cost_gbp"] / longest - 1), 2) if longest else None
    by_limit = {p["time_limit_s"]: p["cost_gbp"] for p in points}
    short, long = by_limit.get(ANYTIME_SHORT_S), by_limit.get(ANYTIME_LONG_S)
    gap = round(100 * (short / long - 1), 2) if short is not None and long else None
    return {
        "scenario": scenario.name,
        "session": session,
        "seed": seed,
        "points": points,
        "cost_gbp_by_limit": {f"{k:g}": v for k, v in by_limit.items()},
        "gap_10s_vs_120s_pct": gap,
        "target_10s_within_pct": ANYTIME_TARGET_PCT,
        "target_met": None if gap is None else gap <= ANYTIME_TARGET_PCT,
    }
