"""Write data/leicester_lsoa_outlines.geojson: Leicester's 200 LSOA outlines for the report's map.

Usage: python data/tools/make_lsoa_outlines.py [SOURCE.geojson] [OUT.geojson]

Reads ../shared/data/population/leicester_lsoa21_imd2025_pop2022.geojson (LSOA 2021 polygons,
EPSG:4326), keeps only the LSOA code and the geometry, simplifies the polygons together as one
coverage (neighbours keep a shared edge, so no slivers or gaps open between them) at about
TOLERANCE_M metres, rounds coordinates to 5 decimals (about 1 m) and writes compact JSON sorted
by code, so the same source gives the same bytes.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape

HERE = Path(__file__).resolve().parents[1]
SOURCE = HERE.parents[1] / "shared/data/population/leicester_lsoa21_imd2025_pop2022.geojson"
OUT = HERE / "leicester_lsoa_outlines.geojson"
TOLERANCE_M = 35.0
DECIMALS = 5
EARTH_M_PER_DEG = 111_320.0


def _rounded(coords: Any) -> Any:
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], DECIMALS), round(coords[1], DECIMALS)]
    return [_rounded(c) for c in coords]


def main(source: Path, out: Path) -> None:
    features = json.loads(source.read_text(encoding="utf-8"))["features"]
    features.sort(key=lambda f: f["properties"]["LSOA code"])
    codes = [f["properties"]["LSOA code"] for f in features]
    geoms = [shape(f["geometry"]) for f in features]
    # Simplify in local metres (an equirectangular projection about the city's mean latitude
    # is accurate to well under a metre over 12 km), so the tolerance means the same in x and y.
    lat0 = sum(g.centroid.y for g in geoms) / len(geoms)
    kx = EARTH_M_PER_DEG * math.cos(math.radians(lat0))
    to_m = shapely.transform(geoms, lambda xy: xy * [kx, EARTH_M_PER_DEG])
    simple = shapely.coverage_simplify(to_m, TOLERANCE_M)
    back = shapely.transform(simple, lambda xy: xy / [kx, EARTH_M_PER_DEG])
    rows = [
        {
            "type": "Feature",
            "properties": {"lsoa21cd": code},
            "geometry": {**(m := mapping(g)), "coordinates": _rounded(m["coordinates"])},
        }
        for code, g in zip(codes, back, strict=True)
    ]
    doc = {"type": "FeatureCollection", "features": rows}
    out.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{out}: {len(rows)} outlines, {out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE,
        Path(sys.argv[2]) if len(sys.argv) > 2 else OUT,
    )
