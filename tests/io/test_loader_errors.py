"""The scenario loader's errors: one test per kind, each naming the file, row and field.

Every error test asserts the file, row and field the InputError names. All children are synthetic.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from scenario_files import (
    CHILD_HEADER,
    CHILD_ROWS,
    FLEET_CSV,
    SCHOOLS_CSV,
    children_csv,
    load_error,
    make_folder,
)

from sendplan.api.loader import load_scenario

CHILD_ERRORS = [
    # (id, rows or (header, rows), row, field, words the message must hold)
    ("age-high", ("C004,-1.1,52.6,31,M,ASD",), 5, "age", "age 31 is outside 2..25"),
    ("age-low", ("C004,-1.1,52.6,1,M,ASD",), 5, "age", "outside 2..25"),
    ("age-not-number", ("C004,-1.1,52.6,seven,M,ASD",), 5, "age", "'seven' is not a number"),
    ("age-fraction", ("C004,-1.1,52.6,7.5,M,ASD",), 5, "age", "not a whole number"),
    ("need", ("C004,-1.1,52.6,9,M,AUT",), 5, "primary_need", "unknown need code 'AUT'"),
    ("secondary-need", ("C004,-1.1,52.6,9,M,ASD,XX",), 5, "secondary_needs", "unknown need"),
    ("need-twice", ("C004,-1.1,52.6,9,M,ASD,MLD;mld",), 5, "secondary_needs", "listed twice"),
    ("sex", ("C004,-1.1,52.6,9,X,ASD",), 5, "sex", "not M or F"),
    ("outside-uk", ("C004,2.35,48.85,9,M,ASD",), 5, "lon", "outside the UK"),
    ("swapped", ("C004,52.63,-1.13,9,M,ASD",), 5, "lon", "lat and lon look swapped"),
    ("lat-not-number", ("C004,-1.1,north,9,M,ASD",), 5, "lat", "not a number"),
    ("no-location", ("C004,,,9,M,ASD",), 5, "lon", "no location"),
    ("half-location", ("C004,-1.1,,9,M,ASD",), 5, "lat", "pair"),
    ("duplicate-id", ("C004,-1.1,52.6,9,M,ASD", "C002,-1.1,52.6,9,M,ASD"), 6, "child_id",
     "duplicate child_id 'C002' (first on row 3)"),
    ("blank-id", (",-1.1,52.6,9,M,ASD",), 5, "child_id", "required but blank"),
    ("preference", ("C004,-1.1,52.6,9,M,ASD,,,,,,120001;999999",), 5, "preferences",
     "unknown school '999999'"),
    ("preference-twice", ("C004,-1.1,52.6,9,M,ASD,,,,,,120001;120001",), 5, "preferences",
     "listed twice"),
    ("current-school", ("C004,-1.1,52.6,9,M,ASD,,,,999999",), 5, "current_school",
     "unknown school '999999'"),
    ("locked-alone", ("C004,-1.1,52.6,9,M,ASD,,,,,true",), 5, "locked", "current_school is blank"),
    ("bool", ("C004,-1.1,52.6,9,M,ASD,,maybe",), 5, "wheelchair", "'maybe' is not a boolean"),
    ("max-ride", ("C004,-1.1,52.6,9,M,ASD,,,,,,,0",), 5, "ride_limit_min", "0 is outside 1..600"),
    ("home-la", ("C004,-1.1,52.6,9,M,ASD,,,,,,,,,LEI",), 5, "home_la", "3-digit LA code"),
    ("extra-cell", ("C004,-1.1,52.6,9,M,ASD,,,,,,,,,,oops",), 5, None, "has no header"),
    ("year-group", ("child_id,lon,lat,year_group,sex,primary_need", ("C1,-1.1,52.6,15,M,ASD",)),
     2, "year_group", "year_group '15' is not R or 0..14"),
    ("year-group-text", ("child_id,lon,lat,year_group,sex,primary_need", ("C1,-1.1,52.6,Z,M,ASD",)),
     2, "year_group", "is not R or 0..14"),
    ("postcode-only", ("child_id,postcode,age,sex,primary_need", ("C1,LE1 5YA,9,M,ASD",)),
     2, "postcode", "needs a postcode file"),
    ("missing-column", ("child_id,lon,lat,age,primary_need", ("C1,-1.1,52.6,9,ASD",)),
     1, "sex", "missing required column sex"),
    ("missing-location-column", ("child_id,age,sex,primary_need", ("C1,9,M,ASD",)),
     1, "lon", "give lon,lat or easting,northing or postcode"),
    ("half-location-column", ("child_id,lon,age,sex,primary_need", ("C1,-1.1,9,M,ASD",)),
     1, "lat", "missing column lat"),
    ("missing-age-column", ("child_id,lon,lat,sex,primary_need", ("C1,-1.1,52.6,M,ASD",)),
     1, "age", "give age or year_group"),
    ("unknown-column", ("child_id,lon,lat,age,sex,primary_need,name", ("C1,-1.1,52.6,9,M,ASD,A",)),
     1, "name", "unknown column 'name' (pseudonymous ids only"),
    ("typo-column", ("child_id,lon,lat,age,sex,primary_ned", ("C1,-1.1,52.6,9,M,ASD",)),
     1, "primary_ned", "did you mean primary_need?"),
    ("column-twice", ("child_id,lon,lat,age,sex,primary_need,age", ("C1,-1.1,52.6,9,M,ASD,9",)),
     1, "age", "appears twice"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "row", "field", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in CHILD_ERRORS],
)
def test_children_errors(
    tmp_path: Path, rows: tuple, row: int, field: str | None, words: str
) -> None:
    if rows[0].startswith("child_id"):
        header, body = rows
        text = children_csv(*body, header=header)
    else:
        text = children_csv(*CHILD_ROWS, *rows)
    err = load_error(make_folder(tmp_path, children_csv=text))
    assert (err.file, err.row, err.field) == ("children.csv", row, field)
    assert words in err.message
    assert "\n" not in str(err)


def test_error_line_format(tmp_path: Path) -> None:
    rows = (*CHILD_ROWS, "C004,-1.1,52.6,9,M,ASD", "C005,-1.1,52.6,9,M,ASD")
    text = children_csv(*rows, "C006,-1.1,52.6,31,M,ASD")
    err = load_error(make_folder(tmp_path, children_csv=text))
    assert str(err) == "children.csv row 7, field age: age 31 is outside 2..25"
    again = pickle.loads(pickle.dumps(err))
    assert (str(again), again.row, again.field) == (str(err), 7, "age")


@pytest.mark.parametrize(
    "row",
    ["C004,-1.1234567,north-ish,9,M,ASD", "C004,2.3456789,48.8512345,9,M,ASD"],
    ids=["bad-number", "outside-uk"],
)
def test_location_errors_do_not_echo_the_location(tmp_path: Path, row: str) -> None:
    err = load_error(make_folder(tmp_path, children_csv=children_csv(row)))
    assert err.row == 2
    for value in row.split(",")[1:3]:
        assert value not in str(err)


def test_postcode_is_not_echoed(tmp_path: Path) -> None:
    text = children_csv("C1,LE1 5YA,9,M,ASD", header="child_id,postcode,age,sex,primary_need")
    err = load_error(make_folder(tmp_path, children_csv=text))
    assert "LE1" not in str(err)


SCHOOL_ERRORS = [
    ("negative-capacity", ("-1.1,52.6", "capacity", "-5"), "capacity", "-5 is negative"),
    ("capacity-text", ("-1.1,52.6", "capacity", "lots"), "capacity", "'lots' is not a number"),
    ("bell", ("-1.1,52.6", "bell_am", "9am"), "bell_am", "'9am' is not a time HH:MM"),
    ("bell-hour", ("-1.1,52.6", "finish_pm", "25:00"), "finish_pm", "not a time HH:MM"),
    ("in-area", ("-1.1,52.6", "in_area", "perhaps"), "in_area", "not a boolean"),
    ("type", ("-1.1,52.6", "type", "special"), "type", "unknown school type 'special'"),
    ("designation", ("-1.1,52.6", "designations", "ASD;AUT"), "designations", "unknown need"),
    ("la-code", ("-1.1,52.6", "la_code", "85"), "la_code", "3-digit LA code"),
    ("age-order", ("-1.1,52.6", "age_low", "17"), "age_high", "below age_low"),
    ("residential", ("-1.1,52.6", "residential_places", "500"), "residential_places",
     "more residential places than capacity"),
    ("outside-uk", ("2.35,48.85", None, None), "lon", "outside the UK"),
    ("swapped", ("52.6,-1.1", None, None), "lon", "swapped"),
    ("duplicate", ("-1.1,52.6", "school_id", "120001"), "school_id",
     "duplicate school_id '120001' (first on row 2)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field", "words"), [pytest.param(*case[1:], id=case[0]) for case in SCHOOL_ERRORS]
)
def test_schools_errors(
    tmp_path: Path, change: tuple[str, str | None, str | None], field: str, words: str
) -> None:
    location, column, value = change
    header = SCHOOLS_CSV.splitlines()[0].split(",")
    cells = [
        "S9", "New School", "LON", "LAT", "856", "free", "4", "11", "mixed", "ASD", "50", "0",
        "30000", "09:00", "15:15", "true",
    ]  # fmt: skip
    cells[2:4] = location.split(",")
    if column is not None:
        cells[header.index(column)] = value or ""
    err = load_error(make_folder(tmp_path, schools_csv=SCHOOLS_CSV + ",".join(cells) + "\n"))
    assert (err.file, err.row, err.field) == ("schools.csv", 5, field)
    assert words in err.message


def test_schools_missing_required_column(tmp_path: Path) -> None:
    text = SCHOOLS_CSV.replace(",capacity,", ",").replace(",120,2,", ",2,")
    err = load_error(make_folder(tmp_path, schools_csv=text))
    assert (err.file, err.row, err.field) == ("schools.csv", 1, "capacity")


def test_fleet_errors(tmp_path: Path) -> None:
    bad_seats = FLEET_CSV + "van,0,0,false,50,1,2,-1.12,52.62\n"
    err = load_error(make_folder(tmp_path, fleet_csv=bad_seats))
    assert (err.file, err.row, err.field) == ("fleet.csv", 4, "seats")
    twice = FLEET_CSV + "taxi,4,0,false,50,1,2,-1.12,52.62\n"
    err = load_error(make_folder(tmp_path, fleet_csv=twice))
    assert (err.file, err.row, err.field) == ("fleet.csv", 4, "name")
    swapped = FLEET_CSV + "van,8,1,false,50,1,2,52.62,-1.12\n"
    err = load_error(make_folder(tmp_path, fleet_csv=swapped))
    assert (err.file, err.row, err.field) == ("fleet.csv", 4, "depot_lon")
    assert "swapped" in err.message


@pytest.mark.parametrize(
    ("file", "content", "row", "words"),
    [
        pytest.param("children.csv", "", None, "empty", id="children-empty"),
        pytest.param("children.csv", "\n\n", None, "empty", id="children-blank-lines"),
        pytest.param("schools.csv", "", None, "empty", id="schools-empty"),
        pytest.param("children.csv", CHILD_HEADER + "\n", None, "no children", id="header-only"),
        pytest.param(
            "schools.csv", SCHOOLS_CSV.splitlines()[0], None, "no schools", id="no-schools"
        ),
    ],
)
def test_empty_files(tmp_path: Path, file: str, content: str, row: int | None, words: str) -> None:
    err = load_error(make_folder(tmp_path, **{file.replace(".", "_"): content}))
    assert (err.file, err.row, err.field) == (file, row, None)
    assert words in err.message


def test_header_only_children_allowed_when_not_required(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, children_csv=CHILD_HEADER + "\n")
    assert load_scenario(folder, require_children=False).children == ()


def test_non_utf8_file_names_the_row(tmp_path: Path) -> None:
    text = children_csv(*CHILD_ROWS).replace("C002", "Cé02").encode("latin-1")
    err = load_error(make_folder(tmp_path, children_csv=text))
    assert (err.file, err.row, err.field) == ("children.csv", 3, None)
    assert "not UTF-8" in err.message


def test_utf16_file_is_named(tmp_path: Path) -> None:
    text = children_csv(*CHILD_ROWS).encode("utf-16")
    err = load_error(make_folder(tmp_path, children_csv=text))
    assert err.file == "children.csv" and "UTF-16" in err.message


@pytest.mark.parametrize(
    ("toml", "field", "words"),
    [
        pytest.param("max_ride_minutes = 40", "max_ride_minutes", "did you mean", id="unknown-key"),
        pytest.param('ride_limit_min_primary = "forty"', "ride_limit_min_primary",
                     "must be a number", id="string"),
        pytest.param("ride_limit_min_primary = true", "ride_limit_min_primary", "must be a number",
                     id="bool"),
        pytest.param("school_days_per_year = 190.5", "school_days_per_year", "whole number",
                     id="fraction"),
        pytest.param("arrival_window_min = [5]", "arrival_window_min", "list of 2 numbers",
                     id="short-list"),
        pytest.param("arrival_window_min = [20, 5]", "arrival_window_min", "low <= high",
                     id="model-check"),
        pytest.param("circuity_factor = 1.2\nunplaced_gbp = -1", "unplaced_gbp", "negative",
                     id="negative"),
        pytest.param("ride_limit_min_primary = ", None, "not valid TOML", id="syntax"),
        pytest.param("mixed_school_routes = 1", "mixed_school_routes", "true or false",
                     id="bool-as-number"),
        pytest.param('mixed_school_routes = "maybe"', "mixed_school_routes", "not a boolean",
                     id="bool-text"),
    ],
)  # fmt: skip
def test_policy_errors(tmp_path: Path, toml: str, field: str | None, words: str) -> None:
    err = load_error(make_folder(tmp_path, policy_toml=toml + "\n"))
    assert (err.file, err.row, err.field) == ("policy.toml", None, field)
    assert words in err.message


@pytest.mark.parametrize(("value", "expected"), [("true", True), ('"yes"', True), ("false", False)])
def test_policy_booleans(tmp_path: Path, value: str, expected: bool) -> None:
    folder = make_folder(tmp_path, policy_toml=f"mixed_school_routes = {value}\n")
    assert load_scenario(folder).policy.mixed_school_routes is expected


def test_missing_scenario_path(tmp_path: Path) -> None:
    err = load_error(tmp_path / "nowhere")
    assert (err.file, err.row, err.field) == ("nowhere", None, None)
    err = load_error(make_folder(tmp_path, schools_csv=None))
    assert (err.file, err.row, err.field) == ("schools.csv", None, None)
