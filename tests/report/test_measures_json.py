"""The measures councils use of the routes a plan is compared with are in the JSON outputs, and
recomputed here without ``council_measures``: the status quo's (summary.json
``council_measures_status_quo``, from the status quo's routes) and the current routes read by
``routes --evaluate`` (evaluation.json per session, summary.json ``council_measures_evaluated``
over every session read, from the routes.json evaluated)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from transport_cases import random_children, scenario, school
from typer.testing import CliRunner

import sendplan
from sendplan.api.cli import app
from sendplan.api.outputs import write_result
from sendplan.api.writer import write_scenario
from sendplan.routing.model import Scenario
from sendplan.routing.transport.plan import TransportPlan


@dataclass(frozen=True)
class Run:
    """A run as the measures see it: riders' rides (minutes), places aboard, cost."""

    session: str
    rides: dict[str, float]
    places: int
    cost_gbp: float


def measured(runs: list[Run], sessions: Iterable[str], days: int) -> dict[str, Any]:
    """The measures, counted here: vehicles per session, occupancy, rides over 45/60/75 (as
    bounds: rides are rounded to the hundredth where they are read), solo runs, cost a child."""
    longest: dict[str, float] = {}
    for r in runs:
        for c, ride in r.rides.items():
            longest[c] = max(longest.get(c, 0.0), ride)
    riders = sum(len(r.rides) for r in runs)
    places = sum(r.places for r in runs)
    sessions = list(sessions)
    day = sum(r.cost_gbp for r in runs) * (2 if len(sessions) == 1 else 1)
    return {
        "vehicles_by_session": {s: sum(r.session == s for r in runs) for s in sessions},
        "riders": riders,
        "places": places,
        "occupancy": riders / places,
        "over": {
            str(t): (
                sum(v > t + 0.01 for v in longest.values()) / len(longest),
                sum(v > t - 0.01 for v in longest.values()) / len(longest),
            )
            for t in (45, 60, 75)
        },
        "solo_runs": sum(len(r.rides) == 1 for r in runs),
        "cost_per_child": day * days / len(longest),
    }


def assert_measures(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got["vehicles_by_session"] == want["vehicles_by_session"]
    assert (got["riders"], got["places"]) == (want["riders"], want["places"])
    assert got["occupancy"] == pytest.approx(want["occupancy"], abs=1e-4)
    for t, (low, high) in want["over"].items():
        assert low - 1e-4 <= got["share_riding_over_min"][t] <= high + 1e-4
    assert got["solo_runs"] == want["solo_runs"]
    assert got["route_cost_per_child_gbp_per_year"] == pytest.approx(
        want["cost_per_child"], rel=1e-3
    )


def json_runs(doc: dict[str, Any], sc: Scenario, session: str) -> list[Run]:
    """A routes.json session's runs; a type's one layout (the default fleet has one each)."""
    fleet = {v.name: v for v in sc.fleet}
    return [
        Run(
            session,
            {s["child_id"]: s["ride"] for s in r["steps"] if "child_id" in s},
            fleet[r["vehicle_type"]].seats + fleet[r["vehicle_type"]].wheelchair_spaces,
            r["cost"],
        )
        for r in doc["sessions"][session]["routes"]
    ]


def test_evaluated_routes_are_measured_in_evaluation_json_and_the_summary(
    tmp_path: Path,
) -> None:
    sc = scenario(
        random_children(18, 9, schools=("S1", "S2")), schools=[school("S1"), school("S2", 3, -1)]
    )
    assert all(not v.layouts for v in sc.fleet)
    write_scenario(sc, tmp_path / "s")
    runner = CliRunner()
    base = ["routes", str(tmp_path / "s"), "--iterations", "40", "--session", "both"]
    got = runner.invoke(app, [*base, "--out", str(tmp_path / "plan")])
    assert got.exit_code == 0, got.output
    got = runner.invoke(
        app,
        [*base, "--out", str(tmp_path / "o"),
         "--evaluate", str(tmp_path / "plan" / "routes.json")],
    )  # fmt: skip
    assert got.exit_code == 0, got.output
    doc = json.loads((tmp_path / "plan" / "routes.json").read_text())
    evaluation = json.loads((tmp_path / "o" / "evaluation.json").read_text())
    days = sc.policy.school_days_per_year
    for session in ("am", "pm"):
        want = measured(json_runs(doc, sc, session), [session], days)
        assert_measures(evaluation[session]["council_measures"], want)
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    both = json_runs(doc, sc, "am") + json_runs(doc, sc, "pm")
    assert_measures(summary["council_measures_evaluated"], measured(both, ["am", "pm"], days))
    # the plan and the routes it reads back are the same routes: the same measures
    assert summary["council_measures_evaluated"] == summary["council_measures"]
    html = (tmp_path / "o" / "report.html").read_text()
    assert ">Current routes</th>" in html


def plan_runs(plans: Iterable[TransportPlan]) -> list[Run]:
    runs = []
    for p in plans:
        for r in p.routes:
            seats, spaces = (int(x) for x in r.layout.split("+"))
            rides = {s.child_id: s.ride_min for s in r.stops}
            runs.append(Run(p.session, rides, seats + spaces, r.cost_gbp))
    return runs


def test_the_status_quo_is_measured_in_summary_json(tmp_path: Path) -> None:
    small = sendplan.leicester_scenario(n_children=60)
    result = sendplan.solve(small, stop=sendplan.MaxIterations(30), seed=1)
    assert result.status_quo_transport, "every child has a current school: compared"
    write_result(result, tmp_path / "o")
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    days = small.policy.school_days_per_year
    sessions = [p.session for p in result.status_quo_transport]
    want = measured(plan_runs(result.status_quo_transport), sessions, days)
    assert_measures(summary["council_measures_status_quo"], want)
    mine = measured(plan_runs(result.transport), [p.session for p in result.transport], days)
    assert_measures(summary["council_measures"], mine)
    # no status quo planned (children kept at their current schools): null
    kept = sendplan.solve(
        small, stop=sendplan.MaxIterations(20), seed=1, placement="current", sessions=("am",)
    )
    write_result(kept, tmp_path / "k")
    summary = json.loads((tmp_path / "k" / "summary.json").read_text())
    assert summary["council_measures_status_quo"] is None
    assert summary["council_measures"] is not None
