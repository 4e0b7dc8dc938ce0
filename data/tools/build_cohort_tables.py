"""Build data/cohort_profile.csv, data/flags_profile.csv and data/lsoa_children.csv from ../shared/data.

One-off; run with the project venv:  python build_cohort_tables.py /work/shared/data /work/main/data
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import shapely
from pyproj import Transformer
from shapely.geometry import shape

NEEDS = ("ASD", "SEMH", "SLCN", "MLD", "SLD", "PMLD", "PD", "HI", "VI", "MSI", "SpLD", "OTH")
NEED_COLUMNS = {n: f"number_{n.lower()}" for n in NEEDS} | {"unknown": "number_need_unknown"}
PLACEMENTS = {
    "Special - LA maintained": "la_maintained",
    "Special - Academy/free schools": "academy_free",
    "Special - independent": "independent",
    "Special - non-maintained": "non_maintained",
}
FIELDS = ("table", "need", "age", "sex", "placement", "area", "year", "count", "source")


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def one(rows: list[dict[str, str]], **match: str) -> dict[str, str]:
    hits = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(hits) == 1, (match, len(hits))
    return hits[0]


def profile_rows(sen: Path) -> list[dict[str, object]]:
    needs_file = "sen2_2025_sen_needs_all_plans.csv"
    caseload_file = "sen2_2025_caseload.csv"
    res_file = "sen2_2025_residential_settings.csv"
    newplans_file = "sen2_2025_newplans.csv"
    files = {f: read(sen / f) for f in (needs_file, caseload_file, res_file, newplans_file)}
    out: list[dict[str, object]] = []

    def add(table: str, file: str, column: str, match: dict[str, str], **keys: object) -> None:
        row = one(files[file], **match)
        area = row["old_la_code"] or row["geographic_level"]
        # The source names the breakdown topic: "age 3" is both a current age and an age at start.
        source = (
            f"{file}: {area} {row['time_period']} {row['breakdown_topic']} / "
            f"{row['breakdown']}; {column}"
        )
        out.append({"table": table, "count": int(row[column]), "source": source, **keys})

    lei = {"old_la_code": "856", "time_period": "202425"}
    for need, col in NEED_COLUMNS.items():
        add("special_need", needs_file, col, lei | {"breakdown": "Special - total"}, need=need)
    for breakdown, placement in PLACEMENTS.items():
        for need, col in NEED_COLUMNS.items():
            add(
                "special_need_placement",
                needs_file,
                col,
                lei | {"breakdown": breakdown},
                need=need,
                placement=placement,
            )
    ages = {"breakdown_topic": "Child or young persons age"}
    for age in range(4, 20):
        for need, col in NEED_COLUMNS.items():
            add(
                "all_plans_need_age",
                needs_file,
                col,
                lei | ages | {"breakdown": f"age {age}"},
                need=need,
                age=age,
            )
    sexes = {"breakdown_topic": "Sex"}
    for sex, label in (("M", "Male"), ("F", "Female")):
        for need, col in NEED_COLUMNS.items():
            add(
                "all_plans_need_sex",
                needs_file,
                col,
                lei | sexes | {"breakdown": label},
                need=need,
                sex=sex,
            )
    for age in range(3, 26):
        add(
            "special_age",
            caseload_file,
            "special_total",
            lei | ages | {"breakdown": f"age {age}"},
            age=age,
        )
    for sex, label in (("M", "Male"), ("F", "Female")):
        add(
            "special_sex",
            caseload_file,
            "special_total",
            lei | sexes | {"breakdown": label},
            sex=sex,
        )
    for year in ("201819", "201920", "202021", "202122", "202223", "202324", "202425"):
        la_year = {"old_la_code": "856", "time_period": year}
        add(
            "residential_placements",
            res_file,
            "Res_tot",
            la_year | {"breakdown": "All residential placements"},
            area="Leicester",
            year=year,
        )
        add(
            "special_total",
            caseload_file,
            "special_total",
            la_year | {"breakdown": "All EHC plans"},
            area="Leicester",
            year=year,
        )
    # New EHC plans issued in calendar 2024 whose first placement is a special school (all ages):
    # over the January 2025 special caseload, the share of children with a plan under a year old.
    add(
        "new_plans_special",
        newplans_file,
        "special_total",
        {"old_la_code": "856", "time_period": "2024", "breakdown": "New EHC plans"},
        area="Leicester",
        year="2024",
    )
    england = {"geographic_level": "National", "time_period": "202425"}
    add(
        "residential_placements",
        res_file,
        "Res_tot",
        england | {"breakdown": "Special - total"},
        area="England",
        year="202425",
    )
    add(
        "special_total",
        caseload_file,
        "special_total",
        england | {"breakdown": "All EHC plans"},
        area="England",
        year="202425",
    )
    return out


def lsoa_rows(geojson: Path, tolerance_m: float) -> list[dict[str, object]]:
    to_grid = Transformer.from_crs(4326, 27700, always_xy=True).transform
    to_wgs = Transformer.from_crs(27700, 4326, always_xy=True).transform
    features = json.loads(geojson.read_text(encoding="utf-8"))["features"]
    out = []
    for f in sorted(features, key=lambda f: f["properties"]["LSOA code"]):
        p = f["properties"]
        grid = shapely.transform(shape(f["geometry"]), to_grid, interleaved=False)
        simple = shapely.transform(
            grid.simplify(tolerance_m, preserve_topology=True), to_wgs, interleaved=False
        )
        simple = shapely.set_precision(simple, 1e-6)
        assert simple.is_valid and simple.geom_type == "Polygon" and not simple.is_empty, p
        out.append(
            {
                "lsoa_code": p["LSOA code"],
                "ward": p["Ward Name"],
                "centroid_lon": f"{float(p['centroid_lon']):.6f}",
                "centroid_lat": f"{float(p['centroid_lat']):.6f}",
                "children_0_15": int(p["Pop_0015_2022"]),
                "imd_decile": int(p["IMD2025_decile"]),
                "polygon_wkt": shapely.to_wkt(simple, rounding_precision=6, trim=True),
            }
        )
    return out


def write(path: Path, fields: tuple[str, ...] | list[str], rows: list[dict[str, object]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def main() -> None:
    shared, data = Path(sys.argv[1]), Path(sys.argv[2])
    write(data / "cohort_profile.csv", FIELDS, profile_rows(shared / "sen_statistics"))
    lsoas = lsoa_rows(shared / "population" / "leicester_lsoa21_imd2025_pop2022.geojson", 15.0)
    write(data / "lsoa_children.csv", list(lsoas[0]), lsoas)


if __name__ == "__main__":
    main()
