"""Transport benchmark: one session of a scenario's routes through the front door, checked.

Prints children, routes, vehicles, cost_gbp_per_day (the planned session; the day's two runs are
in ``transport_cost_gbp_per_day`` of ``sendplan routes``), rides_over_limit, solo_routes,
checker_ok and seconds (wall time of the whole solve: placement is a few hundredths of it).

With ``mixed_schools`` the plan may merge nearby schools' runs; the same run then also plans
single-school routes only, with the same work limit, as the baseline
(``baseline_single_school``), and reports the saving against it; ``mixed_phase`` holds what the
merge did (groups formed and improved, mixed runs, its saving over its own single-school runs).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from sendplan.bench.transport_compare import bound_figures, lower_bounds
from sendplan.routing.model import Scenario
from sendplan.routing.result import Result
from sendplan.routing.solve import solve
from sendplan.routing.transport.plan import Session
from sendplan.routing.transport.planner import school_of_children
from sendplan.routing.vrp.stop import StopCriterion, work_limit


def _solve(scenario: Scenario, **options: Any) -> tuple[Result, float]:
    t0 = time.monotonic()
    result = solve(scenario, placement="auto", **options)
    return result, time.monotonic() - t0


def run_transport_bench(
    scenario: Scenario,
    *,
    time_limit_s: float = 60.0,
    iterations: int | None = None,
    seed: int = 1,
    session: Session = "am",
    mixed_schools: bool = False,
    bound_stop: StopCriterion | None = None,
) -> dict[str, Any]:
    """Plan ``session`` of ``scenario`` and report its figures as one JSON-ready dict; with
    ``bound_stop``, also the lower bound on any single-school plan and the plan's gap to it."""
    stop = work_limit(time_limit_s=time_limit_s, iterations=iterations)
    options: dict[str, Any] = {"sessions": (session,), "stop": stop, "seed": seed}
    baseline: dict[str, Any] | None = None
    if mixed_schools:
        single = replace(scenario, policy=replace(scenario.policy, mixed_school_routes=False))
        alone, seconds = _solve(single, **options)
        baseline = {
            "routes": len(alone.transport[0].routes),
            "cost_gbp_per_day": round(alone.transport[0].cost_gbp, 2),
            "seconds": round(seconds, 2),
        }
        scenario = replace(scenario, policy=replace(scenario.policy, mixed_school_routes=True))
    result, seconds = _solve(scenario, **options)
    plan, check = result.transport[0], result.checks[0]
    # Children who travel daily and are transport-eligible (boarders travel weekly).
    school_of = school_of_children(result.scenario, result.placement)
    figures: dict[str, Any] = {
        "scenario": scenario.name,
        "session": session,
        "travel_model": result.summary.travel_model,
        "children": len(school_of),
        "transported": plan.transported,
        "unrouted": len(plan.unrouted),
        "routes": len(plan.routes),
        "vehicles": len(plan.routes),
        "vehicles_by_type": plan.vehicles_by_type(),
        "cost_gbp_per_day": round(plan.cost_gbp, 2),
        "longest_ride_min": round(max(check.rides_min.values(), default=0.0), 2),
        "rides_over_limit": len(check.rides_over_limit),
        "solo_routes": sum(r.solo for r in plan.routes),
        "checker_ok": check.ok,
        "violations": list(check.violations[:20]),
        "time_limit_s": time_limit_s if iterations is None else None,
        "iterations": iterations,
        "seed": seed,
        "seconds": round(seconds, 2),
        "mixed_school_routes": sum(r.mixed for r in plan.routes),
    }
    if scenario.policy.mixed_school_routes:
        # What the merge phase did: groups formed and improved, runs made, GBP saved.
        figures["mixed_phase"] = {
            k.removeprefix("mixed_"): v
            for k, v in sorted(plan.figures.items())
            if k.startswith("mixed_") and k != "mixed_school_routes"
        }
    if baseline is not None:
        cost = baseline["cost_gbp_per_day"]
        figures["baseline_single_school"] = baseline
        figures["saving_vs_single_school_pct"] = (
            round(100 * (1 - plan.cost_gbp / cost), 2) if cost else 0.0
        )
    if bound_stop is not None:
        if result.travel is None:  # solve always records it
            raise RuntimeError("the solve returned no travel model")
        bounds = lower_bounds(result.scenario, school_of, result.travel, session=session,
                              stop=bound_stop, plans=(plan.routes,))  # fmt: skip
        figures |= bound_figures(bounds, plan.cost_gbp)
    return figures
