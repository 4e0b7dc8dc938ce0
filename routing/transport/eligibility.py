"""Eligibility review and alternatives to a seat, for a person to decide (never applied).

*Walking distance.* Children within the statutory walking distance of their school (2 miles
under 8, 3 miles from 8; Education Act 1996 s.444) are flagged for review. The distance is the
travel model's home-to-school distance; a road network gives road distance, which for now
stands in for the walking route.

*Personal transport budget (PTB).* A family may be offered a yearly budget instead of a seat:
``ptb_annual_gbp`` plus ``ptb_pence_per_mile`` for two return journeys a day (take the child
in and come home, morning and afternoon) over the school year. It is shown beside two costs of
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
from sendplan.routing.model import Scenario
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


def _home_school_m(
    scenario: Scenario, school_of: Mapping[str, str | None], travel: TravelModel
) -> dict[str, tuple[str, float]]:
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
    """Transport-eligible children living within statutory walking distance of their school."""
    policy = scenario.policy
    ages = {c.child_id: c.age for c in scenario.children}
    out = []
    for child_id, (school_id, metres) in _home_school_m(scenario, school_of, travel).items():
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
    """Every placed, transport-eligible child's PTB cost beside their seat's marginal cost."""
    policy = scenario.policy
    seats = seat_costs_gbp_per_day(scenario, plans, travel)
    averages = seat_average_gbp_per_day(plans)
    days = policy.school_days_per_year
    out = []
    for child_id, (school_id, metres) in _home_school_m(scenario, school_of, travel).items():
        ptb = ptb_gbp_per_year(
            metres,
            pence_per_mile=policy.ptb_pence_per_mile,
            annual_gbp=policy.ptb_annual_gbp,
            days=policy.school_days_per_year,
        )
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
