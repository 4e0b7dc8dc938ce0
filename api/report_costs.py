"""The report's cost breakdown and charts: placement fees against transport, fees by school type
and in/out of area, transport by vehicle type; journey times, school fill, cost by type."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sendplan.api.report_charts import bar_chart, histogram
from sendplan.api.report_tables import cell, gbp, html_table, school_of
from sendplan.routing.model import is_primary
from sendplan.routing.result import Result

TYPE_NAMES = {"la_maintained": "LA maintained", "academy": "Academy", "free": "Free school",
              "independent": "Independent", "non_maintained": "Non-maintained",
              "resourced_provision": "Resourced provision"}  # fmt: skip


def _year_factor(result: Result) -> float:
    """Days a year that a day of the planned sessions stands for (as the summary counts it)."""
    s = result.summary
    if s.transport_cost_gbp_per_day and s.transport_cost_gbp_per_year is not None:
        return s.transport_cost_gbp_per_year / s.transport_cost_gbp_per_day
    return float(result.scenario.policy.school_days_per_year)


def _fees_by(result: Result, key: str) -> dict[str, tuple[int, float]]:
    """(children, fees per year) per school type or per area, from the plan's assignments."""
    if result.placement is None:
        return {}
    schools = {s.school_id: s for s in result.scenario.schools}
    out: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for a in result.placement.assignments:
        s = schools[a.school_id]
        group = TYPE_NAMES.get(s.type, s.type) if key == "type" else (
            "In area" if a.in_area else "Out of area")  # fmt: skip
        out[group][0] += 1
        out[group][1] += a.annual_cost_gbp
    return {g: (int(v[0]), v[1]) for g, v in sorted(out.items())}


def rounded_to_total(values: Sequence[float]) -> list[int]:
    """``values`` rounded to whole pounds so that they add up to their rounded total (largest
    remainders round up); each is within a pound of its exact value."""
    floors = [math.floor(v) for v in values]
    short = round(sum(values)) - sum(floors)
    by_remainder = sorted(range(len(values)), key=lambda i: (floors[i] - values[i], i))
    up = set(by_remainder[: max(short, 0)])
    return [f + (1 if i in up else 0) for i, f in enumerate(floors)]


ROUNDING_NOTE = (
    '<p class="note">Rows are rounded to the pound so that they add up to the total, which is '
    "the exact sum rounded.</p>"
)


def cost_section(result: Result) -> str:
    """Every cost table, with a note on what each figure includes."""
    s = result.summary
    fees = s.placement_cost_gbp_per_year
    routes_year = s.transport_cost_gbp_per_year
    parts = [
        ("Placement fees", fees, "the plan's schools' fees for every placed child"),
        ("Daily routes", routes_year,
         f"the planned routes ({s.transport_cost_basis or 'no session planned'}) over the year"),
        ("Boarders' journeys", s.boarder_transport_gbp_per_year,
         "home and back weekly or termly: estimated per km"),
        ("Personal transport budgets", s.ptb_gbp_per_year, "budgets offered instead of a seat"),
    ]  # fmt: skip
    known = [v for _, v, _ in parts if v is not None]
    shown = iter(rounded_to_total(known))
    rows = [
        [cell(label), cell("n/a") if v is None else cell(gbp(next(shown)), v), cell(what)]
        for label, v, what in parts
    ]
    rows.append(["<th>Total of the figures computed</th>", cell(gbp(round(sum(known))),
                 sum(known)), cell("n/a figures are left out")])  # fmt: skip
    html = [
        "<h3>Placement fees and transport, per year</h3>",
        html_table(["Item", "Per year", "What it covers"], rows, numeric=(1,)),
    ]
    cols = []
    for title, key in (("By school type", "type"), ("In and out of area", "area")):
        groups = _fees_by(result, key)
        if groups:
            exact = [v for _, v in groups.values()]
            total = sum(exact)
            pounds = rounded_to_total(exact)
            shares = rounded_to_total([100 * v / (total or 1.0) for v in exact])
            body = [
                [cell(g), cell(str(n), n), cell(gbp(gbp_), v), cell(f"{pct}%", v)]
                for (g, (n, v)), gbp_, pct in zip(groups.items(), pounds, shares, strict=True)
            ]
            children = sum(n for n, _ in groups.values())
            body.append(["<th>Total</th>", cell(str(children), children),
                         cell(gbp(round(total)), total), cell(f"{sum(shares)}%")])  # fmt: skip
            cols.append(
                f"<div><h3>Placement fees: {title.lower()}</h3>"
                + html_table(
                    ["Group", "Children", "Fees per year", "Share"], body, numeric=(1, 2, 3)
                )
                + "</div>"
            )
    if result.transport:
        cols.append(f"<div><h3>Transport by vehicle type</h3>{_vehicle_table(result)}</div>")
    html.append(f'<div class="cols">{"".join(cols)}</div>')
    if s.council_measures:
        html.append(measures_table(s.council_measures))
    if s.contracts:
        html.append(contracts_table(s.contracts))
    return "".join(html) + ROUNDING_NOTE


def contracts_table(c: dict[str, Any]) -> str:
    """The current routes' contract prices beside the model's estimate, per route and in total."""
    head = ["Route", "Operator", "Price", "Contract per day", "Model per day", "Difference"]
    rows: list[Sequence[str]] = [
        [cell(r["route_id"]), cell(r["operator"]), cell(f"{gbp(r['price_gbp'])} per {r['per']}"),
         cell(gbp(r["contract_gbp_per_day"]), r["contract_gbp_per_day"]),
         cell(gbp(r["model_gbp_per_day"]), r["model_gbp_per_day"]),
         cell(gbp(r["difference_gbp_per_day"]), r["difference_gbp_per_day"])]
        for r in c["routes"]
    ]  # fmt: skip
    day, model = c["contract_cost_gbp_per_day"], c["model_cost_gbp_per_day"]
    rows.append(
        ["<th>All contracted routes</th>", cell(""), cell(""), cell(gbp(day), day),
         cell(gbp(model), model), cell(gbp(day - model), day - model)]
    )  # fmt: skip
    missing = len(c["routes_without_contract"])
    note = (
        f'<p class="note">Per year: {gbp(c["contract_cost_gbp_per_year"])} by contract, '
        f"{gbp(c['model_cost_gbp_per_year'])} by the model. {missing} current route"
        f"{'s' if missing != 1 else ''} without a contract.</p>"
    )
    return (
        "<h3>Contract prices of the current routes</h3>"
        + html_table(head, rows, numeric=(3, 4, 5))
        + note
    )


def measures_table(m: dict[str, Any]) -> str:
    """The measures councils use (``Summary.council_measures``), one row each."""

    def share(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}%"

    rows = [
        [cell(f"Vehicles, {session.upper()} session"), cell(str(n), n)]
        for session, n in m["vehicles_by_session"].items()
    ]
    occupancy = m["occupancy"]
    rows.append(
        [cell("Occupancy (riders over the places of each run's layout)"),
         cell(f"{share(occupancy)} ({m['riders']} of {m['places']})", occupancy)]
    )  # fmt: skip
    for minutes, value in m["share_riding_over_min"].items():
        rows.append([cell(f"Children riding over {minutes} minutes"), cell(share(value), value)])
    rows.append([cell("Solo runs (one rider)"), cell(str(m["solo_runs"]), m["solo_runs"])])
    per_child = m["route_cost_per_child_gbp_per_year"]
    rows.append(
        [cell("Route cost per child routed, per year"),
         cell("n/a" if per_child is None else gbp(per_child), per_child)]
    )  # fmt: skip
    return "<h3>Measures councils use</h3>" + html_table(["Measure", "Value"], rows, numeric=(1,))


def _vehicle_table(result: Result) -> str:
    """Routes, rides and cost per vehicle type, and their total; a day is every planned run."""
    factor = _year_factor(result)
    sessions = [p.session for p in result.transport]
    runs: dict[str, Counter[str]] = defaultdict(Counter)
    riders: Counter[str] = Counter()
    cost: defaultdict[str, float] = defaultdict(float)
    for plan in result.transport:
        for r in plan.routes:
            runs[r.vehicle_type][plan.session] += 1
            riders[r.vehicle_type] += len(r.stops)
            cost[r.vehicle_type] += r.cost_gbp
    head = ["Vehicle type", *(f"{x.upper()} routes" for x in sessions), "Rides a day",
            "Cost per day", "Cost per year"]  # fmt: skip
    types = sorted(runs)
    day = [cost[v] for v in types]
    year = [cost[v] * factor for v in types]
    rows = [
        [cell(v), *(cell(str(runs[v][x]), runs[v][x]) for x in sessions),
         cell(str(riders[v]), riders[v]), cell(gbp(d), cost[v]), cell(gbp(y), cost[v] * factor)]
        for v, d, y in zip(types, rounded_to_total(day), rounded_to_total(year), strict=True)
    ]  # fmt: skip
    totals = [sum(runs[v][x] for v in types) for x in sessions]
    rows.append(
        ["<th>All vehicles</th>", *(cell(str(t), t) for t in totals),
         cell(str(sum(riders.values())), sum(riders.values())),
         cell(gbp(round(sum(day))), sum(day)), cell(gbp(round(sum(year))), sum(year))]
    )  # fmt: skip
    n = len(sessions)
    return html_table(head, rows, numeric=tuple(range(1, n + 4)))


def charts(result: Result, numbers: dict[str, int]) -> str:
    """Journey-time distribution(s), school fill and cost by school type."""
    scenario, policy = result.scenario, result.scenario.policy
    out = []
    if result.transport:
        series = [
            (f"{p.session.upper()} ride", [s.ride_min for r in p.routes for s in r.stops])
            for p in result.transport
        ]
        limits = [("primary limit", policy.ride_limit_min_primary),
                  ("secondary limit", policy.ride_limit_min_secondary)]  # fmt: skip
        out.append(histogram("rides", "Ride on the route: children per 5 minutes", series,
                             limits=limits))  # fmt: skip
    if result.placement is not None:
        children = {c.child_id: c for c in scenario.children}
        direct = [a.travel_s / 60 for a in result.placement.assignments
                  if not children[a.child_id].residential_need]  # fmt: skip
        primary = any(is_primary(c.age) for c in scenario.children)
        limits = [("primary max", policy.max_travel_min_primary)] if primary else []
        limits.append(("secondary max", policy.max_travel_min_secondary))
        title = "Direct journey home to school (day pupils): children per 5 minutes"
        out.append(histogram("journeys", title, [("direct journey", direct)], limits=limits))
    used = Counter(school_of(result).values())
    ordered = sorted(scenario.schools, key=lambda s: numbers[s.school_id])
    # As a share of capacity, so a 6-place unit reads as clearly as a 366-place school.
    fill = [(f"{numbers[s.school_id]}. {s.name}",
             100.0 * used[s.school_id] / s.capacity if s.capacity else 0.0,
             f"{used[s.school_id]} of {s.capacity}") for s in ordered]  # fmt: skip
    title = "School fill: places used as a share of capacity (outline: full); over capacity in red"
    out.append(bar_chart("fill", title, fill, capacity=[100.0] * len(ordered), unit="%"))
    by_type = _fees_by(result, "type")
    if by_type:
        rows = [(g, v, gbp(v)) for g, (_, v) in by_type.items()]
        out.append(bar_chart("cost-type", "Placement fees per year by school type", rows,
                             unit="gbp"))  # fmt: skip
    if result.transport:
        factor = _year_factor(result)
        cost: defaultdict[str, float] = defaultdict(float)
        for plan in result.transport:
            for r in plan.routes:
                cost[r.vehicle_type] += r.cost_gbp * factor
        rows = [(v, c, gbp(c)) for v, c in sorted(cost.items())]
        out.append(bar_chart("cost-vehicle", "Transport cost per year by vehicle type", rows,
                             unit="gbp"))  # fmt: skip
    return f'<div class="charts">{"".join(out)}</div>'
