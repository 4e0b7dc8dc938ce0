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

    Our routes.json also states, per route (the same on each of its rows), the ``layout``
    (``14+1``) and when the vehicle leaves (``depot_start_min``) and is back at its depot
    (``depot_end_min``), and per child the ``ride_min`` and place in their school call's list
    (``call_rank``), to the same precision: a route read back keeps them where they hold.
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
    layout: str = ""
    depot_start_min: float | None = None
    depot_end_min: float | None = None
    ride_min: float | None = None
    call_rank: int | None = None
