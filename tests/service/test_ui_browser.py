"""The web UI in headless Chromium against the real app (uvicorn on a loopback port) holding
the Leicester default solved once (both sessions), a second placement run, and forecast,
expansion and sweep results: sign in, each view, the map's routes and markers against the
API's own data, charts, downloads, a re-plan watched to the end, roles and tenancy, offline
(any request off the loopback server is aborted and counted), no console errors, a screenshot
per view in test-artifacts/ui-<view>.png, and the time from navigation to the map drawn."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import OTHER_TENANT, finish_job, make_api
from ui_browser_support import (
    ARTIFACTS,
    Browser,
    Site,
    api_get,
    expect,
    mark_ms,
    offline_page,
    ready,
    serving,
    solve,
    upload,
)

from sendplan.api.defaults import leicester_scenario
from sendplan.api.service.db import migrate
from sendplan.api.service.job_kinds import read_outputs, run
from sendplan.api.service.runner import JobControl, JobStop
from sendplan.api.writer import write_scenario


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with tempfile.TemporaryDirectory(prefix="sendplan-ui-") as temp:
        folder = Path(temp)
        db_url = f"sqlite:///{folder / 'service.db'}"
        migrate(db_url)
        api = make_api(db_url)
        source = folder / "scenario"
        write_scenario(leicester_scenario(seed=1), source)
        scenario = upload(api, source)
        jobs = {
            "both": solve(api, scenario, source, folder, "both", iterations=10,
                          sessions=["am", "pm"]),
            "placement": solve(api, scenario, source, folder, "placement", seed=2, movers="all"),
            "forecast": solve(api, scenario, source, folder, "forecast", years="2026-2031"),
            "expansion": solve(api, scenario, source, folder, "expansion", years="2026-2027"),
            "sweep": solve(api, scenario, source, folder, "sweep",
                           grid={"growth": [1.0, 1.06, 1.12], "seeds": [1, 2]}),
        }  # fmt: skip
        try:
            with serving(api) as base:
                yield Site(base=base, api=api, jobs=jobs, scenario=scenario, source=source)
        finally:
            api.client.close()


@pytest.fixture
def browser(chromium: Any, site: Site) -> Iterator[Browser]:
    with offline_page(chromium, site.base) as page:
        yield page


def _sign_in(b: Browser, site: Site, role: str, tenant: str = "856") -> None:
    b.page.goto(site.base + "/")
    b.page.get_by_label("API key").fill(site.api.key(role, tenant)[1])
    b.page.get_by_role("button", name="Sign in").click()
    b.page.wait_for_selector("#who:not([hidden])")
    ready(b)


def _shot(b: Browser, view: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    b.page.screenshot(path=str(ARTIFACTS / f"ui-{view}.png"), full_page=True)


def _tabs(b: Browser) -> list[str]:
    return [t.inner_text() for t in b.page.locator("#nav .tab:visible").all()]


def test_panel_view_compares_jobs_and_maps_placements(browser: Browser, site: Site) -> None:
    b = browser
    _sign_in(b, site, "panel")
    assert _tabs(b) == ["Placement panel"]  # no transport or planner view for a panel key
    page = b.page
    # The newest finished job is shown first; the older one is added beside it.
    shown, older = site.jobs["placement"], site.jobs["both"]
    summary = api_get(site, f"/jobs/{shown}/summary", "panel")
    drawn = api_get(site, f"/jobs/{shown}/map", "panel")
    placements = api_get(site, f"/jobs/{shown}/placements", "panel")["rows"]
    page.wait_for_selector("svg.map circle.home")
    assert page.locator("svg.map circle.home").count() == len(drawn["home_cells"])
    assert page.locator("svg.map circle.home.out").count() == sum(
        1 for c in drawn["home_cells"] if c.get("out") and not c.get("unplaced")
    )
    flows = drawn["out_of_area_flows"]
    assert page.locator("svg.map path.flow").count() == len(flows)
    assert sum(f["n"] for f in flows) == summary["placed_out_of_area"]
    placed_schools = {row["school_id"] for row in placements if row["school_id"]}
    assert page.locator("svg.map rect.school").count() == len(placed_schools)
    out_schools = page.locator("svg.map rect.school.out").count()
    assert (out_schools > 0) == (summary["placed_out_of_area"] > 0)
    counter = page.get_by_text(f"of {len(placements)} children")
    assert counter.inner_text() == f"{len(placements)} of {len(placements)} children"
    need = "SEMH"
    page.get_by_label("Need").select_option(need)
    with_need = sum(1 for row in placements if drawn["primary_need"][row["child_id"]] == need)
    assert 0 < with_need < len(placements)
    assert counter.inner_text() == f"{with_need} of {len(placements)} children"
    assert page.locator(".detail tbody tr").count() == min(with_need, 400)
    page.get_by_label("Need").select_option("")
    page.locator(f"#pick-{older}").check()
    expect(page.locator("table.kpis thead th")).to_have_count(3)
    cost = page.locator("table.kpis td[data-kpi=placement_cost_gbp_per_year]")
    assert cost.count() == 2
    for column, job in enumerate((shown, older)):
        value = api_get(site, f"/jobs/{job}/summary", "panel")["placement_cost_gbp_per_year"]
        assert cost.nth(column).inner_text().startswith(f"£{value:,.0f}")
    page.wait_for_selector("svg.map circle.home")
    assert page.get_by_role("button", name="Start re-plan").count() == 0
    page.goto(site.base + "/#panel")  # open time: navigation to the placements' map painted
    drawn_ms = mark_ms(b, "sendplan:placements-drawn")
    print(f"\nLeicester default, panel ({len(placements)} children, {len(drawn['home_cells'])} "
          f"home cells): map drawn {drawn_ms:.0f} ms after navigation")  # fmt: skip
    ready(b)
    assert "Run a new" not in page.content()
    _shot(b, "panel")


def test_transport_view_routes_timetable_downloads(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    b = browser
    _sign_in(b, site, "transport")
    assert _tabs(b) == ["Transport"]
    page = b.page
    job = site.jobs["both"]
    geojson = api_get(site, f"/jobs/{job}/routes.geojson", "transport")
    limits = api_get(site, f"/jobs/{job}/map", "transport")["ride_limit_min"]
    features = [f["properties"] for f in geojson["features"]]
    routes = [p for p in features if p["kind"] == "route"]
    riders = [p for p in features if p.get("child_id")]
    over = [p for p in riders if limits[p["child_id"]] is not None
            and p["ride_min"] > limits[p["child_id"]] + 1e-6]  # fmt: skip
    # Open time: navigation (reload with the key in sessionStorage) to the routes drawn.
    page.goto(site.base + "/#transport")
    page.wait_for_selector("body[data-ready=true] svg.map path.route")
    drawn_ms = mark_ms(b, "sendplan:routes-drawn")
    assert page.locator("svg.map path.route").count() == len(routes)
    print(f"\nLeicester default ({len(routes)} routes, {len(riders)} stops with a child): "
          f"map drawn {drawn_ms:.0f} ms after navigation")  # fmt: skip
    assert page.locator("svg.map circle.stop").count() == len(riders)
    assert page.locator("svg.map circle.stop.over").count() == len(over)
    summary = api_get(site, f"/jobs/{job}/summary", "transport")
    assert summary["routes"] == len(routes) and summary["rides_over_limit"] == len(over)
    # Where the year's cost comes from: both runs planned here (one run x 2 is an estimate).
    assert summary["transport_cost_basis"] == "am+pm"
    basis = page.locator("table.kpis td[data-kpi=transport_cost_basis]")
    assert basis.inner_text() == "AM + PM runs planned"
    vehicle = sorted({p["vehicle_type"] for p in routes})[0]
    page.get_by_label("Vehicle type").select_option(vehicle)
    visible = page.locator("svg.map path.route:not(.hidden)")
    assert visible.count() == sum(1 for p in routes if p["vehicle_type"] == vehicle)
    page.get_by_label("Vehicle type").select_option("")
    worst = max(routes, key=lambda p: sum(1 for s in over if s["route_id"] == p["route_id"]))
    page.get_by_role("row").filter(has_text=worst["route_id"]).first.focus()
    page.keyboard.press("Enter")
    sheet = page.locator(".timetable table")
    stops = [p for p in features if p["route_id"] == worst["route_id"] and p["kind"] != "route"]
    assert sheet.locator("tbody tr").count() == len(stops)
    assert sheet.locator("tbody tr.over").count() == sum(
        1 for s in over if s["route_id"] == worst["route_id"]
    )
    assert page.locator("path.route.chosen").get_attribute("data-route") == worst["route_id"]
    _shot(b, "transport")
    for button, name in (("Download routes (GeoJSON)", "routes.geojson"),
                         ("Download route sheets (.xlsx)", "route_sheets.xlsx")):  # fmt: skip
        with page.expect_download() as info:
            page.get_by_role("button", name=button).click()
        saved = tmp_path / name
        info.value.save_as(saved)
        assert info.value.suggested_filename == name
        assert (
            saved.read_bytes()
            == site.api.client.get(
                f"/jobs/{job}/files/{name}", headers=site.api.headers("transport")
            ).content
        )
    assert saved.read_bytes()[:2] == b"PK"


def test_transport_replan_is_watched_until_it_finishes(browser: Browser, site: Site) -> None:
    b = browser
    _sign_in(b, site, "transport")
    page = b.page
    page.get_by_text("Re-plan the routes of this scenario").click()
    page.locator("#transport-iterations").fill("20")
    page.get_by_role("button", name="Start re-plan").click()
    progress = page.locator(".replan .progress")
    progress.filter(has_text="queued").wait_for()
    jobs = site.api.client.get("/jobs?status=queued", headers=site.api.headers("transport"))
    queued = jobs.json()["items"]
    assert len(queued) == 1 and queued[0]["params"]["iterations"] == 20
    assert queued[0]["params"]["sessions"] == ["am", "pm"]  # the shown job's, as stored
    # No workers here: the test finishes the job as a worker would, with the first job's files.
    stored = site.api.client.get(f"/jobs/{site.jobs['both']}", headers=site.api.headers())
    files = {}
    for name in stored.json()["files"]:
        got = site.api.client.get(f"/jobs/{site.jobs['both']}/files/{name}",
                                  headers=site.api.headers())  # fmt: skip
        files[name] = (got.headers["content-type"].split(";")[0], got.content)
    finish_job(site.api, queued[0]["id"], files=files)
    expect(page.locator("#transport-job")).to_have_value(queued[0]["id"])
    page.wait_for_selector("svg.map path.route")
    site.jobs["replanned"] = queued[0]["id"]


def _transport_page(browser: Browser, site: Site) -> tuple[Any, str, Any]:
    """The transport team's page with its routes drawn: the page, the shown job and the
    response holding its routes.json."""
    _sign_in(browser, site, "transport")
    page = browser.page
    page.wait_for_selector("svg.map path.route")
    shown = page.locator("#transport-job").input_value()
    headers = site.api.headers("transport")
    return page, shown, site.api.client.get(f"/jobs/{shown}/files/routes.json", headers=headers)


def _work_changes(
    site: Site, job: str, params: dict[str, Any], base_routes: bytes, tmp_path: Path
) -> dict[str, tuple[str, bytes]]:
    """No workers here: the changes job run in this process as a worker would, on the base
    routes, and finished with its files (returned by name as (media type, content))."""
    out = tmp_path / "out"
    out.mkdir()
    assert site.source is not None
    run("changes", params, site.source, out, control=JobControl(timeout_s=600),
        stop=lambda n, c: JobStop(n, c), base_routes=base_routes)  # fmt: skip
    files = {name: (media, content) for name, media, content in read_outputs(out)}
    finish_job(site.api, job, files=files)
    return files


def test_a_replan_after_changes_shows_what_they_did(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    page, shown, routes = _transport_page(browser, site)
    h = site.api.headers("transport")
    am = routes.json()["sessions"]["am"]["routes"]
    child = next(s["child_id"] for r in am for s in r["steps"] if s["type"] == "pickup")
    page.get_by_text("Re-plan after mid-year changes").click()
    start = page.get_by_role("button", name="Re-plan after the changes")
    start.click()  # no file chosen: said on the page, nothing sent
    expect(page.locator(".replan .progress.error")).to_contain_text("choose a CHANGES.csv")
    page.get_by_label("Changes file (CSV)").set_input_files(files=[{
        "name": "changes.csv", "mimeType": "text/csv",
        "buffer": f"change,child_id\nremove_child,{child}\n".encode(),
    }])  # fmt: skip
    page.locator("#changes-iterations").fill("10")
    start.click()
    page.locator(".replan .progress").filter(has_text="queued").wait_for()
    (queued,) = site.api.client.get("/jobs?status=queued", headers=h).json()["items"]
    params = queued["params"]
    assert (queued["kind"], params["base_job"], params["iterations"]) == ("changes", shown, 10)
    assert params["changes_csv"] == f"change,child_id\nremove_child,{child}\n"
    files = _work_changes(site, queued["id"], params, routes.content, tmp_path)
    expect(page.locator("#transport-job")).to_have_value(queued["id"])
    card = page.get_by_role("region", name="What the changes did")
    report = json.loads(files["changes.json"][1])
    moved = report["children_moved"]
    expect(card).to_contain_text(f"{moved} children moved to another vehicle")
    forgone = report["saving_forgone_gbp_per_day"]
    said = "dearer than" if forgone > 0 else "cheaper than" if forgone < 0 else "the same cost"
    expect(card).to_contain_text(f"{said} a plan from scratch" if forgone else said)
    rows = card.locator("tbody tr")
    touched = [c for s in report["sessions"].values() for c in s["children"]]
    expect(rows).to_have_count(len(touched))
    expect(rows.filter(has_text=child)).to_have_count(len(report["sessions"]))


def test_a_replan_keeping_contracted_routes_says_what_it_kept(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    """A CONTRACTS.csv alone: the route whose contract is in force is kept as it was."""
    page, shown, routes = _transport_page(browser, site)
    h = site.api.headers("transport")
    first = routes.json()["sessions"]["am"]["routes"][0]
    contracts = f"route_id,operator,price_gbp,per\n{first['route_id']},Acme Cars,55.50,day\n"
    page.get_by_text("Re-plan after mid-year changes").click()
    page.get_by_label("Contracts file (CSV, optional)").set_input_files(files=[{
        "name": "contracts.csv", "mimeType": "text/csv", "buffer": contracts.encode(),
    }])  # fmt: skip
    page.locator("#changes-iterations").fill("10")
    page.get_by_role("button", name="Re-plan after the changes").click()
    page.locator(".replan .progress").filter(has_text="queued").wait_for()
    (queued,) = site.api.client.get("/jobs?status=queued", headers=h).json()["items"]
    params = queued["params"]
    assert (queued["kind"], params["base_job"]) == ("changes", shown)
    assert params["contracts_csv"] == contracts and "changes_csv" not in params
    files = _work_changes(site, queued["id"], params, routes.content, tmp_path)
    expect(page.locator("#transport-job")).to_have_value(queued["id"])
    report = json.loads(files["changes.json"][1])
    riders = report["kept_contracted"]["children_on_kept_routes"]
    assert report["kept_contracted"]["routes_kept"] == 1 and riders >= 1
    card = page.get_by_role("region", name="What the changes did")
    expect(card).to_contain_text(f"1 contracted route kept as it was ({riders} children on them)")


def test_planner_view_charts(browser: Browser, site: Site) -> None:
    b = browser
    _sign_in(b, site, "planner")
    assert _tabs(b) == ["Planner"]
    page = b.page
    forecast = api_get(site, f"/jobs/{site.jobs['forecast']}/files/forecast.json", "planner")
    years = sorted({row["year"] for row in forecast["sufficiency"]})
    chart = page.locator("svg.chart").first
    chart.wait_for()
    assert chart.locator("circle.dot.demand").count() == len(years)
    assert chart.locator("path.series.places").count() == 1
    page.get_by_label("Need", exact=True).select_option("ASD")
    assert page.locator("svg.chart").first.get_attribute("aria-label").find("ASD") > 0
    expansion = api_get(site, f"/jobs/{site.jobs['expansion']}/files/expansion.json", "planner")
    rows = page.locator("section[aria-label='Expansion options'] tbody tr")
    assert rows.count() == len(expansion["options"])
    chosen = page.locator("section[aria-label='Expansion options'] tbody tr.chosen")
    assert chosen.count() == len(expansion["chosen"])
    sweep = api_get(site, f"/jobs/{site.jobs['sweep']}/files/sweep.json", "planner")
    scatter = page.locator("section[aria-label^='Sweep'] svg.chart")
    assert scatter.locator("circle.point").count() == len(sweep["rows"])
    assert scatter.locator("circle.point.pareto").count() == len(sweep["pareto"])
    assert page.get_by_text("Run a new forecast on this scenario").count() == 1
    _shot(b, "planner")


def test_roles_and_tenancy_hold_in_the_ui(browser: Browser, site: Site) -> None:
    b = browser
    page = b.page
    page.goto(site.base + "/")  # keyboard only: skip link, then the key field, then Enter
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "api-key"
    assert page.locator("#nav").is_hidden()  # nothing but the sign-in form before a key
    _shot(b, "sign-in")
    page.keyboard.type(site.api.key("admin")[1])
    page.keyboard.press("Enter")
    page.wait_for_selector("#who:not([hidden])")
    ready(b)
    assert _tabs(b) == ["Placement panel", "Transport", "Planner"]
    page.locator("#nav .tab", has_text="Planner").focus()
    page.keyboard.press("Enter")
    page.locator("#view-planner svg.chart").first.wait_for()
    page.get_by_role("button", name="Sign out").click()
    assert page.evaluate("sessionStorage.length") == 0
    _sign_in(b, site, "panel")
    for hidden in ("Start re-plan", "Start forecast", "Download route sheets (.xlsx)"):
        assert page.get_by_role("button", name=hidden).count() == 0
    page.goto(site.base + "/#planner")  # a panel key asking for the planner view gets its own
    ready(b)
    assert page.locator("#view-planner").is_hidden() and page.locator("#view-panel").is_visible()
    # Another authority's key: the same job id is the API's 404, and its UI lists no jobs.
    page.get_by_role("button", name="Sign out").click()
    _sign_in(b, site, "admin", OTHER_TENANT)
    assert page.get_by_text("No finished placement jobs yet.").is_visible()
    status = page.evaluate(
        """async (id) => (await fetch(`/jobs/${id}/summary`,
               {headers: {"X-API-Key": sessionStorage.getItem("sendplan.apiKey")}})).status""",
        site.jobs["both"],
    )  # fmt: skip
    assert status == 404
    b.errors[:] = [e for e in b.errors if "status of 404" not in e]  # the browser logs that 404
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("API key").fill("sp_not-a-key")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("That key was not accepted.").wait_for()
    b.errors[:] = [e for e in b.errors if "status of 401" not in e]  # and the refused key
