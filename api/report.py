"""A self-contained report.html council teams can open, print and attach to a panel paper.

It shows the key figures, the status quo beside the plan, a map (homes, numbered schools and
routes over the road network or Leicester's LSOA outlines), the routes per session, the costs,
charts and the lists a panel asks for by pseudonymous id. Everything is inline (no fonts,
scripts, tiles or data from the web), so the file opens offline; the same Result gives the same
bytes. Children appear only by pseudonymous id, homes only as dots without ids; text from the
inputs is escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from sendplan.api.report_assets import CSS, JS
from sendplan.api.report_costs import charts, cost_section
from sendplan.api.report_lists import (
    over_limit_list,
    preference_section,
    unplaced_list,
    unrouted_list,
)
from sendplan.api.report_map import render_map
from sendplan.api.report_map_data import school_numbers
from sendplan.api.report_tables import SESSION_NAMES, gbp, route_blocks, route_table, school_table
from sendplan.api.route_lines import RouteLine, route_lines
from sendplan.routing.model import Scenario
from sendplan.routing.result import Result
from sendplan.routing.summary import Summary

# The comparison's rows, in the report and on the console: (label, key, kind).
COMPARISON_ROWS: tuple[tuple[str, str, str], ...] = (
    ("Children placed", "placed", "count"),
    ("Placement cost per year", "placement_cost_gbp_per_year", "gbp"),
    ("Mean direct journey", "mean_travel_min", "min"),
    ("Longest direct journey", "max_travel_min", "min"),
    ("Placed in area", "placed_in_area", "count"),
    ("Placed out of area", "placed_out_of_area", "count"),
    ("Out-of-area share", "out_of_area_share", "share"),
    ("LA-maintained special", "placed_la_maintained", "count"),
    ("Academy / free special", "placed_academy_free", "count"),
    ("Independent", "placed_independent", "count"),
    ("Non-maintained", "placed_non_maintained", "count"),
    ("Resourced provision", "placed_resourced_provision", "count"),
    ("Schools over capacity", "over_capacity_schools", "count"),
    ("Places over capacity", "over_capacity_places", "count"),
    ("Children transported", "transported", "count"),
    ("Routes", "routes", "count"),
    ("Transport cost per year", "transport_cost_gbp_per_year", "gbp"),
)


def write_report(result: Result, path: Path, *, lines: dict[str, RouteLine] | None = None) -> None:
    """Render the report of ``result`` to ``path`` (UTF-8); see :func:`render_report`."""
    path.write_text(render_report(result, lines=lines), encoding="utf-8")


def render_report(result: Result, *, lines: dict[str, RouteLine] | None = None) -> str:
    """The report as one HTML string: placement, routes or both, whichever ``result`` holds.
    ``lines``: the routes' drawn lines when the caller has them (rebuilding road paths takes
    time), else :func:`sendplan.api.route_lines.route_lines` of ``result``."""
    scenario, summary = result.scenario, result.summary
    numbers = school_numbers(result)
    sections: list[tuple[str, str, str]] = [
        ("figures", "Key figures", _kpi_table(summary)),
        *_comparison_section(summary),
        ("map", "Map", render_map(result, route_lines(result) if lines is None else lines)),
    ]
    if result.transport:
        sections += [
            (f"routes-{p.session}", f"{SESSION_NAMES[p.session]} routes",
             route_table(p, scenario, numbers))
            for p in result.transport
        ]  # fmt: skip
        sections.append(("route-detail", "Route by route: stops and rides against limits",
                         _route_detail(result, numbers)))  # fmt: skip
    sections += [
        ("costs", "Costs", cost_section(result)),
        ("charts", "Charts", charts(result, numbers)),
        ("schools", "Schools", school_table(result, numbers)),
        ("unplaced", "Children without a place", unplaced_list(result)),
        ("preferences", "First preferences not met", preference_section(result)),
    ]
    if result.transport:
        sections += [
            ("over-limit", "Children over their ride limit", over_limit_list(result)),
            ("unrouted", "Children on no route", unrouted_list(result)),
        ]
    sections += _over_capacity_section(scenario, summary)
    toc = " ".join(f'<a href="#{key}">{escape(title)}</a>' for key, title, _ in sections)
    body = "\n".join(
        [
            f"<h1>sendplan report: {escape(scenario.name)}</h1>",
            f'<p class="note">{escape(_what_was_solved(result))}</p>',
            _banner(summary),
            f'<nav class="toc" aria-label="Sections">{toc}</nav>',
            *(f'<section id="{key}"><h2>{escape(title)}</h2>{html}</section>'
              for key, title, html in sections),
        ]
    )  # fmt: skip
    return _PAGE.format(title=escape(f"sendplan: {scenario.name}"), css=CSS, js=JS, body=body)


def _what_was_solved(result: Result) -> str:
    runs = " and ".join(SESSION_NAMES[p.session].lower() for p in result.transport)
    placed = (
        "Children placed by the optimiser"
        if result.placement is not None
        else "Children kept at their current schools (no placement solved)"
    )
    routes = f"; routes planned for the {runs} run{'s' if len(result.transport) > 1 else ''}" if (
        runs) else "; no routes planned"  # fmt: skip
    scenario = result.scenario
    return (
        f"{placed}{routes}. {plural(len(scenario.children), 'child', 'children')}, "
        f"{plural(len(scenario.schools), 'school')}."
    )


def plural(n: int, one: str, many: str | None = None) -> str:
    """``n`` and the noun, singular for exactly one: "1 school", "2 schools", "1,345 children"."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def _route_detail(result: Result, numbers: dict[str, int]) -> str:
    return (
        '<p class="noprint"><label><input type="checkbox" id="route-pages"> One route per printed '
        "page</label> (opens the list below; printing opens it too)</p>"
        "<details class=\"print-open\"><summary>Show every route's stops, with each child's "
        "ride against their limit</summary>"
        f"{route_blocks(result, numbers)}</details>"
    )


def _banner(summary: Summary) -> str:
    model = escape(summary.travel_model)
    warn = (
        " Travel times are <strong>estimates from straight-line distance</strong> "
        "(haversine x circuity factor, speeds by distance band), not road-network times."
        if summary.travel_model == "straight-line"
        else ""
    )
    return f'<p class="banner">Travel model: <code>{model}</code>.{warn}</p>'


def _count(value: int | None) -> str:
    return "n/a" if value is None else f"{value:,}"


def _kpi_table(summary: Summary) -> str:
    solver = (
        "n/a" if summary.solver is None
        else f"{summary.solver} ({'optimal' if summary.optimal else 'not proven optimal'})"
    )  # fmt: skip
    who = "Children needing a place" if summary.placed is not None else "Children"
    rows = [(who, _count(summary.children))]
    if summary.placed is not None:
        rows += [
            ("Placed", _count(summary.placed)),
            ("Unplaced", _count(summary.unplaced)),
            ("Placed in area", _count(summary.placed_in_area)),
            ("Placed out of area", _count(summary.placed_out_of_area)),
            ("Placed in independent / non-maintained schools", _count(summary.placed_independent)),
            ("Residential placements", _count(summary.placed_residential)),
            ("Cross-border placements (school in another LA)", _count(summary.placed_cross_border)),
            ("First preference met",
             f"{_count(summary.first_preference_met)} of "
             f"{_count(summary.children_with_preferences)}"),
            ("Placement cost per year", gbp(summary.placement_cost_gbp_per_year)),
            ("Mean direct journey", _minutes(summary.mean_travel_min)),
            ("95th percentile journey", _minutes(summary.p95_travel_min)),
            ("Longest journey", _minutes(summary.max_travel_min)),
            ("Solver", solver),
            ("Objective mode", _mode_text(summary)),
        ]  # fmt: skip
    rows.append(("Seed", "" if summary.seed is None else str(summary.seed)))
    if summary.routes is not None:
        rows += [
            ("Children transported", _count(summary.transported)),
            ("Routes (vehicles)", f"{summary.routes:,} ({_count(summary.vehicles)})"),
            ("Transport cost per day", gbp(summary.transport_cost_gbp_per_day or 0)),
            ("Transport cost per year", gbp(summary.transport_cost_gbp_per_year or 0)),
            ("Longest ride", _minutes(summary.max_ride_min)),
            ("Rides over the limit (direct journey over it)", _count(summary.rides_over_limit)),
            ("Solo routes", _count(summary.solo_routes)),
            ("Route checker", "passed" if summary.transport_checker_ok else "FAILED"),
        ]
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="kpi">{cells}</table>'


def comparison_cell(value: Any, kind: str, *, signed: bool = False) -> str:
    """One figure of the comparison as text ("n/a" when not computed)."""
    if value is None:
        return "n/a"
    if kind == "gbp":
        lead = "-" if value < 0 else ("+" if signed else "")
        return f"{lead}£{abs(value):,.0f}"
    sign = "+" if signed else ""
    if kind == "min":
        return f"{value:{sign}.1f} min"
    if kind == "share":
        return f"{100 * value:+.1f} pts" if signed else f"{100 * value:.1f}%"
    return f"{value:{sign},}"


def comparison_rows(comparison: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(label, status quo, optimised, difference) per row of ``COMPARISON_ROWS``."""
    sq, opt, diff = comparison["status_quo"], comparison["optimised"], comparison["difference"]
    return [
        (label, comparison_cell(sq.get(key), kind), comparison_cell(opt.get(key), kind),
         comparison_cell(diff.get(key), kind, signed=True))
        for label, key, kind in COMPARISON_ROWS
    ]  # fmt: skip


def comparison_text(comparison: dict[str, Any]) -> str:
    """The comparison as a plain-text table for the console."""
    rows = [("", "status quo", "optimised", "difference"), *comparison_rows(comparison)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(
        f"{r[0]:<{widths[0]}}  "
        + "  ".join(f"{c:>{w}}" for c, w in zip(r[1:], widths[1:], strict=True))
        for r in rows
    )


def _comparison_section(summary: Summary) -> list[tuple[str, str, str]]:
    """The status quo (every child at their current school) beside the optimised plan."""
    if not summary.comparison:
        return []
    head = "<tr><th></th><th>Status quo</th><th>Optimised</th><th>Difference</th></tr>"
    rows = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(a)}</td><td>{escape(b)}</td>"
        f"<td>{escape(d)}</td></tr>"
        for label, a, b, d in comparison_rows(summary.comparison)
    )
    moved = (
        f" {summary.movers:,} children were placed this year ({escape(summary.movers_rule or '')}"
        " rule); the others stayed at their current school."
        if summary.movers is not None
        else ""
    )
    html = (
        '<p class="note">Status quo: every child at their current school, measured with the '
        f"same travel model and, when routes are planned, the same route search.{moved} "
        "Difference: optimised minus status quo.</p>"
        f'<table class="kpi">{head}{rows}</table>'
    )
    return [("comparison", "Status quo and optimised plan", html)]


def _mode_text(summary: Summary) -> str:
    if summary.mode.startswith("lexicographic"):
        return f"{summary.mode}: " + ", then ".join(summary.levels_order)
    return "weighted: policy weights for cost, travel, preferences and out-of-area"


def _over_capacity_section(scenario: Scenario, summary: Summary) -> list[tuple[str, str, str]]:
    """The what-if mode: schools that must admit, and how far over capacity each one goes."""
    if not summary.must_admit:
        return []
    capacity = {s.school_id: (s.name, s.capacity) for s in scenario.schools}
    rows = "".join(
        f"<tr><td>{escape(capacity[sid][0])}</td><td>{capacity[sid][1]}</td>"
        f"<td>{summary.over_capacity_by_school.get(sid, 0)}</td></tr>"
        for sid in summary.must_admit
    )
    html = (
        '<p class="note">Capacity is soft at these schools: each place over capacity is '
        "penalised in the objective and counted here.</p>"
        f"<table><tr><th>School</th><th>Capacity</th><th>Places over capacity</th></tr>"
        f"{rows}</table>"
    )
    return [("what-if", "What if: schools that must admit", html)]


def _minutes(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} min"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style></head><body>
{body}
<p class="note">All children are identified by pseudonymous ids only. Generated by sendplan.</p>
<script>{js}</script>
</body></html>
"""
