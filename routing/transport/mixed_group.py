"""A mixed-school group's jobs, schools' windows and integer matrices, shared by the mixed
phase's search (``mixed.py``) and its run merging (``mixed_merge.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Policy, School, VehicleType
from sendplan.routing.transport.plan import Session
from sendplan.routing.transport.rules import COST_UNITS_PER_GBP, Job, int_matrices

__all__ = ["Group", "Window", "build_group", "engine_costs", "school_window"]


@dataclass(frozen=True)
class Window:
    """A school's AM arrival or PM departure window, in seconds after midnight."""

    early_s: int
    late_s: int


def school_window(school: School, policy: Policy, session: Session) -> Window:
    lo, hi = policy.arrival_window_min
    if session == "am":
        return Window(round((school.bell_am_min - hi) * 60), round((school.bell_am_min - lo) * 60))
    depart = school.finish_pm_min + policy.pm_departure_after_finish_min
    return Window(round(depart * 60), round((depart + hi - lo) * 60))


@dataclass
class Group:
    """A group's jobs, its schools' windows and the integer matrices over [schools...,
    depots..., jobs...]."""

    schools: list[School]
    jobs: list[Job]
    school_of_job: list[int]
    depots: list[tuple[float, float]]
    dur: NDArray[np.int64]
    dist: NDArray[np.int64]
    windows: list[Window]

    def job_loc(self, j: int) -> int:
        return len(self.schools) + len(self.depots) + j

    def depot_loc(self, vehicle: VehicleType) -> int:
        return len(self.schools) + self.depots.index((vehicle.depot_lon, vehicle.depot_lat))


def build_group(
    schools: list[School],
    jobs: list[tuple[int, Job]],
    fleet: Sequence[VehicleType],
    travel: TravelModel,
    *,
    policy: Policy,
    session: Session,
) -> Group:
    depots: list[tuple[float, float]] = []
    for v in fleet:
        if (v.depot_lon, v.depot_lat) not in depots:
            depots.append((v.depot_lon, v.depot_lat))
    fixed = [(s.lon, s.lat) for s in schools] + depots
    homes: list[tuple[float, float]] = []
    for _s, job in jobs:
        homes += [(job.kids[0].lon, job.kids[0].lat), (job.kids[-1].lon, job.kids[-1].lat)]
    pdur, pdist = int_matrices(travel, np.array(fixed + homes, dtype=np.float64))
    head = len(fixed)
    # A job is entered at its first member's home and left from its last member's.
    arrive = np.array(list(range(head)) + [head + 2 * j for j in range(len(jobs))])
    leave = np.array(list(range(head)) + [head + 2 * j + 1 for j in range(len(jobs))])
    dur, dist = pdur[np.ix_(leave, arrive)].copy(), pdist[np.ix_(leave, arrive)].copy()
    np.fill_diagonal(dur, 0)
    np.fill_diagonal(dist, 0)
    windows = [school_window(s, policy, session) for s in schools]
    return Group(schools, [j for _s, j in jobs], [s for s, _j in jobs], depots, dur, dist, windows)


def engine_costs(vehicle: VehicleType) -> tuple[int, int]:
    """A kind's fixed cost and cost per metre in the group problem's units."""
    return (
        round(vehicle.fixed_cost_gbp * COST_UNITS_PER_GBP),
        round(vehicle.cost_per_km_gbp * COST_UNITS_PER_GBP / 1000),
    )
