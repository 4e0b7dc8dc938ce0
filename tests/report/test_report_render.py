"""The report's HTML, read back as a user's browser would not: its map SVG parsed as XML, every
marker checked against the panel's viewBox, its links and its escaping (issue 15)."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import sendplan
from sendplan.api.cli import app
from sendplan.api.report import render_report
from sendplan.api.report_map_data import frame_around
from sendplan.api.route_lines import route_lines
from sendplan.api.writer import write_scenario
from sendplan.routing.result import Result

SVG = "{http://www.w3.org/2000/svg}"
CASES = ("demo", "routes", "place")
HOSTILE = ("<script>alert(1)</script> & Co", '=HYPERLINK("http://evil.example","x")')


def map_panels(html: str) -> dict[str, ET.Element]:
    """Each map panel's SVG by its data-panel name, parsed as XML (it must be well formed)."""
    found = re.findall(
        r'<svg xmlns="http://www.w3.org/2000/svg" class="map[ a-z]*".*?</svg>', html, re.S
    )
    panels = [ET.fromstring(svg) for svg in found]
    return {p.attrib["data-panel"]: p for p in panels}


def pairs(d: str) -> list[tuple[float, float]]:
    """The (x, y) pairs of a path written with absolute M/L/Z commands only."""
    assert re.fullmatch(r"[MLZ0-9. \-]*", d), d[:80]
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def element_points(el: ET.Element) -> list[tuple[float, float]]:
    tag = el.tag.removeprefix(SVG)
    a = {k: float(v) for k, v in el.attrib.items() if k in ("cx", "cy", "x", "y", "width",
         "height", "x1", "y1", "x2", "y2")}  # fmt: skip
    if tag == "circle":
        return [(a["cx"], a["cy"])]
    if tag == "rect" and "x" in a:
        return [(a["x"], a["y"]), (a["x"] + a["width"], a["y"] + a["height"])]
    if tag == "line":
        return [(a["x1"], a["y1"]), (a["x2"], a["y2"])]
    if tag == "text":
        return [(a["x"], a["y"])]
    if tag == "path":
        return pairs(el.attrib["d"])
    return []


@pytest.fixture(scope="module")
def pages(results: dict[str, Result]) -> dict[str, str]:
    return {case: render_report(result) for case, result in results.items()}


@pytest.mark.parametrize("case", CASES)
def test_every_school_is_one_numbered_marker(
    case: str, pages: dict[str, str], results: dict[str, Result]
) -> None:
    schools = results[case].scenario.schools
    markers = [
        g
        for panel in map_panels(pages[case]).values()
        for g in panel.iter(f"{SVG}g")
        if "school" in g.attrib.get("class", "").split()
    ]
    numbers = sorted(int(g.attrib["data-school"]) for g in markers)
    assert numbers == list(range(1, len(schools) + 1))
    for g in markers:
        label = g.find(f"{SVG}text")
        assert label is not None and label.text == g.attrib["data-school"]
    for s in schools:  # and each is named in the list under the map
        assert re.search(r"<li value=\"\d+\">" + re.escape(_escaped(s.name)), pages[case])


def _escaped(text: str) -> str:
    from html import escape

    return escape(text)


@pytest.mark.parametrize("case", CASES)
def test_every_point_lies_within_its_panel(case: str, pages: dict[str, str]) -> None:
    panels = map_panels(pages[case])
    assert set(panels) in ({"city"}, {"city", "overview"})
    for name, panel in panels.items():
        _, _, w, h = (float(v) for v in panel.attrib["viewBox"].split())
        clipped = name == "city" and "overview" in panels
        for el in panel.iter():
            if clipped and "route" in el.attrib.get("class", "").split():
                continue  # the city panel clips routes running out to far schools
            for x, y in element_points(el):
                assert 0 <= x <= w and 0 <= y <= h, (name, el.tag, el.attrib.get("class"), x, y)


@pytest.mark.parametrize("case", CASES)
def test_each_panel_draws_one_path_per_route(
    case: str, pages: dict[str, str], results: dict[str, Result]
) -> None:
    for panel in map_panels(pages[case]).values():
        drawn = [p for p in panel.iter(f"{SVG}path") if "route" in p.attrib.get("class", "")]
        for plan in results[case].transport:
            ids = sorted(p.attrib["data-route"] for p in drawn if p.attrib["data-session"] ==
                         plan.session)  # fmt: skip
            assert ids == sorted(r.route_id for r in plan.routes)
        assert len(drawn) == sum(len(p.routes) for p in results[case].transport)


@pytest.mark.parametrize("case", CASES)
def test_homes_are_dots_without_ids(
    case: str, pages: dict[str, str], results: dict[str, Result]
) -> None:
    panels = map_panels(pages[case])
    homes = [el for el in panels["city"].iter() if "home" in el.attrib.get("class", "").split()]
    assert len(homes) == len(results[case].scenario.children)
    svg_text = "".join(ET.tostring(p, encoding="unicode") for p in panels.values())
    for child in results[case].scenario.children[:50]:
        assert child.child_id not in svg_text


@pytest.mark.parametrize("case", CASES)
def test_nothing_is_fetched_from_the_web(case: str, pages: dict[str, str]) -> None:
    html = pages[case]
    for attr, value in re.findall(r'\s(src|href|action|srcset|data)="([^"]*)"', html):
        assert not re.match(r"(?i)\s*(https?:)?//", value), (attr, value)
        assert value.startswith("#") or attr not in ("src", "href"), (attr, value)
    assert not re.search(r"(?i)<link\b|@import|url\(\s*['\"]?(https?:)?//", html)
    assert "<script src" not in html and "<iframe" not in html


def test_route_sections_follow_what_was_solved(pages: dict[str, str]) -> None:
    assert "Morning (AM) routes" in pages["demo"] and "Afternoon (PM) routes" in pages["demo"]
    assert "Status quo and optimised plan" in pages["demo"]
    assert "No placement was solved" in pages["routes"]
    assert "Afternoon (PM) routes" in pages["routes"]
    assert "Morning (AM) routes" not in pages["place"] and "<svg" in pages["place"]
    assert "straight lines between stops (no road network given)" in pages["demo"]
    assert "estimates from straight-line distance" in pages["demo"]


def test_the_same_result_gives_the_same_bytes(
    pages: dict[str, str], results: dict[str, Result]
) -> None:
    again = sendplan.solve(results["place"].scenario, sessions=(), seed=1)
    assert render_report(again) == pages["place"]
    assert render_report(results["demo"]) == pages["demo"]


def test_names_from_the_inputs_are_shown_as_text() -> None:
    scenario = sendplan.leicester_scenario(n_children=40)
    schools = list(scenario.schools)
    for k, name in enumerate(HOSTILE):
        schools[k] = replace(schools[k], name=name)
    hostile = replace(scenario, schools=tuple(schools))
    html = render_report(
        sendplan.solve(hostile, sessions=("am",), stop=sendplan.MaxIterations(20), seed=1)
    )
    assert "<script>alert" not in html and '="http://evil' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)" in html
    map_panels(html)  # still well-formed XML


def test_sendplan_routes_writes_the_report(tmp_path: Path) -> None:
    folder = tmp_path / "scenario"
    write_scenario(sendplan.leicester_scenario(n_children=30), folder)
    out = tmp_path / "out"
    outcome = CliRunner().invoke(
        app, ["routes", str(folder), "--out", str(out), "--session", "both", "--iterations", "20"]
    )
    assert outcome.exit_code == 0, outcome.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Morning (AM) routes" in html and "Afternoon (PM) routes" in html


@given(
    st.lists(st.tuples(st.floats(-3.0, 1.0), st.floats(51.0, 54.0)), min_size=1, max_size=30),
    st.integers(200, 900),
    st.integers(200, 900),
)
def test_a_frame_holds_every_point_it_was_fitted_to(
    points: list[tuple[float, float]], width: int, height: int
) -> None:
    frame = frame_around(points, width, height)
    assert frame.width == width and frame.height <= height + 1
    for lon, lat in points:
        x, y = frame.xy(lon, lat)
        assert 0 <= x <= frame.width and 0 <= y <= frame.height


def _wiggly(coords: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    """A road-like line through the same points: 40 vertices per leg, zig-zagging ~20 m."""
    out = [coords[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(coords):
        for k in range(1, 41):
            t, side = k / 40, (0.0002 if k % 2 else -0.0002) if k < 40 else 0.0
            out.append((x0 + t * (x1 - x0) + side, y0 + t * (y1 - y0) + side))
    return tuple(out)


def test_lines_along_the_roads_are_labelled_so_and_stay_in_frame(
    results: dict[str, Result],
) -> None:
    result = results["routes"]
    lines = {
        rid: replace(line, coords=_wiggly(line.coords), along_roads=True)
        for rid, line in route_lines(result).items()
    }
    html = render_report(result, lines=lines)
    assert "drawn along the roads" in html and "no road network given" not in html
    panels = map_panels(html)
    full = panels.get("overview", panels["city"])
    _, _, w, h = (float(v) for v in full.attrib["viewBox"].split())
    routes = [p for p in full.iter(f"{SVG}path") if "route" in p.attrib.get("class", "")]
    assert len(routes) == len(lines)
    for p in routes:
        assert all(0 <= x <= w and 0 <= y <= h for x, y in pairs(p.attrib["d"]))
    # Thinned to about a vertex per pixel, never more vertices than the line has.
    assert all(
        len(pairs(p.attrib["d"])) <= len(lines[p.attrib["data-route"]].coords) for p in routes
    )
    # One route drawn straight among road lines is counted in the note.
    first = sorted(lines)[0]
    lines[first] = replace(lines[first], along_roads=False)
    assert "(1 route whose stops lie on one street is drawn straight)" in render_report(
        result, lines=lines
    )
