"""A self-contained report.html: KPIs, the status quo beside the plan, a table per school,
unplaced reasons and an inline SVG map.

Everything is inline (no scripts, fonts or tiles from the web) so the file opens offline and can
be attached to a panel paper. Children appear only as dots; ids are not printed on the map.
"""

from __future__ import annotations

import math
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

from sendplan.routing.model import Scenario
from sendplan.routing.placement.plan import PlacementPlan
from sendplan.routing.summary import Summary

MAP_WIDTH_PX = 760
MAP_HEIGHT_PX = 560
MAP_MARGIN = 0.08

# The comparison's rows, in the report and on the console: (label, key, kind).
COMPARISON_ROWS: tuple[tuple[str, str, str], ...] = (
    ("Children placed", "placed", "count"),
    ("Placement cost per year", "placement_cost_gbp_per_year", "gbp"),
    ("Mean direct journey", "mean_travel_min", "min"),
    ("Longest direct journey", "max_travel_min", "min"),
    ("In the city (in area)", "placed_in_area", "count"),
    ("Out of the city", "placed_out_of_area", "count"),
    ("Out-of-city share", "out_of_area_share", "share"),
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


def write_report(scenario: Scenario, plan: PlacementPlan, summary: Summary, path: Path) -> None:
    """Render the placement report to ``path``."""
    path.write_text(render_report(scenario, plan, summary), encoding="utf-8")


def render_report(scenario: Scenario, plan: PlacementPlan, summary: Summary) -> str:
    """The report as one HTML string."""
    body = "\n".join(
        [
            f"<h1>sendplan placement report: {escape(scenario.name)}</h1>",
            _banner(summary),
            "<h2>Key figures</h2>",
            _kpi_table(summary),
            *_comparison_section(summary),
            "<h2>Map</h2>",
            _svg_map(scenario, plan),
            "<h2>Schools</h2>",
            _school_table(scenario, plan),
            "<h2>Children without a place</h2>",
            _unplaced_table(summary),
            "<h2>First preferences not met</h2>",
            _preference_table(summary),
            *_over_capacity_section(scenario, summary),
        ]
    )
    return _PAGE.format(title=escape(f"sendplan: {scenario.name}"), body=body)


def _banner(summary: Summary) -> str:
    model = escape(summary.travel_model)
    warn = (
        " Travel times are <strong>estimates from straight-line distance</strong> "
        "(haversine x circuity factor, speeds by distance band), not road-network times."
        if summary.travel_model == "straight-line"
        else ""
    )
    return f'<p class="note">Travel model: <code>{model}</code>.{warn}</p>'


def _kpi_table(summary: Summary) -> str:
    rows = [
        ("Children needing a place", f"{summary.children:,}"),
        ("Placed", f"{summary.placed:,}"),
        ("Unplaced", f"{summary.unplaced:,}"),
        ("Placed in area (Leicester)", f"{summary.placed_in_area:,}"),
        ("Placed out of area", f"{summary.placed_out_of_area:,}"),
        ("Placed in independent / non-maintained schools", f"{summary.placed_independent:,}"),
        ("Residential placements", f"{summary.placed_residential:,}"),
        ("Cross-border placements (school in another LA)", f"{summary.placed_cross_border:,}"),
        (
            "First preference met",
            f"{summary.first_preference_met:,} of {summary.children_with_preferences:,}",
        ),
        ("Placement cost per year", f"£{summary.placement_cost_gbp_per_year:,.0f}"),
        ("Mean direct journey", _minutes(summary.mean_travel_min)),
        ("95th percentile journey", _minutes(summary.p95_travel_min)),
        ("Longest journey", _minutes(summary.max_travel_min)),
        ("Solver", f"{summary.solver} ({'optimal' if summary.optimal else 'not proven optimal'})"),
        ("Objective mode", _mode_text(summary)),
        ("Seed", "" if summary.seed is None else str(summary.seed)),
    ]
    if summary.routes is not None:
        rows += [
            ("Children transported", f"{summary.transported:,}"),
            ("Routes (vehicles)", f"{summary.routes:,} ({summary.vehicles:,})"),
            ("Transport cost per day", f"£{summary.transport_cost_gbp_per_day or 0:,.0f}"),
            ("Transport cost per year", f"£{summary.transport_cost_gbp_per_year or 0:,.0f}"),
            ("Longest ride", _minutes(summary.max_ride_min)),
            ("Rides over the limit (direct journey over it)", str(summary.rides_over_limit)),
            ("Solo routes", str(summary.solo_routes)),
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


def _comparison_section(summary: Summary) -> list[str]:
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
    return [
        "<h2>Status quo and optimised plan</h2>",
        '<p class="note">Status quo: every child at their current school, measured with the '
        f"same travel model and, when routes are planned, the same route search.{moved} "
        "Difference: optimised minus status quo.</p>",
        f'<table class="kpi">{head}{rows}</table>',
    ]


def _mode_text(summary: Summary) -> str:
    if summary.mode.startswith("lexicographic"):
        return f"{summary.mode}: " + ", then ".join(summary.levels_order)
    return "weighted: policy weights for cost, travel, preferences and out-of-area"


def _preference_table(summary: Summary) -> str:
    """Children whose first preference was not chosen, by why, and the cost of the feasible."""
    if not summary.first_preference_not_met_by_status:
        return "<p>Every first preference stated was met (or none was stated).</p>"
    rows = "".join(
        f"<tr><td><code>{escape(status)}</code></td><td>{count}</td></tr>"
        for status, count in summary.first_preference_not_met_by_status.items()
    )
    extra = summary.first_preference_feasible_extra_gbp_per_year
    note = (
        f'<p class="note">Honouring every <code>feasible</code> first preference (a place was '
        f"free and every rule met) would cost £{extra:,.0f} a year more in fees and estimated "
        "transport (placements.csv gives each child's figure; explanations.json the detail). "
        "This is the figure a panel weighs under the Children and Families Act 2014 s39.</p>"
        if extra is not None
        else ""
    )
    return f"<table><tr><th>Status</th><th>Children</th></tr>{rows}</table>{note}"


def _over_capacity_section(scenario: Scenario, summary: Summary) -> list[str]:
    """The what-if mode: schools that must admit, and how far over capacity each one goes."""
    if not summary.must_admit:
        return []
    capacity = {s.school_id: (s.name, s.capacity) for s in scenario.schools}
    rows = "".join(
        f"<tr><td>{escape(capacity[sid][0])}</td><td>{capacity[sid][1]}</td>"
        f"<td>{summary.over_capacity_by_school.get(sid, 0)}</td></tr>"
        for sid in summary.must_admit
    )
    return [
        "<h2>What if: schools that must admit</h2>",
        '<p class="note">Capacity is soft at these schools: each place over capacity is '
        "penalised in the objective and counted here.</p>",
        f"<table><tr><th>School</th><th>Capacity</th><th>Places over capacity</th></tr>"
        f"{rows}</table>",
    ]


def _minutes(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} min"


def _school_table(scenario: Scenario, plan: PlacementPlan) -> str:
    placed = Counter(a.school_id for a in plan.assignments)
    home_la = {c.child_id: c.home_la for c in scenario.children}
    school_la = {s.school_id: s.la_code for s in scenario.schools}
    from_home_la = Counter(
        a.school_id for a in plan.assignments if home_la[a.child_id] == school_la[a.school_id]
    )
    cost = Counter[str]()
    for a in plan.assignments:
        cost[a.school_id] += round(a.annual_cost_gbp)
    head = (
        "<tr><th>School</th><th>LA</th><th>Type</th><th>Area</th><th>Ages</th><th>Needs</th>"
        "<th>Capacity</th><th>Placed</th><th>Use</th><th>From same LA</th>"
        "<th>From other LAs</th><th>Cost per year</th></tr>"
    )
    rows = []
    for s in sorted(scenario.schools, key=lambda s: (not s.in_area, s.name)):
        n = placed[s.school_id]
        use = f"{100 * n / s.capacity:.0f}%" if s.capacity else "n/a"
        full = ' class="full"' if s.capacity and n >= s.capacity else ""
        rows.append(
            f"<tr{full}><td>{escape(s.name)}</td><td>{escape(s.la_code)}</td>"
            f"<td>{escape(s.type)}</td><td>{'local' if s.in_area else 'out of area'}</td>"
            f"<td>{s.age_low}-{s.age_high}</td><td>{escape(' '.join(sorted(s.designations)))}</td>"
            f"<td>{s.capacity}</td><td>{n}</td><td>{use}</td><td>{from_home_la[s.school_id]}</td>"
            f"<td>{n - from_home_la[s.school_id]}</td><td>£{cost[s.school_id]:,}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _unplaced_table(summary: Summary) -> str:
    if not summary.unplaced_by_reason:
        return "<p>Every child has a place.</p>"
    rows = "".join(
        f"<tr><td><code>{escape(reason)}</code></td><td>{count}</td></tr>"
        for reason, count in summary.unplaced_by_reason.items()
    )
    return f"<table><tr><th>Reason</th><th>Children</th></tr>{rows}</table>"


def _svg_map(scenario: Scenario, plan: PlacementPlan) -> str:
    """Homes and schools on an equirectangular projection framed on the homes."""
    if not scenario.children:
        return "<p>No children to map.</p>"
    lons = [c.lon for c in scenario.children]
    lats = [c.lat for c in scenario.children]
    lon0, lon1, lat0, lat1 = min(lons), max(lons), min(lats), max(lats)
    pad_lon, pad_lat = (lon1 - lon0) * MAP_MARGIN + 0.01, (lat1 - lat0) * MAP_MARGIN + 0.01
    lon0, lon1, lat0, lat1 = lon0 - pad_lon, lon1 + pad_lon, lat0 - pad_lat, lat1 + pad_lat
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    scale = min(MAP_WIDTH_PX / ((lon1 - lon0) * kx), MAP_HEIGHT_PX / (lat1 - lat0))

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (lon - lon0) * kx * scale, (lat1 - lat) * scale

    def inside(lon: float, lat: float) -> bool:
        return lon0 <= lon <= lon1 and lat0 <= lat <= lat1

    school_at = {s.school_id: s for s in scenario.schools}
    placed_at = {a.child_id: school_at[a.school_id] for a in plan.assignments}
    parts: list[str] = []
    for c in sorted(scenario.children, key=lambda c: c.child_id):
        school = placed_at.get(c.child_id)
        x, y = xy(c.lon, c.lat)
        if school is not None and inside(school.lon, school.lat):
            sx, sy = xy(school.lon, school.lat)
            parts.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{sx:.1f}" y2="{sy:.1f}" class="link"/>'
            )
    for c in sorted(scenario.children, key=lambda c: c.child_id):
        x, y = xy(c.lon, c.lat)
        cls = "home" if c.child_id in placed_at else "home unplaced"
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.8" class="{cls}"/>')
    off_map: list[str] = []
    for s in sorted(scenario.schools, key=lambda s: s.school_id):
        if not inside(s.lon, s.lat):
            off_map.append(s.name)
            continue
        x, y = xy(s.lon, s.lat)
        size = 5 + min(10.0, math.sqrt(max(s.capacity, 1)) / 2)
        cls = "school" if s.in_area else "school out"
        parts.append(
            f'<rect x="{x - size / 2:.1f}" y="{y - size / 2:.1f}" width="{size:.1f}" '
            f'height="{size:.1f}" class="{cls}"><title>{escape(s.name)}</title></rect>'
        )
    legend = (
        '<p class="legend"><span class="k home-k"></span> home (placed) '
        '<span class="k unplaced-k"></span> home (unplaced) '
        '<span class="k school-k"></span> Leicester school '
        '<span class="k out-k"></span> out-of-area school; lines join home and school.</p>'
    )
    note = (
        f'<p class="note">{len(off_map)} schools lie outside the map frame: '
        f"{escape(', '.join(sorted(off_map)))}.</p>"
        if off_map
        else ""
    )
    width = (lon1 - lon0) * kx * scale
    height = (lat1 - lat0) * scale
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="Map of homes and schools">'
        f'<rect width="100%" height="100%" class="bg"/>{"".join(parts)}</svg>'
    )
    return svg + legend + note


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1200px; }}
table {{ border-collapse: collapse; margin-bottom: 1.5rem; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }}
table.kpi th {{ background: #f3f3f3; }}
tr.full td {{ background: #fff4e5; }}
.note {{ color: #555; }}
svg .bg {{ fill: #f7f9fb; }}
svg .link {{ stroke: #9bb; stroke-width: 0.4; opacity: 0.5; }}
svg .home {{ fill: #1f77b4; }}
svg .unplaced {{ fill: #d62728; }}
svg .school {{ fill: #2ca02c; stroke: #000; stroke-width: 0.6; }}
svg .out {{ fill: #ff7f0e; }}
.k {{ display: inline-block; width: 10px; height: 10px; margin-left: 0.8rem; }}
.home-k {{ background: #1f77b4; border-radius: 50%; }}
.unplaced-k {{ background: #d62728; border-radius: 50%; }}
.school-k {{ background: #2ca02c; }}
.out-k {{ background: #ff7f0e; }}
</style></head><body>
{body}
<p class="note">All children are identified by pseudonymous ids only. Generated by sendplan.</p>
</body></html>
"""
