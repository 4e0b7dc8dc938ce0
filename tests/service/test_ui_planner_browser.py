"""Planning jobs from the planner view in headless Chromium (issue 16): an expansion job (years,
budget) and a sweep job (a small grid) started from the page, watched to the end (the test runs
each queued job in this process as a worker would), then shown: the options chosen or not with
their marginal value, and the variants' scatter with the Pareto front. Only roles that may start
them see the forms; a bad grid is refused on the page; every control is reached with the Tab
key with a visible focus; text contrast at least 4.5:1; offline, no console errors."""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import make_api
from ui_browser_support import (
    Browser,
    Site,
    api_get,
    contrast_ratios,
    expect,
    offline_page,
    run_job,
    serving,
    shot,
    sign_in,
    tab_through,
    upload,
)

from sendplan.api.defaults import leicester_scenario
from sendplan.api.service.db import migrate
from sendplan.api.writer import write_scenario

KEY_TEXT = [
    "#view-planner h2", "#view-planner h3", "summary", "label", ".hint", "button.primary",
    ".progress", "caption", "thead th", "tbody td", "tr.chosen td", ".chart text",
    ".chart .axis-label", ".muted",
]  # fmt: skip


@dataclasses.dataclass
class Planning:
    site: Site
    source: Path
    work: Path


@pytest.fixture(scope="module")
def planning() -> Iterator[Planning]:
    with tempfile.TemporaryDirectory(prefix="sendplan-ui-planner-") as temp:
        folder = Path(temp)
        db_url = f"sqlite:///{folder / 'service.db'}"
        migrate(db_url)
        api = make_api(db_url)
        write_scenario(leicester_scenario(seed=1), folder / "scenario")
        scenario_id = upload(api, folder / "scenario")
        try:
            with serving(api) as base:
                site = Site(base=base, api=api, scenario=scenario_id)
                yield Planning(site, folder / "scenario", folder)
        finally:
            api.client.close()


def _queued(site: Site) -> list[dict[str, Any]]:
    jobs = site.api.client.get("/jobs?status=queued", headers=site.api.headers("planner"))
    return list(jobs.json()["items"])


def _work_the_queue(p: Planning, b: Browser, kind: str) -> str:
    """Wait for the page's job to be queued, run it as a worker would; its id."""
    b.page.locator(f"#{kind}-job-form .progress").filter(has_text="queued").wait_for()
    queued = _queued(p.site)
    assert [job["kind"] for job in queued] == [kind]
    job = queued[0]
    run_job(p.site.api, job["id"], kind, job["params"], p.source, p.work)
    return str(job["id"])


def test_planner_starts_expansion_and_sweep_and_shows_them(
    chromium: Any, planning: Planning
) -> None:
    p = planning
    site = p.site
    with offline_page(chromium, site.base) as b:
        sign_in(b, site, "planner", "#planner")
        page = b.page
        expect(page.get_by_text("No finished expansion jobs yet.")).to_be_visible()
        # Expansion: years and a budget, watched to the end, then its options shown.
        page.get_by_text("Run an expansion").click()
        page.get_by_label("Years").fill("2026-2027")
        page.get_by_label("Capital budget (£)").fill("5000000")
        page.get_by_label("Demand growth").select_option("forecast-high")
        page.get_by_role("button", name="Start expansion").click()
        job = _work_the_queue(p, b, "expansion")
        params = api_get(site, f"/jobs/{job}", "planner")["params"]
        assert params["years"] == "2026-2027" and params["budget_gbp"] == 5_000_000
        assert params["growth"] == "forecast-high"
        expect(page.locator("#planner-expansion")).to_have_value(job)
        expansion = api_get(site, f"/jobs/{job}/files/expansion.json", "planner")
        assert expansion["growth_rule"] == "forecast-high"
        factors = ", ".join(f"{y} ×{f:.3f}" for y, f in expansion["growth"].items())
        expect(page.locator("p.growth")).to_have_text(f"Demand growth: forecast-high ({factors}).")
        rows = page.locator("section[aria-label='Expansion options'] tbody tr")
        expect(rows).to_have_count(len(expansion["options"]))
        chosen = page.locator("section[aria-label='Expansion options'] tbody tr.chosen")
        assert chosen.count() == len(expansion["chosen"])
        assert 0 < len(expansion["chosen"]) < len(expansion["options"])  # the budget binds
        marginal = expansion.get("marginal_gbp") or {}
        shown = rows.locator("td:last-child").all_inner_texts()
        assert sum(1 for text in shown if text.startswith("£") or text.startswith("-£")) == sum(
            1 for v in marginal.values() if v is not None
        )
        # Sweep: a bad grid is refused on the page, nothing is queued.
        page.get_by_text("Run a sweep").click()
        page.get_by_label("Growth factors").fill("1.0, lots")
        page.get_by_role("button", name="Start sweep").click()
        expect(page.locator("#sweep-job-form .progress")).to_contain_text("positive numbers")
        assert _queued(site) == []
        page.get_by_label("Growth factors").fill("1.0, 1.08")
        page.get_by_label("Seeds").fill("1, 2")
        page.get_by_role("button", name="Start sweep").click()
        job = _work_the_queue(p, b, "sweep")
        grid = api_get(site, f"/jobs/{job}", "planner")["params"]["grid"]
        assert grid == {"growth": [1.0, 1.08], "seeds": [1, 2], "movers": ["phase_transfer"],
                        "routes": False}  # fmt: skip
        expect(page.locator("#planner-sweep")).to_have_value(job)
        sweep = api_get(site, f"/jobs/{job}/files/sweep.json", "planner")
        scatter = page.locator("section[aria-label^='Sweep'] svg.chart")
        expect(scatter.locator("circle.point")).to_have_count(len(sweep["rows"]))
        assert len(sweep["rows"]) == 4
        assert scatter.locator("circle.point.pareto").count() == len(sweep["pareto"])
        assert scatter.locator("path.front").count() == (1 if len(sweep["pareto"]) > 1 else 0)
        # The other view of the front: cost against children placed in the city; and the
        # points one by one from the keyboard, cheapest first.
        page.get_by_label("Against", exact=True).select_option("local")
        expect(scatter).to_have_attribute("aria-label", re.compile("children placed in the city"))
        scatter.focus()
        page.keyboard.press("ArrowRight")
        cheapest = min(
            sweep["rows"], key=lambda r: (r["placement_cost_gbp_per_year"], r["placed_in_city"])
        )
        expect(page.locator(".readout")).to_contain_text(f"{cheapest['variant']}: ")
        expect(scatter.locator("circle.point.current")).to_have_count(1)
        shot(b, "planner-jobs")
        ratios = contrast_ratios(page, KEY_TEXT)
        low = {sel: ratio for sel, ratio in ratios.items() if ratio is None or ratio < 4.5}
        assert low == {}, low
        # Keyboard: every button, field and disclosure is reached with Tab, focus visible.
        page.locator("#view-planner details").evaluate_all(
            "(nodes) => nodes.forEach((n) => { n.open = true; })"
        )
        missed, unmarked = tab_through(b)
        assert missed == set() and unmarked == [], (missed, unmarked)


@pytest.mark.parametrize("role", ["panel", "transport"])
def test_roles_that_may_not_plan_see_no_planning_jobs(
    chromium: Any, planning: Planning, role: str
) -> None:
    site = planning.site
    with offline_page(chromium, site.base) as b:
        sign_in(b, site, role, "#planner")
        page = b.page
        assert page.locator("#view-planner").is_hidden()
        for name in ("Start expansion", "Start sweep"):
            assert page.get_by_role("button", name=name).count() == 0
        assert page.locator("#expansion-job-form, #sweep-job-form").count() == 0
