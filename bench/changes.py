"""Mid-year changes benchmark: N random changes applied one at a time to a planned session, each
re-planned with continuity (``routing/transport/continuity.py``).

Per change: its kind, the seconds to re-plan (``seconds``: the repair, the from-scratch solve of
the schools the change touched, which the repair is weighed against, and the weighing;
``from_scratch_seconds``: a solve of the whole changed scenario, for comparison), children moved
to another vehicle, children whose time moved
beyond the tolerance, this plan's cost, the from-scratch cost (same seed and work limit) and
the gap between them, and whether the independent checker passed. The summary holds the medians
and the gap after the last change, against the issue's targets (median re-plan < 5 s, median
children moved <= 3, cost within 2% of from-scratch after 20 changes).
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import replace
from typing import Any

from sendplan.routing.model import Scenario
from sendplan.routing.solve import solve
from sendplan.routing.transport.changes import Change, ChangeKind, apply_changes
from sendplan.routing.transport.check import check_transport
from sendplan.routing.transport.continuity import continuity_plan, measure
from sendplan.routing.transport.plan import Session, TransportPlan
from sendplan.routing.transport.planner import plan_transport, school_of_children
from sendplan.routing.travel import straight_line_model
from sendplan.routing.vrp.stop import MaxIterations, StopCriterion

KINDS: tuple[ChangeKind, ...] = (
    "add_child", "remove_child", "change_address", "change_school", "route_handed_back",
)  # fmt: skip
JITTER_DEG = 0.02  # ~1.4 km east-west, ~2.2 km north-south around Leicester
TARGET_SECONDS = 5.0
TARGET_MOVED = 3
TARGET_GAP_PCT = 2.0


def run_changes_bench(
    scenario: Scenario,
    *,
    changes: int,
    seed: int = 1,
    iterations: int = 100,
    session: Session = "am",
) -> dict[str, Any]:
    """Plan ``session``, then apply ``changes`` random changes one at a time; one JSON-ready
    dict with a row per change and the medians."""
    stop = MaxIterations(iterations)
    rng = random.Random(seed)
    base = solve(scenario, sessions=(session,), stop=stop, seed=seed, placement="auto")
    current, plan = base.scenario, base.transport[0]
    rows: list[dict[str, Any]] = []
    for number in range(1, changes + 1):
        change = _random_change(rng, current, plan, number)
        applied = apply_changes(
            current, [change], file="bench", route_ids={r.route_id for r in plan.routes}
        )
        now = applied.scenario
        t0 = time.monotonic()
        school_of = school_of_children(now, None)
        travel = straight_line_model(now)

        def scratch_for(
            schools: frozenset[str] | None, now: Scenario = now, school_of: Any = school_of
        ) -> TransportPlan:
            return _plan_schools(now, school_of, schools, session=session, stop=stop, seed=seed)

        replanned, chosen, _ = continuity_plan(
            now, school_of, plan, travel, scratch_for=scratch_for,
            handed_back=applied.handed_back, relocated=applied.relocated,
        )  # fmt: skip
        t1 = time.monotonic()
        # The yardstick, not part of the re-plan: the changed scenario planned from scratch.
        scratch = solve(now, sessions=(session,), stop=stop, seed=seed, placement="auto")
        t2 = time.monotonic()
        check = check_transport(scratch.scenario, school_of, travel, replanned)
        changed = measure(plan, replanned, now.policy)
        cost, fresh = replanned.cost_gbp, scratch.transport[0].cost_gbp
        rows.append({
            "change": number, "kind": change.kind, "seconds": round(t1 - t0, 3),
            "from_scratch_seconds": round(t2 - t1, 3),
            "children_moved": sum(c.moved for c in changed),
            "times_moved": sum(c.time_moved for c in changed),
            "chosen": chosen, "cost_gbp": round(cost, 2), "from_scratch_cost_gbp": round(fresh, 2),
            "gap_pct": round(100 * (cost - fresh) / fresh, 3) if fresh else 0.0,
            "checker_ok": check.ok,
        })  # fmt: skip
        current, plan = now, replanned
    return _summary(scenario, rows, seed=seed, iterations=iterations, session=session)


def _summary(
    scenario: Scenario, rows: list[dict[str, Any]], *, seed: int, iterations: int, session: str
) -> dict[str, Any]:
    seconds = statistics.median(r["seconds"] for r in rows) if rows else None
    moved = statistics.median(r["children_moved"] for r in rows) if rows else None
    gap = rows[-1]["gap_pct"] if rows else None
    return {
        "scenario": scenario.name,
        "session": session,
        "seed": seed,
        "iterations": iterations,
        "changes": len(rows),
        "rows": rows,
        "median_seconds": seconds,
        "median_from_scratch_seconds": (
            statistics.median(r["from_scratch_seconds"] for r in rows) if rows else None
        ),
        "median_children_moved": moved,
        "final_gap_pct": gap,
        "checker_ok": all(r["checker_ok"] for r in rows),
        "targets": {
            "median_seconds_below_5": seconds is not None and seconds < TARGET_SECONDS,
            "median_moved_at_most_3": moved is not None and moved <= TARGET_MOVED,
            "final_gap_within_2pct": gap is not None and gap <= TARGET_GAP_PCT,
        },
    }


def _plan_schools(
    scenario: Scenario,
    school_of: dict[str, str | None],
    schools: frozenset[str] | None,
    *,
    session: Session,
    stop: StopCriterion,
    seed: int,
) -> TransportPlan:
    """The plan from scratch of these schools' children (None: every school's)."""
    if schools is not None:
        ids = {c for c, s in school_of.items() if s in schools}
        kids = tuple(
            replace(c, never_with=tuple(o for o in c.never_with if o in ids))
            for c in scenario.children
            if c.child_id in ids
        )
        scenario = replace(scenario, children=kids)
    travel = straight_line_model(scenario)
    return plan_transport(scenario, None, travel, session=session, stop=stop, seed=seed)


def _random_change(rng: random.Random, scenario: Scenario, plan: TransportPlan, n: int) -> Change:
    """One random change to a routed child, a school with runs or a route (``n`` numbers a new
    child's id)."""
    kind = rng.choice(KINDS)
    routed = sorted(c for r in plan.routes for c in r.child_ids)
    if not routed:
        kind = "add_child"
    children = {c.child_id: c for c in scenario.children}
    schools = sorted({r.school_id for r in plan.routes} or {s.school_id for s in scenario.schools})
    if kind == "route_handed_back":
        return Change(kind, n, route_id=rng.choice(sorted(r.route_id for r in plan.routes)))
    if kind == "add_child":
        like = children[rng.choice(routed)] if routed else scenario.children[0]
        new_id = f"X{n:05d}"
        while new_id in children:
            new_id += "x"
        lon, lat = _jitter(rng, like.lon, like.lat)
        school_id = rng.choice(schools)
        child = replace(
            like, child_id=new_id, lon=lon, lat=lat, current_school=school_id,
            sibling_group=None, never_with=(), transport_eligible=True,
        )  # fmt: skip
        return Change(kind, n, child_id=new_id, school_id=school_id, child=child)
    child_id = rng.choice(routed)
    if kind == "remove_child":
        return Change(kind, n, child_id=child_id)
    if kind == "change_address":
        c = children[child_id]
        return Change(kind, n, child_id=child_id, point=_jitter(rng, c.lon, c.lat))
    return Change(kind, n, child_id=child_id, school_id=rng.choice(schools))


def _jitter(rng: random.Random, lon: float, lat: float) -> tuple[float, float]:
    return (lon + rng.uniform(-JITTER_DEG, JITTER_DEG), lat + rng.uniform(-JITTER_DEG, JITTER_DEG))
