"""A council's existing route, as the stops read from its file: one child each, in order, with
the times it states (if any) and how finely they are stated."""

from __future__ import annotations

from dataclasses import dataclass

from sendplan.routing.transport.plan import Session


@dataclass(frozen=True, slots=True)
class ExistingStop:
    """One child on an existing route (a row of an existing-routes file).

    ``time_min`` is the planned pick-up (AM: boarding starts) or drop-off (PM: the vehicle
    arrives) time, ``school_time_min`` the time of the child's school call (AM: arrival, PM:
    departure), each when given. ``precision_min`` is how finely they are stated: 1 for HH:MM,
    0.01 for routes.json, 0 when exact; a stated time stands for any within half of it.
    """

    route_id: str
    vehicle_type: str
    school_id: str
    session: Session
    stop_order: int
    child_id: str
    time_min: float | None = None
    school_time_min: float | None = None
    precision_min: float = 0.0
