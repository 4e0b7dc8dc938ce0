"""Each year's children for expansion planning: demand growth, and who is placed that year.

*Demand.* Year Y's cohort is the scenario's children scaled by a factor (by default
``(1 + DEFAULT_GROWTH_PER_YEAR) ** (Y - as_of year)``): extra children are clones of existing
ones spread evenly through the id order, or children are dropped evenly; the date moves to Y so
schools open or close as dated.

*Clones are new plans.* The growth is growth in EHC plans, so each extra child is a child whose
plan is new: same home, need, age and preferences as the child cloned, but no current school
(``current_school=None``, ``new_plan=True``), never locked, and no sibling or vehicle ties. A
clone of a child who stays at their school is therefore placed freely, not seated beside them:
copying the lock would fill a school with children who were never there.

*Movers.* As ``place`` does (:mod:`sendplan.routing.placement.movers`), a year's placement
re-places only that year's movers under the rule (``"phase_transfer"`` by default, as ``place``);
every other child with a current school open in that year stays locked at it. Ages are the
scenario's in every year (the cohort is a steady state scaled by demand, not aged year by
year), so each year's phase-transfer movers are the scenario's plus that year's clones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from sendplan.routing.model import Child, Scenario
from sendplan.routing.placement.movers import MoversRule, lock_non_movers, movers

# Leicester special-school EHC plans (DfE SEN2, data/cohort_profile.csv special_total) grew
# from 1,091 (January 2019) to 1,345 (January 2025): (1345 / 1091) ** (1 / 6) - 1 = 3.55%/yr.
DEFAULT_GROWTH_PER_YEAR = 0.0355


class ExpansionError(ValueError):
    """The expansion problem is malformed or too large to solve exactly."""


def base_year(scenario: Scenario) -> int:
    """The year the scenario's children are counted in: its date's (2025 if it has none)."""
    return scenario.as_of.year if scenario.as_of is not None else 2025


def default_growth(scenario: Scenario, years: Sequence[int]) -> dict[int, float]:
    """Cumulative demand factor per year at ``DEFAULT_GROWTH_PER_YEAR`` from the scenario's
    year (``base_year``)."""
    base = base_year(scenario)
    return {y: (1.0 + DEFAULT_GROWTH_PER_YEAR) ** (y - base) for y in years}


def year_cohort(scenario: Scenario, year: int, *, factor: float) -> Scenario:
    """The scenario in ``year``: ``round(n x factor)`` children (clones or evenly dropped)
    and the date moved to that year."""
    if factor <= 0:
        raise ExpansionError(f"demand factor for {year} must be positive, not {factor}")
    children = sorted(scenario.children, key=lambda c: c.child_id)
    n = len(children)
    target = round(n * factor)
    if target <= n:
        keep = sorted({(k * n) // max(target, 1) for k in range(target)})
        cohort = [children[i] for i in keep]
    else:
        cohort = list(children)
        extra = target - n
        for k in range(extra):
            twin = children[((k * n) // extra) % n] if n else None
            if twin is not None:
                cohort.append(_clone(twin, f"{twin.child_id[:48]}.y{year}x{k}"))
    as_of = _in_year(scenario.as_of, year)
    return replace(scenario, children=tuple(cohort), as_of=as_of)


def placed_cohort(
    scenario: Scenario, year: int, *, factor: float, movers_rule: MoversRule
) -> tuple[Scenario, int]:
    """``year``'s cohort as it is placed: every child who is not a mover under
    ``movers_rule`` locked at their current school; and the number of movers."""
    cohort = year_cohort(scenario, year, factor=factor)
    moving = movers(cohort, rule=movers_rule)
    return lock_non_movers(cohort, moving), len(moving)


def _clone(child: Child, child_id: str) -> Child:
    # A new plan like ``child``'s (module docstring): no current school, no ties to siblings
    # or vehicles, free to be placed anywhere.
    return replace(
        child, child_id=child_id, locked=False, current_school=None, sibling_group=None,
        never_with=(), new_plan=True,
    )  # fmt: skip


def _in_year(day: date | None, year: int) -> date | None:
    if day is None:
        return None
    return day.replace(year=year, day=min(day.day, 28) if day.month == 2 else day.day)


__all__ = [
    "DEFAULT_GROWTH_PER_YEAR",
    "ExpansionError",
    "base_year",
    "default_growth",
    "placed_cohort",
    "year_cohort",
]
