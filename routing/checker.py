"""An independent checker for placement plans: every rule recomputed from the inputs.

It shares no code with the solver (it never imports ``placement`` or ``flow``): admissibility
is rebuilt rule by rule, travel is recomputed with ``travel.pairs`` and the objective formula is
written out again here. Rules:

- every child exactly once (placed xor unplaced); no unknown child or school ids;
- per school: places used <= capacity, and residential children <= residential places (a
  residential child uses a residential place and a place); when locked children alone exceed
  a limit, the limit becomes their number, since locked placements are valid by definition;
- per assignment: designation, age range, sex, residential places, max direct travel, all
  skipped for a locked child at its current school; a locked child must be at its current
  school; the stated travel_s, distance_m, annual_cost_gbp, in_area, preference_rank and
  residential match the inputs; stated reasons are true (LOCKED, preferences, RESIDENTIAL_PLACE
  and OUT_OF_AREA exactly when they hold; NEAREST_SUITABLE, LOWEST_COST_SUITABLE and
  NEARER_SCHOOLS_FULL only when they hold);
- per unplaced child: not locked, and the reason is the most fundamental one that holds; a
  CAPACITY_EXHAUSTED child has every candidate school full in the plan;
- the plan's objective equals the recomputed one within 1 GBP per child, and its travel model
  is the one checked against.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import NEED_CODES, Child, Policy, Scenario, School
from sendplan.routing.plan import Assignment, PlacementPlan, PlacementReason, UnplacedReason

TRAVEL_ABS_TOL_S = 1e-3
DISTANCE_ABS_TOL_M = 1e-3
MONEY_ABS_TOL_GBP = 1e-6
OBJECTIVE_TOL_GBP_PER_CHILD = 1.0


@dataclass(frozen=True)
class CheckReport:
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


def check_placement(scenario: Scenario, travel: TravelModel, plan: PlacementPlan) -> CheckReport:
    """Check ``plan`` against ``scenario`` and ``travel``; never raises on a bad plan."""
    return _Checker(scenario, travel, plan).run()


class _Checker:
    def __init__(self, scenario: Scenario, travel: TravelModel, plan: PlacementPlan) -> None:
        self.scenario = scenario
        self.policy = scenario.policy
        self.travel = travel
        self.plan = plan
        self.children = sorted(scenario.children, key=lambda c: c.child_id)
        self.schools = sorted(scenario.schools, key=lambda s: s.school_id)
        self.child_index = {c.child_id: i for i, c in enumerate(self.children)}
        self.school_index = {s.school_id: j for j, s in enumerate(self.schools)}
        self.violations: list[str] = []

    def fail(self, message: str) -> None:
        self.violations.append(message)

    def run(self) -> CheckReport:
        plan = self.plan
        if plan.travel_model != self.travel.name:
            self.fail(
                f"plan travel model {plan.travel_model!r} is not {self.travel.name!r}, "
                "the model it is checked against"
            )
        self.check_ids()
        known = [
            a
            for a in plan.assignments
            if a.child_id in self.child_index and a.school_id in self.school_index
        ]
        travel_s = self.recompute_travel(known)
        self.candidates()
        used, used_res = self.check_capacity(known)
        for a, (t, d) in zip(known, travel_s, strict=True):
            self.check_assignment(a, t, d, used, used_res)
        self.check_unplaced(used, used_res)
        objective = self.recompute_objective(known, [t for t, _ in travel_s])
        tolerance = OBJECTIVE_TOL_GBP_PER_CHILD * max(len(self.children), 1)
        if not abs(plan.objective - objective) <= tolerance:
            self.fail(
                f"plan objective {plan.objective:.2f} differs from the recomputed "
                f"{objective:.2f} by more than {tolerance:.0f} GBP"
            )
        return CheckReport(
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
                    f"child {child.child_id}: missing from the plan (neither placed nor unplaced)"
                )
            elif count > 1:
                self.fail(f"child {child.child_id}: appears {count} times in the plan")

    def recompute_travel(self, known: list[Assignment]) -> list[tuple[float, float]]:
        if not known:
            return []
        homes = np.array(
            [(c.lon, c.lat) for c in (self.children[self.child_index[a.child_id]] for a in known)],
            dtype=np.float64,
        )
        sites = np.array(
            [(s.lon, s.lat) for s in (self.schools[self.school_index[a.school_id]] for a in known)],
            dtype=np.float64,
        )
        seconds, metres = self.travel.pairs(homes, sites)
        return [(float(t), float(d)) for t, d in zip(seconds, metres, strict=True)]

    def candidates(self) -> None:
        """Per child: schools meeting need+age+sex, those also meeting residential need, and
        those also within max travel (with travel), rebuilt without ``School.admits``."""
        n, m = len(self.children), len(self.schools)
        need_col = {code: k for k, code in enumerate(NEED_CODES)}
        designated = np.zeros((m, len(NEED_CODES)), dtype=bool)
        for j, s in enumerate(self.schools):
            for code in s.designations:
                designated[j, need_col[code]] = True
        need = np.array([need_col[c.primary_need] for c in self.children], dtype=np.int64)
        age = np.array([c.age for c in self.children], dtype=np.int64)
        male = np.array([c.sex == "M" for c in self.children], dtype=bool)
        low = np.array([s.age_low for s in self.schools], dtype=np.int64)
        high = np.array([s.age_high for s in self.schools], dtype=np.int64)
        takes_m = np.array([s.sex in ("mixed", "M") for s in self.schools], dtype=bool)
        takes_f = np.array([s.sex in ("mixed", "F") for s in self.schools], dtype=bool)
        has_res = np.array([s.residential_places > 0 for s in self.schools], dtype=bool)
        needs_res = np.array([c.residential_need for c in self.children], dtype=bool)

        suitable = (
            designated[:, need].T
            & (low[None, :] <= age[:, None])
            & (age[:, None] <= high[None, :])
            & np.where(male[:, None], takes_m[None, :], takes_f[None, :])
        )
        res_ok = suitable & (~needs_res[:, None] | has_res[None, :])
        ci, sj = np.nonzero(res_ok)
        cand_travel = np.zeros(len(ci), dtype=np.float64)
        if len(ci):
            homes = np.array([(c.lon, c.lat) for c in self.children], dtype=np.float64)
            sites = np.array([(s.lon, s.lat) for s in self.schools], dtype=np.float64)
            seconds, _ = self.travel.pairs(homes[ci], sites[sj])
            cand_travel = np.asarray(seconds, dtype=np.float64)
        limit_s = np.array(
            [self.policy.max_travel_min(c) * 60.0 for c in self.children], dtype=np.float64
        )
        within = cand_travel <= limit_s[ci]
        self.n_suitable = suitable.sum(axis=1)
        self.n_res_ok = res_ok.sum(axis=1)
        starts = np.searchsorted(ci, np.arange(n + 1))
        self.cand: dict[int, tuple[NDArray[np.int64], NDArray[np.float64]]] = {}
        for i in range(n):
            sl = slice(starts[i], starts[i + 1])
            keep = within[sl]
            self.cand[i] = (sj[sl][keep].astype(np.int64), cand_travel[sl][keep])

    def check_capacity(self, known: list[Assignment]) -> tuple[Counter[str], Counter[str]]:
        used: Counter[str] = Counter()
        used_res: Counter[str] = Counter()
        locked: Counter[str] = Counter()
        locked_res: Counter[str] = Counter()
        for a in known:
            child = self.children[self.child_index[a.child_id]]
            used[a.school_id] += 1
            at_lock = child.locked and child.current_school == a.school_id
            locked[a.school_id] += at_lock
            if child.residential_need:
                used_res[a.school_id] += 1
                locked_res[a.school_id] += at_lock
        for school in self.schools:
            sid = school.school_id
            limit = max(school.capacity, locked[sid])
            if used[sid] > limit:
                self.fail(f"school {sid}: {used[sid]} children placed, capacity {limit}")
            res_limit = max(school.residential_places, locked_res[sid])
            if used_res[sid] > res_limit:
                self.fail(
                    f"school {sid}: {used_res[sid]} residential children placed, "
                    f"residential places {res_limit}"
                )
        return used, used_res

    def is_full(self, school: School, child: Child, used: Counter[str], res: Counter[str]) -> bool:
        sid = school.school_id
        if used[sid] >= school.capacity:
            return True
        return child.residential_need and res[sid] >= school.residential_places

    def check_assignment(
        self,
        a: Assignment,
        travel_s: float,
        distance_m: float,
        used: Counter[str],
        used_res: Counter[str],
    ) -> None:
        child = self.children[self.child_index[a.child_id]]
        school = self.schools[self.school_index[a.school_id]]
        cid, sid = child.child_id, school.school_id
        where = f"child {cid} at school {sid}"
        at_lock = child.locked and child.current_school == sid
        if child.locked and not at_lock:
            self.fail(f"child {cid}: locked at school {child.current_school} but placed at {sid}")
        if not at_lock:
            if child.primary_need not in school.designations:
                self.fail(f"{where}: school designations do not include need {child.primary_need}")
            if not school.age_low <= child.age <= school.age_high:
                self.fail(
                    f"{where}: age {child.age} outside age range {school.age_low}-{school.age_high}"
                )
            if school.sex != "mixed" and school.sex != child.sex:
                self.fail(f"{where}: school admits sex {school.sex} only")
            if child.residential_need and school.residential_places == 0:
                self.fail(f"{where}: residential need but the school has no residential places")
            limit_min = self.policy.max_travel_min(child)
            if travel_s > limit_min * 60.0:
                self.fail(
                    f"{where}: travel {travel_s / 60.0:.1f} min over the "
                    f"{limit_min:.0f}-minute limit"
                )
        if not math.isclose(a.travel_s, travel_s, rel_tol=1e-9, abs_tol=TRAVEL_ABS_TOL_S):
            self.fail(f"{where}: stated travel_s {a.travel_s:.3f}, recomputed {travel_s:.3f}")
        if not math.isclose(a.distance_m, distance_m, rel_tol=1e-9, abs_tol=DISTANCE_ABS_TOL_M):
            self.fail(f"{where}: stated distance_m {a.distance_m:.3f}, recomputed {distance_m:.3f}")
        if not math.isclose(a.annual_cost_gbp, school.annual_cost_gbp, abs_tol=MONEY_ABS_TOL_GBP):
            self.fail(
                f"{where}: stated annual_cost_gbp {a.annual_cost_gbp}, "
                f"school's is {school.annual_cost_gbp}"
            )
        if a.in_area != school.in_area:
            self.fail(f"{where}: stated in_area {a.in_area}, school's is {school.in_area}")
        rank = child.preferences.index(sid) + 1 if sid in child.preferences else None
        if a.preference_rank != rank:
            self.fail(f"{where}: stated preference_rank {a.preference_rank}, true rank {rank}")
        if a.residential != child.residential_need:
            self.fail(
                f"{where}: stated residential {a.residential}, need is {child.residential_need}"
            )
        self.check_reasons(a, child, school, travel_s, rank, at_lock, used, used_res)

    def check_reasons(
        self,
        a: Assignment,
        child: Child,
        school: School,
        travel_s: float,
        rank: int | None,
        at_lock: bool,
        used: Counter[str],
        used_res: Counter[str],
    ) -> None:
        where = f"child {child.child_id} at school {school.school_id}"
        valid = {str(r) for r in PlacementReason}
        for code in a.reasons:
            if code not in valid:
                self.fail(f"{where}: unknown placement reason {code!r}")
        stated = set(a.reasons)
        exact = {
            PlacementReason.LOCKED: at_lock,
            PlacementReason.FIRST_PREFERENCE: rank == 1,
            PlacementReason.OTHER_PREFERENCE: rank is not None and rank > 1,
            PlacementReason.RESIDENTIAL_PLACE: child.residential_need,
            PlacementReason.OUT_OF_AREA: not school.in_area,
        }
        for reason, holds in exact.items():
            if (str(reason) in stated) != holds:
                verb = "true but not stated" if holds else "stated but false"
                self.fail(f"{where}: reason {reason} {verb}")
        cand_s, cand_t = self.cand[self.child_index[child.child_id]]
        nearer = [self.schools[j] for j, t in zip(cand_s, cand_t, strict=True) if t < travel_s]
        cheaper = [
            self.schools[j]
            for j in cand_s
            if self.schools[j].annual_cost_gbp < school.annual_cost_gbp
        ]
        claims = {
            PlacementReason.NEAREST_SUITABLE: not nearer,
            PlacementReason.LOWEST_COST_SUITABLE: not cheaper,
            PlacementReason.NEARER_SCHOOLS_FULL: bool(nearer)
            and all(self.is_full(s, child, used, used_res) for s in nearer),
        }
        for reason, holds in claims.items():
            if str(reason) in stated and not holds:
                self.fail(f"{where}: reason {reason} stated but false")

    def check_unplaced(self, used: Counter[str], used_res: Counter[str]) -> None:
        placed = {a.child_id for a in self.plan.assignments}
        for u in self.plan.unplaced:
            i = self.child_index.get(u.child_id)
            if i is None or u.child_id in placed:
                continue
            child = self.children[i]
            cid = child.child_id
            if child.locked:
                self.fail(f"child {cid}: locked at school {child.current_school} but unplaced")
            cand_s, _ = self.cand[i]
            if self.n_suitable[i] == 0:
                expected = UnplacedReason.NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE
            elif self.n_res_ok[i] == 0:
                expected = UnplacedReason.RESIDENTIAL_NEED_UNMET
            elif len(cand_s) == 0:
                expected = UnplacedReason.OVER_MAX_TRAVEL
            else:
                expected = UnplacedReason.CAPACITY_EXHAUSTED
            if u.reason != expected:
                self.fail(
                    f"child {cid}: unplaced reason {u.reason} is false (the reason is {expected})"
                )
            elif expected == UnplacedReason.CAPACITY_EXHAUSTED:
                for j in cand_s:
                    school = self.schools[j]
                    if not self.is_full(school, child, used, used_res):
                        self.fail(
                            f"child {cid}: unplaced as {u.reason} but school "
                            f"{school.school_id} has room"
                        )

    def recompute_objective(self, known: list[Assignment], travel_s: list[float]) -> float:
        total = 0.0
        for a, t in zip(known, travel_s, strict=True):
            child = self.children[self.child_index[a.child_id]]
            school = self.schools[self.school_index[a.school_id]]
            total += objective_term_gbp(child, school, t, self.policy)
        unplaced = sum(1 for u in self.plan.unplaced if u.child_id in self.child_index)
        return total + self.policy.unplaced_gbp * unplaced
