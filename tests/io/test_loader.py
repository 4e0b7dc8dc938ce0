"""The scenario loader: happy paths (folder and .xlsx) and conversions.

The scenario files and helpers are in tests/scenario_files.py; test_loader_errors.py has one test
per kind of error. All children are synthetic.
"""

from __future__ import annotations

import csv
import datetime
import math
import tomllib
from pathlib import Path

import openpyxl
from scenario_files import (
    CHILD_HEADER,
    CHILD_ROWS,
    SCHOOLS_CSV,
    children_csv,
    load_error,
    make_folder,
)

from sendplan.api.loader import load_scenario, read_children, read_policy, read_schools
from sendplan.routing.model import Child, Policy

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
        ride_limit_min_primary=40.0, arrival_window_min=(10.0, 25.0), school_days_per_year=195
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
    assert read_policy(folder / "policy.toml").ride_limit_min_primary == 40.0


def test_earlier_names_of_ride_limits_are_still_read(tmp_path: Path) -> None:
    """A limit is named ride_limit (max_ride_min in a summary is the longest ride observed);
    files written with the earlier names load the same."""
    old_header = CHILD_HEADER.replace("ride_limit_min", "max_ride_min")
    folder = make_folder(
        tmp_path,
        children_csv=children_csv(*CHILD_ROWS, header=old_header),
        policy_toml="max_ride_min_primary = 40\nmax_ride_min_secondary = 70\n",
    )
    scenario = load_scenario(folder)
    assert scenario.children[1].ride_limit_min == 40.0
    assert scenario.policy.ride_limit_min_primary == 40.0
    assert scenario.policy.ride_limit_min_secondary == 70.0
