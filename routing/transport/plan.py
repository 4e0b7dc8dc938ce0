"""What the transport planner returns: routes with planned times, and every child not routed.

Times are minutes after midnight; ``ride_min`` is the time a child spends on board: in the
morning from the vehicle leaving their stop (boarding done) to arrival at school, in the
afternoon from leaving school to arrival at their stop. A child's own boarding or alighting is
not counted; other children's are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

Session = Literal["am", "pm"]
SESSIONS: tuple[Session, ...] = ("am", "pm")


class UnroutedReason(StrEnum):
    """Machine-readable reasons a transport-eligible child is on no route."""

    NOT_PLACED = "not_placed"
    """The child has no school place, so there is nowhere to take them."""
    NO_SUITABLE_VEHICLE = "no_suitable_vehicle"
    """No vehicle type has the seat, wheelchair space or assistant the child needs."""
    FLEET_EXHAUSTED = "fleet_exhausted"
    """Every suitable vehicle is already in use on other routes of this session."""
    NOT_ROUTED = "not_routed"
    """The solver found no room for the child within its limits."""


class RouteFlag(StrEnum):
    """Why a route is solo (a person reviews these)."""

    TRAVEL_ALONE = "travel_alone"
    DIRECT_RIDE_OVER_LIMIT = "direct_ride_over_limit"
    NEVER_TOGETHER = "never_together"
    """Taken off a shared run so that two children who must never ride together do not."""


@dataclass(frozen=True, slots=True)
class RouteStop:
    """One child's stop. ``time_min`` is the planned pick-up (AM: boarding starts) or drop-off
    (PM: vehicle arrives) time."""

    child_id: str
    time_min: float
    ride_min: float
    boarding_min: float


@dataclass(frozen=True, slots=True)
class SchoolCall:
    """A stop at a school: the AM arrival (children alight) or the PM departure (they have
    boarded). ``after_stops`` is how many child stops the vehicle makes before it."""

    school_id: str
    time_min: float
    after_stops: int
    child_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Route:
    """One vehicle's run from its depot, through its children's stops and its school(s), back.

    ``stops`` are in driving order. A single-school run has no ``calls``: it arrives at
    ``school_id`` at ``school_time_min`` after its last pick-up (AM) or leaves it then before
    its first drop-off (PM). A mixed-school run lists its ``calls`` in driving order;
    ``school_id``/``school_time_min`` are then those of its first call. ``start_min``/``end_min``
    are when the vehicle leaves and is back at its depot (both dead-heading legs are in
    ``distance_m`` and ``cost_gbp``).
    """

    route_id: str
    vehicle_type: str
    school_id: str
    session: Session
    stops: tuple[RouteStop, ...]
    start_min: float
    school_time_min: float
    end_min: float
    distance_m: float
    cost_gbp: float
    assistant: bool
    solo: bool = False
    flags: tuple[str, ...] = ()
    calls: tuple[SchoolCall, ...] = ()
    # The vehicle's layout on this run, ``seats+spaces`` (e.g. ``14+1``): one of its type's
    # layouts; "" on routes read from files that do not state it.
    layout: str = ""

    @property
    def child_ids(self) -> tuple[str, ...]:
        return tuple(s.child_id for s in self.stops)

    @property
    def school_calls(self) -> tuple[SchoolCall, ...]:
        """Every school stop in driving order (a single-school run's one call included)."""
        if self.calls:
            return self.calls
        after = len(self.stops) if self.session == "am" else 0
        return (SchoolCall(self.school_id, self.school_time_min, after, self.child_ids),)

    @property
    def mixed(self) -> bool:
        return len({c.school_id for c in self.school_calls}) > 1

    @property
    def longest_ride_min(self) -> float:
        return max((s.ride_min for s in self.stops), default=0.0)


@dataclass(frozen=True, slots=True)
class Unrouted:
    """A transport-eligible child on no route of this session, with the binding reason."""

    child_id: str
    reason: UnroutedReason
    detail: str = ""


@dataclass(frozen=True)
class TransportPlan:
    """One session's routes. ``figures`` holds solve facts (per-school runtimes, fleet use)."""

    session: Session
    routes: tuple[Route, ...]
    unrouted: tuple[Unrouted, ...]
    travel_model: str
    seed: int
    engine: str
    figures: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def cost_gbp(self) -> float:
        return sum(r.cost_gbp for r in self.routes)

    @property
    def transported(self) -> int:
        return sum(len(r.stops) for r in self.routes)

    def vehicles_by_type(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.routes:
            out[r.vehicle_type] = out.get(r.vehicle_type, 0) + 1
        return dict(sorted(out.items()))

    def route_of(self, child_id: str) -> Route | None:
        for r in self.routes:
            if child_id in r.child_ids:
                return r
        return None
