"""The map's furniture (issue 15 review, defects 2 and 3): the scale bar always fits in 30% of
the panel with its end label inside, however small or large the area; the scale bar and north
arrow sit in a band under the map where no home, school, depot or route vertex is drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_report_render import SVG, element_points, map_panels
from test_report_roads import CHILDREN, FLEET, SCHOOLS

import sendplan
from sendplan.api.loader import load_scenario
from sendplan.api.report import render_report
from sendplan.api.report_map_data import PAD_PX, frame_around
from sendplan.api.report_map_furniture import (
    BAND_PX,
    BAR_X_PX,
    M_PER_DEG_LAT,
    MAX_BAR_SHARE,
    NICE_M,
    length_text,
    scale_bar_m,
)
from sendplan.routing.result import Result

# Homes in a tight cluster at the south-west, a second school far to the north-east: before the
# band, the scale bar covered the cluster and the north arrow school 2.
EDGE = {
    "children.csv": [CHILDREN.replace(",current_school", ""),
                     "L001,-1.5497,53.8068,9,M,ASD,false,false,383",
                     "L002,-1.5507,53.8100,12,F,SLD,true,false,383",
                     "L003,-1.5520,53.8073,7,M,MLD,false,true,383",
                     "L004,-1.5540,53.8096,14,F,PMLD,false,false,383",
                     "L005,-1.5510,53.8080,10,M,ASD,false,false,383"],
    "schools.csv": [SCHOOLS,
                    "LDS-1,Leeds A,-1.5530,53.8092,383,la_maintained,4,19,mixed,ASD;SLD;MLD;PMLD,"
                    "2,0,25000,08:50,15:10,true",
                    "LDS-2,Leeds B,-1.5000,53.8300,383,academy,4,19,mixed,ASD;SLD;MLD,2,0,26000,"
                    "09:00,15:20,true"],
    "fleet.csv": [FLEET, "taxi,4,0,false,18,1.8,5,-1.5495,53.8098",
                  "wav_pa,3,1,true,60,2.2,5,-1.5495,53.8098"],
}  # fmt: skip


def _bar_px(metres: int, scale: float) -> float:
    return metres * scale / M_PER_DEG_LAT


@given(
    st.floats(-3.0, 1.0),
    st.floats(50.5, 55.0),
    st.floats(1e-6, 4.0),
    st.floats(1e-6, 4.0),
    st.integers(150, 900),
    st.integers(150, 900),
)
def test_the_scale_bar_is_the_longest_round_length_within_30_percent(
    lon: float, lat: float, d_lon: float, d_lat: float, width: int, height: int
) -> None:
    frame = frame_around([(lon, lat), (lon + d_lon, lat + d_lat)], width, height, band_px=BAND_PX)
    metres = scale_bar_m(frame)
    bar = _bar_px(metres, frame.scale)
    assert bar <= MAX_BAR_SHARE * width  # this side of the limit...
    longer = [m for m in NICE_M if m > metres]
    if longer:  # ...and the next round length is over it
        assert _bar_px(longer[0], frame.scale) > MAX_BAR_SHARE * width
    # The end label (centred on the bar's end, at most "1000 km" wide) stays in the panel.
    assert BAR_X_PX + bar + 3.5 * len(length_text(metres)) < width


def test_a_small_area_gets_a_short_bar() -> None:
    # About 300 m across in a 760 px panel: the old fallback drew 0.5 km, 900 px long.
    frame = frame_around([(-1.5530, 53.8068), (-1.5497, 53.8096)], 760, 680, band_px=BAND_PX)
    assert scale_bar_m(frame) == 100
    assert length_text(100) == "100 m" and length_text(250) == "250 m"
    assert length_text(1000) == "1 km" and length_text(2000) == "2 km"


@given(
    st.lists(st.tuples(st.floats(-3.0, 1.0), st.floats(51.0, 54.0)), min_size=1, max_size=20),
    st.integers(200, 900),
    st.integers(200, 900),
)
def test_fitted_points_stay_above_the_band(
    points: list[tuple[float, float]], width: int, height: int
) -> None:
    frame = frame_around(points, width, height, band_px=BAND_PX)
    assert frame.height <= height + 1
    for lon, lat in points:
        _, y = frame.xy(lon, lat)
        assert y <= frame.height - BAND_PX - PAD_PX + 1e-6
        assert frame.contains(lon, lat)


def _furniture_box(panel: ET.Element) -> tuple[float, float, float, float]:
    group = next(g for g in panel.iter(f"{SVG}g") if g.attrib.get("class") == "furniture")
    pts = [p for el in group.iter() for p in element_points(el)]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def _drawn_points(panel: ET.Element, *, clipped_routes: bool) -> list[tuple[float, float]]:
    """Every home, school marker, depot and (unless clipped) route vertex of a panel."""
    pts = []
    for el in panel.iter():
        classes = el.attrib.get("class", "").split()
        if {"home", "depot", "school-dot", "anchor"} & set(classes) or (
            "route" in classes and not clipped_routes
        ):
            pts += element_points(el)
    for g in panel.iter(f"{SVG}g"):
        if "school" in g.attrib.get("class", "").split():
            pts += [p for el in g for p in element_points(el)]
    return pts


def _assert_clear_of_furniture(html: str) -> None:
    panels = map_panels(html)
    for name, panel in panels.items():
        x0, y0, x1, y1 = _furniture_box(panel)
        _, _, w, h = (float(v) for v in panel.attrib["viewBox"].split())
        assert x0 >= 0 and x1 <= w and y1 <= h and y0 >= h - BAND_PX - 1e-6
        clipped = name == "city" and "overview" in panels  # routes to far schools, clipped
        pts = _drawn_points(panel, clipped_routes=clipped)
        assert pts
        for x, y in pts:
            assert not (x0 <= x <= x1 and y0 <= y <= y1), (name, x, y)


def test_no_point_lies_under_the_furniture_at_the_edges(tmp_path: Path) -> None:
    folder = tmp_path / "edge"
    folder.mkdir()
    for name, lines in EDGE.items():
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    scenario = load_scenario(folder)
    result = sendplan.solve(scenario, stop=sendplan.MaxIterations(20), seed=1)
    _assert_clear_of_furniture(render_report(result))


@pytest.mark.parametrize("case", ["demo", "routes", "place"])
def test_no_point_lies_under_the_furniture(case: str, results: dict[str, Result]) -> None:
    _assert_clear_of_furniture(render_report(results[case]))
