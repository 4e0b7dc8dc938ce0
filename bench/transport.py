"""Transport benchmark: the default Leicester AM plan (or a scenario's), timed and checked.

Prints children, routes, vehicles, cost_gbp_per_day (the planned session; the day's two runs are
in ``transport_cost_gbp_per_day`` of ``sendplan routes``), rides_over_limit, solo_routes,
checker_ok and seconds (wall time of the routing alone, placement excluded).

With ``mixed_schools`` the plan may merge nearby schools' runs; the same run then also plans
single-school routes only, with the same work limit, as the baseline
(``baseline_single_school``), and reports the saving against it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from sendplan.routing.stop import work_limit
from sendplan.routing.transport_plan import Session


def run_transport_bench(
    *,
    scenario_path: Path | None = None,
    time_limit_s: float = 60.0,
    iterations: int | None = None,
    seed: int = 1,
    session: Session = "am",
    mixed_schools: bool = False,
) -> dict[str, Any]:
    from sendplan.api.defaults import leicester_scenario
    from sendplan.api.loader import load_scenario
    from sendplan.api.pipeline import default_travel_model
    from sendplan.routing.placement import place
    from sendplan.routing.transport import plan_transport, school_of_children
    from sendplan.routing.transport_check import check_transport

    scenario = leicester_scenario() if scenario_path is None else load_scenario(scenario_path)
    travel = default_travel_model(scenario)
    placement = (
        None if all(c.current_school for c in scenario.children) else place(scenario, travel)
    )
    stop = work_limit(time_limit_s=time_limit_s, iterations=iterations)
    baseline: dict[str, Any] | None = None
    if mixed_schools:
        t0 = time.monotonic()
        single = replace(scenario, policy=replace(scenario.policy, mixed_school_routes=False))
        alone = plan_transport(single, placement, travel, session=session, stop=stop, seed=seed)
        baseline = {
            "routes": len(alone.routes),
            "cost_gbp_per_day": round(alone.cost_gbp, 2),
            "seconds": round(time.monotonic() - t0, 2),
        }
        scenario = replace(scenario, policy=replace(scenario.policy, mixed_school_routes=True))
    t0 = time.monotonic()
    plan = plan_transport(scenario, placement, travel, session=session, stop=stop, seed=seed)
    seconds = time.monotonic() - t0
    check = check_transport(scenario, school_of_children(scenario, placement), travel, plan)
    return {
        "scenario": scenario.name,
        "session": session,
        "travel_model": travel.name,
        "children": len(school_of_children(scenario, placement)),
        "transported": plan.transported,
        "unrouted": len(plan.unrouted),
        "routes": len(plan.routes),
        "vehicles": len(plan.routes),
        "vehicles_by_type": plan.vehicles_by_type(),
        "cost_gbp_per_day": round(plan.cost_gbp, 2),
        "max_ride_min": round(max(check.rides_min.values(), default=0.0), 2),
        "rides_over_limit": len(check.rides_over_limit),
        "solo_routes": sum(r.solo for r in plan.routes),
        "checker_ok": check.ok,
        "violations": list(check.violations[:20]),
        "time_limit_s": time_limit_s if iterations is None else None,
        "iterations": iterations,
        "seed": seed,
        "seconds": round(seconds, 2),
        "mixed_school_routes": sum(r.mixed for r in plan.routes),
        **(
            {}
            if baseline is None
            else {
                "baseline_single_school": baseline,
                "saving_vs_single_school_pct": round(
                    100 * (1 - plan.cost_gbp / baseline["cost_gbp_per_day"]), 2
                )
                if baseline["cost_gbp_per_day"]
                else 0.0,
            }
        ),
    }
