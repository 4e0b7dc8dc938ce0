"""Eligibility review and alternatives to a seat, for a person to decide (never applied).

It reviews the children the planner routes (``school_of_children``: transport-eligible, not
boarding). Run after ``entitlement.apply_entitlements``, those are the children the rules gave a
seat (or the council did): a child the rules left within walking distance, or gave a post-16
personal budget, is not eligible and so is neither flagged nor offered a budget again.

*Walking distance.* Children of compulsory school age (below ``post16_from_age``) within the
statutory walking distance of their school (2 miles under 8, 3 miles from 8; Education Act 1996
s.444(5)) are flagged for review: if they have a seat it is by the council's decision or the
SEN/disability proxy of ``entitlement.py``. The distance is the walking model's (a road
network's walking graph when one is given), else the drive model's.

*Personal transport budget (PTB).* A family may be offered a yearly budget instead of a seat:
the yearly sum plus the mileage rate for two return journeys a day (take the child in and come
home, morning and afternoon) over the school year, at the rate for the child's age
(``ptb_rate``: post-16 ``ptb_pence_per_mile``/``ptb_annual_gbp``, Leicester's published 45p a
mile + £500 a year; pre-16 ``ptb_pre16_*``, an estimate). It is shown beside two costs of
the child's seat, named as such: the *average* (each route's cost shared equally by its riders)
and the *marginal* (what the routes would save without them: the same vehicles in the same
order, skipping their stop; the whole run when they ride alone). "PTB cheaper" compares with the
average, what the seat costs the council on the whole; the marginal is usually far lower, since
a detour for one more child on a run that goes anyway costs little. Planned sessions are summed;
when only one session is planned it is doubled for the day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Policy, Scenario
from sendplan.routing.transport.plan import TransportPlan

METRES_PER_MILE = 1609.344
TRIPS_PER_DAY = 4  # two return journeys: to school and home, morning and afternoon


@dataclass(frozen=True, slots=True)
class WalkingFlag:
    """A child within statutory walking distance of their school: a person reviews them."""

    child_id: str
    school_id: str
    distance_m: float
    limit_m: float


@dataclass(frozen=True, slots=True)
class PtbOption:
    """A child's personal transport budget beside their seat's average and marginal cost, per
    year (None when the child is on no planned route)."""

    child_id: str
    school_id: str
    distance_m: float
    ptb_gbp_per_year: float
    seat_marginal_gbp_per_year: float | None
    seat_average_gbp_per_year: float | None = None

    @property
    def ptb_cheaper(self) -> bool:
        """The budget costs less than the seat's average cost."""
        seat = self.seat_average_gbp_per_year
        return seat is not None and self.ptb_gbp_per_year < seat


def walking_limit_m(age: int, *, under8_miles: float, from8_miles: float) -> float:
    return (under8_miles if age < 8 else from8_miles) * METRES_PER_MILE


def is_post16(policy: Policy, age: int) -> bool:
    """Whether a child of this age (on 31 August) falls under the post-16 rules."""
    return age >= policy.post16_from_age


def ptb_rate(policy: Policy, age: int) -> tuple[float, float]:
    """The personal budget rate for this age: (pence per mile, GBP per year)."""
    if is_post16(policy, age):
        return policy.ptb_pence_per_mile, policy.ptb_annual_gbp
    return policy.ptb_pre16_pence_per_mile, policy.ptb_pre16_annual_gbp


def home_school_m(
    scenario: Scenario, school_of: Mapping[str, str | None], travel: TravelModel
) -> dict[str, tuple[str, float]]:
    """Each child with a school in ``school_of``: the school and the home-school distance, in
    one batched ``travel.pairs`` call."""
    children = {c.child_id: c for c in scenario.children}
    schools = {s.school_id: s for s in scenario.schools}
    ids = sorted(c for c, s in school_of.items() if s is not None)
    if not ids:
        return {}
    homes = np.array([(children[c].lon, children[c].lat) for c in ids], dtype=np.float64)
    sids = [school_of[c] or "" for c in ids]
    dests = np.array([(schools[s].lon, schools[s].lat) for s in sids], dtype=np.float64)
    _secs, metres = travel.pairs(homes, dests)
    return {c: (s, float(m)) for c, s, m in zip(ids, sids, metres, strict=True)}


def walking_distance_flags(
    scenario: Scenario, school_of: Mapping[str, str | None], travel: TravelModel
) -> tuple[WalkingFlag, ...]:
    """Pre-16 children in ``school_of`` living within statutory walking distance of school."""
    policy = scenario.policy
    ages = {c.child_id: c.age for c in scenario.children}
    pre16 = {c: s for c, s in school_of.items() if not is_post16(policy, ages[c])}
    out = []
    for child_id, (school_id, metres) in home_school_m(scenario, pre16, travel).items():
        limit = walking_limit_m(
            ages[child_id],
            under8_miles=policy.walking_distance_under8_miles,
            from8_miles=policy.walking_distance_from8_miles,
        )
        if metres <= limit:
            out.append(WalkingFlag(child_id, school_id, metres, limit))
    return tuple(out)


def ptb_gbp_per_year(
    distance_m: float, *, pence_per_mile: float, annual_gbp: float, days: int
) -> float:
    miles = TRIPS_PER_DAY * distance_m / METRES_PER_MILE * days
    return annual_gbp + pence_per_mile / 100.0 * miles


def seat_costs_gbp_per_day(
    scenario: Scenario, plans: Sequence[TransportPlan], travel: TravelModel
) -> dict[str, float]:
    """Per child, what the planned routes would save per day without them."""
    fleet = {v.name: v for v in scenario.fleet}
    schools = {s.school_id: s for s in scenario.schools}
    homes = {c.child_id: (c.lon, c.lat) for c in scenario.children}
    scale = 2.0 if len(plans) == 1 else 1.0
    out: dict[str, float] = {}
    for plan in plans:
        for route in plan.routes:
            vehicle = fleet[route.vehicle_type]
            school = schools[route.school_id]
            stops = [homes[c] for c in route.child_ids]
            here, depot = (school.lon, school.lat), (vehicle.depot_lon, vehicle.depot_lat)
            path = [depot, *stops, here] if route.session == "am" else [depot, here, *stops]
            for i, child_id in enumerate(route.child_ids):
                if len(stops) == 1:
                    saving = route.cost_gbp
                else:
                    pos = i + 1 if route.session == "am" else i + 2
                    prev, this = path[pos - 1], path[pos]
                    nxt = path[pos + 1] if pos + 1 < len(path) else depot
                    o = np.array([prev, this, prev], dtype=np.float64)
                    d = np.array([this, nxt, nxt], dtype=np.float64)
                    _s, m = travel.pairs(o, d)
                    detour_m = max(float(m[0] + m[1] - m[2]), 0.0)  # float noise on a straight line
                    saving = vehicle.cost_per_km_gbp * detour_m / 1000.0
                out[child_id] = out.get(child_id, 0.0) + scale * saving
    return out


def seat_average_gbp_per_day(plans: Sequence[TransportPlan]) -> dict[str, float]:
    """Per child, their share of each route they ride: its cost over its riders."""
    scale = 2.0 if len(plans) == 1 else 1.0
    out: dict[str, float] = {}
    for plan in plans:
        for route in plan.routes:
            share = route.cost_gbp / max(len(route.stops), 1)
            for child_id in route.child_ids:
                out[child_id] = out.get(child_id, 0.0) + scale * share
    return out


def ptb_options(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    travel: TravelModel,
    plans: Sequence[TransportPlan],
) -> tuple[PtbOption, ...]:
    """Every placed, transport-eligible child's PTB (at the rate for their age) beside their
    seat's average and marginal cost."""
    policy = scenario.policy
    seats = seat_costs_gbp_per_day(scenario, plans, travel)
    averages = seat_average_gbp_per_day(plans)
    ages = {c.child_id: c.age for c in scenario.children}
    days = policy.school_days_per_year
    out = []
    for child_id, (school_id, metres) in home_school_m(scenario, school_of, travel).items():
        pence, annual = ptb_rate(policy, ages[child_id])
        ptb = ptb_gbp_per_year(metres, pence_per_mile=pence, annual_gbp=annual, days=days)
        seat, average = seats.get(child_id), averages.get(child_id)
        out.append(
            PtbOption(
                child_id=child_id,
                school_id=school_id,
                distance_m=metres,
                ptb_gbp_per_year=ptb,
                seat_marginal_gbp_per_year=None if seat is None else seat * days,
                seat_average_gbp_per_year=None if average is None else average * days,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class TransportReview:
    """What ``transport_review.csv`` shows a person: walking-distance flags and PTB options."""

    flags: tuple[WalkingFlag, ...]
    options: tuple[PtbOption, ...]

    @property
    def ptb_cheaper(self) -> int:
        return sum(o.ptb_cheaper for o in self.options)


def review_transport(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    travel: TravelModel,
    plans: Sequence[TransportPlan],
    *,
    walk_travel: TravelModel | None = None,
) -> TransportReview:
    """Flags and budgets for every placed, transport-eligible child (walking on ``walk_travel``)."""
    return TransportReview(
        flags=walking_distance_flags(scenario, school_of, walk_travel or travel),
        options=ptb_options(scenario, school_of, travel, plans),
    )
