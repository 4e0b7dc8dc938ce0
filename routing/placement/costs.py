"""The objective's prices, in whole GBP per year: a placement's arc cost, the unplaced and
over-capacity penalties.

``arc_cost_gbp`` prices one (child, school) pair, ``arc_costs_gbp`` many at once; both go
through one expression, so they round identically.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from sendplan.routing.model import Child, Policy, School
from sendplan.routing.placement.arrays import index_in_sorted

_Num = TypeVar("_Num", float, NDArray[np.float64])


def _weighted_terms(
    annual_cost_gbp: _Num,
    travel_s: _Num,
    preference_gbp: _Num,
    out_of_area_gbp: _Num,
    policy: Policy,
) -> tuple[_Num, _Num, _Num, _Num]:
    """The four terms of an arc's cost, unrounded: weighted fee, travel, preference, area."""
    return (
        policy.weight_placement_cost * annual_cost_gbp,
        policy.travel_gbp_per_min * (travel_s / 60.0),
        preference_gbp,
        out_of_area_gbp,
    )


def _arc_cost_terms(
    annual_cost_gbp: _Num,
    travel_s: _Num,
    preference_gbp: _Num,
    out_of_area_gbp: _Num,
    policy: Policy,
) -> _Num:
    # One sum shared by the scalar and the vectorised path (and by ``arc_cost_terms_gbp``'s
    # terms, added in this order), so all of them round identically.
    fee, travel, preference, area = _weighted_terms(
        annual_cost_gbp, travel_s, preference_gbp, out_of_area_gbp, policy
    )
    return fee + travel + preference + area


def preference_gbp(child: Child, school: School, policy: Policy) -> float:
    """The preference term: 0 without preferences, (rank - 1) x per-rank, or not-preferred."""
    if not child.preferences:
        return 0.0
    if school.school_id in child.preferences:
        return float(child.preferences.index(school.school_id)) * policy.preference_gbp_per_rank
    return policy.not_preferred_gbp


def arc_cost_terms_gbp(
    child: Child, school: School, travel_s: float, policy: Policy
) -> tuple[float, float, float, float]:
    """The unrounded terms of ``arc_cost_gbp``, GBP per year: (``weight_placement_cost x
    annual_cost_gbp``, travel, preference, out of area). Added in this order and rounded to
    whole GBP they give ``arc_cost_gbp`` exactly."""
    return _weighted_terms(
        float(school.annual_cost_gbp),
        float(travel_s),
        preference_gbp(child, school, policy),
        0.0 if school.in_area else policy.out_of_area_gbp,
        policy,
    )


def arc_cost_gbp(child: Child, school: School, travel_s: float, policy: Policy) -> int:
    """The yearly cost of placing ``child`` at ``school``, in whole GBP (rounded once).

    ``weight_placement_cost x annual_cost_gbp + travel_gbp_per_min x travel minutes`` plus the
    preference term (0 if the child states no preferences, ``(rank - 1) x
    preference_gbp_per_rank`` at 1-based ``rank``, ``not_preferred_gbp`` if the school is not
    among them) plus ``out_of_area_gbp`` when the school is not in area.
    """
    value = _arc_cost_terms(
        float(school.annual_cost_gbp),
        float(travel_s),
        preference_gbp(child, school, policy),
        0.0 if school.in_area else policy.out_of_area_gbp,
        policy,
    )
    return int(np.rint(value))


def arc_costs_gbp(
    children: list[Child],
    schools: list[School],
    pair_child: NDArray[np.int64],
    pair_school: NDArray[np.int64],
    pair_travel_s: NDArray[np.float64],
    policy: Policy,
) -> NDArray[np.int64]:
    """``arc_cost_gbp`` for every pair (``pair_child`` indexes ``children``), vectorised."""
    annual = np.array([s.annual_cost_gbp for s in schools], dtype=np.float64)
    out_of_area = np.array(
        [0.0 if s.in_area else policy.out_of_area_gbp for s in schools], dtype=np.float64
    )
    rank, has_prefs = preference_ranks(children, schools, pair_child, pair_school)
    pref = np.where(
        rank > 0,
        (rank - 1).astype(np.float64) * policy.preference_gbp_per_rank,
        np.where(has_prefs[pair_child], policy.not_preferred_gbp, 0.0) if len(has_prefs) else 0.0,
    )
    return costs_from_terms_gbp(
        annual[pair_school], pair_travel_s, pref, out_of_area[pair_school], policy
    )


def preference_ranks(
    children: list[Child],
    schools: list[School],
    pair_child: NDArray[np.int64],
    pair_school: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Per pair, the school's 1-based rank among the child's preferences (0 if not named),
    and per child whether they name any."""
    m = len(schools)
    named = list(map(attrgetter("preferences"), children))
    has_prefs = np.fromiter(map(bool, named), dtype=bool, count=len(named))
    school_index = {s.school_id: j for j, s in enumerate(schools)}
    # Ranks looked up by the key child * m + school; only children naming schools are visited.
    pref_keys: list[int] = []
    pref_ranks: list[int] = []
    for i in np.flatnonzero(has_prefs).tolist():
        for r, school_id in enumerate(named[i], start=1):
            pref_keys.append(i * m + school_index[school_id])
            pref_ranks.append(r)
    keys = np.array(pref_keys, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    keys, ranks = keys[order], np.array(pref_ranks, dtype=np.int64)[order]
    pos = index_in_sorted(keys, pair_child * m + pair_school)
    rank = np.zeros(len(pos), dtype=np.int64)
    rank[pos >= 0] = ranks[pos[pos >= 0]]
    return rank, has_prefs


def costs_from_terms_gbp(
    annual_cost_gbp: NDArray[np.float64],
    travel_s: NDArray[np.float64],
    preference_gbp: NDArray[np.float64],
    out_of_area_gbp: NDArray[np.float64],
    policy: Policy,
) -> NDArray[np.int64]:
    """``arc_cost_gbp`` from its inputs per pair (fee, travel, preference and area terms),
    vectorised: the one expression of ``arc_costs_gbp``, so pricing rounds identically."""
    value = _arc_cost_terms(annual_cost_gbp, travel_s, preference_gbp, out_of_area_gbp, policy)
    return np.rint(value).astype(np.int64)


def unplaced_cost_gbp(policy: Policy) -> int:
    """The objective's penalty for one unplaced child, in whole GBP."""
    return int(np.rint(policy.unplaced_gbp))


def over_capacity_cost_gbp(policy: Policy) -> int:
    """The objective's penalty for one place over capacity at a must-admit school."""
    return int(np.rint(policy.over_capacity_gbp))


__all__ = [
    "arc_cost_gbp",
    "arc_cost_terms_gbp",
    "arc_costs_gbp",
    "costs_from_terms_gbp",
    "over_capacity_cost_gbp",
    "preference_gbp",
    "preference_ranks",
    "unplaced_cost_gbp",
]


def preference_units(child: Child, school_id: str) -> int:
    """The preference level of lexicographic_preferences mode, in ranks: 0 without preferences
    or at the first one, ``rank - 1`` at a later one, and the number named (worse than any of
    them) at a school the parents did not name."""
    if not child.preferences:
        return 0
    if school_id in child.preferences:
        return child.preferences.index(school_id)
    return len(child.preferences)
