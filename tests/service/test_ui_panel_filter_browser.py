"""The placement panel's school and need filters narrow the map's home cells, in headless
Chromium against the real app holding a small synthetic scenario placed once: choosing a school
leaves on the map exactly the cells of the children placed there, each with that school's own
count; choosing a need, those of the children with that need, placed or not; choosing both, those
of the children matching both; clearing the filters brings every cell back. Expected cells are
counted here from the uploaded children and the job's placements, not from the map route's own
grouping."""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import make_api, scenario_files
from scenario_files import CHILD_HEADER, SCHOOLS_CSV
from ui_browser_support import (
    Browser,
    Site,
    api_get,
    expect,
    offline_page,
    serving,
    shot,
    sign_in,
    solve,
)

from sendplan.api.service.db import migrate

# Homes spread over five 0.01-degree cells, none near a cell's edge; the first cell holds
# children bound for three different schools (by need: PMLD -> Ash Field, a boy's SEMH ->
# Keyham Lodge, ASD -> Far Away School, out of area) and one left unplaced, so a school's count
# there differs from the cell's. A PMLD child too young for Ash Field is left unplaced beside
# two placed there, so that need's cell there differs from the school's and from both together.
CHILDREN = (
    "K01,-1.1312,52.6384,7,M,PMLD,,,,,,,,,",
    "K02,-1.1288,52.6411,13,M,SEMH,,,,,,,,,",
    "K03,-1.1306,52.6397,9,F,ASD,,,,,,,,,",
    "K04,-1.1093,52.6207,10,F,PMLD,,,,,,,,,",
    "K05,-1.1121,52.6188,12,M,PMLD,,,,,,,,,",
    "K06,-1.1203,52.6302,14,M,SEMH,,,,,,,,,",
    "K07,-1.1496,52.6113,10,M,ASD,,,,,,,,,",
    "K08,-1.1004,52.6492,8,F,SLD,,,,,,,,,",
    "K09,-1.1311,52.6389,15,M,SEMH,,,,,,,,,",
    "K10,-1.1297,52.6402,10,F,VI,,,,,,,,,",  # no school for VI: unplaced, in no school's cells
    "K11,-1.1104,52.6197,3,F,PMLD,,,,,,,,,",  # younger than any school takes: unplaced
)
Cell = tuple[int, int]  # (lon, lat) in hundredths of a degree


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with tempfile.TemporaryDirectory(prefix="sendplan-ui-filter-") as temp:
        folder = Path(temp)
        db_url = f"sqlite:///{folder / 'service.db'}"
        migrate(db_url)
        api = make_api(db_url)
        files = scenario_files(CHILDREN)
        source = folder / "scenario"
        source.mkdir()
        for name, text in files.items():
            (source / name).write_text(text, encoding="utf-8")
        scenario = api.upload(files=files)
        work = folder / "work"
        work.mkdir()
        jobs = {"placement": solve(api, scenario, source, work, "placement", iterations=5)}
        with serving(api) as base:
            yield Site(base, api, jobs, scenario)
        api.client.close()


@pytest.fixture
def browser(chromium: Any, site: Site) -> Iterator[Browser]:
    with offline_page(chromium, site.base) as page:
        yield page


def _homes() -> dict[str, Cell]:
    """Each child's home cell, from the uploaded children.csv rows."""
    columns = CHILD_HEADER.split(",")
    homes = {}
    for row in CHILDREN:
        record = dict(zip(columns, row.split(","), strict=True))
        homes[record["child_id"]] = (
            round(float(record["lon"]) * 100),
            round(float(record["lat"]) * 100),
        )
    return homes


def _needs() -> dict[str, str]:
    """Each child's primary need, from the uploaded children.csv rows."""
    columns = CHILD_HEADER.split(",")
    records = (dict(zip(columns, row.split(","), strict=True)) for row in CHILDREN)
    return {record["child_id"]: record["primary_need"] for record in records}


def _counted(rows: list[dict[str, Any]], homes: dict[str, Cell]) -> dict[Cell, tuple[int, str]]:
    """The placement rows' children per home cell as (count, colour class), the class as the map
    picks it: any unplaced child there, else any placed out of area, else placed in."""
    kinds: dict[Cell, Counter[str]] = {}
    for row in rows:
        placed = row["status"] == "placed"
        kind = ("in" if row["in_area"] == "true" else "out") if placed else "unplaced"
        kinds.setdefault(homes[row["child_id"]], Counter())[kind] += 1
    return {
        cell: (c.total(), "home " + next(k for k in ("unplaced", "out", "in") if c[k]))
        for cell, c in kinds.items()
    }


def _schools() -> dict[str, tuple[float, float]]:
    """Each school's lon/lat, from the uploaded schools.csv."""
    rows = csv.DictReader(io.StringIO(SCHOOLS_CSV))
    return {row["school_id"]: (float(row["lon"]), float(row["lat"])) for row in rows}


def _drawn_cells(page: Any) -> dict[Cell, tuple[int, str]]:
    """The map's home circles as cell -> (children counted, colour class): each circle's
    centre taken back to lon/lat through the frame that placed the school squares (the map
    is linear in lon and in lat without tiles), its count read from its title."""
    schools = _schools()
    squares = page.locator("svg.map rect.school").evaluate_all(
        """(nodes) => nodes.map((n) => [n.dataset.school,
             n.x.baseVal.value + n.width.baseVal.value / 2,
             n.y.baseVal.value + n.height.baseVal.value / 2])"""
    )
    by_lon = sorted(squares, key=lambda s: schools[s[0]][0])
    by_lat = sorted(squares, key=lambda s: schools[s[0]][1])

    def axis(pair: list[Any], index: int) -> tuple[float, float]:
        (a, *pa), (b, *pb) = pair  # x = offset + scale * degrees, from two squares
        scale = (pb[index] - pa[index]) / (schools[b][index] - schools[a][index])
        return pa[index] - scale * schools[a][index], scale

    (x0, kx), (y0, ky) = axis([by_lon[0], by_lon[-1]], 0), axis([by_lat[0], by_lat[-1]], 1)
    circles = page.locator("svg.map circle.home").evaluate_all(
        """(nodes) => nodes.map((n) => [n.cx.baseVal.value, n.cy.baseVal.value,
             n.querySelector("title").textContent, n.getAttribute("class")])"""
    )
    drawn: dict[Cell, tuple[int, str]] = {}
    for cx, cy, title, classes in circles:
        cell = (round((cx - x0) / kx * 100), round((cy - y0) / ky * 100))
        assert cell not in drawn, f"two circles for cell {cell}"
        count = re.match(r"(\d+) child", title)
        assert count, title
        drawn[cell] = (int(count.group(1)), classes)
    return drawn


def test_the_school_filter_shows_only_that_schools_home_cells(browser: Browser, site: Site) -> None:
    page = browser.page
    job = site.jobs["placement"]
    map_body = api_get(site, f"/jobs/{job}/map", "panel")
    in_area = {s["school_id"]: s["in_area"] for s in map_body["schools"]}
    placements = api_get(site, f"/jobs/{job}/placements", "panel")["rows"]
    homes = _homes()
    assert {row["child_id"] for row in placements} == set(homes)
    every = Counter(homes.values())
    at: dict[str, Counter[Cell]] = {}
    for row in placements:
        if row["status"] == "placed":
            at.setdefault(row["school_id"], Counter())[homes[row["child_id"]]] += 1
    # The data can tell a filtered map from an unfiltered one: several schools, and one cell
    # whose count at a school is below the cell's own.
    assert len(at) >= 2
    assert any(n < every[cell] for counts in at.values() for cell, n in counts.items())
    assert any(row["status"] == "unplaced" for row in placements)

    sign_in(browser, site, "panel", "#panel")
    page.wait_for_selector("svg.map circle.home")
    all_cells = _drawn_cells(page)
    assert {cell: n for cell, (n, _) in all_cells.items()} == dict(every)
    assert any(classes == "home unplaced" for _, classes in all_cells.values())
    chooser = page.locator("#panel-school")
    for school, counts in sorted(at.items()):
        chooser.select_option(school)
        expect(page.locator("svg.map circle.home")).to_have_count(len(counts))
        drawn = _drawn_cells(page)
        assert {cell: n for cell, (n, _) in drawn.items()} == dict(counts), school
        kind = "in" if in_area[school] else "out"  # every child there is placed in or out
        assert all(classes == f"home {kind}" for _, classes in drawn.values()), drawn
        expect(page.locator("svg.map")).to_have_attribute(
            "aria-label", re.compile(f"^Map of {len(counts)} home areas of children placed at ")
        )
        if school == min(at):
            shot(browser, "panel-school-filter")
        chooser.select_option("")
        expect(page.locator("svg.map circle.home")).to_have_count(len(every))
        assert _drawn_cells(page) == all_cells  # the same cells, counts and colours again
    # The per-school cells hold counts only: no id, no point.
    by_school = map_body["home_cells_by_school"]
    assert set(by_school) == set(at)
    assert {key for cells in by_school.values() for c in cells for key in c} <= {
        "lon", "lat", "n", "in", "out",
    }  # fmt: skip


def test_the_need_filter_alone_and_with_a_school_shows_those_childrens_cells(
    browser: Browser, site: Site
) -> None:
    page = browser.page
    job = site.jobs["placement"]
    placements = api_get(site, f"/jobs/{job}/placements", "panel")["rows"]
    homes, needs = _homes(), _needs()
    assert {row["child_id"] for row in placements} == set(homes)
    every = _counted(placements, homes)
    schools = sorted({row["school_id"] for row in placements if row["status"] == "placed"})

    def expected(need: str, school: str = "") -> dict[Cell, tuple[int, str]]:
        kept = [
            row for row in placements
            if needs[row["child_id"]] == need
            and (not school or (row["status"] == "placed" and row["school_id"] == school))
        ]  # fmt: skip
        return _counted(kept, homes)

    by_need = {need: expected(need) for need in sorted(set(needs.values()))}
    pairs = {(need, school): expected(need, school) for need in by_need for school in schools}
    at = {school: _counted([r for r in placements if r["school_id"] == school], homes)
          for school in schools}  # fmt: skip
    # The data can tell each filter from the others: a need's cell below the cell's own count,
    # a pair showing less than its need and less than its school, and a pair leaving no child.
    assert any(n < every[cell][0] for cells in by_need.values() for cell, (n, _) in cells.items())
    assert any(
        cells and cells != by_need[need] and cells != at[school]
        for (need, school), cells in pairs.items()
    )
    assert any(not cells for cells in pairs.values())

    sign_in(browser, site, "panel", "#panel")
    page.wait_for_selector("svg.map circle.home")
    all_cells = _drawn_cells(page)
    assert all_cells == every
    counter = page.get_by_text(re.compile(r"^\d+ of \d+ children$"))
    need_chooser, school_chooser = page.locator("#panel-need"), page.locator("#panel-school")

    def shows(cells: dict[Cell, tuple[int, str]], whose: str) -> None:
        expect(page.locator("svg.map circle.home")).to_have_count(len(cells))
        assert _drawn_cells(page) == cells, whose
        label = re.compile("^" + re.escape(f"Map of {len(cells)} home areas of children {whose}"))
        expect(page.locator("svg.map")).to_have_attribute("aria-label", label)
        # The map's counts add up to the table's filtered children.
        total = sum(n for n, _ in cells.values())
        expect(counter).to_have_text(f"{total} of {len(placements)} children")

    for need, cells in by_need.items():
        need_chooser.select_option(need)
        shows(cells, f"with {need} and ")
        if need == "PMLD":
            shot(browser, "panel-need-filter")
        for school in schools:
            school_chooser.select_option(school)
            shows(pairs[(need, school)], f"with {need} placed at ")
        school_chooser.select_option("")
        shows(cells, f"with {need} and ")
    need_chooser.select_option("")
    expect(page.locator("svg.map circle.home")).to_have_count(len(every))
    assert _drawn_cells(page) == all_cells  # the same cells, counts and colours again


def test_home_circles_are_drawn_at_their_size_in_screen_pixels(
    browser: Browser, site: Site
) -> None:
    # The map keeps its whole view in its box ("meet"): when the box is relatively wider than
    # the view, the height sets the scale; sizing markers by the width alone drew them small.
    page = browser.page
    sign_in(browser, site, "panel", "#panel")
    page.wait_for_selector("svg.map circle.home")
    box = page.locator("svg.map").evaluate(
        "(svg) => [svg.clientWidth, svg.clientHeight, ...svg.getAttribute('viewBox').split(' ')]"
    )
    width, height, view_w, view_h = (float(x) for x in (box[0], box[1], box[4], box[5]))
    assert abs(width / height - view_w / view_h) > 0.05  # the two axes' scales differ here
    circles = page.locator("svg.map circle.home").evaluate_all(
        """(nodes) => nodes.map((n) => [n.getBoundingClientRect().width / 2,
             n.querySelector("title").textContent])"""
    )
    assert circles
    for radius_px, title in circles:
        count = re.match(r"(\d+) child", title)
        assert count, title
        assert abs(radius_px - (1.2 + 0.9 * math.sqrt(int(count.group(1))))) < 0.1, title
