"""An independent checker for placement plans: every rule recomputed from the inputs.

It shares no code with the solver: of ``routing.placement`` it imports only ``plan`` (the
plan's types) and its own ``check_rules``, never ``place``, ``candidates``, ``costs``,
``network``, ``reasons``, ``explain`` or ``flow``. Admissibility is rebuilt rule by rule
(``check_rules.py``), travel is recomputed with ``travel.pairs`` and the objective formula is
written out again here. This module runs the rule groups of ``check_rules.py``, adds the
whole-plan rules (ids, objective, levels, travel model) and reports. It is vectorised (numpy
over assignments, admission rules per group of children with equal need, age, sex and
residential need), so it checks national-scale plans. Rules:

- every child exactly once (placed xor unplaced); no unknown child or school ids;
- per school: places used <= capacity, and residential children <= residential places (a
  residential child uses a residential place and a place); when locked children alone exceed
  a limit, the limit becomes their number, since locked placements are valid by definition;
  per (school, need) in ``capacity_by_designation``: children with that primary need <= the
  cap; with ``reserved_by_designation``: ``sum_d max(0, n_d - reserved_d) <= capacity -
  sum reserved`` (the unreserved places; locked children count, their excess over the
  reserved places raising the limit as above); a school named in ``plan.must_admit`` may
  exceed its unreserved places (not its residential places nor its caps per need), and
  ``plan.over_capacity`` must state exactly the places each school is over them;
- per assignment: open on ``scenario.as_of``, cohort (a "dsp" child only at a
  resourced_provision school, a "special" child there only under
  ``policy.special_cohort_in_dsp``), designation, age range, sex, residential places, max
  direct travel, all skipped for a locked child at its current school; a locked child must be
  at its current school when that school is open (a locked child whose school is not open is
  checked like any other); the stated travel_s, distance_m, annual_cost_gbp, in_area,
  preference_rank, residential and cross_border match the inputs; stated reasons are true
  (LOCKED, preferences, RESIDENTIAL_PLACE and OUT_OF_AREA exactly when they hold; NEAREST_SUITABLE,
  LOWEST_COST_SUITABLE and NEARER_SCHOOLS_FULL only when they hold);
- candidates: admissible schools within the travel limit; with ``policy.max_candidates = K``
  only the K admissible schools nearest by great-circle distance (ties with the K-th count as
  near), plus preferred ones; a free child is placed only at a candidate;
- per unplaced child: not held locked, and the reason is the most fundamental one that holds
  (no admissible school; none open; none with residential places; travel; capacity); a
  CAPACITY_EXHAUSTED child has every candidate school full in the plan and no must-admit one
  that may take them over its places (while a place over costs less than ``unplaced_gbp``);
  otherwise the reason is COSTS_MORE_THAN_UNPLACED, only a weighted plan may leave such a child
  out, and only when every candidate school with room costs more than ``unplaced_gbp``;
- a weighted plan stated optimal has no free child where a school with room would cost less
  (moving them there would lower the objective); must-admit schools are not judged so;
- the plan's mode and must-admit schools are those the caller asked for, when it says;
- the plan's objective (including over-capacity penalties) equals the recomputed one within
  1 GBP per child; a lexicographic plan's ``levels`` equal the recomputed (placed, placed in
  area, whole-GBP cost, whole-second travel); its travel model is the one checked against.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Child, Policy, Scenario, School
from sendplan.routing.placement.check_rules import MAX_MESSAGES_PER_RULE, PlanRules
from sendplan.routing.placement.plan import PlacementPlan

OBJECTIVE_TOL_GBP_PER_CHILD = 1.0


@dataclass(frozen=True)
class PlacementCheck:
    """The verdict on one plan: ``ok`` when no rule is broken; ``objective`` recomputed."""

    ok: bool
    violations: tuple[str, ...]
    objective: float


def objective_term_gbp(child: Child, school: School, travel_s: float, policy: Policy) -> float:
    """One placed child's share of the objective, unrounded (GBP per year)."""
    if not child.preferences:
        preference = 0.0
    elif school.school_id in child.preferences:
        rank = child.preferences.index(school.school_id) + 1
        preference = (rank - 1) * policy.preference_gbp_per_rank
    else:
        preference = policy.not_preferred_gbp
    out_of_area = 0.0 if school.in_area else policy.out_of_area_gbp
    return (
        policy.weight_placement_cost * school.annual_cost_gbp
        + policy.travel_gbp_per_min * travel_s / 60.0
        + preference
        + out_of_area
    )


def check_placement(
    scenario: Scenario,
    travel: TravelModel,
    plan: PlacementPlan,
    *,
    mode: str | None = None,
    must_admit: Sequence[str] | None = None,
) -> PlacementCheck:
    """Check ``plan`` against ``scenario`` and ``travel``; never raises on a bad plan.

    ``mode`` and ``must_admit`` are what the solver was asked for: the plan's own are then
    checked against them, so a plan cannot soften a school's capacity (or leave children out
    beside room, as a weighted plan may) by declaring it. None trusts the plan's."""
    return _Checker(scenario, travel, plan).run(mode, must_admit)


class _Checker(PlanRules):
    """Runs the rule groups over one plan, adds the whole-plan rules, and reports."""

    def run(self, mode: str | None, must_admit: Sequence[str] | None) -> PlacementCheck:
        plan = self.plan
        if plan.travel_model != self.travel.name:
            self.fail(
                f"plan travel model {plan.travel_model!r} is not {self.travel.name!r}, "
                "the model it is checked against"
            )
        if plan.mode not in ("weighted", "lexicographic", "lexicographic_preferences"):
            self.fail(f"plan mode {plan.mode!r} is unknown")
        if mode is not None and plan.mode != mode:
            self.fail(f"plan mode {plan.mode!r}, but {mode!r} was asked for")
        soft = plan.must_admit if must_admit is None else tuple(must_admit)
        if must_admit is not None and sorted(set(plan.must_admit)) != sorted(set(soft)):
            self.fail(
                f"plan must-admit schools {sorted(set(plan.must_admit))}, "
                f"but {sorted(set(soft))} were asked for"
            )
        self.soft = np.zeros(len(self.schools), dtype=bool)
        for sid in soft:
            if sid in self.school_index:
                self.soft[self.school_index[sid]] = True
            else:
                self.fail(f"must-admit school {sid} is not in the scenario")
        self.check_ids()
        known = [
            a
            for a in plan.assignments
            if a.child_id in self.child_index and a.school_id in self.school_index
        ]
        self.pairs = [(self.child_index[a.child_id], self.school_index[a.school_id]) for a in known]
        self.a_child = np.array([i for i, _ in self.pairs], dtype=np.int64)
        self.a_school = np.array([j for _, j in self.pairs], dtype=np.int64)
        self.travel_s, distance_m = self.recompute_travel()
        self.candidates()
        over = self.check_capacity()
        self.check_assignments(known, distance_m)
        self.check_unplaced()
        objective = self.recompute_objective(over)
        tolerance = OBJECTIVE_TOL_GBP_PER_CHILD * max(len(self.children), 1)
        if not abs(plan.objective - objective) <= tolerance:
            self.fail(
                f"plan objective {plan.objective:.2f} differs from the recomputed "
                f"{objective:.2f} by more than {tolerance:.0f} GBP"
            )
        if plan.mode in ("lexicographic", "lexicographic_preferences"):
            self.check_levels(over)
        for rule, count in sorted(self.counts.items()):
            if rule and count > MAX_MESSAGES_PER_RULE:
                self.violations.append(f"... and {count - MAX_MESSAGES_PER_RULE} more {rule}")
        return PlacementCheck(
            ok=not self.violations, violations=tuple(self.violations), objective=objective
        )

    def check_ids(self) -> None:
        seen = Counter(
            [a.child_id for a in self.plan.assignments] + [u.child_id for u in self.plan.unplaced]
        )
        for a in self.plan.assignments:
            if a.child_id not in self.child_index:
                self.fail(f"child {a.child_id}: unknown child id in assignments")
            if a.school_id not in self.school_index:
                self.fail(f"child {a.child_id}: assigned to unknown school {a.school_id}")
        for u in self.plan.unplaced:
            if u.child_id not in self.child_index:
                self.fail(f"child {u.child_id}: unknown child id in unplaced")
        for child in self.children:
            count = seen[child.child_id]
            if count == 0:
                self.fail(
                    f"child {child.child_id}: missing from the plan (neither placed nor unplaced)",
                    "missing",
                )
            elif count > 1:
                self.fail(f"child {child.child_id}: appears {count} times in the plan", "dup")

    def check_capacity(self) -> NDArray[np.int64]:
        """Capacity rules; returns the places each must-admit school is over its unreserved
        places (its capacity when it reserves none)."""
        m = len(self.schools)
        residential = np.array([c.residential_need for c in self.children], dtype=bool)
        # A locked child's current school is in the scenario (the scenario checks it).
        lock_at = {
            i: self.school_index[str(c.current_school)]
            for i, c in enumerate(self.children)
            if self.held(i)
        }
        self.at_lock = np.array([lock_at.get(i) == j for i, j in self.pairs], dtype=bool)
        used = np.bincount(self.a_school, minlength=m)
        res_a = residential[self.a_child]
        used_res = np.bincount(self.a_school[res_a], minlength=m)
        locked_n = np.bincount(self.a_school[self.at_lock], minlength=m)
        locked_res = np.bincount(self.a_school[self.at_lock & res_a], minlength=m)
        capacity = np.array([s.capacity for s in self.schools])
        res_places = np.array([s.residential_places for s in self.schools])
        limit = np.maximum(capacity, locked_n)
        for j in np.flatnonzero((used > limit) & ~self.soft):
            sid = self.schools[j].school_id
            self.fail(f"school {sid}: {used[j]} children placed, capacity {limit[j]}")
        res_limit = np.maximum(res_places, locked_res)
        for j in np.flatnonzero(used_res > res_limit):
            self.fail(
                f"school {self.schools[j].school_id}: {used_res[j]} residential children placed, "
                f"residential places {res_limit[j]}"
            )
        # Children per (school, need), all and held locked ones.
        need_of = [c.primary_need for c in self.children]
        self.need_used = Counter((j, need_of[i]) for i, j in self.pairs)
        locked_need = Counter(
            (j, need_of[i]) for (i, j), held in zip(self.pairs, self.at_lock, strict=True) if held
        )
        # Caps per need: children of that need within the cap, unless locked ones exceed it.
        self.pool_cap = {
            (k, need): places
            for k, school in enumerate(self.schools)
            for need, places in school.capacity_by_designation
        }
        self.pool_used = {key: self.need_used[key] for key in self.pool_cap}
        for (k, need), places in self.pool_cap.items():
            n_used = self.pool_used[k, need]
            limit_pool = max(places, locked_need[k, need])
            if n_used > limit_pool:
                self.fail(
                    f"school {self.schools[k].school_id}: {n_used} children with need {need} "
                    f"placed, capacity_by_designation {limit_pool}"
                )
        # Reserved places: children beyond their need's reserved places share the unreserved.
        self.reserved = {
            (k, need): places
            for k, school in enumerate(self.schools)
            for need, places in school.reserved_by_designation
        }
        unreserved = capacity.copy()
        for (k, _), places in self.reserved.items():
            unreserved[k] -= places
        beyond = np.zeros(m, dtype=np.int64)
        locked_beyond = np.zeros(m, dtype=np.int64)
        for (k, need), n_used in self.need_used.items():
            beyond[k] += max(0, n_used - self.reserved.get((k, need), 0))
        for (k, need), n_used in locked_need.items():
            locked_beyond[k] += max(0, n_used - self.reserved.get((k, need), 0))
        general_limit = np.maximum(unreserved, locked_beyond)
        has_reserved = unreserved < capacity
        for j in np.flatnonzero((beyond > general_limit) & ~self.soft & has_reserved):
            self.fail(
                f"school {self.schools[j].school_id}: {beyond[j]} children beyond the places "
                f"reserved for their need (reserved_by_designation), unreserved places "
                f"{general_limit[j]}"
            )
        over = np.where(self.soft, np.maximum(beyond - general_limit, 0), 0)
        stated = dict(self.plan.over_capacity)
        truth = {self.schools[j].school_id: int(over[j]) for j in np.flatnonzero(over)}
        for sid in sorted(set(stated) | set(truth)):
            said, real = stated.get(sid, 0), truth.get(sid, 0)
            if said != real:
                self.fail(f"school {sid}: stated over capacity by {said}, recomputed {real}")
        self.used, self.used_res = used, used_res
        self.full = used >= capacity
        self.full_res = self.full | (used_res >= res_places)
        self.general_full = beyond >= unreserved
        self.residential = residential
        return over

    def recompute_travel(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if len(self.a_child) == 0:
            empty = np.zeros(0)  # pragma: no mutate (equivalent: only summed, zeros sum to 0)
            return empty, empty
        homes = np.array([(c.lon, c.lat) for c in self.children])
        sites = np.array([(s.lon, s.lat) for s in self.schools])
        seconds, metres = self.travel.pairs(homes[self.a_child], sites[self.a_school])
        return np.asarray(seconds), np.asarray(metres)

    def recompute_objective(self, over: NDArray[np.int64]) -> float:
        total = 0.0
        for x, (i, j) in enumerate(self.pairs):
            t = float(self.travel_s[x])
            total += objective_term_gbp(self.children[i], self.schools[j], t, self.policy)
        unplaced = sum(1 for u in self.plan.unplaced if u.child_id in self.child_index)
        return (
            total
            + self.policy.unplaced_gbp * unplaced
            + self.policy.over_capacity_gbp * int(over.sum())
        )

    def check_levels(self, over: NDArray[np.int64]) -> None:
        fee = np.rint([self.schools[j].annual_cost_gbp for j in self.a_school])
        truth: tuple[int, ...] = (
            len(self.a_child),
            int(sum(self.schools[j].in_area for j in self.a_school.tolist())),
            int(fee.sum()) + int(np.rint(self.policy.over_capacity_gbp)) * int(over.sum()),
            int(np.rint(self.travel_s).sum()),
        )
        if self.plan.mode == "lexicographic_preferences":
            # Ranks missed: 0 at a first preference or without any, rank - 1 at a later one,
            # the number named at a school not named.
            missed = 0
            for i, j in self.pairs:
                named, sid = self.children[i].preferences, self.schools[j].school_id
                missed += named.index(sid) if sid in named else len(named)
            truth = (*truth[:2], missed, *truth[2:])
        if tuple(self.plan.levels) != truth:
            self.fail(f"plan levels {tuple(self.plan.levels)} differ from the recomputed {truth}")


__all__ = ["PlacementCheck", "check_placement", "objective_term_gbp"]
