"""Explain a placement plan per child: the best feasible alternatives and the cost of a preference.

*Feasible alternative* of a placed, unlocked child: a school other than the one chosen that

1. admits the child (designation, age range, sex: ``School.admits``; cohort) and is open on
   ``scenario.as_of``;
2. has residential places if the child has a residential need;
3. is within the child's maximum direct travel (``policy.max_travel_min``);
4. is in the child's candidate set (with ``policy.max_candidates = K``: among the K nearest
   admissible schools, or preferred);
5. has a free place in the final plan: places used < capacity, for a residential child
   residential places used < residential places, where the school caps the child's need
   (``capacity_by_designation``) children of that need placed < the cap, and where it reserves
   places (``reserved_by_designation``) a place reserved for the child's need is free or the
   unreserved places are not all taken.

Alternatives are ranked by the objective delta (the difference of the policy's arc costs,
``arc_cost_gbp``), then travel, then school id; the top ``ALTERNATIVES`` are listed with the
annual fee delta and the direct-journey delta (alternative minus chosen). Locked children
have no alternatives: they stay by policy.

*Cost of the first preference*, for each unlocked child with preferences whose first
preference was not chosen: ``extra_placement_gbp`` (the preferred school's annual fee minus the
fee of the school chosen, or the whole fee for an unplaced child) plus ``extra_transport_gbp``
(the estimated annual transport: ``transport_gbp_per_km x direct km x 2 trips x
school_days_per_year``, preferred minus chosen). ``status`` says whether it could have been
honoured in this plan: ``feasible`` (a free place, every rule met: the panel's question is
then cost), ``full`` (also when its places left are reserved for other needs),
``over_max_travel``, ``no_residential_places``, ``closed`` (not open on the scenario date) or
``not_admissible`` (need, age range, sex or cohort); ``not_candidate`` when it lies beyond the
K nearest (capped runs).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

import numpy as np

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Child, Policy, Scenario, School
from sendplan.routing.placement.candidates import build_candidates, cohort_admits
from sendplan.routing.placement.costs import arc_cost_gbp, preference_gbp
from sendplan.routing.placement.plan import PlacementPlan

ALTERNATIVES = 3


@dataclass(frozen=True, slots=True)
class Alternative:
    """A feasible school the child could have had, with deltas against the chosen one."""

    school_id: str
    annual_cost_gbp: float
    travel_s: float
    distance_m: float
    cost_delta_gbp: float
    travel_delta_s: float
    objective_delta_gbp: int


@dataclass(frozen=True, slots=True)
class PreferenceCost:
    """What honouring the first preference would add per year, and whether it was possible.

    ``deciding_terms_gbp`` are the objective's terms at the first preference less those at the
    school given (fee, travel, preference, out-of-area premium, GBP per year), largest first:
    what decided against it. ``capacity_taken_by`` lists (pseudonymous ids) who holds its
    places when it is full.
    """

    school_id: str
    status: str
    extra_placement_gbp: float
    extra_transport_gbp: float
    deciding_terms_gbp: tuple[tuple[str, float], ...] = ()
    capacity_taken_by: tuple[str, ...] = ()

    @property
    def extra_total_gbp(self) -> float:
        return self.extra_placement_gbp + self.extra_transport_gbp


@dataclass(frozen=True, slots=True)
class Explanation:
    """One child's explanation; ``school_id`` None when unplaced."""

    child_id: str
    school_id: str | None
    alternatives: tuple[Alternative, ...]
    first_preference: PreferenceCost | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.first_preference is not None:
            data["first_preference"]["extra_total_gbp"] = self.first_preference.extra_total_gbp
        return data


def transport_gbp_per_year(distance_m: float, policy: Policy, *, boarder: bool = False) -> float:
    """Estimated annual transport cost of a direct journey: two trips a school day, or the
    policy's journeys per year for a boarder."""
    trips = policy.boarder_journeys_per_year if boarder else 2 * policy.school_days_per_year
    return policy.transport_gbp_per_km * distance_m / 1000.0 * trips


CAPACITY_HOLDERS_SHOWN = 10


def objective_terms_gbp(
    child: Child, school: School, travel_s: float, policy: Policy
) -> dict[str, float]:
    """The objective's terms for one child at one school, GBP per year, unrounded."""
    return {
        "fee": policy.weight_placement_cost * school.annual_cost_gbp,
        "travel": policy.travel_gbp_per_min * travel_s / 60.0,
        "preference": preference_gbp(child, school, policy),
        "out_of_area": 0.0 if school.in_area else policy.out_of_area_gbp,
    }


def deciding_terms(
    child: Child, first: School, first_travel_s: float, given: School, given_travel_s: float,
    policy: Policy,
) -> tuple[tuple[str, float], ...]:  # fmt: skip
    """Each non-zero term difference (first preference less the school given), largest first."""
    a = objective_terms_gbp(child, first, first_travel_s, policy)
    b = objective_terms_gbp(child, given, given_travel_s, policy)
    diffs = [(k, round(a[k] - b[k], 2)) for k in a]
    return tuple(sorted(((k, v) for k, v in diffs if v != 0), key=lambda kv: (-kv[1], kv[0])))


def explain_plan(
    scenario: Scenario, travel: TravelModel, plan: PlacementPlan
) -> tuple[Explanation, ...]:
    """An explanation per child, ordered by child id."""
    policy = scenario.policy
    children = sorted(scenario.children, key=lambda c: c.child_id)
    schools = sorted(scenario.schools, key=lambda s: s.school_id)
    school_index = {s.school_id: j for j, s in enumerate(schools)}
    cs, _ = build_candidates(children, schools, travel, policy, as_of=scenario.as_of)
    m = len(schools)
    placed = {a.child_id: a for a in plan.assignments}
    used = np.zeros(m, dtype=np.int64)
    used_res = np.zeros(m, dtype=np.int64)
    for placed_one in plan.assignments:
        j = school_index[placed_one.school_id]
        used[j] += 1
        used_res[j] += placed_one.residential
    capacity = np.array([s.capacity for s in schools], dtype=np.int64)
    res_places = np.array([s.residential_places for s in schools], dtype=np.int64)
    free = used < capacity
    free_res = free & (used_res < res_places)
    need_used: dict[tuple[str, str], int] = {}
    need_of = {c.child_id: c.primary_need for c in children}
    for placed_one in plan.assignments:
        key = (placed_one.school_id, need_of[placed_one.child_id])
        need_used[key] = need_used.get(key, 0) + 1

    # Children placed beyond the places reserved for their need, per school.
    beyond: dict[str, int] = {}
    for (sid, need), n_used in need_used.items():
        over_reserved = max(0, n_used - schools[school_index[sid]].reserved_places(need))
        beyond[sid] = beyond.get(sid, 0) + over_reserved

    def pool_free(child: Child, school: School) -> bool:
        places = school.designation_capacity(child.primary_need)
        used_need = need_used.get((school.school_id, child.primary_need), 0)
        if places is not None and used_need >= places:
            return False
        unreserved = school.capacity - sum(n for _, n in school.reserved_by_designation)
        return (
            used_need < school.reserved_places(child.primary_need)
            or beyond.get(school.school_id, 0) < unreserved
        )

    # Travel to each first preference that was not chosen, in one call.
    wanted = [
        i
        for i, c in enumerate(children)
        if c.preferences
        and not c.locked
        and (c.child_id not in placed or placed[c.child_id].school_id != c.preferences[0])
    ]
    pref_travel: dict[int, tuple[float, float]] = {}
    if wanted:
        homes = np.array([(children[i].lon, children[i].lat) for i in wanted], dtype=np.float64)
        firsts = [schools[school_index[children[i].preferences[0]]] for i in wanted]
        sites = np.array([(s.lon, s.lat) for s in firsts], dtype=np.float64)
        seconds, metres = travel.pairs(homes, sites)
        pref_travel = {
            i: (float(t), float(d)) for i, t, d in zip(wanted, seconds, metres, strict=True)
        }

    holders_of: dict[str, tuple[str, ...]] = {}
    for held in plan.assignments:
        holders_of[held.school_id] = (*holders_of.get(held.school_id, ()), held.child_id)
    holders_of = {sid: tuple(sorted(ids)) for sid, ids in holders_of.items()}

    out = []
    for i, child in enumerate(children):
        a = placed.get(child.child_id)
        c = int(cs.class_of[i])
        sl = slice(int(cs.cand_starts[c]), int(cs.cand_starts[c + 1]))
        cand_s = cs.candidates.school[sl]
        cand_t = cs.candidates.travel_s[sl]
        cand_d = cs.candidates.distance_m[sl]
        room = (free_res if child.residential_need else free)[cand_s] & np.array(
            [pool_free(child, schools[j]) for j in cand_s], dtype=bool
        )
        alternatives: tuple[Alternative, ...] = ()
        if a is not None and not child.locked:
            chosen = schools[school_index[a.school_id]]
            base = arc_cost_gbp(child, chosen, a.travel_s, policy)
            options = []
            for j, t, d, ok in zip(cand_s, cand_t, cand_d, room, strict=True):
                school = schools[j]
                if not ok or school.school_id == a.school_id:
                    continue
                delta = arc_cost_gbp(child, school, float(t), policy) - base
                options.append((delta, float(t), school.school_id, school, float(d)))
            options.sort(key=lambda o: (o[0], o[1], o[2]))
            alternatives = tuple(
                Alternative(
                    school_id=sid,
                    annual_cost_gbp=school.annual_cost_gbp,
                    travel_s=t,
                    distance_m=d,
                    cost_delta_gbp=school.annual_cost_gbp - chosen.annual_cost_gbp,
                    travel_delta_s=t - a.travel_s,
                    objective_delta_gbp=int(delta),
                )
                for delta, t, sid, school, d in options[:ALTERNATIVES]
            )
        preference = None
        if i in pref_travel:
            first = schools[school_index[child.preferences[0]]]
            preference = _preference_cost(
                child,
                schools[school_index[child.preferences[0]]],
                pref_travel[i],
                a_fee_distance=(a.annual_cost_gbp, a.distance_m) if a is not None else None,
                candidate=child.preferences[0] in {schools[j].school_id for j in cand_s},
                as_of=scenario.as_of,
                has_room=bool(
                    (free_res if child.residential_need else free)[
                        school_index[child.preferences[0]]
                    ]
                )
                and pool_free(child, schools[school_index[child.preferences[0]]]),
                policy=policy,
            )
            terms: tuple[tuple[str, float], ...] = ()
            if a is not None:
                given = schools[school_index[a.school_id]]
                terms = deciding_terms(child, first, pref_travel[i][0], given, a.travel_s, policy)
            holders: tuple[str, ...] = ()
            if preference.status == "full":
                holders = holders_of.get(first.school_id, ())[:CAPACITY_HOLDERS_SHOWN]
            preference = replace(preference, deciding_terms_gbp=terms, capacity_taken_by=holders)
        out.append(
            Explanation(
                child_id=child.child_id,
                school_id=a.school_id if a is not None else None,
                alternatives=alternatives,
                first_preference=preference,
            )
        )
    return tuple(out)


def _preference_cost(
    child: Child,
    school: School,
    travel: tuple[float, float],
    *,
    a_fee_distance: tuple[float, float] | None,
    candidate: bool,
    has_room: bool,
    policy: Policy,
    as_of: date | None = None,
) -> PreferenceCost:
    travel_s, distance_m = travel
    if not (school.admits(child) and cohort_admits(school, child, policy)):
        status = "not_admissible"
    elif not school.open_on(as_of):
        status = "closed"
    elif child.residential_need and school.residential_places == 0:
        status = "no_residential_places"
    elif travel_s > policy.max_travel_min(child) * 60.0:
        status = "over_max_travel"
    elif not candidate:
        status = "not_candidate"
    elif not has_room:
        status = "full"
    else:
        status = "feasible"
    fee0, dist0 = a_fee_distance if a_fee_distance is not None else (0.0, 0.0)
    return PreferenceCost(
        school_id=school.school_id,
        status=status,
        extra_placement_gbp=school.annual_cost_gbp - fee0,
        extra_transport_gbp=round(
            transport_gbp_per_year(distance_m, policy, boarder=child.residential_need)
            - transport_gbp_per_year(dist0, policy, boarder=child.residential_need),
            2,
        ),
    )
