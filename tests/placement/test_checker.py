"""The independent placement checker: a valid plan passes; each planted violation is caught and
the message names the child or school and the rule."""

from __future__ import annotations

import ast
import dataclasses
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from strategies import CENTRE_LAT, make_child, make_school

from sendplan.geo.straight_line import StraightLineModel
from sendplan.routing.model import Policy, Scenario, School
from sendplan.routing.placement import check as checker
from sendplan.routing.placement import check_rules
from sendplan.routing.placement.check import PlacementCheck, check_placement
from sendplan.routing.placement.place import place
from sendplan.routing.placement.plan import (
    Assignment,
    PlacementPlan,
    PlacementReason,
    Unplaced,
    UnplacedReason,
)

TRAVEL = StraightLineModel()
KM_LON = 1.0 / (111.195 * math.cos(math.radians(CENTRE_LAT)))


def _school(school_id: str, km_east: float, **kw: object) -> School:
    return make_school(school_id, km_east, **{"capacity": 5, **kw})


_child = make_child


SCENARIO = Scenario(
    name="checker",
    schools=(
        _school("SA", 0.0, age_high=11, capacity=2, residential_places=1),
        _school("SB", 3.0, designations=frozenset({"ASD", "SLD"}), capacity=4),
        _school("SG", 1.0, age_low=11, sex="F", capacity=2),
        _school("SO", 6.0, designations=frozenset({"SEMH"}), age_low=11, age_high=16),
        _school("SF", -150.0, capacity=5),  # admits everyone with ASD, but far beyond any limit
    ),
    children=(
        _child("C1", 0.2),
        _child("C2", 0.5, sex="F"),
        _child("C3", 0.0, primary_need="SLD", age=14),
        _child("C4", 1.0, age=13, sex="F"),
        _child("C5", 5.0, primary_need="SEMH", age=12, locked=True, current_school="SO"),
        _child("C6", 0.0, primary_need="PMLD", age=10),
        _child("C7", 0.1, age=7, residential_need=True),
        _child("C8", 2.5, age=15),
    ),
    policy=Policy(),
)


@pytest.fixture(scope="module")
def plan() -> PlacementPlan:
    plan = place(SCENARIO, TRAVEL)
    # Preconditions the planted violations rely on (derivable by hand: SA takes C7's residential
    # place and the nearest of C1/C2; SB takes the other, C3 and C8; SG takes C4).
    where = {a.child_id: a.school_id for a in plan.assignments}
    assert where == {
        "C1": "SA",
        "C2": "SB",
        "C3": "SB",
        "C4": "SG",
        "C5": "SO",
        "C7": "SA",
        "C8": "SB",
    }
    assert [(u.child_id, u.reason) for u in plan.unplaced] == [
        ("C6", UnplacedReason.NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE)
    ]
    return plan


def _check(plan: PlacementPlan) -> PlacementCheck:
    return check_placement(SCENARIO, TRAVEL, plan)


def _moved(plan: PlacementPlan, child_id: str, school_id: str) -> PlacementPlan:
    """The plan with one child moved, every stated figure consistent with the new school, so the
    only faults are the rules the move breaks."""
    child = next(c for c in SCENARIO.children if c.child_id == child_id)
    school = SCENARIO.school(school_id)
    seconds, metres = TRAVEL.pairs(
        np.array([[child.lon, child.lat]]), np.array([[school.lon, school.lat]])
    )
    rank = child.preferences.index(school_id) + 1 if school_id in child.preferences else None
    reasons = []
    if child.residential_need:
        reasons.append(str(PlacementReason.RESIDENTIAL_PLACE))
    if not school.in_area:
        reasons.append(str(PlacementReason.OUT_OF_AREA))
    moved = Assignment(
        child_id=child_id,
        school_id=school_id,
        travel_s=float(seconds[0]),
        distance_m=float(metres[0]),
        annual_cost_gbp=school.annual_cost_gbp,
        preference_rank=rank,
        in_area=school.in_area,
        residential=child.residential_need,
        reasons=tuple(reasons),
    )
    assignments = tuple(moved if a.child_id == child_id else a for a in plan.assignments)
    return _with_true_objective(dataclasses.replace(plan, assignments=assignments))


def _with_true_objective(plan: PlacementPlan) -> PlacementPlan:
    """Keep the objective consistent so that a test sees only the fault it planted."""
    return dataclasses.replace(plan, objective=_check(plan).objective)


def _assert_caught(report: PlacementCheck, *words: str) -> None:
    assert not report.ok
    hits = [v for v in report.violations if all(w in v for w in words)]
    assert hits, f"no violation mentions {words}: {report.violations}"


def test_valid_plan_passes(plan: PlacementPlan) -> None:
    report = _check(plan)
    assert report.ok and report.violations == ()
    assert abs(report.objective - plan.objective) <= len(SCENARIO.children)


def test_over_capacity(plan: PlacementPlan) -> None:
    # SA has 2 places, both used; C2 is admissible there but it is full.
    report = _check(_moved(plan, "C2", "SA"))
    _assert_caught(report, "SA", "capacity")
    assert len(report.violations) == 1, report.violations


def test_over_residential_places(plan: PlacementPlan) -> None:
    # A second residential child at SA (1 residential place): C1 gains a residential need.
    children = tuple(
        dataclasses.replace(c, residential_need=True) if c.child_id == "C1" else c
        for c in SCENARIO.children
    )
    scenario = dataclasses.replace(SCENARIO, children=children)
    assignments = tuple(
        dataclasses.replace(
            a, residential=True, reasons=(*a.reasons, str(PlacementReason.RESIDENTIAL_PLACE))
        )
        if a.child_id == "C1"
        else a
        for a in plan.assignments
    )
    report = check_placement(scenario, TRAVEL, dataclasses.replace(plan, assignments=assignments))
    _assert_caught(report, "SA", "residential places")


def test_wrong_designation(plan: PlacementPlan) -> None:
    _assert_caught(_check(_moved(plan, "C3", "SG")), "C3", "SG", "designation")


def test_outside_age_range(plan: PlacementPlan) -> None:
    report = _check(_moved(plan, "C4", "SA"))  # 13 at a 4-11 school
    _assert_caught(report, "C4", "SA", "age 13")


def test_wrong_sex(plan: PlacementPlan) -> None:
    _assert_caught(_check(_moved(plan, "C8", "SG")), "C8", "SG", "sex")


def test_residential_need_without_residential_places(plan: PlacementPlan) -> None:
    _assert_caught(_check(_moved(plan, "C7", "SB")), "C7", "SB", "residential")


def test_over_max_travel(plan: PlacementPlan) -> None:
    _assert_caught(_check(_moved(plan, "C1", "SF")), "C1", "SF", "limit")


def test_duplicated_child(plan: PlacementPlan) -> None:
    twice = dataclasses.replace(plan, assignments=(*plan.assignments, plan.assignments[0]))
    _assert_caught(_check(twice), plan.assignments[0].child_id, "2 times")


def test_child_both_placed_and_unplaced(plan: PlacementPlan) -> None:
    extra = Unplaced("C1", UnplacedReason.CAPACITY_EXHAUSTED, "planted")
    both = dataclasses.replace(plan, unplaced=(*plan.unplaced, extra))
    _assert_caught(_check(both), "C1", "2 times")


def test_missing_child(plan: PlacementPlan) -> None:
    dropped = dataclasses.replace(
        plan, assignments=tuple(a for a in plan.assignments if a.child_id != "C4")
    )
    _assert_caught(_check(dropped), "C4", "missing")


def test_unknown_ids(plan: PlacementPlan) -> None:
    ghost = dataclasses.replace(plan.assignments[0], child_id="C99")
    stray = dataclasses.replace(plan.assignments[1], school_id="S-NOPE")
    bad = dataclasses.replace(plan, assignments=(*plan.assignments[2:], ghost, stray))
    report = _check(bad)
    _assert_caught(report, "C99", "unknown child")
    _assert_caught(report, "S-NOPE", "unknown school")


@pytest.mark.parametrize(
    ("field", "wrong"),
    [
        ("travel_s", lambda a: a.travel_s + 600.0),
        ("distance_m", lambda a: a.distance_m + 1_000.0),
        ("annual_cost_gbp", lambda a: a.annual_cost_gbp + 1.0),
        ("in_area", lambda a: not a.in_area),
        ("preference_rank", lambda a: 1),  # C3 states no preferences
        ("residential", lambda a: not a.residential),
    ],
)
def test_wrong_stated_figures(
    plan: PlacementPlan, field: str, wrong: Callable[[Assignment], Any]
) -> None:
    target = next(a for a in plan.assignments if a.child_id == "C3")
    changes: dict[str, Any] = {field: wrong(target)}
    bad_one = dataclasses.replace(target, **changes)
    bad = dataclasses.replace(
        plan, assignments=tuple(bad_one if a is target else a for a in plan.assignments)
    )
    _assert_caught(_check(bad), "C3", field)


def test_false_unplaced_reason(plan: PlacementPlan) -> None:
    lie = dataclasses.replace(plan.unplaced[0], reason=UnplacedReason.CAPACITY_EXHAUSTED)
    _assert_caught(_check(dataclasses.replace(plan, unplaced=(lie,))), "C6", "false")


def test_capacity_exhausted_while_a_candidate_has_room(plan: PlacementPlan) -> None:
    # Unplace C3 claiming capacity: SB had 3 of 4 places used, so it has room.
    bad = _with_true_objective(
        dataclasses.replace(
            plan,
            assignments=tuple(a for a in plan.assignments if a.child_id != "C3"),
            unplaced=(*plan.unplaced, Unplaced("C3", UnplacedReason.CAPACITY_EXHAUSTED, "x")),
        )
    )
    _assert_caught(_check(bad), "C3", "SB", "room")


def test_over_max_travel_reason_when_a_school_is_near(plan: PlacementPlan) -> None:
    bad = _with_true_objective(
        dataclasses.replace(
            plan,
            assignments=tuple(a for a in plan.assignments if a.child_id != "C8"),
            unplaced=(*plan.unplaced, Unplaced("C8", UnplacedReason.OVER_MAX_TRAVEL, "x")),
        )
    )
    _assert_caught(_check(bad), "C8", "over_max_travel", "false")


def test_locked_child_moved(plan: PlacementPlan) -> None:
    children = tuple(
        dataclasses.replace(c, primary_need="ASD") if c.child_id == "C5" else c
        for c in SCENARIO.children
    )
    scenario = dataclasses.replace(SCENARIO, children=children)
    moved = _moved(plan, "C5", "SB")
    report = check_placement(scenario, TRAVEL, moved)
    _assert_caught(report, "C5", "locked", "SO")


def test_locked_child_unplaced(plan: PlacementPlan) -> None:
    bad = dataclasses.replace(
        plan,
        assignments=tuple(a for a in plan.assignments if a.child_id != "C5"),
        unplaced=(*plan.unplaced, Unplaced("C5", UnplacedReason.CAPACITY_EXHAUSTED, "x")),
    )
    _assert_caught(_check(bad), "C5", "locked")


def test_locked_child_at_unsuitable_current_school_is_valid(plan: PlacementPlan) -> None:
    # C5 is SEMH and locked at SO; relock C5 at SA (ASD only, full): still valid by definition.
    children = tuple(
        dataclasses.replace(c, current_school="SA") if c.child_id == "C5" else c
        for c in SCENARIO.children
    )
    scenario = dataclasses.replace(SCENARIO, children=children)
    fresh = place(scenario, TRAVEL)
    c5 = fresh.assignment("C5")
    assert c5 is not None and c5.school_id == "SA"
    assert check_placement(scenario, TRAVEL, fresh).ok


def test_false_placement_reasons(plan: PlacementPlan) -> None:
    c2 = next(a for a in plan.assignments if a.child_id == "C2")  # at SB; SA is nearer
    for reason, words in (
        (PlacementReason.NEAREST_SUITABLE, ("nearest",)),
        (PlacementReason.LOCKED, ("locked",)),
        (PlacementReason.FIRST_PREFERENCE, ("first_preference",)),
        (PlacementReason.OUT_OF_AREA, ("out_of_area",)),
    ):
        lying = dataclasses.replace(c2, reasons=(*c2.reasons, str(reason)))
        bad = dataclasses.replace(
            plan, assignments=tuple(lying if a is c2 else a for a in plan.assignments)
        )
        _assert_caught(_check(bad), "C2", *words)
    c7 = next(a for a in plan.assignments if a.child_id == "C7")
    silent = dataclasses.replace(c7, reasons=())
    bad = dataclasses.replace(
        plan, assignments=tuple(silent if a is c7 else a for a in plan.assignments)
    )
    _assert_caught(_check(bad), "C7", "residential_place", "not stated")


def test_wrong_objective(plan: PlacementPlan) -> None:
    off = dataclasses.replace(plan, objective=plan.objective + 1_000.0)
    _assert_caught(_check(off), "objective")
    within = dataclasses.replace(plan, objective=plan.objective + 0.9)
    assert _check(within).ok


def test_wrong_travel_model(plan: PlacementPlan) -> None:
    _assert_caught(_check(dataclasses.replace(plan, travel_model="road")), "travel model")


PLACEMENT = "sendplan.routing.placement"
# What the checker may use of the placement package: the plan's types and itself.
CHECKER_MAY_IMPORT = {"plan", "check", "check_rules"}


def _imported(module: ModuleType) -> set[str]:
    """Every module a source file imports, ``from package import name`` also as package.name
    and relative imports resolved, so a solver module cannot slip in under another spelling."""
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.__name__.split(".")[: -node.level]
                base = ".".join([*parent, base] if base else parent)
            imported.add(base)
            imported.update(f"{base}.{alias.name}" for alias in node.names)
    return imported


@pytest.mark.parametrize("module", [checker, check_rules], ids=lambda m: m.__name__)
def test_checker_does_not_import_the_solver(module: ModuleType) -> None:
    imported = _imported(module)
    solver = {
        m
        for m in imported
        if m.startswith(f"{PLACEMENT}.")
        and m.removeprefix(f"{PLACEMENT}.").split(".")[0] not in CHECKER_MAY_IMPORT
    }
    assert not solver, f"{module.__name__} imports solver modules {sorted(solver)}"
    assert not {m for m in imported if "ortools" in m}


def test_checker_loads_no_solver_module() -> None:
    """Importing the checker, in a fresh interpreter, loads no solver module even indirectly."""
    code = (
        "import sys\n"
        f"import {checker.__name__}, {check_rules.__name__}\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = done.stdout.split()
    solver = [
        m
        for m in loaded
        if (
            m.startswith(f"{PLACEMENT}.")
            and m.removeprefix(f"{PLACEMENT}.").split(".")[0] not in CHECKER_MAY_IMPORT
        )
        or m.startswith("ortools")
    ]
    assert not solver, f"importing the checker loads {solver}"
