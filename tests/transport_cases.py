"""Builders for the transport tests: tiny synthetic schools, children and fleets near Leicester.

Import from a test module as ``from transport_cases import ...`` (pytest puts ``tests/`` on the
path). All children are synthetic, pseudonymous and placed by ``current_school``.
"""

from __future__ import annotations

import random
from typing import Any

from sendplan.geo.straight_line import StraightLineModel
from sendplan.routing.model import NEED_CODES, Child, Policy, Scenario, School, VehicleType
from sendplan.routing.transport.check import TransportCheck, check_transport
from sendplan.routing.transport.layouts import vehicle_kinds
from sendplan.routing.transport.plan import Session, TransportPlan
from sendplan.routing.transport.planner import plan_transport, school_of_children
from sendplan.routing.transport.school_instance import SchoolInstance, instance_for
from sendplan.routing.vrp.stop import MaxIterations

LON0, LAT0 = -1.13, 52.63
KM_LON, KM_LAT = 1 / 68.0, 1 / 111.0
DEPOT = (-1.10, 52.64)
TRAVEL = StraightLineModel()


def school(school_id: str = "S1", dx_km: float = 0.0, dy_km: float = 0.0, **kw: Any) -> School:
    return School(
        school_id=school_id,
        name=f"School {school_id}",
        lon=LON0 + dx_km * KM_LON,
        lat=LAT0 + dy_km * KM_LAT,
        la_code="856",
        type="la_maintained",
        age_low=2,
        age_high=19,
        designations=frozenset(NEED_CODES),
        capacity=500,
        annual_cost_gbp=20000.0,
        **kw,
    )


def child(child_id: str, dx_km: float, dy_km: float, *, school_id: str = "S1", **kw: Any) -> Child:
    kw.setdefault("age", 12)
    return Child(
        child_id=child_id,
        lon=LON0 + dx_km * KM_LON,
        lat=LAT0 + dy_km * KM_LAT,
        primary_need="ASD",
        sex="M",
        current_school=school_id,
        **kw,
    )


def vehicle(
    name: str, seats: int, spaces: int, pa: bool, fixed: float, per_km: float, n: int = 50
) -> VehicleType:
    return VehicleType(name, seats, spaces, pa, fixed, per_km, n, DEPOT[0], DEPOT[1])


def fleet(n: int = 50) -> tuple[VehicleType, ...]:
    return (
        vehicle("taxi", 4, 0, False, 18.0, 1.80, n),
        vehicle("taxi_pa", 3, 0, True, 53.0, 1.80, n),
        vehicle("wav", 4, 1, False, 25.0, 2.20, n),
        vehicle("wav_pa", 3, 1, True, 60.0, 2.20, n),
        vehicle("minibus_8", 8, 0, False, 40.0, 2.40, n),
    )


def scenario(
    children: list[Child],
    schools: list[School] | None = None,
    vehicles: tuple[VehicleType, ...] | None = None,
    **policy: Any,
) -> Scenario:
    return Scenario(
        name="tiny-transport",
        children=tuple(children),
        schools=tuple(schools or [school()]),
        fleet=fleet() if vehicles is None else vehicles,
        policy=Policy(**policy),
    )


def random_children(
    n: int,
    seed: int,
    *,
    radius_km: float = 6.0,
    schools: tuple[str, ...] = ("S1",),
    flags: bool = True,
) -> list[Child]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        extra: dict[str, Any] = {}
        if flags:
            extra = {
                "wheelchair": rng.random() < 0.12,
                "needs_assistant": rng.random() < 0.25,
                "travel_alone": rng.random() < 0.04,
            }
        out.append(
            child(
                f"C{i:03d}",
                rng.uniform(-radius_km, radius_km),
                rng.uniform(-radius_km, radius_km),
                school_id=rng.choice(schools),
                age=rng.randint(5, 18),
                **extra,
            )
        )
    return out


def plan(
    sc: Scenario, session: Session = "am", *, iterations: int = 200, seed: int = 1
) -> TransportPlan:
    return plan_transport(
        sc, None, TRAVEL, session=session, stop=MaxIterations(iterations), seed=seed, workers=1
    )


def check(sc: Scenario, p: TransportPlan, **kw: Any) -> TransportCheck:
    return check_transport(sc, school_of_children(sc, None), TRAVEL, p, **kw)


def instances(sc: Scenario, session: Session = "am") -> dict[str, SchoolInstance]:
    """Each school's planning instance, by school id (placed by ``current_school``)."""
    kinds = vehicle_kinds(sc.fleet)
    return {
        s.school_id: instance_for(
            s,
            [c for c in sc.children if c.current_school == s.school_id],
            kinds,
            TRAVEL,
            session=session,
            policy=sc.policy,
        )
        for s in sc.schools
    }


def planned_and_checked(sc: Scenario, session: Session = "am", **kw: Any) -> TransportPlan:
    """Plan, then run the independent checker, as every test here does."""
    p = plan(sc, session, **kw)
    report = check(sc, p)
    assert report.ok, report.violations
    return p
