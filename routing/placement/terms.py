"""Each child's share of a placement plan's objective, term by term, in GBP per year.

The weighted objective (``place.py``) is the sum over placed children of ``arc_cost_gbp``
(whole GBP), plus ``unplaced_cost_gbp`` per unplaced child, plus ``over_capacity_cost_gbp`` per
place over capacity at a must-admit school. :func:`objective_terms` splits it per child with the
solver's own cost functions (``costs.py``), so ``sum(t.objective_gbp)`` equals
``plan.objective`` exactly:

- ``fee_gbp``: ``weight_placement_cost x annual_cost_gbp`` (the fee itself at the default
  weight 1); ``travel_gbp``: ``travel_gbp_per_min x`` direct journey minutes (unrounded);
  ``preference_gbp``: 0 at the first preference or without preferences, ``(rank - 1) x
  preference_gbp_per_rank`` at a later one, ``not_preferred_gbp`` elsewhere;
  ``out_of_area_gbp``: ``policy.out_of_area_gbp`` at a school not in area;
- ``rounding_gbp``: the solver prices each placement in whole GBP (the four terms added in
  that order, rounded once), so this is that whole-GBP cost minus the four terms (within
  +-0.5); the five add up to the placement's cost;
- ``over_capacity_gbp``: a must-admit school's places over capacity are a property of the
  school, not of a child; each place's penalty is put on one of the children placed there, the
  last by child id first (which children carry it is a convention; the total is exact);
- ``unplaced_gbp``: an unplaced child's penalty (the placed children's terms are None, theirs
  the other way round);
- ``objective_gbp``: the child's whole-GBP share, the sum of the above.

In the lexicographic modes the solver minimises levels (``plan.levels``), not this sum;
``plan.objective`` still reports the weighted objective of the plan under the policy's weights,
and these terms split that figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sendplan.routing.model import Scenario
from sendplan.routing.placement.costs import (
    arc_cost_gbp,
    arc_cost_terms_gbp,
    over_capacity_cost_gbp,
    unplaced_cost_gbp,
)
from sendplan.routing.placement.plan import PlacementPlan


@dataclass(frozen=True, slots=True)
class ObjectiveTerms:
    """One child's share of the objective; the placement terms are None for an unplaced child,
    ``unplaced_gbp`` None for a placed one, ``over_capacity_gbp`` None unless it carries one."""

    child_id: str
    fee_gbp: float | None
    travel_gbp: float | None
    preference_gbp: float | None
    out_of_area_gbp: float | None
    rounding_gbp: float | None
    over_capacity_gbp: int | None
    unplaced_gbp: int | None
    objective_gbp: int


# The terms as columns, in the order a table shows them.
TERM_COLUMNS = (
    "fee_gbp", "travel_gbp", "preference_gbp", "out_of_area_gbp", "rounding_gbp",
    "over_capacity_gbp", "unplaced_gbp", "objective_gbp",
)  # fmt: skip


def objective_terms(scenario: Scenario, plan: PlacementPlan) -> dict[str, ObjectiveTerms]:
    """Per child id (placed and unplaced), its share of ``plan.objective``.

    ``scenario`` is the one placed (``Result.scenario``: non-movers locked), whose policy priced
    the plan; travel is the plan's own (``Assignment.travel_s``), so no travel model is needed.
    """
    policy = scenario.policy
    children = {c.child_id: c for c in scenario.children}
    schools = {s.school_id: s for s in scenario.schools}
    carries = _over_capacity_carriers(plan)
    out: dict[str, ObjectiveTerms] = {}
    for a in plan.assignments:
        child, school = children[a.child_id], schools[a.school_id]
        fee, travel, preference, area = arc_cost_terms_gbp(child, school, a.travel_s, policy)
        cost = arc_cost_gbp(child, school, a.travel_s, policy)
        over = over_capacity_cost_gbp(policy) if a.child_id in carries else None
        out[a.child_id] = ObjectiveTerms(
            child_id=a.child_id,
            fee_gbp=fee,
            travel_gbp=travel,
            preference_gbp=preference,
            out_of_area_gbp=area,
            rounding_gbp=cost - (fee + travel + preference + area),
            over_capacity_gbp=over,
            unplaced_gbp=None,
            objective_gbp=cost + (over or 0),
        )
    penalty = unplaced_cost_gbp(policy)
    for u in plan.unplaced:
        out[u.child_id] = ObjectiveTerms(
            child_id=u.child_id, fee_gbp=None, travel_gbp=None, preference_gbp=None,
            out_of_area_gbp=None, rounding_gbp=None, over_capacity_gbp=None,
            unplaced_gbp=penalty, objective_gbp=penalty,
        )  # fmt: skip
    return out


def _over_capacity_carriers(plan: PlacementPlan) -> set[str]:
    """The children who carry a place-over-capacity penalty: per school, its last ``over``
    placed children by id."""
    at: dict[str, list[str]] = defaultdict(list)
    for a in plan.assignments:
        at[a.school_id].append(a.child_id)
    carriers: set[str] = set()
    for school_id, over in plan.over_capacity:
        if over > 0:
            carriers.update(sorted(at[school_id])[-over:])
    return carriers


__all__ = ["TERM_COLUMNS", "ObjectiveTerms", "objective_terms"]
