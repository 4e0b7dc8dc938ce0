"""The report's basemap: Leicester's LSOA outlines ship with the package, small, and rebuild to
the same bytes from ../shared (data/SOURCES.md, "Basemap")."""

from __future__ import annotations

import runpy
from importlib.resources import files
from pathlib import Path

import pytest

from sendplan.api.report_map_data import BASEMAP, basemap_rings

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT.parent / "shared/data/population/leicester_lsoa21_imd2025_pop2022.geojson"


def test_the_outlines_ship_with_the_package_and_stay_small() -> None:
    shipped = files("sendplan.data").joinpath(BASEMAP)
    assert len(shipped.read_bytes()) < 300_000
    rings = basemap_rings()
    assert len(rings) >= 200  # one outer ring per LSOA, and any holes
    for ring in rings:
        assert ring[0] == ring[-1] and len(ring) >= 4
        for lon, lat in ring:  # Leicester's bounding box (data/SOURCES.md), rounded outwards
            assert -1.23 < lon < -1.03 and 52.57 < lat < 52.70
            assert round(lon, 5) == lon and round(lat, 5) == lat


@pytest.mark.skipif(not SOURCE.is_file(), reason="../shared is absent")
def test_the_tool_rebuilds_the_same_bytes(tmp_path: Path) -> None:
    tool = runpy.run_path(str(ROOT / "data/tools/make_lsoa_outlines.py"))
    out = tmp_path / "outlines.geojson"
    tool["main"](SOURCE, out)
    assert out.read_bytes() == (ROOT / "data" / BASEMAP).read_bytes()
