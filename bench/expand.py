"""`sendplan bench expand`: time the expansion planner and re-place its portfolio.

The planner enumerates option sets and solves placement for each (``routing/planning/
expand.py``), so its optimality gap is 0 by construction. ``objective_recomputed`` is the same
portfolio costed from scratch: each year's cohort re-placed by the placement solver with the
built options' places added, plus the annualised capital; it must equal ``objective``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sendplan.routing.model import Scenario
from sendplan.routing.planning.expand import evaluate_portfolio, expand
from sendplan.routing.planning.options import Option


def bench_expand(
    scenario: Scenario,
    options: Sequence[Option],
    *,
    n_options: int,
    n_years: int,
    first_year: int = 2026,
    budget_gbp: float | None = None,
) -> dict[str, Any]:
    """Plan the first ``n_options`` options over ``n_years`` years; one JSON-ready dict."""
    if not 1 <= n_options <= len(options):
        raise ValueError(f"--options must be 1..{len(options)} (the options given)")
    picked = list(options[:n_options])
    ids = {o.option_id for o in picked}
    # A phase whose first phase is left out cannot be built; drop it with its parent.
    picked = [o for o in picked if o.requires is None or o.requires in ids]
    years = list(range(first_year, first_year + n_years))
    started = time.perf_counter()
    result = expand(scenario, picked, years=years, budget_gbp=budget_gbp, marginal=False)
    seconds = time.perf_counter() - started
    with_marginal = time.perf_counter()
    full = expand(scenario, picked, years=years, budget_gbp=budget_gbp)
    marginal_seconds = time.perf_counter() - with_marginal
    recomputed = evaluate_portfolio(
        scenario, picked, result.chosen, years=years, demand_growth=result.growth
    )
    return {
        "options": len(picked),
        "years": n_years,
        "children": len(scenario.children),
        "seconds": round(seconds, 3),
        "seconds_with_marginal_values": round(marginal_seconds, 3),
        "optimal": True,
        "gap": result.gap,
        "method": result.method,
        "feasible_sets": result.feasible_sets,
        "placement_solves": result.placement_solves,
        "chosen": result.chosen,
        "objective": result.cost_gbp,
        "objective_recomputed": recomputed,
        "do_nothing": result.do_nothing_gbp,
        "capital_gbp": result.capital_gbp,
        "marginal_gbp": full.marginal_gbp,
    }


__all__ = ["bench_expand"]
