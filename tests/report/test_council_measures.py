"""The measures councils use (summary.json ``council_measures`` and report.html), recomputed
here from routes.json and the scenario alone: vehicles per session, occupancy of each run's
chosen layout, the share of children riding over 45/60/75 minutes, solo runs, cost per child."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from transport_cases import DEPOT, TRAVEL, random_children, scenario, school

from sendplan.api.outputs import write_result
from sendplan.routing.model import VehicleType
from sendplan.routing.result import Result
from sendplan.routing.solve import solve
from sendplan.routing.vrp.stop import MaxIterations

FLEET = (
    VehicleType("minibus", 16, 0, False, 40.0, 1.0, 4, *DEPOT, layouts=((16, 0), (14, 1))),
    VehicleType("wav_pa", 3, 1, True, 60.0, 2.2, 20, *DEPOT),
    VehicleType("taxi", 4, 0, False, 18.0, 1.8, 20, *DEPOT),
)


@pytest.mark.parametrize("sessions", [("am",), ("am", "pm")])
def test_measures_match_an_independent_count(tmp_path: Path, sessions: tuple[str, ...]) -> None:
    kids = random_children(24, 11, radius_km=14.0, schools=("S1", "S2"))
    kids = [replace(c, ride_limit_min=90.0) for c in kids]
    sc = scenario(kids, schools=[school("S1"), school("S2", 3, -2)], vehicles=FLEET)
    result = solve(
        sc, sessions=sessions, placement="current", travel=TRAVEL, stop=MaxIterations(60),  # type: ignore[arg-type]
        seed=2, workers=1,
    )  # fmt: skip
    write_result(result, tmp_path)
    got = json.loads((tmp_path / "summary.json").read_text())["council_measures"]
    doc = json.loads((tmp_path / "routes.json").read_text())
    routes = {s: body["routes"] for s, body in doc["sessions"].items()}
    assert got["vehicles_by_session"] == {s: len(rs) for s, rs in routes.items()}
    every = [r for rs in routes.values() for r in rs]
    riders = places = 0
    longest: dict[str, float] = {}
    for r in every:
        kids_on = [s for s in r["steps"] if "child_id" in s]
        riders += len(kids_on)
        seats, spaces = (int(x) for x in r["layout"].split("+"))
        places += seats + spaces
        for s in kids_on:
            longest[s["child_id"]] = max(longest.get(s["child_id"], 0.0), s["ride"])
    assert got["riders"] == riders and got["places"] == places
    assert got["occupancy"] == pytest.approx(riders / places, abs=1e-4)
    assert 0 < got["occupancy"] <= 1
    for t in (45, 60, 75):
        # routes.json rounds rides to the hundredth; keep clear of the threshold's edge
        over = sum(v > t + 0.01 for v in longest.values())
        near = sum(abs(v - t) <= 0.01 for v in longest.values())
        share = got["share_riding_over_min"][str(t)]
        # the summary rounds shares to 4 decimals
        assert over / len(longest) - 1e-4 <= share <= (over + near) / len(longest) + 1e-4
    assert got["solo_runs"] == sum(
        1 for r in every if sum("child_id" in s for s in r["steps"]) == 1
    )
    day = sum(r["cost"] for r in every) * (2 if len(sessions) == 1 else 1)
    year = day * sc.policy.school_days_per_year
    assert got["route_cost_per_child_gbp_per_year"] == pytest.approx(year / len(longest), rel=1e-3)
    html = (tmp_path / "report.html").read_text()
    assert "Measures councils use" in html
    assert f"({riders} of {places})" in html


def test_the_report_measures_the_status_quo_beside_the_plan(results: dict[str, Result]) -> None:
    import re
    from html import unescape

    from sendplan.api.report import render_report

    demo = results["demo"]
    assert demo.status_quo_transport, "the demo compares with the status quo"
    html = render_report(demo)
    start = html.index("<h3>Measures councils use</h3>")
    table = html[start : html.index("</table>", start)]
    head = [unescape(h) for h in re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table)]
    assert head == ["Measure", "Status quo", "This plan"]
    # each of the two solo counts and the two costs per child is defined beside the table
    note = html[html.index("</table>", start) :][:800]
    assert "Solo runs: runs with one rider" in note and "solo routes are the runs flagged" in note
    assert "Route cost per child routed:" in note and "cost per transported child adds" in note
    rows = {
        cells[0]: cells[1:]
        for cells in (
            [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
            for r in re.findall(r"<tr>(.*?)</tr>", table)
        )
        if cells
    }
    for before, after in zip(demo.status_quo_transport, demo.transport, strict=True):
        assert rows[f"Vehicles, {before.session.upper()} session"] == [
            str(len(before.routes)), str(len(after.routes))
        ]  # fmt: skip
    solo = [sum(len(r.stops) == 1 for p in plans for r in p.routes)
            for plans in (demo.status_quo_transport, demo.transport)]  # fmt: skip
    assert rows["Solo runs (one rider)"] == [str(n) for n in solo]
    riders = [sum(len(r.stops) for p in plans for r in p.routes)
              for plans in (demo.status_quo_transport, demo.transport)]  # fmt: skip
    occupancy = rows["Occupancy (riders over the places of each run's layout)"]
    assert [o.split("(")[1].split(" of ")[0] for o in occupancy] == [str(n) for n in riders]
