"""The report's words and sums (issue 15 review, defects 5, 6 and 8): no authority is assumed
(in area / out of area, never "the city" or Leicester for a Leeds plan), a route's cost is per
run, counts are pluralised, unmet first preferences are costed only when there are feasible
ones, and the cost tables' rounded rows add up to their totals."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_report_roads import leeds_scenario

import sendplan
from sendplan.api.loader import load_scenario
from sendplan.api.report import comparison_text, plural, render_report
from sendplan.api.report_costs import rounded_to_total
from sendplan.routing.result import Result


@pytest.fixture(scope="module")
def leeds(tmp_path_factory: pytest.TempPathFactory) -> str:
    scenario = leeds_scenario(tmp_path_factory.mktemp("leeds") / "scenario")
    return render_report(sendplan.solve(scenario, stop=sendplan.MaxIterations(20), seed=1))


def visible_text(html: str) -> str:
    """The page's text as a reader sees it: no style sheet, script or markup."""
    html = re.sub(r"(?s)<(style|script)>.*?</\1>", " ", html)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def table_after(html: str, heading: str) -> list[list[str]]:
    """The body rows (cells as text) of the first table after ``heading``."""
    start = html.index(heading)
    table = html[start : html.index("</table>", start)]
    body = table[table.index("<tbody>") :]
    return [
        [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r)]
        for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body)
    ]


def pounds(text: str) -> int:
    return int(text.replace("£", "").replace(",", ""))


def test_a_plan_elsewhere_names_no_city(leeds: str, results: dict[str, Result]) -> None:
    text = visible_text(leeds)
    assert not re.search(r"(?i)\bcity\b", text), re.findall(r"(?i).{40}\bcity\b.{20}", text)
    assert "(Leicester)" not in text
    assert "Placed in area" in text and "home, placed in area" in text
    assert "school in area (number)" in text and "school out of area (number)" in text
    # The same neutral words in the Leicester default, and on the console.
    demo = visible_text(render_report(results["demo"]))
    for school in results["demo"].scenario.schools:  # "The City of Leicester College" may stay
        demo = demo.replace(school.name, "")
    demo = demo.replace("The City of Leicester", "")  # shortened in the charts' labels
    assert not re.search(r"(?i)\bcity\b", demo), re.findall(r"(?i).{40}\bcity\b.{20}", demo)
    assert "Out-of-area share" in demo and "In area" in demo and "Out of area" in demo
    console = comparison_text(results["demo"].summary.comparison)
    assert not re.search(r"(?i)\bcity\b", console) and "Placed out of area" in console


def test_route_costs_are_per_run(results: dict[str, Result]) -> None:
    html = render_report(results["routes"])
    for table in re.findall(r'(?s)<table class="routes-table.*?</thead>', html):
        assert "Cost per run" in table and "Cost per day" not in table
    blocks = re.findall(r'(?s)<section class="route-block".*?</p>', html)
    assert blocks and all(" for this run." in b and " a day" not in b for b in blocks)
    # A day is both runs: the KPI and the vehicle table keep "per day".
    assert "Transport cost per day" in html


def test_counts_are_pluralised(leeds: str, results: dict[str, Result]) -> None:
    assert plural(0, "school") == "0 schools" and plural(1, "school") == "1 school"
    assert plural(2, "school") == "2 schools" and plural(1, "child", "children") == "1 child"
    assert plural(1345, "child", "children") == "1,345 children"
    assert "5 children, 1 school." in visible_text(leeds)
    n = len(results["demo"].scenario.schools)
    assert f"children, {n} schools." in render_report(results["demo"])


def test_unmet_first_preferences_are_costed_only_when_feasible(
    tmp_path: Path, results: dict[str, Result]
) -> None:
    from test_report_furniture import EDGE

    folder = tmp_path / "edge"
    folder.mkdir()
    for name, lines in EDGE.items():
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Everyone's first preference is Leeds A, with 2 places for 5 children: 3 find it full.
    scenario = load_scenario(folder)
    prefs = tuple(replace(c, preferences=("LDS-1",)) for c in scenario.children)
    none_feasible = sendplan.solve(replace(scenario, children=prefs), sessions=())
    statuses = none_feasible.summary.first_preference_not_met_by_status
    assert statuses and "feasible" not in statuses
    html = render_report(none_feasible)
    assert "There are no <code>feasible</code> first preferences left unmet" in html
    assert "would cost £" not in html
    demo = results["demo"].summary
    if demo.first_preference_not_met_by_status.get("feasible"):
        shown = render_report(results["demo"])
        assert "would cost £" in shown and "There are no <code>feasible</code>" not in shown


@pytest.mark.parametrize("case", ["demo", "routes"])
def test_the_vehicle_table_adds_up_to_the_key_figures(
    case: str, results: dict[str, Result]
) -> None:
    html = render_report(results[case])
    rows = table_after(html, "<h3>Transport by vehicle type</h3>")
    *body, total = rows
    assert total[0] == "All vehicles"
    for col in range(1, len(total)):  # route counts, rides, cost per day and per year
        values = [pounds(r[col]) for r in body]
        assert sum(values) == pounds(total[col]), (col, values, total[col])
    summary = results[case].summary
    assert total[-2] == f"£{summary.transport_cost_gbp_per_day:,.0f}"
    assert total[-1] == f"£{summary.transport_cost_gbp_per_year:,.0f}"
    routes = sum(len(p.routes) for p in results[case].transport)
    assert sum(pounds(t) for t in total[1 : len(results[case].transport) + 1]) == routes


def test_the_fee_tables_add_up(results: dict[str, Result]) -> None:
    html = render_report(results["demo"])
    for heading in ("<h3>Placement fees: by school type</h3>", "<h3>Placement fees: in and out"):
        *body, total = table_after(html, heading)
        assert total[0] == "Total" and total[3] == "100%"
        assert sum(pounds(r[2]) for r in body) == pounds(total[2])
        assert sum(int(r[1]) for r in body) == int(total[1]) == results["demo"].summary.placed
        assert sum(int(r[3].rstrip("%")) for r in body) == 100
    *items, total = table_after(html, "<h3>Placement fees and transport, per year</h3>")
    assert sum(pounds(r[1]) for r in items if r[1] != "n/a") == pounds(total[1])


@given(st.lists(st.floats(0, 1e7, allow_nan=False), max_size=12))
def test_rounded_rows_add_to_the_rounded_total(values: list[float]) -> None:
    shown = rounded_to_total(values)
    assert sum(shown) == round(sum(values))
    assert all(abs(s - v) < 1 for s, v in zip(shown, values, strict=True))
