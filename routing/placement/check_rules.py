"""The independent checker's rule groups: the candidate set rebuilt rule by rule (open on
``as_of``, cohort, designation, age, sex, residential places, travel), each assignment's facts
and reasons, and each unplaced child's reason (capacity is in ``check.py``).

``PlanRules`` holds one plan and the scenario it is checked against; ``check.py`` runs the
groups in order and reports. Like ``check.py``, this module shares no code with the solver.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import NEED_CODES, Scenario
from sendplan.routing.placement.plan import (
    Assignment,
    PlacementPlan,
    PlacementReason,
    UnplacedReason,
)

TRAVEL_ABS_TOL_S = 1e-3
DISTANCE_ABS_TOL_M = 1e-3
MONEY_ABS_TOL_GBP = 1e-6
# Messages per rule beyond which the checker summarises instead of listing every child.
MAX_MESSAGES_PER_RULE = 50
# Candidate pairs whose travel is computed at once (bounds the checker's memory).
PAIRS_PER_SLICE = 2_000_000


def _close(a: NDArray[np.float64], b: NDArray[np.float64], abs_tol: float) -> NDArray[np.bool_]:
    return np.abs(a - b) <= np.maximum(abs_tol, 1e-9 * np.maximum(np.abs(a), np.abs(b)))


class PlanRules:
    """One plan under check: the violations found so far and the state the rules share."""

    # Set by the runner before the rule groups run: the must-admit schools, and per known
    # assignment its (child, school) index pair, the same as arrays, and the recomputed travel.
    soft: NDArray[np.bool_]
    pairs: list[tuple[int, int]]
    a_child: NDArray[np.int64]
    a_school: NDArray[np.int64]
    travel_s: NDArray[np.float64]
    # Set by the capacity rules (``check.py``): who is held at a locked school, places used,
    # and per (school, need) the cap, the reserved places and the children placed.
    at_lock: NDArray[np.bool_]
    residential: NDArray[np.bool_]
    used: NDArray[np.int64]
    used_res: NDArray[np.int64]
    full: NDArray[np.bool_]
    full_res: NDArray[np.bool_]
    general_full: NDArray[np.bool_]
    pool_cap: dict[tuple[int, str], int]
    pool_used: dict[tuple[int, str], int]
    reserved: dict[tuple[int, str], int]
    need_used: Counter[tuple[int, str]]

    def __init__(self, scenario: Scenario, travel: TravelModel, plan: PlacementPlan) -> None:
        self.policy = scenario.policy
        self.travel = travel
        self.plan = plan
        self.children = sorted(scenario.children, key=lambda c: c.child_id)
        self.schools = sorted(scenario.schools, key=lambda s: s.school_id)
        self.child_index = {c.child_id: i for i, c in enumerate(self.children)}
        self.school_index = {s.school_id: j for j, s in enumerate(self.schools)}
        self.as_of = scenario.as_of
        self.violations: list[str] = []
        self.counts: Counter[str] = Counter()

    def held(self, i: int) -> bool:
        """Child i is held at its current school: locked there, and the school open."""
        child = self.children[i]
        if not child.locked:
            return False
        return bool(self.open[self.school_index[str(child.current_school)]])

    def fail(self, message: str, rule: str = "") -> None:
        self.counts[rule] += 1
        if not rule or self.counts[rule] <= MAX_MESSAGES_PER_RULE:
            self.violations.append(message)

    def candidates(self) -> None:
        """Per child: schools meeting need+age+sex, those also meeting residential need, and
        those also within max travel (with travel), rebuilt without ``School.admits``."""
        n, m = len(self.children), len(self.schools)
        need_col = {code: k for k, code in enumerate(NEED_CODES)}
        designated = np.zeros((m, len(NEED_CODES)), dtype=bool)
        for j, s in enumerate(self.schools):
            for code in s.designations:
                designated[j, need_col[code]] = True
        low = np.array([s.age_low for s in self.schools])
        high = np.array([s.age_high for s in self.schools])
        takes_m = np.array([s.sex in ("mixed", "M") for s in self.schools], dtype=bool)
        takes_f = np.array([s.sex in ("mixed", "F") for s in self.schools], dtype=bool)
        has_res = np.array([s.residential_places > 0 for s in self.schools], dtype=bool)
        day = self.as_of
        # Open on the scenario date: opened on or before it, not yet closed (no date: all).
        self.open = np.array(
            [
                day is None
                or ((s.opens is None or s.opens <= day) and (s.closes is None or day < s.closes))
                for s in self.schools
            ],
            dtype=bool,
        )
        dsp_site = np.array([s.type == "resourced_provision" for s in self.schools], dtype=bool)
        # Per cohort, the schools it may be placed at.
        self.cohort_ok = {
            "dsp": dsp_site,
            "special": ~dsp_site | bool(self.policy.special_cohort_in_dsp),
        }
        self.designated, self.low, self.high = designated, low, high
        self.takes_m, self.takes_f, self.has_res = takes_m, takes_f, has_res

        groups: dict[tuple[str, int, str, bool, str], list[int]] = {}
        for i, c in enumerate(self.children):
            key = (c.primary_need, c.age, c.sex, c.residential_need, c.cohort)
            groups.setdefault(key, []).append(i)
        self.n_suitable = np.zeros(n)
        self.n_open = np.zeros(n)
        self.n_res_ok = np.zeros(n)
        homes = np.array([(c.lon, c.lat) for c in self.children]).reshape(n, 2)
        sites = np.array([(s.lon, s.lat) for s in self.schools]).reshape(m, 2)
        cap = int(self.policy.max_candidates)
        self.homes, self.sites = homes, sites
        # Per child, the chord to the farthest of its ``cap`` nearest admissible schools (inf:
        # no cap, or no more schools than it): a placement beyond it must be a preference.
        self.kth_chord = np.full(n, np.inf)
        self.limit_s = np.array([self.policy.max_travel_min(c) * 60.0 for c in self.children])
        pc: list[NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)]
        ps: list[NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)]
        pt: list[NDArray[np.float64]] = [np.zeros(0)]

        def within(ci: NDArray[np.int64], sj: NDArray[np.int64]) -> None:
            # Travel and the limit a slice at a time, so every admissible pair of a national
            # plan (hundreds of millions) never exists at once: only those within the limit.
            for a in range(0, len(ci), PAIRS_PER_SLICE):
                c, j = ci[a : a + PAIRS_PER_SLICE], sj[a : a + PAIRS_PER_SLICE]
                seconds = np.asarray(self.travel.pairs(homes[c], sites[j])[0], dtype=np.float64)
                keep = seconds <= self.limit_s[c]
                pc.append(c[keep])
                ps.append(j[keep])
                pt.append(seconds[keep])

        for (need, age, sex, res, cohort), members_list in groups.items():
            members = np.array(members_list)
            suitable = (
                designated[:, need_col[need]]
                & (low <= age)
                & (age <= high)
                & (takes_m if sex == "M" else takes_f)
                & self.cohort_ok[cohort]
            )
            ok = np.flatnonzero(suitable & self.open & (has_res | (not res))).astype(np.int64)
            self.n_suitable[members] = int(suitable.sum())
            self.n_open[members] = int((suitable & self.open).sum())
            self.n_res_ok[members] = len(ok)
            if len(ok) == 0:
                continue
            # Mutant note: `len(ok) < cap` is equivalent (the cap nearest of cap schools are all).
            if cap == 0 or len(ok) <= cap:
                step = max(1, PAIRS_PER_SLICE // len(ok))
                for a in range(0, len(members), step):
                    part = members[a : a + step]
                    within(np.repeat(part, len(ok)), np.tile(ok, len(part)))
                continue
            chord, idx = cKDTree(_xyz(sites[ok])).query(_xyz(homes[members]), k=cap)
            self.kth_chord[members] = np.reshape(chord, (len(members), -1))[:, -1]
            near_c, near_s = [np.repeat(members, cap)], [ok[np.ravel(idx)]]
            ok_set = set(ok.tolist())
            for i in members_list:
                for sid in self.children[i].preferences:
                    if self.school_index[sid] in ok_set:
                        near_c.append(np.array([i]))
                        near_s.append(np.array([self.school_index[sid]]))
            within(np.concatenate(near_c), np.concatenate(near_s))
        keys, first = np.unique(
            np.concatenate(pc) * max(m, 1) + np.concatenate(ps), return_index=True
        )
        self.cand_child, self.cand_school = keys // max(m, 1), keys % max(m, 1)
        self.cand_travel = np.concatenate(pt)[first]
        # Child i's candidates: cand_starts[i]:cand_starts[i + 1] (`n + 2` would be equivalent:
        # nothing reads beyond index n).
        self.cand_starts = np.searchsorted(self.cand_child, np.arange(n + 1))

    def check_assignments(self, known: list[Assignment], distance_m: NDArray[np.float64]) -> None:
        if not known:
            return
        ci, sj, t = self.a_child, self.a_school, self.travel_s
        children, schools = self.children, self.schools
        need_col = {code: k for k, code in enumerate(NEED_CODES)}
        need = np.array([need_col[children[i].primary_need] for i in ci])
        age = np.array([children[i].age for i in ci])
        male = np.array([children[i].sex == "M" for i in ci])
        free = ~self.at_lock
        res = self.residential[ci]
        bad_need = free & ~self.designated[sj, need]
        bad_age = free & ~((self.low[sj] <= age) & (age <= self.high[sj]))
        bad_sex = free & ~np.where(male, self.takes_m[sj], self.takes_f[sj])
        bad_res = free & res & ~self.has_res[sj]
        bad_travel = free & (t > self.limit_s[ci])
        bad_open = free & ~self.open[sj]
        cohorts = [children[i].cohort for i in ci.tolist()]
        bad_cohort = free & ~np.array(
            [self.cohort_ok[k][j] for k, j in zip(cohorts, sj.tolist(), strict=True)], dtype=bool
        )
        locked_elsewhere = np.array([self.held(i) for i in ci.tolist()], dtype=bool) & ~self.at_lock
        # Beyond the child's nearest admissible schools (ties within a hair of the farthest
        # count as near) and not a preference; only where no other rule already fails, and
        # only computed where a cap leaves someone fewer schools (national plans have none).
        beyond = np.zeros(len(ci), dtype=bool)
        if np.isfinite(self.kth_chord).any():
            chord = np.linalg.norm(_xyz(self.homes[ci]) - _xyz(self.sites[sj]), axis=1)
            beyond = free & (chord > self.kth_chord[ci] * (1 + 1e-9) + 1e-12)
            beyond &= ~(bad_need | bad_age | bad_sex | bad_res | bad_travel | bad_open | bad_cohort)
            for y in np.flatnonzero(beyond).tolist():
                beyond[y] = schools[sj[y]].school_id not in children[ci[y]].preferences

        def where(x: int | np.integer) -> str:
            return f"child {children[ci[x]].child_id} at school {schools[sj[x]].school_id}"

        for x in np.flatnonzero(locked_elsewhere):
            c = children[ci[x]]
            self.fail(
                f"child {c.child_id}: locked at school {c.current_school} but placed at "
                f"{schools[sj[x]].school_id}"
            )
        for x in np.flatnonzero(bad_need):
            need_code = children[ci[x]].primary_need
            self.fail(f"{where(x)}: school designations do not include need {need_code}", "need")
        for x in np.flatnonzero(bad_age):
            s = schools[sj[x]]
            self.fail(f"{where(x)}: age {age[x]} outside age range {s.age_low}-{s.age_high}", "age")
        for x in np.flatnonzero(bad_sex):
            self.fail(f"{where(x)}: school admits sex {schools[sj[x]].sex} only", "sex")
        for x in np.flatnonzero(bad_open):
            self.fail(f"{where(x)}: the school is not open on {self.as_of}", "open")
        for x in np.flatnonzero(bad_cohort):
            self.fail(
                f"{where(x)}: a {cohorts[x]} child at a {schools[sj[x]].type} school "
                f"(special_cohort_in_dsp {self.policy.special_cohort_in_dsp})",
                "cohort",
            )
        for x in np.flatnonzero(bad_res):
            self.fail(f"{where(x)}: residential need but the school has no residential places")
        for x in np.flatnonzero(bad_travel):
            limit_min = self.limit_s[ci[x]] / 60.0
            self.fail(
                f"{where(x)}: travel {t[x] / 60.0:.1f} min over the {limit_min:.0f}-minute limit",
                "travel",
            )
        for x in np.flatnonzero(beyond):
            self.fail(
                f"{where(x)}: not one of the child's {self.policy.max_candidates} nearest "
                "admissible schools, nor a preference",
                "candidates",
            )

        annual = np.array([s.annual_cost_gbp for s in schools])
        in_area = np.array([s.in_area for s in schools])
        la = [s.la_code for s in schools]
        true_rank = np.array(
            [
                children[i].preferences.index(schools[j].school_id) + 1
                if schools[j].school_id in children[i].preferences
                else 0
                for i, j in self.pairs
            ]
        )
        cross = np.array([children[i].home_la != la[j] for i, j in self.pairs])
        stated_t = np.array([a.travel_s for a in known])
        stated_d = np.array([a.distance_m for a in known])
        stated_fee = np.array([a.annual_cost_gbp for a in known])
        stated_rank = np.array([a.preference_rank or 0 for a in known])
        checks = (
            ("travel_s", ~_close(stated_t, t, TRAVEL_ABS_TOL_S), stated_t, t),
            ("distance_m", ~_close(stated_d, distance_m, DISTANCE_ABS_TOL_M), stated_d, distance_m),
            (
                "annual_cost_gbp",
                ~(np.abs(stated_fee - annual[sj]) <= MONEY_ABS_TOL_GBP),
                stated_fee,
                annual[sj],
            ),
            (
                "in_area",
                np.array([a.in_area for a in known]) != in_area[sj],
                [a.in_area for a in known],
                in_area[sj],
            ),
            ("preference_rank", stated_rank != true_rank, stated_rank, true_rank),
            (
                "residential",
                np.array([a.residential for a in known]) != res,
                [a.residential for a in known],
                res,
            ),
            (
                "cross_border",
                np.array([a.cross_border for a in known]) != cross,
                [a.cross_border for a in known],
                cross,
            ),
        )
        for name, wrong, stated, truth in checks:
            for x in np.flatnonzero(wrong):
                self.fail(f"{where(x)}: stated {name} {stated[x]}, true {truth[x]}", name)
        self.check_reasons(known, true_rank)

    def check_reasons(self, known: list[Assignment], true_rank: NDArray[np.int64]) -> None:
        ci, sj, t = self.a_child, self.a_school, self.travel_s
        n = len(self.children)
        valid = {str(r) for r in PlacementReason}
        annual = np.array([s.annual_cost_gbp for s in self.schools])
        cand_res = self.residential[self.cand_child]
        cand_full = np.where(cand_res, self.full_res[self.cand_school], self.full[self.cand_school])
        if self.pool_cap or self.reserved:
            cand_full = cand_full | np.array(
                [
                    self.is_full(j, int(self.cand_child[x]))
                    for x, j in enumerate(self.cand_school.tolist())
                ],
                dtype=bool,
            )
        seg = self.cand_child
        min_t = np.full(n, np.inf)
        min_fee = np.full(n, np.inf)
        min_open_t = np.full(n, np.inf)
        if len(seg):
            np.minimum.at(min_t, seg, self.cand_travel)
            np.minimum.at(min_fee, seg, annual[self.cand_school])
            np.minimum.at(min_open_t, seg, np.where(cand_full, np.inf, self.cand_travel))
        nearer = min_t[ci] < t
        away = np.array([not s.in_area for s in self.schools])
        exact = {
            PlacementReason.LOCKED: self.at_lock,
            PlacementReason.FIRST_PREFERENCE: true_rank == 1,
            PlacementReason.OTHER_PREFERENCE: true_rank > 1,
            PlacementReason.RESIDENTIAL_PLACE: self.residential[ci],
            PlacementReason.OUT_OF_AREA: away[sj],
        }
        # Terms are compared with 1 GBP of slack: the solver rounds each arc to whole pounds.
        min_open_term = np.full(n, np.inf)
        if len(seg):
            open_terms = np.where(
                cand_full, np.inf, self.terms_gbp(self.cand_child, self.cand_school,
                                                  self.cand_travel)
            )  # fmt: skip
            np.minimum.at(min_open_term, seg, open_terms)
        own_term = self.terms_gbp(ci, sj, t)
        only_if = {
            PlacementReason.NEAREST_SUITABLE: ~nearer,
            PlacementReason.LOWEST_COST_SUITABLE: ~(min_fee[ci] < annual[sj]),
            PlacementReason.NEARER_SCHOOLS_FULL: nearer & ~(min_open_t[ci] < t),
            PlacementReason.LEAST_COST_WITH_ROOM: ~self.at_lock
            & ~(min_open_term[ci] + 1.0 < own_term),
        }
        if self.plan.optimal and self.plan.mode == "weighted":
            # An optimal weighted plan cannot leave a free child where a school with room
            # costs less: moving them there would lower the objective.
            for y in np.flatnonzero(~self.at_lock & (min_open_term[ci] + 1.0 < own_term)).tolist():
                cheaper = self.cheapest_with_room(int(ci[y]))
                if cheaper is not None and cheaper[1] + 1.0 < own_term[y]:
                    self.fail(
                        f"child {known[y].child_id} at school {known[y].school_id}: school "
                        f"{self.schools[cheaper[0]].school_id} has room at {cheaper[1]:,.0f} GBP "
                        f"against {own_term[y]:,.0f} here, in a plan stated optimal",
                        "optimal",
                    )
        for x, a in enumerate(known):
            stated = set(a.reasons)
            where = f"child {a.child_id} at school {a.school_id}"
            for code in stated - valid:
                self.fail(f"{where}: unknown placement reason {code!r}")
            for reason, holds in exact.items():
                if (str(reason) in stated) != bool(holds[x]):
                    verb = "true but not stated" if holds[x] else "stated but false"
                    self.fail(f"{where}: reason {reason} {verb}", "reasons")
            for reason, holds in only_if.items():
                if str(reason) in stated and not holds[x]:
                    self.fail(f"{where}: reason {reason} stated but false", "reasons")

    def terms_gbp(
        self, ci: NDArray[np.int64], sj: NDArray[np.int64], travel_s: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Each (child, school) pair's share of the objective, GBP per year (vectorised)."""
        pol = self.policy
        fee = np.array([s.annual_cost_gbp for s in self.schools])[sj]
        away = np.array([not s.in_area for s in self.schools])[sj]
        pref = np.zeros(len(ci))
        has_prefs = np.array([bool(c.preferences) for c in self.children])
        for x in np.flatnonzero(has_prefs[ci]).tolist():
            wanted = self.children[int(ci[x])].preferences
            sid = self.schools[int(sj[x])].school_id
            pref[x] = (
                wanted.index(sid) * pol.preference_gbp_per_rank
                if sid in wanted
                else pol.not_preferred_gbp
            )
        return (
            pol.weight_placement_cost * fee
            + pol.travel_gbp_per_min * travel_s / 60.0
            + pref
            + np.where(away, pol.out_of_area_gbp, 0.0)
        )

    def is_full(self, j: int, i: int) -> bool:
        """No place at school j for child i: places, residential places, the need's cap, or
        the general places full with none reserved for the child's need left."""
        if self.full_res[j] if self.residential[i] else self.full[j]:
            return True
        key = (j, self.children[i].primary_need)
        if key in self.pool_cap and self.pool_used[key] >= self.pool_cap[key]:
            return True
        reserved = self.reserved.get(key, 0)
        return self.need_used.get(key, 0) >= reserved and self.general_full[j]

    def over_room(self, j: int, i: int) -> bool:
        """School j is must-admit and may take child i over its places: its residential
        places (for a boarder) and the need's cap are not full."""
        if not self.soft[j] or (self.residential[i] and self.full_res[j]):
            return False
        if self.policy.over_capacity_gbp >= self.policy.unplaced_gbp:
            return False  # a place over costs more than leaving the child out: none is offered
        key = (j, self.children[i].primary_need)
        return not (key in self.pool_cap and self.pool_used[key] >= self.pool_cap[key])

    def check_unplaced(self) -> None:
        placed = {a.child_id for a in self.plan.assignments}
        for u in self.plan.unplaced:
            i = self.child_index.get(u.child_id)
            if i is None or u.child_id in placed:
                continue
            child = self.children[i]
            cid = child.child_id
            if self.held(i):
                self.fail(f"child {cid}: locked at school {child.current_school} but unplaced")
            cand_s = self.cand_school[self.cand_starts[i] : self.cand_starts[i + 1]]
            if self.n_suitable[i] == 0:
                expected = UnplacedReason.NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE
            elif self.n_open[i] == 0:
                expected = UnplacedReason.NO_OPEN_SCHOOL
            elif self.n_res_ok[i] == 0:
                expected = UnplacedReason.RESIDENTIAL_NEED_UNMET
            elif len(cand_s) == 0:
                expected = UnplacedReason.OVER_MAX_TRAVEL
            elif all(self.is_full(int(j), i) and not self.over_room(int(j), i) for j in cand_s):
                expected = UnplacedReason.CAPACITY_EXHAUSTED
            else:
                expected = UnplacedReason.COSTS_MORE_THAN_UNPLACED
            if u.reason == UnplacedReason.CAPACITY_EXHAUSTED and expected == (
                UnplacedReason.COSTS_MORE_THAN_UNPLACED
            ):
                for j in cand_s:
                    if not self.is_full(int(j), i):
                        self.fail(
                            f"child {cid}: unplaced as {u.reason} but school "
                            f"{self.schools[j].school_id} has room",
                            "room",
                        )
                    elif self.over_room(int(j), i):
                        self.fail(
                            f"child {cid}: unplaced as {u.reason} but must-admit school "
                            f"{self.schools[j].school_id} may take them over its places",
                            "room",
                        )
            elif expected == UnplacedReason.COSTS_MORE_THAN_UNPLACED and (
                self.plan.mode != "weighted"
            ):
                self.fail(f"child {cid}: a lexicographic plan leaves the child out beside room")
            elif u.reason != expected:
                self.fail(
                    f"child {cid}: unplaced reason {u.reason} is false (the reason is {expected})",
                    "unplaced",
                )
            elif expected == UnplacedReason.COSTS_MORE_THAN_UNPLACED:
                cheaper = self.cheapest_with_room(i)
                if cheaper is not None and cheaper[1] + 1.0 < self.policy.unplaced_gbp:
                    self.fail(
                        f"child {cid}: unplaced as {u.reason} but school "
                        f"{self.schools[cheaper[0]].school_id} has room at "
                        f"{cheaper[1]:,.0f} GBP, under unplaced_gbp "
                        f"{self.policy.unplaced_gbp:,.0f}",
                        "room",
                    )

    def cheapest_with_room(self, i: int) -> tuple[int, float] | None:
        """Child i's candidate school with room at the least objective term, and the term;
        must-admit schools left out (their over-capacity penalty is not counted here)."""
        a, b = self.cand_starts[i], self.cand_starts[i + 1]
        best: tuple[int, float] | None = None
        near, secs = self.cand_school[a:b].tolist(), self.cand_travel[a:b].tolist()
        for j, seconds in zip(near, secs, strict=True):
            if self.soft[j] or self.is_full(j, i):
                continue
            term = float(
                self.terms_gbp(np.array([i]), np.array([j]), np.array([seconds], dtype=float))[0]
            )
            if best is None or term < best[1]:
                best = (j, term)
        return best


def _xyz(points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Unit vectors; chord length orders point pairs as great-circle distance does."""
    lon, lat = np.radians(points[:, 0]), np.radians(points[:, 1])
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


__all__ = ["MAX_MESSAGES_PER_RULE", "PlanRules"]
