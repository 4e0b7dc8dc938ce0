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
from sendplan.routing.summary import council_measures

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


def rounded_to_total(values: Sequence[float], *, total: float | None = None) -> list[int]:
    """``values`` rounded to whole pounds so that they add up to ``total`` rounded (by default
    their own sum): the figure the report shows for them elsewhere, as a headline. ``values``
    are first scaled to ``total`` (they may differ from it by the pennies each was rounded
    to); then the largest remainders round up, so each is within a pound of its share."""
    exact = sum(values)
    if total is not None and exact:
        values = [v * total / exact for v in values]
    target = round(exact if total is None else total)
    floors = [math.floor(v) for v in values]
    # float noise in the scaling cannot push the count outside 0..len(values)
    short = min(max(target - sum(floors), 0), len(values))
    by_remainder = sorted(range(len(values)), key=lambda i: (floors[i] - values[i], i))
    up = set(by_remainder[:short])
    return [f + (1 if i in up else 0) for i, f in enumerate(floors)]


ROUNDING_NOTE = (
    '<p class="note">Figures are rounded to the pound, as the key figures are. Rows that break '
    "down a key figure add up to it (the largest remainders round up); the items of the "
    "placement fees and transport table are key figures themselves, each rounded alone, and "
    "its total is their sum as shown.</p>"
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
    # Each item shows the value the key figures show for it; the total adds up the rows shown.
    rows = [
        [cell(label), cell("n/a") if v is None else cell(gbp(round(v)), v), cell(what)]
        for label, v, what in parts
    ]
    rows.append(["<th>Total of the figures computed</th>", cell(gbp(sum(round(v) for v in known)),
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
            # the key figure "Placement cost per year" is these rows' total
            total = fees if fees is not None else sum(exact)
            pounds = rounded_to_total(exact, total=total)
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
        columns = [("This plan", s.council_measures)]
        if s.council_measures_evaluated:  # the current routes read by --evaluate
            columns.insert(0, ("Current routes", s.council_measures_evaluated))
        before = s.council_measures_status_quo
        if before is None and result.status_quo_transport:
            before = council_measures(result.scenario, result.status_quo_transport)
        if before is not None:
            # the status quo's routes, planned for the same sessions by the same planner
            columns.insert(0, ("Status quo", before))
        html.append(measures_table(columns))
    if s.contracts:
        html.append(contracts_table(s.contracts))
    return "".join(html) + ROUNDING_NOTE


def pence(value: float) -> str:
    """Pounds and pence, the sign first (-£29.24): contract sums are exact to the penny."""
    return f"{'-' if value < 0 else ''}£{abs(value):,.2f}"


def _price(r: dict[str, Any]) -> str:
    """A contract's price to the penny (£40.50 per session)."""
    return f"{pence(r['price_gbp'])} per {r['per']}"


def contracts_table(c: dict[str, Any]) -> str:
    """The current routes' contract prices beside the model's estimate, per route and in total;
    then the contracts left out of the totals, with why."""
    head = ["Route", "Operator", "Price", "Contract per day", "Model per day", "Difference"]
    rows: list[Sequence[str]] = [
        [cell(r["route_id"]), cell(r["operator"]), cell(_price(r)),
         cell(pence(r["contract_gbp_per_day"]), r["contract_gbp_per_day"]),
         cell(pence(r["model_gbp_per_day"]), r["model_gbp_per_day"]),
         cell(pence(r["difference_gbp_per_day"]), r["difference_gbp_per_day"])]
        for r in c["routes"]
    ]  # fmt: skip
    day, model = c["contract_cost_gbp_per_day"], c["model_cost_gbp_per_day"]
    rows.append(
        ["<th>All contracted routes</th>", cell(""), cell(""), cell(pence(day), day),
         cell(pence(model), model), cell(pence(day - model), day - model)]
    )  # fmt: skip
    why = {
        "not_in_force": f"not in force on {c['as_of']}",
        "no_such_route": "names no route of the current routes",
        "session_not_planned": "its route runs only in a session not planned",
        # --keep-contracted: a contracted route the re-plan could not keep
        "handed_back": "not kept: handed back by its operator",
        "ended": "not kept: every rider left it",
        "broke_a_rule": "not kept: it breaks a rule as it stands",
        "released": "not kept: the plan around it would break a rule",
    }
    for r in c.get("left_out", []):
        rows.append(
            [cell(r["route_id"]), cell(r["operator"]), cell(_price(r)),
             cell(f"left out: {why[r['reason']]}"), cell(""), cell("")]
        )  # fmt: skip
    missing = len(c["routes_without_contract"])
    kept = "routes_not_kept" in c  # --keep-contracted: this plan's routes, the kept ones priced
    whose = "routes of this plan (re-planned: to tender)" if kept else "current routes"
    note = (
        f'<p class="note">Per year: {gbp(c["contract_cost_gbp_per_year"])} by contract, '
        f"{gbp(c['model_cost_gbp_per_year'])} by the model. {missing} "
        f"{whose.replace('routes', 'route') if missing == 1 else whose} without a contract. "
        "A price per session counts once for each run the route makes in a day.</p>"
    )
    title = "the contracted routes kept" if kept else "the current routes"
    return f"<h3>Contract prices of {title}</h3>" + html_table(head, rows, numeric=(3, 4, 5)) + note


def measures_table(columns: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """The measures councils use (``Summary.council_measures``), one row each and one column per
    plan measured (the status quo first when it was, then this plan)."""

    def share(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}%"

    def occupancy(m: dict[str, Any]) -> float | None:
        # From the counts: the stored ratio is rounded to 4 places, and rounding it again to a
        # tenth of a percent can go the wrong way (1280 of 2030 is 63.054%, stored 0.6305).
        return m["riders"] / m["places"] if m["places"] else m["occupancy"]

    def row(label: str, shown: Sequence[tuple[str, float | None]]) -> list[str]:
        return [cell(label), *(cell(text, value) for text, value in shown)]

    every = [m for _, m in columns]
    sessions = dict.fromkeys(x for m in every for x in m["vehicles_by_session"])
    rows = []
    for x in sessions:
        counts = [m["vehicles_by_session"].get(x) for m in every]
        rows.append(row(f"Vehicles, {x.upper()} session",
                        [("n/a" if n is None else str(n), n) for n in counts]))  # fmt: skip
    rows.append(row(
        "Occupancy (riders over the places of each run's layout)",
        [(f"{share(occupancy(m))} ({m['riders']} of {m['places']})", occupancy(m))
         for m in every],
    ))  # fmt: skip
    for minutes in every[0]["share_riding_over_min"]:
        over = [m["share_riding_over_min"].get(minutes) for m in every]
        rows.append(row(f"Children riding over {minutes} minutes", [(share(v), v) for v in over]))
    rows.append(
        row("Solo runs (one rider)", [(str(m["solo_runs"]), m["solo_runs"]) for m in every])
    )
    per_child = [m["route_cost_per_child_gbp_per_year"] for m in every]
    rows.append(row("Route cost per child routed, per year", [(gbp(v), v) for v in per_child]))
    head = ["Measure", *(label for label, _ in columns)]
    return (
        "<h3>Measures councils use</h3>"
        + html_table(head, rows, numeric=tuple(range(1, len(head))))
        + MEASURES_NOTE
    )


MEASURES_NOTE = (
    '<p class="note">Solo runs: runs with one rider, for any reason; the key figures\' solo '
    "routes are the runs flagged solo by a rule (a child who must travel alone, or whose direct "
    "journey is already over their limit). Route cost per child routed: the routes' yearly cost "
    "over the children on them; the summary's cost per transported child adds personal "
    "transport budgets and boarders' journeys, over the children they serve too.</p>"
)


def _vehicle_table(result: Result) -> str:
    """Routes, rides and cost per vehicle type, and their total: the key figures' transport cost
    per day and per year (with one session planned, a day is its run twice)."""
    s = result.summary
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
    runs_cost = sum(cost.values())
    day_total = s.transport_cost_gbp_per_day if s.transport_cost_gbp_per_day else runs_cost
    year_total = s.transport_cost_gbp_per_year or day_total * _year_factor(result)
    # each type's share of the key figures, so the rows add up to them as shown
    day = [cost[v] * day_total / (runs_cost or 1.0) for v in types]
    year = [cost[v] * year_total / (runs_cost or 1.0) for v in types]
    rows = [
        [cell(v), *(cell(str(runs[v][x]), runs[v][x]) for x in sessions),
         cell(str(riders[v]), riders[v]), cell(gbp(d), d_exact), cell(gbp(y), y_exact)]
        for v, d, y, d_exact, y_exact in zip(
            types, rounded_to_total(day, total=day_total),
            rounded_to_total(year, total=year_total), day, year, strict=True)
    ]  # fmt: skip
    totals = [sum(runs[v][x] for v in types) for x in sessions]
    rows.append(
        ["<th>All vehicles</th>", *(cell(str(t), t) for t in totals),
         cell(str(sum(riders.values())), sum(riders.values())),
         cell(gbp(day_total), day_total), cell(gbp(year_total), year_total)]
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
