"""Place children in special school places by min-cost flow (OR-Tools), with reasons.

``place`` sorts the inputs, builds the candidate set and its classes (``candidates.py``),
solves the flow network in the chosen mode (``network.py``, priced by ``costs.py``), gives each
class's flow to its members and states every child's reasons (``reasons.py``).

*Locked children* (``locked`` with a ``current_school``) stay where they are, valid by
definition even if that school would fail another rule. They consume a place there (and a
residential place if they have a residential need, and a place reserved for their need first
where there is one); the rest is free for the others. The one exception: a school not open on
``scenario.as_of`` (``School.open_on``) takes no one, so a locked child whose current school is
not open is not held there: it is placed like any other child (without the LOCKED reason).

*Open schools, cohorts, places per need.* Only schools open on ``scenario.as_of`` are
candidates; a "dsp" child goes only to a resourced provision, a "special" child there only
under ``policy.special_cohort_in_dsp`` (``candidates.py``). Caps and reserved places per need
are pools of the flow network (``pools.py``) in every mode; must-admit makes the general
(unreserved) places soft, and ``over_capacity`` counts the places over them.

*Weighted mode* (default). Objective (GBP per year, integers): the sum of ``arc_cost_gbp`` over
every placed child (locked ones included), ``round(unplaced_gbp)`` per unplaced child and
``round(over_capacity_gbp)`` per place over capacity. Placing as many as possible first is a
property of the weights (the default unplaced penalty, GBP 1m, is above every realistic arc
cost), deliberately not forced: a council may price leaving a place unfilled. The
lexicographic mode is the strict one.

*Lexicographic mode.* Exactly, in this order: most children placed; then most placed in area;
then least cost (sum over placed children of the whole-GBP annual fee, plus the over-capacity
penalties); then least travel (sum of whole-second direct journeys); two exact solves
(``network.py``). ``objective`` still reports the weighted objective of the plan; ``levels``
the four levels.

*Pricing.* In the weighted mode over every admissible school (``max_candidates = 0``), from
``PRICING_MIN_PAIRS`` (child, school) pairs the flow is solved by column generation
(``pricing.py``): exact over every admissible school without solving over every arc; the
reasons see every candidate too. Smaller scenarios solve over every arc, quicker there.

*Determinism.* Children and schools are sorted by id before the network is built, so the same
scenario (in any row order) gives the same plan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from operator import attrgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Child, Policy, Scenario
from sendplan.routing.placement.candidates import (
    CandidateSet,
    Pairs,
    build_candidates,
    disaggregate,
)
from sendplan.routing.placement.costs import (
    arc_cost_gbp,
    over_capacity_cost_gbp,
    preference_units,
    unplaced_cost_gbp,
)
from sendplan.routing.placement.estimate import surely_sampled
from sendplan.routing.placement.network import Network
from sendplan.routing.placement.plan import Assignment, PlacementError, PlacementPlan
from sendplan.routing.placement.pools import arc_blocked, build_pools, need_codes, pool_table, room
from sendplan.routing.placement.pricing import (
    PRICING_START_CANDIDATES,
    Priced,
    PricingReport,
    outside_minima,
    solve_by_pricing,
)
from sendplan.routing.placement.reasons import assignments_with_reasons, unplaced_with_reasons

SOLVER_NAME = "ortools-min-cost-flow"
MODES = ("weighted", "lexicographic", "lexicographic_preferences")
# From this many (child, school) pairs the weighted mode prices instead of building every arc.
PRICING_MIN_PAIRS = 5_000_000


def place(
    scenario: Scenario,
    travel: TravelModel,
    *,
    mode: str = "weighted",
    must_admit: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> PlacementPlan:
    """Place every child at a school or explain why not; optimal under ``mode``.

    ``must_admit`` names schools whose capacity is soft (the "what if" mode): each place over
    capacity costs ``policy.over_capacity_gbp`` and is reported in ``plan.over_capacity``.
    """
    plan, _ = place_with_report(
        scenario, travel, mode=mode, must_admit=must_admit, progress=progress
    )
    return plan


def uses_pricing(scenario: Scenario, mode: str) -> bool:
    """Whether ``place`` prices (``pricing.py``) instead of building every admissible arc:
    weighted mode over every admissible school (``max_candidates = 0``) with at least
    ``PRICING_MIN_PAIRS`` (child, school) pairs."""
    pairs = len(scenario.children) * len(scenario.schools)
    every_school = scenario.policy.max_candidates == 0
    return mode == "weighted" and every_school and pairs >= PRICING_MIN_PAIRS


def place_with_report(
    scenario: Scenario,
    travel: TravelModel,
    *,
    mode: str = "weighted",
    must_admit: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
    pricing: bool | None = None,
) -> tuple[PlacementPlan, PricingReport | None]:
    """``place``, and the pricing loop's figures when it priced (``pricing``: None decides
    by ``uses_pricing``; True prices in the weighted mode with ``max_candidates = 0``)."""
    say = progress or (lambda _msg: None)
    if mode not in MODES:
        raise PlacementError(f"unknown placement mode {mode!r}; use one of {', '.join(MODES)}")
    policy = scenario.policy
    children = sorted(scenario.children, key=attrgetter("child_id"))
    schools = sorted(scenario.schools, key=attrgetter("school_id"))
    school_index = {s.school_id: j for j, s in enumerate(schools)}
    unknown = sorted(set(must_admit) - set(school_index))
    if unknown:
        raise PlacementError(f"must-admit school {unknown[0]!r} is not in the scenario")
    soft_ids = tuple(sorted(set(must_admit)))
    n, m = len(children), len(schools)
    say(f"placement: {n:,} children, {m:,} schools")

    priced = (uses_pricing(scenario, mode) if pricing is None else pricing) and (
        mode == "weighted" and policy.max_candidates == 0
    )
    nearest = None
    if priced:
        # Pricing starts from the nearest schools only when it draws no samples; otherwise
        # the reasons alone read them (the nearest school of a child out of reach). The
        # unlocked children are at most the free ones (a locked child at a closed school
        # is free), which errs towards building the nearest ten.
        unlocked = sum(not c.locked for c in children)
        nearest = 1 if surely_sampled(unlocked) else PRICING_START_CANDIDATES
    cs, locked = build_candidates(
        children, schools, travel, policy, as_of=scenario.as_of, nearest=nearest
    )
    say(f"placement: {cs.n_classes:,} classes, {len(cs.candidates.child):,} candidate arcs")

    capacity = np.array([s.capacity for s in schools], dtype=np.int64)
    res_places = np.array([s.residential_places for s in schools], dtype=np.int64)
    residential = np.array([c.residential_need for c in children], dtype=bool)
    locked_use = np.bincount(locked.school, minlength=m).astype(np.int64)
    locked_res_use = np.bincount(locked.school[residential[locked.child]], minlength=m).astype(
        np.int64
    )
    is_locked = np.zeros(n, dtype=bool)
    is_locked[locked.child] = True
    supply = np.bincount(cs.class_of[~is_locked], minlength=cs.n_classes).astype(np.int64)
    soft = np.zeros(m, dtype=bool)
    soft[[school_index[s] for s in soft_ids]] = True

    def network_for(cs: CandidateSet) -> Network:
        return Network(
            cs=cs,
            supply=supply,
            class_res=residential[cs.rep],
            spare=np.maximum(capacity - locked_use, 0),
            spare_res=np.maximum(res_places - locked_res_use, 0),
            soft=soft,
            in_area=np.array([s.in_area for s in schools], dtype=bool),
            over_gbp=over_capacity_cost_gbp(policy),
            pools=build_pools(cs, locked, soft),
        )

    report: PricingReport | None = None
    answer: Priced | None = None
    if priced:
        answer = solve_by_pricing(cs, travel, policy, supply, network_for)
        net, flow, report = answer.net, answer.flow, answer.report
        cs = net.cs
        say(f"placement: priced in {report.rounds} round(s), {report.arcs_added:,} arcs added")
    elif mode == "weighted":
        net = network_for(cs)
        flow = net.solve_weighted(policy)
    else:
        units = None
        if mode == "lexicographic_preferences":
            arc = cs.candidates
            units = np.array(
                [preference_units(cs.children[int(cs.rep[c])], cs.schools[int(j)].school_id)
                 for c, j in zip(arc.child.tolist(), arc.school.tolist(), strict=True)],
                dtype=np.int64,
            )  # fmt: skip
        net = network_for(cs)
        flow = net.solve_lexicographic(units)
    pools = net.pools

    placed_child, placed_arc = disaggregate(cs, is_locked, flow.cand_flow)
    placed = Pairs(
        placed_child,
        cs.candidates.school[placed_arc],
        cs.candidates.travel_s[placed_arc],
        cs.candidates.distance_m[placed_arc],
    )
    used = np.bincount(np.concatenate([placed.school, locked.school]), minlength=m)
    all_res = np.concatenate(
        [placed.school[residential[placed.child]], locked.school[residential[locked.child]]]
    )
    used_res = np.bincount(all_res, minlength=m)
    full = used >= capacity
    # For a residential child a school is also full when its residential places are.
    full_res = full | (used_res >= res_places)
    in_pool = np.concatenate([pools.cand_pool[placed_arc], pools.locked_pool])
    pool_used, gen_used, excess = room(pools, used, in_pool, soft)
    # Per candidate arc: is that school full for that class (places, residential, per need)?
    class_res = residential[cs.rep] if cs.n_classes else np.zeros(0, dtype=bool)
    base_full = np.where(
        class_res[cs.candidates.child],
        full_res[cs.candidates.school],
        full[cs.candidates.school],
    )
    arc_full = base_full | arc_blocked(
        pools, pool_used, gen_used, cs.candidates.school, pools.cand_pool
    )
    held_for_others = arc_full & ~base_full
    outside = None
    if answer is not None:
        need = need_codes(cs)
        table = pool_table(pools, m)

        def base(cls: NDArray[np.int64], school: NDArray[np.int64]) -> NDArray[np.bool_]:
            return np.where(class_res[cls], full_res[school], full[school])

        def out_full(
            cls: NDArray[np.int64], school: NDArray[np.int64]
        ) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
            pool = table[need[cls], school]
            plain = base(cls, school)
            full = plain | arc_blocked(pools, pool_used, gen_used, school, pool)
            return full, full & ~plain

        outside = outside_minima(answer, out_full)

    placed_cost = cs.cost[placed_arc]
    locked_cost = np.array(
        [
            arc_cost_gbp(children[i], schools[j], float(t), policy)
            for i, j, t in zip(locked.child, locked.school, locked.travel_s, strict=True)
        ],
        dtype=np.int64,
    )
    # Children are sorted by id, so ordering by child index orders by child_id.
    order = np.argsort(np.concatenate([placed.child, locked.child]), kind="stable")

    def both(a: NDArray[Any], b: NDArray[Any]) -> NDArray[Any]:
        return np.concatenate([a, b])[order]

    assignments = assignments_with_reasons(
        cs,
        Pairs(*(both(getattr(placed, f.name), getattr(locked, f.name)) for f in fields(Pairs))),
        both(placed_cost, locked_cost),
        both(np.zeros(len(placed.child), dtype=bool), np.ones(len(locked.child), dtype=bool)),
        arc_full,
        outside=outside,
    )
    placed_mask = is_locked.copy()
    placed_mask[placed.child] = True
    who = np.flatnonzero(~placed_mask)
    # The travel limit is fixed within a class (``CandidateSet.limit_s``).
    unplaced = unplaced_with_reasons(
        cs, who, cs.limit_s[cs.class_of[who]] / 60.0, arc_full, held_for_others, outside
    )
    # From the usage (``room``), not the soft arcs' flow: a zero penalty ties the two arcs.
    over = {schools[j].school_id: int(excess[j]) for j in np.flatnonzero(excess > 0)}
    objective = (
        int(placed_cost.sum())
        + int(locked_cost.sum())
        + unplaced_cost_gbp(policy) * len(unplaced)
        + over_capacity_cost_gbp(policy) * sum(over.values())
    )
    levels: tuple[int, ...] = ()
    if mode != "weighted":
        by_id = {c.child_id: c for c in children}
        levels = lexicographic_levels(
            assignments, over, policy,
            preferences=by_id if mode == "lexicographic_preferences" else None,
        )  # fmt: skip
    say(f"placement: {len(assignments):,} placed, {len(unplaced):,} unplaced")
    plan = PlacementPlan(
        assignments=tuple(assignments),
        unplaced=tuple(unplaced),
        objective=float(objective),
        optimal=True,
        travel_model=travel.name,
        solver=SOLVER_NAME,
        mode=mode,
        must_admit=soft_ids,
        over_capacity=tuple(sorted(over.items())),
        classes=int((supply > 0).sum()),
        arcs=flow.arcs,
        levels=levels,
    )
    return plan, report


def lexicographic_levels(
    assignments: Sequence[Assignment],
    over_capacity: dict[str, int],
    policy: Policy,
    *,
    preferences: dict[str, Child] | None = None,
) -> tuple[int, ...]:
    """(placed, placed in area, [preference units,] cost, travel): whole-GBP fees plus
    over-capacity penalties, whole-second journeys, summed over placed children; the preference
    units (``costs.preference_units``) only when ``preferences`` gives the children by id."""
    head = (len(assignments), sum(1 for a in assignments if a.in_area))
    tail = (
        int(sum(int(np.rint(a.annual_cost_gbp)) for a in assignments))
        + over_capacity_cost_gbp(policy) * sum(over_capacity.values()),
        int(sum(int(np.rint(a.travel_s)) for a in assignments)),
    )
    if preferences is None:
        return head + tail
    units = sum(preference_units(preferences[a.child_id], a.school_id) for a in assignments)
    return (*head, units, *tail)


__all__ = [
    "MODES", "PRICING_MIN_PAIRS", "SOLVER_NAME", "lexicographic_levels", "place",
    "place_with_report", "uses_pricing",
]  # fmt: skip
