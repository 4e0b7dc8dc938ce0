"""Every elementary run of a small scenario, enumerated by brute force: the oracle of the
lower bounds' tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from transport_cases import TRAVEL, fleet, random_children, scenario, school

from sendplan.routing.model import Scenario
from sendplan.routing.transport.bound import SLACK_S
from sendplan.routing.transport.plan import Session
from sendplan.routing.transport.rules import boarding_s, int_matrices, max_ride_s, suits

# Up to six children at two schools, a ride limit, a session, and (``scarce``) one vehicle of
# each type, so that availability binds.
two_school_cases = given(
    n=st.integers(1, 6),
    seed=st.integers(0, 10_000),
    limit=st.sampled_from([12.0, 20.0, 45.0]),
    session=st.sampled_from(["am", "pm"]),
    scarce=st.booleans(),
)


def two_schools(n: int, seed: int, limit: float, scarce: bool) -> Scenario:
    """``n`` random children at two schools 3.6 km apart, every ride limit ``limit`` minutes."""
    kids = random_children(n, seed, radius_km=5.0, schools=("S1", "S2"))
    return scenario(kids, [school("S1"), school("S2", 3.0, -2.0)], fleet(1 if scarce else 50),
                    ride_limit_min_secondary=limit, ride_limit_min_primary=limit)  # fmt: skip


@dataclass(frozen=True)
class Run:
    """One run: its cost, its children (indices into ``scenario.children``) in driving order,
    its vehicle type and school."""

    cost_gbp: float
    members: tuple[int, ...]
    vehicle: str
    school_id: str


def every_run(sc: Scenario, session: Session) -> list[Run]:
    """Every elementary run of every school and vehicle type, each ride within its limit plus
    ``SLACK_S`` (travel-alone and over-limit children alone). One depot, the first type's."""
    policy, am = sc.policy, session == "am"
    kids = list(sc.children)
    columns: list[Run] = []
    for s in sc.schools:
        mine = [i for i, c in enumerate(kids) if c.current_school == s.school_id]
        depot = (sc.fleet[0].depot_lon, sc.fleet[0].depot_lat)
        pts = np.array([(s.lon, s.lat), depot, *((kids[i].lon, kids[i].lat) for i in mine)])
        dur, dist = int_matrices(TRAVEL, pts)
        home = {i: 2 + p for p, i in enumerate(mine)}
        direct = {i: int(dur[home[i], 0] if am else dur[0, home[i]]) for i in mine}
        alone = {i for i in mine if kids[i].travel_alone or direct[i] > max_ride_s(kids[i], policy)}
        for size in range(1, len(mine) + 1):
            for order in itertools.permutations(mine, size):
                if size > 1 and alone & set(order):
                    continue
                if size > 1 and not _rides_ok(order, dur, home, kids, policy, am):
                    continue
                stops = [home[i] for i in order]
                path = [1, *stops, 0, 1] if am else [1, 0, *stops, 1]
                metres = sum(int(dist[a, b]) for a, b in itertools.pairwise(path))
                for v in sc.fleet:
                    seats = sum(not kids[i].wheelchair for i in order)
                    chairs = size - seats
                    if seats > v.seats or chairs > v.wheelchair_spaces:
                        continue
                    if not all(suits(v, kids[i]) for i in order):
                        continue
                    cost = v.fixed_cost_gbp + v.cost_per_km_gbp * metres / 1000
                    columns.append(Run(cost, tuple(order), v.name, s.school_id))
    return columns


def _rides_ok(order, dur, home, kids, policy, am) -> bool:  # type: ignore[no-untyped-def]
    stops = [home[i] for i in order]
    if am:
        after = 0
        for pos in range(len(order) - 1, -1, -1):
            nxt = 0 if pos == len(order) - 1 else stops[pos + 1]
            after += int(dur[stops[pos], nxt])
            if after > max_ride_s(kids[order[pos]], policy) + SLACK_S:
                return False
            after += boarding_s(kids[order[pos]], policy)
        return True
    t, prev = 0, 0
    for pos, i in enumerate(order):
        t += int(dur[prev, stops[pos]])
        if t > max_ride_s(kids[i], policy) + SLACK_S:
            return False
        t += boarding_s(kids[i], policy)
        prev = stops[pos]
    return True
