"""The report's lists by pseudonymous id: children without a place (and why), first preferences
not met (the feasible ones with the objective's deciding term), rides over the limit and
children on no route."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from sendplan.api.report_tables import OVER_TOLERANCE_MIN, cell, gbp, html_table
from sendplan.routing.result import Result
from sendplan.routing.summary import Summary

TERM_NAMES = {"fee": "school fee", "travel": "travel time", "preference": "preference",
              "out_of_area": "out-of-area premium"}  # fmt: skip


def unplaced_list(result: Result) -> str:
    """Each child without a place, with the binding reason and its detail."""
    if result.placement is None:
        return "<p>No placement was solved: every child kept their current school.</p>"
    if not result.placement.unplaced:
        return "<p>Every child has a place.</p>"
    summary = result.summary
    counts = html_table(
        ["Reason", "Children"],
        [[f"<td><code>{escape(r)}</code></td>", cell(str(n), n)]
         for r, n in (summary.unplaced_by_reason or {}).items()],
        numeric=(1,),
    )  # fmt: skip
    rows = [
        [cell(u.child_id), f"<td><code>{escape(str(u.reason))}</code></td>", cell(u.detail)]
        for u in sorted(result.placement.unplaced, key=lambda u: u.child_id)
    ]
    table = html_table(["Child (id)", "Reason", "Detail"], rows, sortable=True)
    return counts + f'<div class="scroll">{table}</div>'


def _terms_text(terms: Sequence[tuple[str, float]]) -> str:
    return "; ".join(f"{TERM_NAMES.get(t, t)} {v:+,.0f}" for t, v in terms)


def preference_section(result: Result) -> str:
    """First preferences not met, by status; then each feasible one with what decided it."""
    summary: Summary = result.summary
    if result.placement is None:
        return "<p>No placement was solved, so no preference was weighed.</p>"
    if not summary.first_preference_not_met_by_status:
        return "<p>Every first preference stated was met (or none was stated).</p>"
    by_status = html_table(
        ["Status", "Children"],
        [[f"<td><code>{escape(s)}</code></td>", cell(str(n), n)]
         for s, n in summary.first_preference_not_met_by_status.items()],
        numeric=(1,),
    )  # fmt: skip
    extra = summary.first_preference_feasible_extra_gbp_per_year
    feasible = summary.first_preference_not_met_by_status.get("feasible", 0)
    note = (
        '<p class="note">There are no <code>feasible</code> first preferences left unmet (a place '
        "free and every rule met): each one not met was ruled out for the reason counted above, "
        "so there is no extra cost to weigh.</p>"
        if not feasible
        else f'<p class="note">Honouring every <code>feasible</code> first preference (a place was '
        f"free and every rule met) would cost £{extra:,.0f} a year more in fees and estimated "
        "transport (placements.csv gives each child's figure; explanations.json the detail). "
        "This is the figure a panel weighs under the Children and Families Act 2014 s39.</p>"
        if extra is not None
        else ""
    )
    names = {s.school_id: s.name for s in result.scenario.schools}
    rows = []
    for e in sorted(result.explanations, key=lambda e: e.child_id):
        pref = e.first_preference
        if pref is None or pref.status != "feasible":
            continue
        terms = [t for t in pref.deciding_terms_gbp if t[1] > 0] or list(pref.deciding_terms_gbp)
        deciding = _terms_text(terms[:1]) if terms else ""
        given = names[e.school_id] if e.school_id is not None else "no place"
        rows.append(
            [cell(e.child_id), cell(names[pref.school_id]), cell(given),
             cell(gbp(pref.extra_total_gbp), pref.extra_total_gbp), cell(deciding),
             cell(_terms_text(pref.deciding_terms_gbp))]
        )  # fmt: skip
    listed = (
        '<h3>Feasible first preferences not met</h3><p class="note">Deciding term: the largest of '
        "the objective's terms (GBP a year, first preference minus the school given) that counted "
        "against the first preference.</p>"
        + '<div class="scroll">'
        + html_table(
            [
                "Child (id)",
                "First preference",
                "School given",
                "Extra per year",
                "Deciding term",
                "All terms (GBP a year)",
            ],
            rows,
            sortable=True,
            numeric=(3,),
        )
        + "</div>"
        if rows
        else ""
    )
    return by_status + note + listed


def over_limit_list(result: Result) -> str:
    """Children whose ride is over their limit (solo runs whose direct journey is over it)."""
    if not result.transport:
        return "<p>No routes were planned.</p>"
    children = {c.child_id: c for c in result.scenario.children}
    names = {s.school_id: s.name for s in result.scenario.schools}
    rows = []
    for plan in result.transport:
        for r in sorted(plan.routes, key=lambda r: r.route_id):
            school_at = {cid: c.school_id for c in r.school_calls for cid in c.child_ids}
            for s in r.stops:
                limit = result.scenario.policy.ride_limit_min(children[s.child_id])
                if s.ride_min > limit + OVER_TOLERANCE_MIN:
                    rows.append(
                        [cell(s.child_id), cell(plan.session.upper()), cell(r.route_id),
                         cell(names[school_at.get(s.child_id, r.school_id)]),
                         cell(f"{s.ride_min:.1f}", s.ride_min), cell(f"{limit:.0f}", limit),
                         cell(f"{s.ride_min - limit:+.1f}", s.ride_min - limit),
                         cell("solo" if r.solo else "shared")]
                    )  # fmt: skip
    if not rows:
        return "<p>Every child's ride is within their limit.</p>"
    rows.sort(key=lambda row: row[0])
    note = (
        '<p class="note">The planner puts a child on a solo run when even the direct journey is '
        "over their limit (route flag <code>direct_ride_over_limit</code>); a person reviews each "
        "ride listed here.</p>"
    )
    head = ["Child (id)", "Session", "Route", "School", "Ride (min)", "Limit (min)", "Over by",
            "Run"]  # fmt: skip
    return note + html_table(head, rows, sortable=True, numeric=(4, 5, 6))


def unrouted_list(result: Result) -> str:
    """Transport-eligible children on no route, per session, with the reason."""
    rows = [
        [cell(u.child_id), cell(plan.session.upper()), f"<td><code>{escape(str(u.reason))}</code>"
         "</td>", cell(u.detail)]
        for plan in result.transport
        for u in sorted(plan.unrouted, key=lambda u: u.child_id)
    ]  # fmt: skip
    if not rows:
        return "<p>Every transport-eligible child with a place is on a route.</p>" if (
            result.transport) else ""  # fmt: skip
    table = html_table(["Child (id)", "Session", "Reason", "Detail"], rows, sortable=True)
    return f'<div class="scroll">{table}</div>'
