"""What the SEND transport planners share: the rules of a child's seat and ride, run costs, and
the job, one engine stop for a child or a flagged sibling group (``planner.py`` plans one
school at a time, ``mixed.py`` merges nearby schools' runs)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Child, Policy, School, VehicleType
from sendplan.routing.transport.plan import Session

COST_UNITS_PER_GBP = 100_000
LOAD_NAMES = ("seats", "wheelchair_spaces")
ASSISTANT = "assistant"


def boarding_s(child: Child, policy: Policy) -> int:
    minutes = policy.boarding_wheelchair_min if child.wheelchair else policy.boarding_walk_on_min
    return round(minutes * 60)


def max_ride_s(child: Child, policy: Policy) -> int:
    """The limit on the ride the engine measures (on board after one's own boarding): the
    child's ride limit, less their boarding time when the policy counts it in the ride."""
    own = boarding_s(child, policy) if policy.ride_counts_own_boarding else 0
    return math.floor(policy.ride_limit_min(child) * 60 + 1e-9) - own


def reported_ride_s(ride_s: float, board_s: float, policy: Policy) -> float:
    """The ride as the policy defines it, from the engine's ride after one's own boarding."""
    return ride_s + board_s if policy.ride_counts_own_boarding else ride_s


def load_of(child: Child) -> tuple[int, int]:
    """(seats, wheelchair spaces): a wheelchair user takes a space, not a seat."""
    return (0, 1) if child.wheelchair else (1, 0)


def suits(vehicle: VehicleType, child: Child) -> bool:
    seats, spaces = load_of(child)
    return (
        vehicle.seats >= seats
        and vehicle.wheelchair_spaces >= spaces
        and (vehicle.has_assistant or not child.needs_assistant)
    )


def school_time_min(school: School, policy: Policy, session: Session) -> float:
    """AM: the planned arrival (latest in the window); PM: the planned departure."""
    if session == "am":
        return school.bell_am_min - policy.arrival_window_min[0]
    return school.finish_pm_min + policy.pm_departure_after_finish_min


def route_cost_gbp(vehicle: VehicleType, distance_m: float) -> float:
    return vehicle.fixed_cost_gbp + vehicle.cost_per_km_gbp * distance_m / 1000.0


def int_matrices(
    travel: TravelModel, points: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Seconds rounded up and metres rounded, between every pair of points."""
    seconds, metres = travel.matrix(points, points)
    dur = np.ceil(np.asarray(seconds, dtype=np.float64) - 1e-9).astype(np.int64)
    dist = np.rint(np.asarray(metres, dtype=np.float64)).astype(np.int64)
    np.fill_diagonal(dur, 0)
    np.fill_diagonal(dist, 0)
    return np.maximum(dur, 0), np.maximum(dist, 0)


@dataclass(frozen=True)
class Job:
    """One engine stop: a child, or a sibling group picked up (dropped off) one after another.

    ``offsets_s[i]`` is member i's ride minus the engine time at the job (its first member's
    arrival in the PM, its last member's departure in the AM); ``service_s`` covers every
    boarding and the drives between the members' homes.
    """

    members: tuple[int, ...]  # indices into the school's children, in visiting order
    kids: tuple[Child, ...]
    seats: int
    chairs: int
    assistant: bool
    travel_alone: bool
    service_s: int
    offsets_s: tuple[int, ...]
    limit_s: int  # the engine time window: the tightest member limit less its offset
    inner_m: int  # metres driven between the members' homes
    drives_s: tuple[int, ...] = ()  # seconds driven from each member's home to the next one's

    def suits(self, vehicle: VehicleType) -> bool:
        return (
            vehicle.seats >= self.seats
            and vehicle.wheelchair_spaces >= self.chairs
            and (vehicle.has_assistant or not self.assistant)
        )


def sibling_groups(children: Sequence[Child]) -> list[tuple[int, ...]]:
    """Index groups of one school's children to plan as one job, in child order.

    A flagged sibling group becomes one job unless one of them travels alone or two of them
    must never ride together (those rules win; the siblings are then planned separately).
    """
    by_group: dict[str, list[int]] = {}
    for i, c in enumerate(children):
        if c.sibling_group:
            by_group.setdefault(c.sibling_group, []).append(i)
    grouped: dict[int, tuple[int, ...]] = {}
    for members in by_group.values():
        kids = [children[i] for i in members]
        ids = {c.child_id for c in kids}
        apart = any(c.travel_alone or ids & set(c.never_with) for c in kids)
        if len(members) > 1 and not apart:
            for i in members:
                grouped[i] = tuple(members)
    out: list[tuple[int, ...]] = []
    for i in range(len(children)):
        group = grouped.get(i, (i,))
        if group[0] == i:
            out.append(group)
    return out


def build_job(
    members: tuple[int, ...],
    kids: tuple[Child, ...],
    pdur: NDArray[np.int64],
    pdist: NDArray[np.int64],
    first_point: int,
    session: Session,
    policy: Policy,
) -> Job:
    points = [first_point + i for i in members]
    board = [boarding_s(c, policy) for c in kids]
    drive = [int(pdur[a, b]) for a, b in itertools.pairwise(points)]
    n = len(kids)
    if session == "am":  # ride measured back from the last member's departure
        offsets = [sum(drive[j - 1] + board[j] for j in range(i + 1, n)) for i in range(n)]
    else:  # ride measured on from the first member's arrival
        offsets = [sum(board[j] + drive[j] for j in range(i)) for i in range(n)]
    chairs = sum(c.wheelchair for c in kids)
    return Job(
        members=members,
        kids=kids,
        seats=n - chairs,
        chairs=chairs,
        assistant=any(c.needs_assistant for c in kids),
        travel_alone=any(c.travel_alone for c in kids),
        service_s=sum(board) + sum(drive),
        offsets_s=tuple(offsets),
        limit_s=min(max_ride_s(c, policy) - o for c, o in zip(kids, offsets, strict=True)),
        inner_m=sum(int(pdist[a, b]) for a, b in itertools.pairwise(points)),
        drives_s=tuple(drive),
    )
