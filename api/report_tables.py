"""The report's tables: schools, routes per session (sortable) and each route's stops with every
child's ride against their limit. Children appear by pseudonymous id only; every text from the
inputs (school names, LA codes) is escaped here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from html import escape

from sendplan.routing.model import Scenario
from sendplan.routing.result import Result
from sendplan.routing.transport.plan import Route, TransportPlan

SESSION_NAMES = {"am": "Morning (AM)", "pm": "Afternoon (PM)"}
# A ride is over its limit only past the hundredth of a minute the outputs are written to.
OVER_TOLERANCE_MIN = 0.005


def cell(text: str, value: float | None = None) -> str:
    """A table cell of escaped text; a number right-aligned and sortable by ``value``."""
    if value is None:
        return f"<td>{escape(text)}</td>"
    return f'<td class="num" data-v="{value:.4f}">{escape(text)}</td>'


def html_table(
    head: Sequence[str],
    rows: Sequence[Sequence[str] | tuple[str, Sequence[str]]],
    *,
    sortable: bool = False,
    cls: str = "",
    numeric: Sequence[int] = (),
) -> str:
    """A table of already-built cells. A row given as ``(attributes, cells)`` carries those
    attributes on its ``<tr>``; ``numeric`` columns' headers are right-aligned."""
    classes = " ".join(c for c in (cls, "sortable" if sortable else "") if c)
    attr = f' class="{classes}"' if classes else ""
    ths = "".join(
        f'<th{" class=num" if i in numeric else ""} scope="col">{escape(h)}</th>'
        for i, h in enumerate(head)
    )
    body = []
    for row in rows:
        extra, cells = (row[0], row[1]) if isinstance(row, tuple) else ("", row)
        body.append(f"<tr{extra}>{''.join(cells)}</tr>")
    return f"<table{attr}><thead><tr>{ths}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def clock(minutes: float) -> str:
    """Minutes after midnight as ``HH:MM``."""
    m = round(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


def gbp(value: float | None) -> str:
    return "n/a" if value is None else f"£{value:,.0f}"


def school_of(result: Result) -> dict[str, str]:
    """Each placed child's school: the plan's, or the current school when none was solved."""
    if result.placement is not None:
        return {a.child_id: a.school_id for a in result.placement.assignments}
    return {
        c.child_id: c.current_school
        for c in result.scenario.children
        if c.current_school is not None
    }


def school_table(result: Result, numbers: dict[str, int]) -> str:
    """Per school: map number, LA, type, area, ages, needs, capacity, places used and cost."""
    scenario = result.scenario
    at = school_of(result)
    placed = Counter(at.values())
    home_la = {c.child_id: c.home_la for c in scenario.children}
    school_la = {s.school_id: s.la_code for s in scenario.schools}
    same_la = Counter(s for c, s in at.items() if home_la[c] == school_la[s])
    cost = Counter[str]()
    if result.placement is not None:
        for a in result.placement.assignments:
            cost[a.school_id] += round(a.annual_cost_gbp)
    head = ["No.", "School", "LA", "Type", "Area", "Ages", "Needs", "Capacity", "Placed", "Use",
            "From same LA", "From other LAs", "Fees per year"]  # fmt: skip
    rows: list[tuple[str, Sequence[str]]] = []
    for s in sorted(scenario.schools, key=lambda s: numbers[s.school_id]):
        n = placed[s.school_id]
        use = n / s.capacity if s.capacity else None
        fees = gbp(cost[s.school_id]) if result.placement is not None else "n/a"
        rows.append(
            (
                ' class="full"' if s.capacity and n >= s.capacity else "",
                [
                    cell(str(numbers[s.school_id]), numbers[s.school_id]),
                    cell(s.name), cell(s.la_code), cell(s.type.replace("_", " ")),
                    cell("in area" if s.in_area else "out of area"),
                    cell(f"{s.age_low}-{s.age_high}", s.age_low),
                    cell(" ".join(sorted(s.designations))),
                    cell(str(s.capacity), s.capacity), cell(str(n), n),
                    cell("n/a" if use is None else f"{100 * use:.0f}%", use),
                    cell(str(same_la[s.school_id]), same_la[s.school_id]),
                    cell(str(n - same_la[s.school_id]), n - same_la[s.school_id]),
                    cell(fees, cost[s.school_id]),
                ],
            )
        )  # fmt: skip
    note = (
        '<p class="note">Placed: children placed there by this plan; shaded rows are full. '
        "Click a heading to sort.</p>"
        if result.placement is not None
        else '<p class="note">Placed: children at their current school (no placement was '
        "solved: fees not computed). Shaded rows are full. Click a heading to sort.</p>"
    )
    numeric = (0, 5, 7, 8, 9, 10, 11, 12)
    return note + html_table(head, rows, sortable=True, cls="schools-table", numeric=numeric)


def _school_names(route: Route, scenario: Scenario, numbers: dict[str, int]) -> str:
    names = {s.school_id: s.name for s in scenario.schools}
    ids = list(dict.fromkeys(c.school_id for c in route.school_calls))
    return " + ".join(f"{names[i]} ({numbers[i]})" for i in ids)


def _stop_count(route: Route, scenario: Scenario) -> int:
    """Distinct homes visited (siblings share one stop)."""
    homes = {c.child_id: (c.lon, c.lat) for c in scenario.children}
    return len({homes[s.child_id] for s in route.stops})


def vehicle_text(route: Route) -> str:
    """The route's vehicle type with its layout (seats + wheelchair spaces) when stated."""
    return f"{route.vehicle_type} ({route.layout})" if route.layout else route.vehicle_type


def _notes(route: Route) -> str:
    notes = ["assistant"] if route.assistant else []
    notes += ["mixed schools"] if route.mixed else []
    notes += [f"solo: {f.replace('_', ' ')}" for f in route.flags] or (
        ["solo"] if route.solo else []
    )
    return "; ".join(notes)


def route_table(plan: TransportPlan, scenario: Scenario, numbers: dict[str, int]) -> str:
    """One session's routes, sortable; hovering a row highlights its route on the map."""
    am = plan.session == "am"
    first, second = ("First pick-up", "Arrival at school") if am else (
        "Departure from school", "Last drop-off")  # fmt: skip
    head = ["Route", "Vehicle", "School(s) (map no.)", "Stops", "Riders", first, second,
            "Longest ride (min)", "Distance (km)", "Cost per run", "Notes"]  # fmt: skip
    rows: list[tuple[str, Sequence[str]]] = []
    for r in sorted(plan.routes, key=lambda r: r.route_id):
        calls = r.school_calls
        if am:
            t1, t2 = (r.stops[0].time_min if r.stops else r.start_min), calls[-1].time_min
        else:
            t1, t2 = calls[0].time_min, max((s.time_min for s in r.stops), default=r.end_min)
        stops = _stop_count(r, scenario)
        rows.append(
            (
                f' data-route="{escape(r.route_id)}"',
                [
                    cell(r.route_id), cell(vehicle_text(r)),
                    cell(_school_names(r, scenario, numbers)),
                    cell(str(stops), stops), cell(str(len(r.stops)), len(r.stops)),
                    cell(clock(t1), t1), cell(clock(t2), t2),
                    cell(f"{r.longest_ride_min:.1f}", r.longest_ride_min),
                    cell(f"{r.distance_m / 1000:.1f}", r.distance_m),
                    cell(gbp(r.cost_gbp), r.cost_gbp), cell(_notes(r)),
                ],
            )
        )  # fmt: skip
    table = html_table(head, rows, sortable=True, cls=f"routes-table {plan.session}",
                       numeric=(3, 4, 5, 6, 7, 8, 9))  # fmt: skip
    return f'<div class="scroll">{table}</div>'


def route_blocks(result: Result, numbers: dict[str, int]) -> str:
    """Every route's stops in driving order with each child's ride against their limit, one
    block per route (printable one per page)."""
    scenario = result.scenario
    children = {c.child_id: c for c in scenario.children}
    names = {s.school_id: s.name for s in scenario.schools}
    blocks = []
    for plan in result.transport:
        verb = "Pick-up" if plan.session == "am" else "Drop-off"
        for r in sorted(plan.routes, key=lambda r: r.route_id):
            school_at = {cid: c.school_id for c in r.school_calls for cid in c.child_ids}
            rows = []
            for k, s in enumerate(r.stops, start=1):
                limit = scenario.policy.ride_limit_min(children[s.child_id])
                over = s.ride_min > limit + OVER_TOLERANCE_MIN
                tag = '<span class="tag over">OVER</span>' if over else (
                    '<span class="tag within">within</span>')  # fmt: skip
                sid = school_at.get(s.child_id, r.school_id)
                rows.append(
                    (' class="over"' if over else "",
                     [cell(str(k), k), cell(s.child_id), cell(f"{names[sid]} ({numbers[sid]})"),
                      cell(clock(s.time_min), s.time_min), cell(f"{s.ride_min:.1f}", s.ride_min),
                      cell(f"{limit:.0f}", limit), f"<td>{tag}</td>"])
                )  # fmt: skip
            calls = "; ".join(
                f"{'arrives at' if plan.session == 'am' else 'leaves'} "
                f"{escape(names[c.school_id])} at {clock(c.time_min)}"
                for c in r.school_calls
            )
            head = ["Stop", "Child (id)", "School (map no.)", verb, "Ride (min)", "Limit (min)",
                    "Ride vs limit"]  # fmt: skip
            blocks.append(
                f'<section class="route-block" data-route="{escape(r.route_id)}">'
                f"<h4>{escape(SESSION_NAMES[plan.session])} route {escape(r.route_id)}: "
                f"{escape(vehicle_text(r))}, {len(r.stops)} rider{'s' if len(r.stops) > 1 else ''}"
                "</h4>"
                f'<p class="note">Leaves the depot at {clock(r.start_min)}, {calls}, back at '
                f"{clock(r.end_min)}; {r.distance_m / 1000:.1f} km; {gbp(r.cost_gbp)} for this "
                "run.</p>"
                f"{html_table(head, rows, numeric=(0, 3, 4, 5))}</section>"
            )
    return "".join(blocks)
