"""Offline postcode geocoding: normalising, the file formats, and errors naming child and row.

Small generated files cover every format; the real Code-Point Open extract in
../shared/data/postcodes is used when present. All children are synthetic.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from sendplan.errors import InputError
from sendplan.geo.postcodes import geocode_postcodes, load_postcodes, normalise_postcode

CODEPOINT = (
    Path(__file__).parents[3] / "shared" / "data" / "postcodes"
    / "codepoint_open_2014-08_LLR_postcodes.csv"
)  # fmt: skip
# LE1 1AA and LE1 1AD as Code-Point Open gives them (eastings, northings) and their WGS84 points.
LE1_1AA = (459327, 304196, -1.124859, 52.632283)
LE1_1AD = (459039, 304558, -1.12905, 52.635569)


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("LE1 1AA", "LE1 1AA"),
        ("le11aa", "LE1 1AA"),
        ("  le1   1aa ", "LE1 1AA"),
        ("LE101AA", "LE10 1AA"),
        ("SW1A 2AA", "SW1A 2AA"),
        ("W1A 0AX", "W1A 0AX"),
        ("B33 8TH", "B33 8TH"),
        ("DN55 1PT", "DN55 1PT"),
        ("GIR 0AA", "GIR 0AA"),
    ],
)
def test_normalise_valid_postcodes(text, normal) -> None:
    assert normalise_postcode(text) == normal


@pytest.mark.parametrize(
    "text", ["", "LE1", "LE1 1A", "LE1 1AAA", "1LE 1AA", "LEEE1 1AA", "LE1-1AA"]
)
def test_normalise_rejects_malformed_postcodes(text) -> None:
    with pytest.raises(ValueError):
        normalise_postcode(text)


def write(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.fixture
def formats(tmp_path) -> dict[str, Path]:
    """The same two postcodes (and one without a position) in each supported format."""
    e1, n1, lon1, lat1 = LE1_1AA
    e2, n2, lon2, lat2 = LE1_1AD
    codes = ["E92000001", "E19000001", "E18000004", "", "E06000016", "E05001789"]
    codepoint = [
        ["LE1 1AA", 10, e1, n1, *codes],
        ["LE1 1AD", 10, e2, n2, *codes],
        ["LE1 9ZZ", 90, 0, 0, "E92000001", "", "", "", "", ""],
    ]
    onspd = [
        ["pcd", "pcd2", "pcds", "doterm", "oseast1m", "osnrth1m", "lat", "long"],
        ["LE1 1AA", "LE1  1AA", "LE1 1AA", "", e1, n1, lat1, lon1],
        ["LE1 1AD", "LE1  1AD", "LE1 1AD", "201001", e2, n2, lat2, lon2],
        ["LE1 9ZZ", "LE1  9ZZ", "LE1 9ZZ", "", "", "", 99.999999, 0.0],
    ]
    grid = [["Postcode", "Eastings", "Northings"], ["le11aa", e1, n1], ["LE1 1AD", e2, n2]]
    return {
        "codepoint": write(tmp_path / "le.csv", codepoint),
        "onspd": write(tmp_path / "onspd.csv", onspd),
        "grid": write(tmp_path / "grid.csv", grid),
    }


@pytest.mark.parametrize("kind", ["codepoint", "onspd", "grid"])
def test_every_format_geocodes_the_same_points(formats, kind) -> None:
    table = load_postcodes(formats[kind])
    assert len(table) == 2 and "LE1 1AA" in table and "le1 9zz" not in table
    points = geocode_postcodes(table, ["le1 1aa", "LE11AD"], ids=["C001", "C002"])
    # Eastings/northings go through the pinned Helmert transformation: within about a metre.
    want = [[LE1_1AA[2], LE1_1AA[3]], [LE1_1AD[2], LE1_1AD[3]]]
    np.testing.assert_allclose(points, want, atol=1e-5)


def test_wanted_keeps_only_those_postcodes(formats) -> None:
    table = load_postcodes(formats["onspd"], wanted=["le1 1ad"])
    assert len(table) == 1 and "LE1 1AD" in table


@pytest.mark.parametrize(
    ("postcode", "problem"), [("LE1 9ZZ", "not in le.csv"), ("LE1 1A", "not a valid UK postcode")]
)
def test_bad_child_postcode_names_child_row_and_field_not_the_postcode(formats, postcode, problem):
    table = load_postcodes(formats["codepoint"])
    with pytest.raises(InputError) as caught:
        geocode_postcodes(
            table, ["LE1 1AA", postcode], ids=["C001", "C002"], rows=[2, 3], file="children.csv"
        )
    err = caught.value
    assert (err.file, err.row, err.field) == ("children.csv", 3, "postcode")
    assert "C002" in str(err) and problem in str(err)
    assert postcode not in str(err) and postcode.replace(" ", "") not in str(err)


def test_bad_postcode_files(tmp_path) -> None:
    with pytest.raises(InputError, match="no postcode column") as caught:
        load_postcodes(write(tmp_path / "a.csv", [["code", "lat", "lon"], ["LE1 1AA", 52, -1]]))
    assert caught.value.row == 1
    with pytest.raises(InputError, match="no coordinate columns"):
        load_postcodes(write(tmp_path / "b.csv", [["postcode", "x"], ["LE1 1AA", 1]]))
    with pytest.raises(InputError) as caught:
        load_postcodes(
            write(tmp_path / "c.csv", [["postcode", "lat", "lon"], ["LE1 1AA", "n/a", 1]])
        )
    assert (caught.value.file, caught.value.row, caught.value.field) == ("c.csv", 2, "lat")
    with pytest.raises(InputError, match="not a UK postcode"):
        load_postcodes(write(tmp_path / "d.csv", [["postcode", "lat", "lon"], ["XX", 52, -1]]))
    with pytest.raises(InputError, match="empty"):
        load_postcodes(write(tmp_path / "e.csv", []))
    with pytest.raises(InputError, match="not found"):
        load_postcodes(tmp_path / "missing.csv")


def test_real_codepoint_extract(tmp_path) -> None:
    if not CODEPOINT.is_file():
        pytest.skip("Code-Point Open extract not in ../shared/data/postcodes")
    table = load_postcodes(CODEPOINT)
    assert len(table) > 23_000
    points = geocode_postcodes(table, ["LE1 1AA", "le1 1ad"], ids=["C001", "C002"])
    np.testing.assert_allclose(points, [LE1_1AA[2:], LE1_1AD[2:]], atol=1e-9)
    # The same rows as Code-Point Open publishes them (no header, eastings/northings) agree with
    # the file's own lat/lon to within a metre.
    with CODEPOINT.open() as handle:
        rows = list(csv.DictReader(handle))[::97]
    raw = [[r["postcode"], r["positional_quality"], r["easting"], r["northing"]] for r in rows]
    converted = load_postcodes(write(tmp_path / "raw.csv", raw))
    codes = [r["postcode"] for r in rows if r["positional_quality"] != "90"]
    ids = [f"C{i:04d}" for i in range(len(codes))]
    np.testing.assert_allclose(
        geocode_postcodes(converted, codes, ids=ids),
        geocode_postcodes(table, codes, ids=ids),
        atol=1e-5,
    )
