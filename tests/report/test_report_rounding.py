"""One figure, one value (issue 18 review): the report's rows rounded to the pound add up to the
key figure shown for them (transport cost per day and per year, placement fees), and every
place that shows a key figure shows the same pounds, for random route costs."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendplan.api.report import render_report
from sendplan.api.report_costs import rounded_to_total
from sendplan.routing.result import Result
from sendplan.routing.summary import summarise_transport

AMOUNTS = st.floats(0, 2e6, allow_nan=False).map(lambda v: round(v, 2))


def headline(value: float) -> str:
    return f"£{value:,.0f}"


def pounds(text: str) -> int:
    return int(text.replace("£", "").replace(",", ""))


@given(st.lists(AMOUNTS, min_size=1, max_size=12), st.integers(1, 400))
def test_rounded_rows_add_up_to_the_headline(values: list[float], days: int) -> None:
    # the headline is the exact total (rounded to pennies, as summary.json keeps it) in pounds
    total = round(sum(values) * days, 2)
    shown = rounded_to_total([v * days for v in values], total=total)
    assert sum(shown) == pounds(headline(total))
    assert all(
        abs(s - v * days) < 1 + 1e-6 * abs(v * days) for s, v in zip(shown, values, strict=True)
    )


def rows_after(html: str, heading: str) -> list[list[str]]:
    start = html.index(heading)
    body = html[html.index("<tbody>", start) : html.index("</table>", start)]
    return [
        [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r)]
        for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body)
    ]


def kpi(html: str, label: str) -> str:
    found = re.search(rf"<tr><th>{label}</th><td>([^<]*)</td>", html)
    assert found, label
    return found.group(1)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_every_table_shows_the_key_figures_as_the_headline_does(
    results: dict[str, Result], data: st.DataObject
) -> None:
    base = results["routes"]
    plans = tuple(
        replace(p, routes=tuple(
            replace(r, cost_gbp=data.draw(AMOUNTS.map(lambda v: v / 37.0))) for r in p.routes))
        for p in base.transport
    )  # fmt: skip
    fields = summarise_transport(base.scenario, plans, checker_ok=True)
    result = replace(base, transport=plans, summary=replace(base.summary, **fields))
    html = render_report(result)
    day, year = kpi(html, "Transport cost per day"), kpi(html, "Transport cost per year")
    *body, total = rows_after(html, "<h3>Transport by vehicle type</h3>")
    assert (total[-2], total[-1]) == (day, year)
    assert sum(pounds(r[-2]) for r in body) == pounds(day)
    assert sum(pounds(r[-1]) for r in body) == pounds(year)
    items = {r[0]: r[1] for r in rows_after(html, "<h3>Placement fees and transport, per year")}
    assert items["Daily routes"] == year
