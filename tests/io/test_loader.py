"""The scenario loader: happy paths (folder and .xlsx), conversions, and one test per kind of error.

Every error test asserts the file, row and field the InputError names. All children are synthetic.
"""

from __future__ import annotations

import datetime
import math
import pickle
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sendplan.api.loader import load_scenario, read_children, read_policy, read_schools
from sendplan.errors import InputError
from sendplan.routing.model import Child, Policy

SCHOOL_HEADER = (
    "school_id,name,lon,lat,la_code,type,age_low,age_high,sex,designations,capacity,"
    "residential_places,annual_cost_gbp,bell_am,finish_pm,in_area"
)
SCHOOLS_CSV = "\n".join(
    (
        SCHOOL_HEADER,
        "120001,Ash Field Academy,-1.0850,52.6550,856,academy,4,19,mixed,PD;PMLD;SLD,120,2,42000,"
        "08:50,15:00,true",
        "120002,Keyham Lodge,-1.0790,52.6430,856,la_maintained,11,16,M,SEMH,80,,35000.5,,,",
        "130003,Far Away School,-1.50,52.40,937,independent,5,18,mixed,ASD;SLCN,40,10,90000,"
        "09:15,15:30,no",
        "",
    )
)
CHILD_HEADER = (
    "child_id,lon,lat,age,sex,primary_need,secondary_needs,wheelchair,residential_need,"
    "current_school,locked,preferences,max_ride_min,transport_eligible,home_la"
)
CHILD_ROWS = (
    "C001,-1.1335,52.6363,7,M,PMLD,PD,true,no,,,120001,,,",
    "C002,-1.1100,52.6200,14,F,SEMH,,0,,120002,yes,120002;120001,40,false,",
    "C003,-1.1200,52.6300,9,F,ASD,SLCN;MLD,,Y,,,130003;120001,,,855",
)
FLEET_CSV = """\
name,seats,wheelchair_spaces,has_assistant,fixed_cost_gbp,cost_per_km_gbp,available,depot_lon,depot_lat
minibus,16,2,true,95,1.2,10,-1.12,52.62
taxi,4,0,,30,1.5,40,-1.12,52.62
"""
POLICY_TOML = """\
# a comment
max_ride_min_primary = 40
arrival_window_min = [10, 25]
school_days_per_year = 195
"""


def children_csv(*rows: str, header: str = CHILD_HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def make_folder(tmp_path: Path, **files: str | bytes | None) -> Path:
    """A scenario folder with the standard files, some replaced (None leaves a file out)."""
    folder = tmp_path / "scenario"
    folder.mkdir(exist_ok=True)
    contents: dict[str, str | bytes | None] = {
        "schools.csv": SCHOOLS_CSV,
        "children.csv": children_csv(*CHILD_ROWS),
        "fleet.csv": FLEET_CSV,
        "policy.toml": POLICY_TOML,
    }
    contents.update({name.replace("_", "."): text for name, text in files.items()})
    for name, text in contents.items():
        if text is None:
            continue
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


def load_error(folder: Path, **kwargs: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        load_scenario(folder, **kwargs)
    return caught.value


# --- happy paths -------------------------------------------------------------------------------


def test_folder_loads_every_field(tmp_path: Path) -> None:
    scenario = load_scenario(make_folder(tmp_path), seed=5)
    assert scenario.name == "scenario"
    assert scenario.seed == 5
    assert [c.child_id for c in scenario.children] == ["C001", "C002", "C003"]
    c1, c2, c3 = scenario.children
    assert (c1.lon, c1.lat, c1.age, c1.sex) == (-1.1335, 52.6363, 7, "M")
    assert c1.wheelchair and not c1.residential_need and c1.transport_eligible
    assert c1.secondary_needs == ("PD",) and c1.preferences == ("120001",)
    assert c1.home_la == "856" and c1.ride_limit_min is None and c1.current_school is None
    assert c2.locked and c2.current_school == "120002" and not c2.wheelchair
    assert c2.preferences == ("120002", "120001") and c2.ride_limit_min == 40.0
    assert not c2.transport_eligible
    assert c3.secondary_needs == ("SLCN", "MLD") and c3.residential_need and c3.home_la == "855"

    s1, s2, s3 = scenario.schools
    assert s1.designations == frozenset({"PD", "PMLD", "SLD"}) and s1.type == "academy"
    assert (s1.bell_am_min, s1.finish_pm_min) == (8 * 60 + 50, 15 * 60)
    assert s1.residential_places == 2 and s1.capacity == 120
    # blank optional cells take the defaults
    assert (s2.bell_am_min, s2.finish_pm_min, s2.in_area) == (540, 915, True)
    assert s2.residential_places == 0 and s2.sex == "M" and s2.annual_cost_gbp == 35000.5
    assert not s3.in_area and s3.la_code == "937"

    minibus, taxi = scenario.fleet
    assert minibus.has_assistant and minibus.seats == 16 and minibus.cost_per_km_gbp == 1.2
    assert not taxi.has_assistant and taxi.available == 40

    assert scenario.policy == Policy(
        max_ride_min_primary=40.0, arrival_window_min=(10.0, 25.0), school_days_per_year=195
    )


def test_fleet_and_policy_are_optional(tmp_path: Path) -> None:
    scenario = load_scenario(make_folder(tmp_path, fleet_csv=None, policy_toml=None))
    assert scenario.fleet == () and scenario.policy == Policy()


def test_children_optional_when_not_required_or_passed_in(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, children_csv=None)
    assert load_scenario(folder, require_children=False).children == ()
    err = load_error(folder)
    assert (err.file, err.row, err.field) == ("children.csv", None, None)
    child = Child("X1", -1.13, 52.63, 8, "ASD", "F", preferences=("120001",))
    assert load_scenario(folder, children=[child]).children == (child,)


def test_blank_rows_are_skipped_but_keep_their_row_number(tmp_path: Path) -> None:
    text = children_csv(CHILD_ROWS[0], ",,,,,,,,,,,,,,", "", "C009,-1.1,52.6,40,M,ASD")
    err = load_error(make_folder(tmp_path, children_csv=text))
    assert (err.file, err.row, err.field) == ("children.csv", 5, "age")


def workbook_from_folder(folder: Path, path: Path, *, drop: str | None = None) -> Path:
    """The folder's files as an .xlsx workbook with typed cells, as a council's spreadsheet has."""
    import csv
    import tomllib

    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for sheet in ("children", "schools", "fleet"):
        if sheet == drop:
            continue
        ws = book.create_sheet(sheet.capitalize() if sheet == "fleet" else sheet)
        with (folder / f"{sheet}.csv").open(newline="", encoding="utf-8") as handle:
            for i, row in enumerate(csv.reader(handle)):
                ws.append([row[0], *(typed_cell(cell) for cell in row[1:])] if i else row)
    ws = book.create_sheet("policy")
    ws.append(["key", "value"])
    for key, value in tomllib.loads((folder / "policy.toml").read_text()).items():
        ws.append([key, ";".join(map(str, value)) if isinstance(value, list) else value])
    book.save(path)
    return path


def typed_cell(text: str) -> object:
    """The value Excel would store for a typed-in cell."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if len(text) == 5 and text[2] == ":":
        return datetime.time(int(text[:2]), int(text[3:]))
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text or None


def test_xlsx_loads_the_same_scenario_as_the_folder(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    book = workbook_from_folder(folder, tmp_path / "leicester.xlsx")
    from_book = load_scenario(book)
    assert from_book.name == "leicester"
    assert from_book == load_scenario(folder, name="leicester")
    assert from_book.policy.arrival_window_min == (10.0, 25.0)


def test_xlsx_missing_sheet(tmp_path: Path) -> None:
    book = workbook_from_folder(make_folder(tmp_path), tmp_path / "s.xlsx", drop="schools")
    err = load_error(book)
    assert (err.file, err.sheet, err.row, err.field) == ("s.xlsx", "schools", None, None)
    assert "missing sheet schools" in str(err)


def test_xlsx_errors_name_sheet_and_row(tmp_path: Path) -> None:
    folder = make_folder(
        tmp_path, children_csv=children_csv(*CHILD_ROWS, "C004,-1.1,52.6,31,M,ASD")
    )
    err = load_error(workbook_from_folder(folder, tmp_path / "s.xlsx"))
    assert (err.file, err.sheet, err.row, err.field) == ("s.xlsx", "children", 5, "age")
    assert str(err) == "s.xlsx sheet children row 5, field age: age 31 is outside 2..25"


def test_xlsx_policy_errors_name_the_row_and_key(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, policy_toml="circuity_factor = 1.4\nmax_ride_minutes = 40\n")
    err = load_error(workbook_from_folder(folder, tmp_path / "s.xlsx"))
    assert (err.file, err.sheet, err.row, err.field) == ("s.xlsx", "policy", 3, "max_ride_minutes")


def test_not_a_workbook(tmp_path: Path) -> None:
    fake = tmp_path / "s.xlsx"
    fake.write_bytes(b"not a zip")
    err = load_error(fake)
    assert (err.file, err.row, err.field) == ("s.xlsx", None, None)


# --- conversions -------------------------------------------------------------------------------


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(dx, math.radians(lat2 - lat1))


def test_easting_northing_convert_to_lon_lat(tmp_path: Path) -> None:
    # Leicester Clock Tower (lon -1.1335, lat 52.6363) lies in OS grid square SK 587 046;
    # the square's centre is about 20 m from it.
    header = "child_id,easting,northing,age,sex,primary_need"
    text = children_csv("C1,458750,304650,8,M,ASD", header=header)
    schools = SCHOOLS_CSV.replace("lon,lat", "easting,northing").replace(
        "-1.0850,52.6550", "458750,304650"
    )
    schools = schools.replace("-1.0790,52.6430", "459000,304000").replace(
        "-1.50,52.40", "425000,275000"
    )
    scenario = load_scenario(make_folder(tmp_path, children_csv=text, schools_csv=schools))
    for point in (scenario.children[0], scenario.schools[0]):
        assert metres_between(point.lon, point.lat, -1.1335, 52.6363) < 50


def test_year_group_converts_to_age(tmp_path: Path) -> None:
    header = "child_id,lon,lat,year_group,sex,primary_need"
    rows = ("C1,-1.1,52.6,R,M,ASD", "C2,-1.1,52.6,7,F,ASD", "C3,-1.1,52.6,Y11,F,ASD")
    text = children_csv(*rows, header=header)
    scenario = load_scenario(make_folder(tmp_path, children_csv=text))
    assert [c.age for c in scenario.children] == [4, 11, 15]


def test_age_and_year_group_must_agree(tmp_path: Path) -> None:
    header = "child_id,lon,lat,age,year_group,sex,primary_need"
    ok = children_csv("C1,-1.1,52.6,11,7,M,ASD", header=header)
    assert load_scenario(make_folder(tmp_path, children_csv=ok)).children[0].age == 11
    bad = children_csv("C1,-1.1,52.6,11,7,M,ASD", "C2,-1.1,52.6,12,7,M,ASD", header=header)
    err = load_error(make_folder(tmp_path, children_csv=bad))
    assert (err.file, err.row, err.field) == ("children.csv", 3, "year_group")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    text = "\ufeff" + children_csv(*CHILD_ROWS)
    folder = make_folder(tmp_path, children_csv=text.encode("utf-8"))
    assert len(load_scenario(folder).children) == 3


def test_need_codes_are_case_insensitive(tmp_path: Path) -> None:
    text = children_csv("C1,-1.1,52.6,9,M,spld,slcn;Pd", "C2,-1.1,52.6,9,m,asd,")
    schools = SCHOOLS_CSV.replace("PD;PMLD;SLD", "pd;Pmld;sld")
    scenario = load_scenario(make_folder(tmp_path, children_csv=text, schools_csv=schools))
    c1, c2 = scenario.children
    assert (c1.primary_need, c1.secondary_needs) == ("SpLD", ("SLCN", "PD"))
    assert (c2.primary_need, c2.sex) == ("ASD", "M")
    assert scenario.schools[0].designations == frozenset({"PD", "PMLD", "SLD"})


def test_header_names_are_case_and_space_insensitive(tmp_path: Path) -> None:
    header = " Child_ID , LON,Lat,Age,SEX,Primary_Need"
    text = children_csv("C1,-1.1,52.6,9,M,ASD", header=header)
    assert load_scenario(make_folder(tmp_path, children_csv=text)).children[0].child_id == "C1"


def test_read_functions_work_on_single_files(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    schools = read_schools(folder / "schools.csv")
    ids = {s.school_id for s in schools}
    assert len(read_children(folder / "children.csv", school_ids=ids)) == 3
    assert read_policy(folder / "policy.toml").max_ride_min_primary == 40.0


# --- errors: one per kind, each naming file, row and field --------------------------------------

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
    ("max-ride", ("C004,-1.1,52.6,9,M,ASD,,,,,,,0",), 5, "max_ride_min", "not above 0"),
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
        pytest.param('max_ride_min_primary = "forty"', "max_ride_min_primary", "must be a number",
                     id="string"),
        pytest.param("max_ride_min_primary = true", "max_ride_min_primary", "must be a number",
                     id="bool"),
        pytest.param("school_days_per_year = 190.5", "school_days_per_year", "whole number",
                     id="fraction"),
        pytest.param("arrival_window_min = [5]", "arrival_window_min", "list of 2 numbers",
                     id="short-list"),
        pytest.param("arrival_window_min = [20, 5]", "arrival_window_min", "low <= high",
                     id="model-check"),
        pytest.param("circuity_factor = 1.2\nunplaced_gbp = -1", "unplaced_gbp", "negative",
                     id="negative"),
        pytest.param("max_ride_min_primary = ", None, "not valid TOML", id="syntax"),
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
