"""A generic vehicle-routing problem and its result, independent of any solver.

The transport planner builds a :class:`Problem` with :class:`ProblemBuilder`; the engines in
``pyvrp_engine`` / ``ortools_engine`` solve it and ``check`` verifies the :class:`Solution`.

Units: every time (windows, service, matrix durations) is an integer in one time unit, every
distance an integer in one distance unit, every cost an integer in one cost unit; the caller picks
them (sendplan uses seconds, metres and pence; the Solomon benchmark scales by 1000). Loads are
integer vectors with one entry per name in ``Problem.load_names`` (e.g. seats, wheelchair spaces).

Jobs are either a :class:`Client` (one visit; ``delivery`` is carried from the start depot,
``pickup`` is carried to the end depot) or a :class:`Shipment` (picked up at one stop and delivered
at another on the same route, optionally within a maximum ride time). A job with ``skills`` may only
ride on a vehicle type holding all of them (e.g. ``wheelchair``, ``assistant``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

UNBOUNDED = 2**40
"""Stands for "no limit" on times, durations and counts; large, yet safe to add a few of."""

JobKind = Literal["client", "shipment"]
VisitKind = Literal["client", "pickup", "delivery"]


class VrpError(ValueError):
    """A routing problem is malformed; the message names the item and field."""


@dataclass(frozen=True)
class Depot:
    """Where routes start and end; vehicles leave and return within ``[tw_early, tw_late]``."""

    location: int
    tw_early: int = 0
    tw_late: int = UNBOUNDED
    name: str = ""


@dataclass(frozen=True)
class Client:
    """One visit. Service starts within ``[tw_early, tw_late]`` (waiting allowed); the vehicle
    may not leave its depot before ``release_time``."""

    location: int
    delivery: tuple[int, ...]
    pickup: tuple[int, ...]
    service_duration: int = 0
    tw_early: int = 0
    tw_late: int = UNBOUNDED
    release_time: int = 0
    skills: frozenset[str] = frozenset()
    name: str = ""


@dataclass(frozen=True)
class Stop:
    """One end of a shipment."""

    location: int
    tw_early: int = 0
    tw_late: int = UNBOUNDED
    service_duration: int = 0


@dataclass(frozen=True)
class Shipment:
    """``amount`` is loaded at ``pickup`` and unloaded at ``delivery`` on the same route.

    ``max_ride`` bounds the time from the end of the pickup service to the start of the delivery
    service (the time a passenger spends on board); ``None`` means no bound.
    """

    pickup: Stop
    delivery: Stop
    amount: tuple[int, ...]
    max_ride: int | None = None
    skills: frozenset[str] = frozenset()
    name: str = ""


@dataclass(frozen=True)
class VehicleClass:
    """``num_available`` identical vehicles. A used vehicle costs ``fixed_cost`` plus
    ``unit_distance_cost`` per distance unit and ``unit_duration_cost`` per time unit of its
    route duration (departure to return, waiting included). It works within
    ``[tw_early, tw_late]`` for at most ``max_duration``."""

    num_available: int
    capacity: tuple[int, ...]
    start_depot: int = 0
    end_depot: int = 0
    fixed_cost: int = 0
    unit_distance_cost: int = 1
    unit_duration_cost: int = 0
    tw_early: int = 0
    tw_late: int = UNBOUNDED
    max_duration: int = UNBOUNDED
    skills: frozenset[str] = frozenset()
    name: str = ""


IntMatrix = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Problem:
    """An immutable, validated routing problem (build it with :class:`ProblemBuilder`)."""

    distance: IntMatrix
    duration: IntMatrix
    depots: tuple[Depot, ...]
    clients: tuple[Client, ...]
    shipments: tuple[Shipment, ...]
    vehicle_types: tuple[VehicleClass, ...]
    load_names: tuple[str, ...]
    coords: tuple[tuple[float, float], ...] | None = None

    def __post_init__(self) -> None:
        validate(self)

    @property
    def num_locations(self) -> int:
        return int(self.distance.shape[0])

    @property
    def num_jobs(self) -> int:
        return len(self.clients) + len(self.shipments)

    def jobs(self) -> list[tuple[JobKind, int]]:
        """Every job as (kind, index), clients first."""
        out: list[tuple[JobKind, int]] = [("client", i) for i in range(len(self.clients))]
        out += [("shipment", j) for j in range(len(self.shipments))]
        return out

    def skills_of(self, kind: JobKind, index: int) -> frozenset[str]:
        return self.clients[index].skills if kind == "client" else self.shipments[index].skills

    def has_ride_limits(self) -> bool:
        return any(s.max_ride is not None for s in self.shipments)

    def restrict(self, *, clients: Sequence[int], shipments: Sequence[int]) -> Problem:
        """The same problem with only the given jobs (their order defines the new indices)."""
        return Problem(
            distance=self.distance,
            duration=self.duration,
            depots=self.depots,
            clients=tuple(self.clients[i] for i in clients),
            shipments=tuple(self.shipments[j] for j in shipments),
            vehicle_types=self.vehicle_types,
            load_names=self.load_names,
            coords=self.coords,
        )


class ProblemBuilder:
    """Collects a problem's parts and validates them in :meth:`build` (PyVRP's ``Model`` style).

    >>> m = [[0, 4], [4, 0]]
    >>> b = ProblemBuilder(distance=m, duration=m, load_names=["seats"])
    >>> depot = b.add_depot(0)
    >>> b.add_client(1, pickup=[1])
    0
    >>> b.add_vehicle_type(num_available=1, capacity=[8])
    0
    >>> b.build().num_jobs
    1
    """

    def __init__(
        self,
        *,
        distance: npt.ArrayLike,
        duration: npt.ArrayLike,
        load_names: Iterable[str] = (),
        coords: Iterable[tuple[float, float]] | None = None,
    ) -> None:
        self._distance = as_int_matrix(distance, "distance")
        self._duration = as_int_matrix(duration, "duration")
        self._load_names = tuple(load_names)
        self._coords = None if coords is None else tuple((float(x), float(y)) for x, y in coords)
        self._depots: list[Depot] = []
        self._clients: list[Client] = []
        self._shipments: list[Shipment] = []
        self._vehicle_types: list[VehicleClass] = []

    def _load(self, values: Iterable[int] | None, what: str) -> tuple[int, ...]:
        if values is None:
            return (0,) * len(self._load_names)
        out = tuple(int(v) for v in values)
        if len(out) != len(self._load_names):
            raise VrpError(
                f"{what}: {len(out)} load values for {len(self._load_names)} load names "
                f"{list(self._load_names)}"
            )
        return out

    def add_depot(
        self, location: int, *, tw_early: int = 0, tw_late: int = UNBOUNDED, name: str = ""
    ) -> int:
        self._depots.append(Depot(location, tw_early, tw_late, name))
        return len(self._depots) - 1

    def add_client(
        self,
        location: int,
        *,
        delivery: Iterable[int] | None = None,
        pickup: Iterable[int] | None = None,
        service_duration: int = 0,
        tw_early: int = 0,
        tw_late: int = UNBOUNDED,
        release_time: int = 0,
        skills: Iterable[str] = (),
        name: str = "",
    ) -> int:
        what = f"client {len(self._clients)}"
        self._clients.append(
            Client(
                location=location,
                delivery=self._load(delivery, what + " delivery"),
                pickup=self._load(pickup, what + " pickup"),
                service_duration=service_duration,
                tw_early=tw_early,
                tw_late=tw_late,
                release_time=release_time,
                skills=frozenset(skills),
                name=name,
            )
        )
        return len(self._clients) - 1

    def add_shipment(
        self,
        pickup: Stop,
        delivery: Stop,
        *,
        amount: Iterable[int] | None = None,
        max_ride: int | None = None,
        skills: Iterable[str] = (),
        name: str = "",
    ) -> int:
        what = f"shipment {len(self._shipments)}"
        self._shipments.append(
            Shipment(
                pickup=pickup,
                delivery=delivery,
                amount=self._load(amount, what + " amount"),
                max_ride=max_ride,
                skills=frozenset(skills),
                name=name,
            )
        )
        return len(self._shipments) - 1

    def add_vehicle_type(
        self,
        *,
        num_available: int,
        capacity: Iterable[int] | None = None,
        start_depot: int = 0,
        end_depot: int = 0,
        fixed_cost: int = 0,
        unit_distance_cost: int = 1,
        unit_duration_cost: int = 0,
        tw_early: int = 0,
        tw_late: int = UNBOUNDED,
        max_duration: int = UNBOUNDED,
        skills: Iterable[str] = (),
        name: str = "",
    ) -> int:
        what = f"vehicle type {len(self._vehicle_types)}"
        self._vehicle_types.append(
            VehicleClass(
                num_available=num_available,
                capacity=self._load(capacity, what + " capacity"),
                start_depot=start_depot,
                end_depot=end_depot,
                fixed_cost=fixed_cost,
                unit_distance_cost=unit_distance_cost,
                unit_duration_cost=unit_duration_cost,
                tw_early=tw_early,
                tw_late=tw_late,
                max_duration=max_duration,
                skills=frozenset(skills),
                name=name,
            )
        )
        return len(self._vehicle_types) - 1

    def build(self) -> Problem:
        return Problem(
            distance=self._distance,
            duration=self._duration,
            depots=tuple(self._depots),
            clients=tuple(self._clients),
            shipments=tuple(self._shipments),
            vehicle_types=tuple(self._vehicle_types),
            load_names=self._load_names,
            coords=self._coords,
        )


def as_int_matrix(values: npt.ArrayLike, what: str) -> IntMatrix:
    """A read-only square int64 matrix of non-negative values (integral floats accepted)."""
    arr = np.asarray(values)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise VrpError(f"{what} matrix: expected a non-empty square matrix, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.floating) or not np.all(np.isfinite(arr)):
            raise VrpError(f"{what} matrix: expected integers, got dtype {arr.dtype}")
        if not np.array_equal(arr, np.round(arr)):
            raise VrpError(f"{what} matrix: has non-integer values; scale and round them first")
    out = arr.astype(np.int64, copy=True)
    if (out < 0).any():
        i, j = (int(v) for v in np.argwhere(out < 0)[0])
        raise VrpError(f"{what} matrix: negative value at [{i}, {j}]")
    if (out >= UNBOUNDED).any():
        raise VrpError(f"{what} matrix: values must be below {UNBOUNDED}")
    out.setflags(write=False)
    return out


def _check_window(early: int, late: int, what: str) -> None:
    if not 0 <= early <= late:
        raise VrpError(f"{what}: time window [{early}, {late}] must satisfy 0 <= early <= late")
    if late > UNBOUNDED:
        raise VrpError(f"{what}: tw_late {late} exceeds UNBOUNDED")


def _check_load(values: tuple[int, ...], n: int, what: str) -> None:
    if len(values) != n:
        raise VrpError(f"{what}: {len(values)} load values, expected {n}")
    if any(v < 0 for v in values):
        raise VrpError(f"{what}: load values must be non-negative, got {list(values)}")


def validate(problem: Problem) -> None:
    """Raise :class:`VrpError` naming the first malformed item and field."""
    p = problem
    n = p.distance.shape[0] if p.distance.ndim == 2 else 0
    if p.distance.shape != p.duration.shape:
        raise VrpError(
            f"duration matrix shape {p.duration.shape} differs from distance {p.distance.shape}"
        )
    if p.coords is not None and len(p.coords) != n:
        raise VrpError(f"coords: {len(p.coords)} points for {n} locations")
    if not p.depots:
        raise VrpError("depots: at least one depot is required")
    if not p.vehicle_types:
        raise VrpError("vehicle_types: at least one vehicle type is required")
    if len(set(p.load_names)) != len(p.load_names):
        raise VrpError(f"load_names: duplicate names in {list(p.load_names)}")
    dims = len(p.load_names)

    def check_loc(loc: int, what: str) -> None:
        if not 0 <= loc < n:
            raise VrpError(f"{what}: location {loc} is outside 0..{n - 1}")

    for i, d in enumerate(p.depots):
        check_loc(d.location, f"depot {i}")
        _check_window(d.tw_early, d.tw_late, f"depot {i}")
    for i, c in enumerate(p.clients):
        what = f"client {i}"
        check_loc(c.location, what)
        _check_window(c.tw_early, c.tw_late, what)
        _check_load(c.delivery, dims, what + " delivery")
        _check_load(c.pickup, dims, what + " pickup")
        if c.service_duration < 0 or c.release_time < 0:
            raise VrpError(f"{what}: service_duration and release_time must be non-negative")
    for j, s in enumerate(p.shipments):
        what = f"shipment {j}"
        for end, stop in (("pickup", s.pickup), ("delivery", s.delivery)):
            check_loc(stop.location, f"{what} {end}")
            _check_window(stop.tw_early, stop.tw_late, f"{what} {end}")
            if stop.service_duration < 0:
                raise VrpError(f"{what} {end}: service_duration must be non-negative")
        _check_load(s.amount, dims, what + " amount")
        if s.max_ride is not None and s.max_ride < 0:
            raise VrpError(f"{what}: max_ride must be non-negative, got {s.max_ride}")
    for k, vt in enumerate(p.vehicle_types):
        what = f"vehicle type {k}"
        if not 1 <= vt.num_available <= UNBOUNDED:
            raise VrpError(f"{what}: num_available must be at least 1, got {vt.num_available}")
        _check_load(vt.capacity, dims, what + " capacity")
        for end, depot in (("start_depot", vt.start_depot), ("end_depot", vt.end_depot)):
            if not 0 <= depot < len(p.depots):
                raise VrpError(f"{what}: {end} {depot} is outside 0..{len(p.depots) - 1}")
        _check_window(vt.tw_early, vt.tw_late, what)
        if min(vt.fixed_cost, vt.unit_distance_cost, vt.unit_duration_cost, vt.max_duration) < 0:
            raise VrpError(f"{what}: costs and max_duration must be non-negative")


# ----------------------------------------------------------------------------------- results


@dataclass(frozen=True, order=True, slots=True)
class Visit:
    """One stop of a route: a client, or the pickup or delivery of a shipment."""

    kind: VisitKind
    index: int


InitialTour = tuple[int, tuple[Visit, ...]]
"""A route to start the search from: (vehicle type index, visits in driving order)."""


def job_kind(visit: Visit) -> JobKind:
    """The kind of job a visit belongs to."""
    return "client" if visit.kind == "client" else "shipment"


class UnassignedReason(StrEnum):
    """Why a job is on no route."""

    NO_COMPATIBLE_VEHICLE = "no_compatible_vehicle"
    """No vehicle type has the capacity and skills the job needs."""
    INFEASIBLE_ALONE = "infeasible_alone"
    """No vehicle could serve the job even on a route of its own (time windows, durations)."""
    NOT_ROUTED = "not_routed"
    """The solver found no room for it (fleet size or time) within its limits."""


@dataclass(frozen=True)
class Unassigned:
    kind: JobKind
    index: int
    reason: UnassignedReason


@dataclass(frozen=True)
class Tour:
    """A vehicle's route. ``times[i]`` is when service at ``visits[i]`` starts; the vehicle
    leaves its depot at ``start_time`` and is back at ``end_time``."""

    vehicle_type: int
    visits: tuple[Visit, ...]
    times: tuple[int, ...]
    start_time: int
    end_time: int
    distance: int
    cost: int

    @property
    def duration(self) -> int:
        return self.end_time - self.start_time


@dataclass(frozen=True)
class Solution:
    """The routes, the jobs left out (each with a reason) and how the solve went."""

    routes: tuple[Tour, ...]
    unassigned: tuple[Unassigned, ...]
    cost: int
    distance: int
    feasible: bool
    engine: str
    seed: int
    iterations: int = 0
    runtime_s: float = field(default=0.0, compare=False)

    @property
    def num_vehicles(self) -> int:
        return len(self.routes)


def engine_route(
    problem: Problem,
    vehicle_type: int,
    visits: Sequence[Visit],
    times: Sequence[int],
    *,
    start: int,
    end: int,
    distance: int,
) -> Tour:
    """A Tour as an engine reports it, costed by the problem's vehicle type."""
    return Tour(
        vehicle_type=vehicle_type,
        visits=tuple(visits),
        times=tuple(times),
        start_time=start,
        end_time=end,
        distance=distance,
        cost=route_cost(problem, vehicle_type, distance, end - start),
    )


def not_routed(problem: Problem, routes: Sequence[Tour]) -> list[Unassigned]:
    """Every job on none of ``routes``, as not routed."""
    routed = {(v.kind, v.index) for r in routes for v in r.visits}
    first: dict[JobKind, VisitKind] = {"client": "client", "shipment": "pickup"}
    return [
        Unassigned(kind, i, UnassignedReason.NOT_ROUTED)
        for kind, i in problem.jobs()
        if (first[kind], i) not in routed
    ]


def route_cost(problem: Problem, vehicle_type: int, distance: int, duration: int) -> int:
    vt = problem.vehicle_types[vehicle_type]
    return vt.fixed_cost + vt.unit_distance_cost * distance + vt.unit_duration_cost * duration


def visit_location(problem: Problem, visit: Visit) -> int:
    if visit.kind == "client":
        return problem.clients[visit.index].location
    ship = problem.shipments[visit.index]
    return ship.pickup.location if visit.kind == "pickup" else ship.delivery.location


def route_distance(problem: Problem, vehicle_type: int, visits: Sequence[Visit]) -> int:
    vt = problem.vehicle_types[vehicle_type]
    path = [problem.depots[vt.start_depot].location]
    path += [visit_location(problem, v) for v in visits]
    path.append(problem.depots[vt.end_depot].location)
    return int(sum(int(problem.distance[a, b]) for a, b in itertools.pairwise(path)))
