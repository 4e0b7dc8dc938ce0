"""One school's routing instance and what a run of its jobs can be.

A job is a child, or a flagged sibling group planned as one stop. The instance holds the jobs
and the integer matrices over them (``instance_for`` splits a sibling group no vehicle type
carries or whose joint pick-up breaks a ride limit); ``engine_problem`` states its shared runs
for the engine. The helpers give a run's path, a job's direct ride, never-together clashes and a
run's tight ride times.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Child, Policy, School, VehicleType
from sendplan.routing.transport.plan import Session
from sendplan.routing.transport.rules import (
    ASSISTANT,
    COST_UNITS_PER_GBP,
    LOAD_NAMES,
    Job,
    build_job,
    int_matrices,
    route_cost_gbp,
    sibling_groups,
)
from sendplan.routing.vrp.problem import ProblemBuilder


@dataclass
class SchoolInstance:
    """A school's children, its jobs and the integer matrices over [school, depots..., jobs...].

    A job's row is its last member's home (where the vehicle leaves) and its column its first
    member's (where the vehicle arrives), so a job is one engine client.
    """

    school: School
    children: list[Child]
    jobs: list[Job]
    depot_index: dict[str, int]  # vehicle type name -> location index of its depot
    dur: NDArray[np.int64]
    dist: NDArray[np.int64]

    def loc(self, k: int) -> int:
        """Location index of the k-th job."""
        return 1 + len(set(self.depot_index.values())) + k

    def metres(self, path: Sequence[int], ks: Sequence[int]) -> int:
        """A run's distance: its legs plus the drives inside its sibling jobs."""
        legs = sum(int(self.dist[a, b]) for a, b in itertools.pairwise(path))
        return legs + sum(self.jobs[k].inner_m for k in ks)


def build_instance(
    school: School,
    children: list[Child],
    fleet: Sequence[VehicleType],
    travel: TravelModel,
    *,
    session: Session,
    policy: Policy,
    split: Sequence[int] = (),
) -> SchoolInstance:
    """The school's instance; sibling groups holding a child in ``split`` are not merged."""
    depots: list[tuple[float, float]] = []
    depot_index: dict[str, int] = {}
    for v in fleet:
        point = (v.depot_lon, v.depot_lat)
        if point not in depots:
            depots.append(point)
        depot_index[v.name] = 1 + depots.index(point)
    points = np.array(
        [(school.lon, school.lat), *depots, *((c.lon, c.lat) for c in children)], dtype=np.float64
    )
    pdur, pdist = int_matrices(travel, points)
    head = 1 + len(depots)
    groups: list[tuple[int, ...]] = []
    for g in sibling_groups(children):
        groups += [(i,) for i in g] if set(g) & set(split) else [g]
    jobs = [
        build_job(g, tuple(children[i] for i in g), pdur, pdist, head, session, policy)
        for g in groups
    ]
    fixed = list(range(head))
    leave = np.array(fixed + [head + j.members[-1] for j in jobs])
    arrive = np.array(fixed + [head + j.members[0] for j in jobs])
    dur, dist = pdur[np.ix_(leave, arrive)].copy(), pdist[np.ix_(leave, arrive)].copy()
    np.fill_diagonal(dur, 0)
    np.fill_diagonal(dist, 0)
    return SchoolInstance(school, children, jobs, depot_index, dur, dist)


def instance_for(
    school: School,
    children: list[Child],
    fleet: Sequence[VehicleType],
    travel: TravelModel,
    *,
    session: Session,
    policy: Policy,
) -> SchoolInstance:
    """The school's instance, sibling groups split when no vehicle type carries them all or
    their joint pick-up already breaks a member's ride limit (each sibling is then planned
    on their own, as the route checker accepts)."""
    inst = build_instance(school, children, fleet, travel, session=session, policy=policy)
    split = [
        i
        for k, job in enumerate(inst.jobs)
        if len(job.members) > 1
        and (not any(job.suits(v) for v in fleet) or solo_ride_s(inst, session, k) > job.limit_s)
        for i in job.members
    ]
    if not split:
        return inst
    return build_instance(
        school, children, fleet, travel, session=session, policy=policy, split=split
    )


def run_path(
    inst: SchoolInstance, session: Session, vehicle: str, order: Sequence[int]
) -> list[int]:
    """Location indices of a run in driving order, depot to depot."""
    depot = inst.depot_index[vehicle]
    stops = [inst.loc(k) for k in order]
    if session == "am":
        return [depot, *stops, 0, depot]
    return [depot, 0, *stops, depot]


def run_cost_gbp(
    inst: SchoolInstance, session: Session, kind: VehicleType, order: Sequence[int]
) -> float:
    """What a run in this driving order costs on ``kind``, depot to depot."""
    return route_cost_gbp(kind, inst.metres(run_path(inst, session, kind.name, order), order))


def solo_ride_s(inst: SchoolInstance, session: Session, k: int) -> int:
    """The k-th job's direct ride between its home(s) and school, in the engine's seconds."""
    loc = inst.loc(k)
    return int(inst.dur[loc, 0] if session == "am" else inst.dur[0, loc])


def merged_job(inst: SchoolInstance, ks: Sequence[int]) -> Job:
    """The loads and needs of several jobs together (times not meaningful)."""
    jobs = [inst.jobs[k] for k in ks]
    return Job(
        members=tuple(i for j in jobs for i in j.members),
        kids=tuple(c for j in jobs for c in j.kids),
        seats=sum(j.seats for j in jobs),
        chairs=sum(j.chairs for j in jobs),
        assistant=any(j.assistant for j in jobs),
        travel_alone=any(j.travel_alone for j in jobs),
        service_s=0,
        offsets_s=(),
        limit_s=0,
        inner_m=0,
    )


def clashes(kids: Sequence[Child]) -> list[tuple[str, str]]:
    """Never-together pairs among these children (either naming the other)."""
    ids = {c.child_id for c in kids}
    pairs = {tuple(sorted((c.child_id, o))) for c in kids for o in c.never_with if o in ids}
    return sorted((a, b) for a, b in pairs)


def feasible_taus(inst: SchoolInstance, session: Session, order: Sequence[int]) -> list[int] | None:
    """Each job's engine time on a tight run in this driving order, or None if a ride limit
    breaks."""
    locs = [inst.loc(k) for k in order]
    taus = [0] * len(order)
    if session == "am":
        after = 0
        for pos in range(len(order) - 1, -1, -1):
            nxt = 0 if pos == len(order) - 1 else locs[pos + 1]
            after += int(inst.dur[locs[pos], nxt])
            taus[pos] = after
            after += inst.jobs[order[pos]].service_s
    else:
        t, prev = 0, 0
        for pos, loc in enumerate(locs):
            t += int(inst.dur[prev, loc])
            taus[pos] = t
            t += inst.jobs[order[pos]].service_s
            prev = loc
    ok = all(tau <= inst.jobs[k].limit_s for tau, k in zip(taus, order, strict=True))
    return taus if ok else None


def engine_problem(
    inst: SchoolInstance,
    session: Session,
    ks: Sequence[int],
    types: Sequence[VehicleType],
    remaining: Mapping[str, int],
    policy: Policy,
    *,
    available: Sequence[int] | None = None,
    prices: Mapping[str, float] | None = None,
) -> ProblemBuilder:
    """The engine problem: AM reversed on transposed matrices, PM forwards. Each of ``types``
    has ``remaining`` vehicles of its name, or ``available[i]`` when given (the kinds of one
    type share its vehicles: ``layouts.engine_shares``); ``prices`` (GBP per type name, see
    ``fleet_prices.py``) add to the types' fixed costs."""
    price = prices or {}
    dur = inst.dur.T if session == "am" else inst.dur
    dist = inst.dist.T if session == "am" else inst.dist
    b = ProblemBuilder(distance=dist, duration=dur, load_names=LOAD_NAMES)
    b.add_depot(0, tw_early=0, tw_late=0, name=inst.school.school_id)
    for loc in sorted(set(inst.depot_index.values())):
        b.add_depot(loc, name=f"depot{loc}")
    for k in ks:
        job = inst.jobs[k]
        b.add_client(
            inst.loc(k),
            pickup=(job.seats, job.chairs),
            service_duration=job.service_s,
            tw_early=0,
            tw_late=job.limit_s,
            skills=(ASSISTANT,) if job.assistant else (),
            name="+".join(c.child_id for c in job.kids),
        )
    for i, v in enumerate(types):
        depot_loc = inst.depot_index[v.name]
        # The dead-heading leg between school and depot that every run of this type makes.
        fixed_leg_m = int(inst.dist[0, depot_loc] if session == "am" else inst.dist[depot_loc, 0])
        per_m = round(v.cost_per_km_gbp * COST_UNITS_PER_GBP / 1000)
        b.add_vehicle_type(
            num_available=remaining[v.name] if available is None else available[i],
            capacity=(v.seats, v.wheelchair_spaces),
            start_depot=0,
            end_depot=sorted(set(inst.depot_index.values())).index(depot_loc) + 1,
            fixed_cost=round((v.fixed_cost_gbp + price.get(v.name, 0.0)) * COST_UNITS_PER_GBP)
            + per_m * fixed_leg_m,
            unit_distance_cost=per_m,
            skills=(ASSISTANT,) if v.has_assistant else (),
            name=v.name,
        )
    return b
