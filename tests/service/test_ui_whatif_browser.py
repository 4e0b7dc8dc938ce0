"""What-if from the page, in headless Chromium against the real app holding the Leicester
default placed once: a panel user locks a child at another school from the placements table,
runs the what-if, watches it (the test runs the queued job as a worker would) and reads the
deltas: figures base against what-if, and the moved children with the locked one among them.
Roles hold (no what-if for a transport key, no option toggles for a panel key; an admin gets
the shipped options); offline, no console errors, a screenshot in test-artifacts/."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_support import Api, finish_job, make_api
from ui_browser_support import ARTIFACTS, Browser, offline_page, serving, upload

from sendplan.api.defaults import leicester_scenario
from sendplan.api.service.db import migrate
from sendplan.api.service.job_kinds import read_outputs, run
from sendplan.api.service.runner import JobControl, JobStop
from sendplan.api.writer import write_scenario
from sendplan.routing.model import Scenario
from sendplan.routing.placement.candidates import cohort_admits


@dataclass
class Site:
    base: str
    api: Api
    folder: Path
    scenario: Scenario
    job: str


def _run_queued(site: Site, job: str) -> None:
    """Run a queued job here as a worker would (its stored params), and store its files."""
    params = site.api.client.get(f"/jobs/{job}", headers=site.api.headers()).json()["params"]
    out = site.folder / job
    out.mkdir()
    run(params["kind"], params, site.folder / "scenario", out, control=JobControl(timeout_s=600),
        stop=lambda n, control: JobStop(n, control))  # fmt: skip
    finish_job(site.api, job, files={n: (m, c) for n, m, c in read_outputs(out)})


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with tempfile.TemporaryDirectory(prefix="sendplan-ui-whatif-") as temp:
        folder = Path(temp)
        api = make_api(f"sqlite:///{folder / 'service.db'}")
        migrate(api.settings.database_url)
        scenario = leicester_scenario(seed=1)
        write_scenario(scenario, folder / "scenario")
        job = api.job(upload(api, folder / "scenario"), kind="placement", movers="all")
        try:
            with serving(api) as base:
                made_site = Site(base, api, folder, scenario, job)
                _run_queued(made_site, job)
                yield made_site
        finally:
            api.client.close()


@pytest.fixture
def browser(chromium: Any, site: Site) -> Iterator[Browser]:
    with offline_page(chromium, site.base) as page:
        yield page


def _sign_in(b: Browser, site: Site, role: str) -> None:
    b.page.goto(site.base + "/")
    b.page.get_by_label("API key").fill(site.api.key(role)[1])
    b.page.get_by_role("button", name="Sign in").click()
    b.page.wait_for_selector("#who:not([hidden])")
    b.page.wait_for_selector("body[data-ready=true]")


def _api(site: Site, path: str, role: str = "admin") -> Any:
    response = site.api.client.get(path, headers=site.api.headers(role))
    assert response.status_code == 200, (path, response.text)
    return response.json()


# The what-if's text, from the faintest (hints, notes) to the controls.
READ = [".whatif .hint", ".whatif .muted", ".whatif-part legend", ".whatif button.small",
        ".whatif button.primary", ".whatif-applied", ".whatif-moved td.num", ".whatif-notes li",
        ".whatif-kpis td.num"]  # fmt: skip
CONTRAST_JS = """(selectors) => {
  const rgb = (t) => (t.match(/[\\d.]+/g) || []).map(Number);
  const f = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  const clear = (n) => (rgb(getComputedStyle(n).backgroundColor)[3] ?? 1) === 0;
  const out = {};
  for (const sel of selectors) {
    const node = document.querySelector(sel);
    if (!node) { out[sel] = 0; continue; }
    let back = node;  // the nearest opaque background behind the text
    while (back && clear(back)) back = back.parentElement;
    const a = lum(rgb(getComputedStyle(node).color));
    const b = lum(back ? rgb(getComputedStyle(back).backgroundColor) : [255, 255, 255]);
    out[sel] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }
  return out; }"""


def _contrast(page: Any, selectors: list[str]) -> dict[str, float]:
    """Each selector's first element: its text colour's contrast with the background behind
    it (0 when the element is missing)."""
    return dict(page.evaluate(CONTRAST_JS, selectors))


def _lockable(site: Site) -> tuple[str, str, str]:
    """A placed child and another school whose rules admit them: (child, from, to)."""
    rows = _api(site, f"/jobs/{site.job}/placements")["rows"]
    children = {c.child_id: c for c in site.scenario.children}
    policy = site.scenario.policy
    for row in rows:
        if row["status"] != "placed":
            continue
        child = children[row["child_id"]]
        for school in site.scenario.schools:
            if (school.school_id != row["school_id"] and school.admits(child)
                    and cohort_admits(school, child, policy)
                    and school.open_on(site.scenario.as_of)):  # fmt: skip
                return child.child_id, row["school_id"], school.school_id
    raise AssertionError("no child could be locked elsewhere")


def test_lock_a_child_run_the_what_if_and_read_the_deltas(browser: Browser, site: Site) -> None:
    b = browser
    page = b.page
    _sign_in(b, site, "panel")
    child, before, after = _lockable(site)
    form = page.locator("form.whatif-form")
    form.wait_for()
    assert page.get_by_text("Expansion options").count() == 0  # a panel key runs no expansion
    # The child's row (filtered to their school, so it is on the table's first page).
    page.get_by_label("School", exact=True).select_option(before)
    row = page.locator(".detail tbody tr").filter(has_text=child).first
    row.get_by_role("button", name=f"Lock {child} at a school").click()
    assert page.get_by_label("Child", exact=True).input_value() == child
    assert page.evaluate("document.activeElement.id") == "whatif-lock-school"
    page.get_by_label("Lock at school").select_option(after)
    page.keyboard.press("Tab")  # keyboard: from the school list to "Add lock"
    page.keyboard.press("Enter")
    page.locator(".whatif-locks li").filter(has_text=f"{child} locked at").wait_for()
    page.locator(f"#whatif-admit-{after}").check()  # and that school must admit
    weight = page.get_by_label("Journey (£ a year per minute)")
    assert float(weight.input_value()) == site.scenario.policy.travel_gbp_per_min
    page.get_by_role("button", name="Run what-if").click()
    form.locator(".progress").filter(has_text="queued").wait_for()
    queued = _api(site, "/jobs?status=queued", "panel")["items"]
    assert len(queued) == 1
    params = queued[0]["params"]
    assert params["what_if"] == {"base_job": site.job, "must_admit": [after],
                                 "lock": [{"child_id": child, "school_id": after}]}  # fmt: skip
    assert params["movers"] == "all" and params["kind"] == "placement"  # the base job's settings
    _run_queued(site, queued[0]["id"])
    kpis = page.locator("table.whatif-kpis tbody tr")
    kpis.first.wait_for()
    deltas = _api(site, f"/jobs/{queued[0]['id']}/deltas", "panel")
    assert kpis.count() == len(deltas["kpis"]) > 0
    cost = next(k for k in deltas["kpis"] if k["key"] == "placement_cost_gbp_per_year")
    cells = page.locator("tr[data-kpi=placement_cost_gbp_per_year] td")
    assert cells.nth(0).inner_text() == f"£{cost['base']:,.0f}"
    assert cells.nth(1).inner_text() == f"£{cost['value']:,.0f}"
    moved = page.locator("table.whatif-moved tbody tr")
    assert moved.count() == len(deltas["changed_children"]) > 0
    locked = page.locator(f"table.whatif-moved tr[data-child='{child}'] td")
    names = {s.school_id: s.name for s in site.scenario.schools}
    assert [locked.nth(i).inner_text() for i in (1, 2)] == [names[before], names[after]]
    notes = page.locator(".whatif-notes li")
    assert notes.count() == len(deltas["must_admit_effects"]) == 1
    assert (
        notes.first.inner_text() == f"{names[after]}: {deltas['must_admit_effects'][after]['note']}"
    )
    assert "null" not in page.locator(".whatif-result").inner_text()
    applied = page.locator(".whatif-applied").inner_text()
    assert applied == f"Applied: 1 child locked · {names[after]} must admit"
    for selector, ratio in _contrast(page, READ).items():
        assert ratio >= 4.5, (selector, ratio)  # WCAG AA for text
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("section.whatif").screenshot(path=str(ARTIFACTS / "ui-whatif.png"))


def test_roles_hold_for_what_if(browser: Browser, site: Site) -> None:
    b = browser
    page = b.page
    _sign_in(b, site, "transport")  # no placement view, so no what-if on placements
    assert page.get_by_role("button", name="Run what-if").count() == 0
    assert page.get_by_role("button", name="Lock at…").count() == 0
    page.get_by_role("button", name="Sign out").click()
    _sign_in(b, site, "admin")  # admins may run expansion: the shipped options as toggles
    page.locator("form.whatif-form").wait_for()
    options = _api(site, f"/scenarios/{_api(site, f'/jobs/{site.job}')['scenario_id']}/what-if")
    assert len(options["options"]) > 0
    assert page.locator("input[data-option]").count() == len(options["options"])
    first = options["options"][0]["option_id"]
    page.locator(f"#whatif-opt-{first}").focus()
    page.keyboard.press("Space")
    assert page.locator(f"#whatif-opt-{first}").is_checked()


def test_a_lock_the_rules_refuse_is_named_on_the_page(browser: Browser, site: Site) -> None:
    b = browser
    page = b.page
    _sign_in(b, site, "panel")
    page.locator("form.whatif-form").wait_for()
    children = {c.child_id: c for c in site.scenario.children}
    child, school = next((c.child_id, s.school_id) for c in children.values()
                         for s in site.scenario.schools if not s.admits(c))  # fmt: skip
    page.get_by_label("Child", exact=True).select_option(child)
    page.get_by_label("Lock at school").select_option(school)
    page.get_by_role("button", name="Add lock").click()
    weight = page.get_by_label("Journey (£ a year per minute)")
    weight.fill("20000")  # above the limit: the page says so before sending anything
    page.get_by_role("button", name="Run what-if").click()
    progress = page.locator("form.whatif-form .progress.error")
    progress.filter(has_text="give a number 0–10000").wait_for()
    weight.fill("500")
    page.get_by_role("button", name="Run what-if").click()
    progress.filter(has_text="what_if.lock[0].school_id").wait_for()
    assert f"cannot lock {child} there" in progress.inner_text()
    assert _api(site, "/jobs?status=queued", "panel")["items"] == []  # nothing reached a worker
    b.errors[:] = [e for e in b.errors if "status of 422" not in e]  # the browser logs the 422
