"""The new-user review's fixes in headless Chromium against the real app holding a small
synthetic scenario (three children, four schools) placed once and routed once (AM only):
signing out (or a 401) empties every view; offline, no console errors."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_support import OTHER_TENANT, finish_job, make_api, scenario_files
from scenario_files import SCHOOLS_CSV
from sqlalchemy import update
from ui_browser_support import (
    Browser,
    Site,
    api_get,
    expect,
    offline_page,
    ready,
    run_job,
    serving,
    sign_in,
    solve,
)

from sendplan.api.service.db import migrate
from sendplan.api.service.job_rows import progress_text
from sendplan.api.service.tables import JobRow

# A second school for C001's need: further and dearer than 120001, so a lock there moves them.
SECOND = (
    "140004,Second Ash,-1.2500,52.6000,856,la_maintained,4,19,mixed,PD;PMLD;SLD,10,,60000,,,true"
)
# One place for both PMLD and ASD, out of the way: two children locked there are one too many.
TINY = "140005,Tiny Ash,-1.3000,52.5000,856,la_maintained,4,19,mixed,PMLD;ASD,1,,90000,,,true"
CHILDREN = ("C001", "C002", "C003")
# The newest job: a what-if (C001 locked at Second Ash, a dearer journey minute).
BASE_WHAT_IF = {"lock": [{"child_id": "C001", "school_id": "140004"}],
                "policy": {"travel_gbp_per_min": 500}}  # fmt: skip


@dataclass
class Review(Site):
    source: Path = Path()
    work: Path = Path()


@pytest.fixture(scope="module")
def site() -> Iterator[Review]:
    with tempfile.TemporaryDirectory(prefix="sendplan-ui-review-") as temp:
        folder = Path(temp)
        db_url = f"sqlite:///{folder / 'service.db'}"
        migrate(db_url)
        api = make_api(db_url)
        files = scenario_files()
        files["schools.csv"] = SCHOOLS_CSV + SECOND + "\n" + TINY + "\n"
        source = folder / "scenario"
        source.mkdir()
        for name, text in files.items():
            (source / name).write_text(text, encoding="utf-8")
        scenario = api.upload(files=files)
        work = folder / "work"
        work.mkdir()
        jobs = {
            "placement": solve(api, scenario, source, work, "placement", iterations=5),
            "both": solve(api, scenario, source, work, "both", iterations=5, sessions=["am"]),
        }
        what_if = {**BASE_WHAT_IF, "base_job": jobs["placement"]}
        jobs["what-if"] = solve(api, scenario, source, work, "placement", iterations=5,
                                what_if=what_if)  # fmt: skip
        with serving(api) as base:
            yield Review(base, api, jobs, scenario, source=source, work=work)
        api.client.close()


@pytest.fixture
def browser(chromium: Any, site: Site) -> Iterator[Browser]:
    with offline_page(chromium, site.base) as b:
        yield b


def _views_empty(b: Browser) -> None:
    for view in ("panel", "transport", "planner"):
        expect(b.page.locator(f"#view-{view} > *")).to_have_count(0)
    text = b.page.locator("body").inner_text()
    for child in CHILDREN:
        assert child not in text


def test_signing_out_empties_every_view(browser: Browser, site: Site) -> None:
    page = browser.page
    sign_in(browser, site, "admin", "#transport")
    expect(page.locator("#view-transport")).to_contain_text("Routes")
    page.locator("#nav .tab[data-view=panel]").click()
    ready(browser)
    expect(page.locator("#view-panel table")).not_to_have_count(0)
    expect(page.locator("#view-panel")).to_contain_text("C001")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#sign-in")).to_be_visible()
    _views_empty(browser)
    # The next key to sign in starts from an empty page too.
    sign_in(browser, site, "planner", "#planner")
    expect(page.locator("#view-panel > *")).to_have_count(0)
    expect(page.locator("#view-transport > *")).to_have_count(0)


def test_a_401_signs_out_and_empties_every_view(browser: Browser, site: Site) -> None:
    page = browser.page
    key_id, _ = site.api.key("panel")
    sign_in(browser, site, "panel", "#panel")
    expect(page.locator("#view-panel")).to_contain_text("C001")
    revoked = site.api.client.delete(f"/keys/{key_id}", headers=site.api.headers())
    assert revoked.status_code == 204, revoked.text
    del site.api.keys[(next(k for k, v in site.api.keys.items() if v[0] == key_id))]
    page.locator("#panel-need").select_option(index=0)  # no request: still signed in
    # A click asks for a summary: 401. Not check(): that waits to see the box ticked, and the
    # sign-out may empty the view first (CI once timed out there).
    page.locator(".jobs input[type=checkbox]").nth(1).click()
    expect(page.locator("#sign-in-error")).to_contain_text("no longer valid")
    _views_empty(browser)
    # Chromium logs the refused request itself; nothing else may be logged.
    assert all("401" in e for e in browser.errors), browser.errors
    browser.errors.clear()


def test_a_what_if_on_a_what_if_starts_from_its_changes(browser: Browser, site: Review) -> None:
    page = browser.page
    base = site.jobs["what-if"]
    sign_in(browser, site, "panel", "#panel")
    label = page.locator(f"label[for=pick-{base}]").inner_text()
    assert (
        "placement what-if" in label
        and "placement what-if"
        not in page.locator(f"label[for=pick-{site.jobs['placement']}]").inner_text()
    )
    form = page.locator("form.whatif-form")
    form.wait_for()
    expect(page.locator(".whatif-inherited")).to_contain_text("itself a what-if")
    locks = page.locator(".whatif-locks li")
    expect(locks).to_have_text(["C001 locked at Second Ash (from the base what-if) Remove"])
    assert page.get_by_label("Journey (£ a year per minute)").input_value() == "500"
    # A new lock on the same child replaces the base's; one on another child is added.
    page.get_by_label("Child", exact=True).select_option("C001")
    page.get_by_label("Lock at school").select_option("120001")
    page.get_by_role("button", name="Add lock").click()
    page.get_by_label("Child", exact=True).select_option("C003")
    page.get_by_label("Lock at school").select_option("130003")
    page.get_by_role("button", name="Add lock").click()
    expect(locks).to_have_text(["C001 locked at Ash Field Academy Remove",
                                "C003 locked at Far Away School Remove"])  # fmt: skip
    page.locator("#whatif-admit-120001").check()
    page.get_by_role("button", name="Run what-if").click()
    form.locator(".progress").filter(has_text="queued").wait_for()
    queued = api_get(site, "/jobs?status=queued", "panel")["items"]
    assert len(queued) == 1
    params = queued[0]["params"]
    assert params["what_if"] == {
        "base_job": base, "must_admit": ["120001"], "policy": {"travel_gbp_per_min": 500},
        "lock": [{"child_id": "C001", "school_id": "120001"},
                 {"child_id": "C003", "school_id": "130003"}],
    }  # fmt: skip
    run_job(site.api, queued[0]["id"], "placement", params, site.source, site.work)
    page.locator("table.whatif-kpis").wait_for()
    applied = api_get(site, f"/jobs/{queued[0]['id']}/files/what_if.json")
    assert [lock["child_id"] for lock in applied["lock"]] == ["C001", "C003"]
    assert applied["policy"]["travel_gbp_per_min"]["to"] == 500
    assert applied["must_admit"] == ["120001"]


def _cost_cells(page: Any) -> list[str]:
    return page.locator("table.kpis td[data-kpi=placement_cost_gbp_per_year]").all_inner_texts()


def test_the_compare_baseline_and_the_placements_shown_are_chosen(
    browser: Browser, site: Review
) -> None:
    page = browser.page
    older, newer = site.jobs["placement"], site.jobs["what-if"]
    costs = {job: api_get(site, f"/jobs/{job}/summary")["placement_cost_gbp_per_year"]
             for job in (older, newer)}  # fmt: skip
    assert costs[older] != costs[newer]  # the what-if's dearer journeys change the cost
    sign_in(browser, site, "admin", "#panel")
    page.locator(f"#pick-{newer}").check()  # newest first: it may already be ticked
    page.locator(f"#pick-{older}").check()
    ticked = page.locator(".jobs input[type=checkbox]:checked")
    for value in ticked.evaluate_all("(boxes) => boxes.map((box) => box.value)"):
        if value not in (older, newer):  # only those two
            page.locator(f"#pick-{value}").uncheck()
    heads = page.locator("table.kpis thead th")
    expect(heads).to_have_count(3)
    # By default the oldest ticked is the baseline: the newer job's column shows its change.
    baseline = page.locator(f"#baseline-{older}")
    expect(baseline).to_be_checked()
    expect(page.locator(f"#detail-{newer}")).to_be_checked()
    expect(heads.nth(2)).to_contain_text("(baseline)")
    change = costs[newer] - costs[older]
    sign = "+" if change > 0 else "−"
    cells = page.locator("table.kpis td[data-kpi=placement_cost_gbp_per_year]")
    expect(cells.nth(0)).to_contain_text(f"({sign}£{abs(change):,.0f})")
    assert "(" not in _cost_cells(page)[1]
    # The newer job as the baseline: the change reads the other way.
    page.locator(f"#baseline-{newer}").check()
    expect(heads.nth(1)).to_contain_text("(baseline)")
    back = "−" if change > 0 else "+"
    expect(cells.nth(1)).to_contain_text(f"({back}£{abs(change):,.0f})")
    assert "(" not in _cost_cells(page)[0]
    # The placements table follows the job chosen for it.
    expect(page.locator(".detail h3").first).to_contain_text(newer[:8])
    page.locator(f"#detail-{older}").check()
    expect(page.locator(".detail h3").first).to_contain_text(older[:8])
    ready(browser)


def test_the_transport_view_says_its_basis_and_replans_like_the_job(
    browser: Browser, site: Review
) -> None:
    page = browser.page
    job = site.jobs["both"]  # AM only, 5 iterations
    sign_in(browser, site, "transport", "#transport")
    heads = page.locator(".split table thead th").all_inner_texts()
    assert "Cost per run" in heads and "Cost a day" not in heads
    expect(page.locator(".cost-basis")).to_contain_text("AM run plus the PM run")
    expect(page.get_by_role("rowheader", name="Routes (AM only)")).to_have_count(1)
    page.get_by_text("Re-plan the routes of this scenario").click()
    assert page.locator("#transport-iterations").input_value() == "5"
    page.get_by_role("button", name="Start re-plan").click()
    page.locator(".replan .progress").filter(has_text="queued").wait_for()
    (queued,) = api_get(site, "/jobs?status=queued", "transport")["items"]
    assert queued["params"]["sessions"] == ["am"] and queued["params"]["iterations"] == 5
    assert api_get(site, f"/jobs/{job}")["params"]["sessions"] == ["am"]
    run_job(site.api, queued["id"], "transport", queued["params"], site.source, site.work)
    expect(page.locator("#transport-job")).to_have_value(queued["id"])
    ready(browser)


def _other(site: Site, path: str) -> Any:
    """``path`` read by the other authority's admin."""
    response = site.api.client.get(path, headers=site.api.headers("admin", OTHER_TENANT))
    assert response.status_code == 200, (path, response.text)
    return response.json()


def test_a_new_authority_uploads_a_scenario_and_starts_a_first_job(
    browser: Browser, site: Review
) -> None:
    page = browser.page
    page.goto(site.base + "/#panel")
    page.get_by_label("API key").fill(site.api.key("admin", OTHER_TENANT)[1])
    page.get_by_role("button", name="Sign in").click()
    ready(browser)
    expect(page.locator("#view-panel")).to_contain_text("No finished placement jobs yet.")
    expect(page.locator(".next-step")).to_have_text(
        "Upload a scenario first, then start a placement job on it."
    )
    page.get_by_text("Upload a scenario", exact=True).click()
    page.get_by_role("button", name="Upload scenario").click()  # no files: said on the page
    expect(page.locator(".upload .progress.error")).to_contain_text("Choose the scenario's files")
    page.get_by_label("Scenario files").set_input_files(sorted(site.source.iterdir()))
    page.get_by_label("Name (optional)").fill("First upload")
    page.get_by_role("button", name="Upload scenario").click()
    expect(page.locator(".next-step")).to_contain_text("Pick a scenario and start a placement job")
    (scenario,) = _other(site, "/scenarios")["items"]
    assert scenario["name"] == "First upload" and scenario["children"] == len(CHILDREN)
    page.get_by_label("Search iterations").fill("5")
    page.get_by_role("button", name="Start a placement job").click()
    page.locator(".getting-started .progress").filter(has_text="queued").wait_for()
    (queued,) = _other(site, "/jobs?status=queued")["items"]
    assert queued["scenario_id"] == scenario["id"] and queued["params"]["iterations"] == 5
    run_job(site.api, queued["id"], "placement", queued["params"], site.source, site.work)
    expect(page.locator(".detail h3").first).to_contain_text(queued["id"][:8])
    ready(browser)


def test_the_progress_line_says_each_word_once(browser: Browser, site: Review) -> None:
    page = browser.page
    sign_in(browser, site, "transport", "#transport")
    page.get_by_text("Re-plan the routes of this scenario").click()
    page.get_by_role("button", name="Start re-plan").click()
    # This form's line (the page also has the re-plan after changes, with its own).
    replan = page.locator("details", has_text="Re-plan the routes of this scenario")
    progress = replan.locator(".replan .progress")
    progress.filter(has_text="queued").wait_for()
    (queued,) = api_get(site, "/jobs?status=queued", "transport")["items"]
    # As a worker leaves a job that failed: its stage and reason both the status.
    with site.api.session() as session:
        session.execute(update(JobRow).where(JobRow.id == queued["id"])
                        .values(progress=progress_text("failed"), reason="failed"))  # fmt: skip
        session.commit()
    finish_job(site.api, queued["id"], status="failed", files={})
    expect(progress).to_have_text(f"Job {queued['id'][:8]}: failed · 0 s")


def test_locks_past_capacity_are_a_warning_on_the_what_if_card(
    browser: Browser, site: Review
) -> None:
    page = browser.page
    sign_in(browser, site, "panel", "#panel")
    form = page.locator("form.whatif-form")
    form.wait_for()
    for child in ("C001", "C003"):
        page.get_by_label("Child", exact=True).select_option(child)
        page.get_by_label("Lock at school").select_option("140005")
        page.get_by_role("button", name="Add lock").click()
    page.get_by_role("button", name="Run what-if").click()
    form.locator(".progress").filter(has_text="queued").wait_for()
    (queued,) = api_get(site, "/jobs?status=queued", "panel")["items"]
    run_job(site.api, queued["id"], "placement", queued["params"], site.source, site.work)
    warning = page.locator(".whatif-warning")
    expect(warning).to_contain_text("Tiny Ash: 1 locked child over its places")
    deltas = api_get(site, f"/jobs/{queued['id']}/deltas", "panel")
    assert deltas["locked_over_capacity_by_school"] == {"140005": 1}
