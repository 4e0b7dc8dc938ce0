"""schools.csv opens/closes/reserved_by_designation, children.csv cohort/new_plan and
transport_eligible = policy, scenario.toml's as_of: loading, errors naming file, row and field,
the workbook path, and the writer's round trip."""

from __future__ import annotations

import csv
import dataclasses
import datetime
from pathlib import Path

import openpyxl
import pytest
from scenario_files import (
    CHILD_HEADER,
    CHILD_ROWS,
    SCHOOL_HEADER,
    SCHOOLS_CSV,
    children_csv,
    load_error,
    make_folder,
)

from sendplan.api.loader import load_scenario
from sendplan.api.writer import SCHOOL_COLUMNS, write_scenario

DAY = datetime.date(2025, 1, 16)
NEW_SCHOOL_COLUMNS = ("opens", "closes", "reserved_by_designation")


def _schools(opens: str = "", closes: str = "", reserved: str = "") -> str:
    """SCHOOLS_CSV with the three new columns, set on the first school (row 2) only."""
    lines = SCHOOLS_CSV.strip().split("\n")
    out = [lines[0] + ",opens,closes,reserved_by_designation"]
    out.append(f"{lines[1]},{opens},{closes},{reserved}")
    out += [line + ",,," for line in lines[2:]]
    return "\n".join(out) + "\n"


def _children(cohort: str = "", new_plan: str = "", eligible: str = "") -> str:
    """CHILD_ROWS with cohort and new_plan; the first child (row 2) gets the values given."""
    header = CHILD_HEADER + ",cohort,new_plan"
    first = CHILD_ROWS[0].rsplit(",", 2)[0] + f",{eligible},,{cohort},{new_plan}"
    return children_csv(first, *(row + ",," for row in CHILD_ROWS[1:]), header=header)


def test_new_school_columns_load(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, schools_csv=_schools("2024-09-01", "2026-08-31", "PD:10;SLD:20"))
    school = load_scenario(folder).school("120001")
    assert school.opens == datetime.date(2024, 9, 1)
    assert school.closes == datetime.date(2026, 8, 31)
    assert school.reserved_by_designation == (("SLD", 20), ("PD", 10))  # SEN2 order
    assert load_scenario(folder).school("120002").opens is None


def test_opening_date_unknown_is_date_max(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, schools_csv=_schools("Unknown"))
    assert load_scenario(folder).school("120001").opens == datetime.date.max


@pytest.mark.parametrize(
    ("opens", "closes", "reserved", "field", "words"),
    [
        ("2024-13-01", "", "", "opens", "not a date YYYY-MM-DD or unknown"),
        ("01/09/2024", "", "", "opens", "not a date"),
        ("", "soon", "", "closes", "not a date YYYY-MM-DD"),
        ("2025-01-16", "2025-01-16", "", "closes", "is not after opens 2025-01-16"),
        ("2025-01-16", "2025-01-15", "", "closes", "is not after opens"),
        ("unknown", "2025-01-15", "", "closes", "is not after opens unknown"),
        ("", "", "ASD:5", "reserved_by_designation", "ASD is not among the designations"),
        ("", "", "PD:100;SLD:21", "reserved_by_designation", "total 121, above capacity 120"),
        ("", "", "PD:121", "reserved_by_designation", "above capacity 120"),
        ("", "", "PD", "reserved_by_designation", "not NEED:PLACES"),
    ],
)
def test_school_errors_name_file_row_and_field(
    tmp_path: Path, opens: str, closes: str, reserved: str, field: str, words: str
) -> None:
    err = load_error(make_folder(tmp_path, schools_csv=_schools(opens, closes, reserved)))
    assert (err.file, err.row, err.field) == ("schools.csv", 2, field)
    assert words in err.message


def test_reserved_places_exactly_at_capacity_load(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, schools_csv=_schools(reserved="PD:100;SLD:20"))
    assert sum(n for _, n in load_scenario(folder).school("120001").reserved_by_designation) == 120


def test_new_child_columns_load(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, children_csv=_children("DSP", "yes", "policy"))
    kids = {c.child_id: c for c in load_scenario(folder).children}
    assert (kids["C001"].cohort, kids["C001"].new_plan) == ("dsp", True)
    assert kids["C001"].transport_eligible is None
    # Blank cells keep their defaults: special cohort, no new plan, eligible.
    assert (kids["C003"].cohort, kids["C003"].new_plan, kids["C003"].transport_eligible) == (
        "special",
        False,
        True,
    )


@pytest.mark.parametrize(
    ("cohort", "new_plan", "eligible", "field", "words"),
    [
        ("mainstream", "", "", "cohort", "not a cohort (use special or dsp)"),
        ("", "maybe", "", "new_plan", "not a boolean"),
        ("", "", "council", "transport_eligible", "or policy"),
    ],
)
def test_child_errors_name_file_row_and_field(
    tmp_path: Path, cohort: str, new_plan: str, eligible: str, field: str, words: str
) -> None:
    err = load_error(make_folder(tmp_path, children_csv=_children(cohort, new_plan, eligible)))
    assert (err.file, err.row, err.field) == ("children.csv", 2, field)
    assert words in err.message


# --- scenario.toml ------------------------------------------------------------------------


def test_scenario_toml_sets_as_of_and_is_recorded(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, scenario_toml="# the census day\nas_of = 2025-01-16\n")
    sc = load_scenario(folder)
    assert sc.as_of == DAY
    assert "scenario.toml" in dict(sc.sources)
    # The keyword overrides the file; without either, no date.
    assert load_scenario(folder, as_of=datetime.date(2026, 1, 1)).as_of == datetime.date(2026, 1, 1)
    (tmp_path / "b").mkdir()
    plain = load_scenario(make_folder(tmp_path / "b"))
    assert plain.as_of is None and "scenario.toml" not in dict(plain.sources)


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ('as_of = "2025-01-16"\n', "as_of", "not a string"),
        ("as_of = 2025-01-16T09:00:00\n", "as_of", "must be a date"),
        ("as_of = 20250116\n", "as_of", "must be a date"),
        ("as_of = 2025-01-16\nseed = 3\n", "seed", "unknown key 'seed'"),
        ("as_of = \n", None, "not valid TOML"),
    ],
)
def test_scenario_toml_errors_name_the_file_and_key(
    tmp_path: Path, text: str, field: str | None, words: str
) -> None:
    err = load_error(make_folder(tmp_path, scenario_toml=text))
    assert (err.file, err.field) == ("scenario.toml", field)
    assert words in err.message


def test_empty_scenario_toml_sets_no_date(tmp_path: Path) -> None:
    assert load_scenario(make_folder(tmp_path, scenario_toml="# nothing yet\n")).as_of is None


# --- the workbook ---------------------------------------------------------------------------


def _workbook(folder: Path, path: Path, as_of: object) -> Path:
    """The folder as a workbook; ISO dates typed as Excel date cells; as_of in the policy sheet."""
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for sheet in ("children", "schools", "fleet"):
        ws = book.create_sheet(sheet)
        with (folder / f"{sheet}.csv").open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                ws.append([_typed(cell) for cell in row])
    ws = book.create_sheet("policy")
    ws.append(["key", "value"])
    ws.append(["as_of", as_of])
    book.save(path)
    return path


def _typed(text: str) -> object:
    try:
        return datetime.datetime.fromisoformat(text) if len(text) == 10 else text
    except ValueError:
        return text


def test_workbook_reads_dates_cohorts_reserved_and_as_of(tmp_path: Path) -> None:
    folder = make_folder(
        tmp_path,
        schools_csv=_schools("2024-09-01", "2026-08-31", "PD:10"),
        children_csv=_children("dsp", "true", "policy"),
        policy_toml="",
        scenario_toml="as_of = 2025-01-16\n",
    )
    from_folder = load_scenario(folder, name="s")
    for as_of in (datetime.datetime(2025, 1, 16), "2025-01-16"):
        book = _workbook(folder, tmp_path / "s.xlsx", as_of)
        assert load_scenario(book) == from_folder
    err = load_error(_workbook(folder, tmp_path / "s.xlsx", "16th January"))
    assert (err.file, err.sheet, err.row, err.field) == ("s.xlsx", "policy", 2, "as_of")


# --- the writer -----------------------------------------------------------------------------


def test_writer_round_trips_every_new_field(tmp_path: Path) -> None:
    folder = make_folder(
        tmp_path,
        schools_csv=_schools("unknown", "", "PD:10;SLD:20"),
        children_csv=_children("dsp", "yes", "policy"),
        scenario_toml="as_of = 2025-01-16\n",
    )
    sc = load_scenario(folder, name="rt")
    s2 = dataclasses.replace(sc.schools[1], opens=DAY, closes=datetime.date(2030, 7, 31))
    sc = dataclasses.replace(sc, schools=(sc.schools[0], s2, *sc.schools[2:]))
    out = tmp_path / "out"
    write_scenario(sc, out)
    again = load_scenario(out, name="rt")
    assert again == sc
    assert again.as_of == DAY and again.school("120001").opens == datetime.date.max
    assert (out / "scenario.toml").read_text(encoding="utf-8").endswith("as_of = 2025-01-16\n")
    # Writing what was read gives the same bytes.
    write_scenario(again, tmp_path / "out2")
    for name in ("children.csv", "schools.csv", "scenario.toml"):
        assert (tmp_path / "out2" / name).read_bytes() == (out / name).read_bytes()


def test_writer_leaves_unused_columns_and_scenario_toml_out(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    sc = load_scenario(folder)
    out = tmp_path / "out"
    write_scenario(sc, out)
    header = (out / "schools.csv").read_text(encoding="utf-8").split("\n")[0].split(",")
    assert tuple(header) == SCHOOL_COLUMNS
    child_header = (out / "children.csv").read_text(encoding="utf-8").split("\n")[0]
    assert "cohort" not in child_header and "new_plan" not in child_header
    assert not (out / "scenario.toml").exists()
    # One school closing adds only its column.
    closing = dataclasses.replace(sc.schools[0], closes=DAY)
    write_scenario(dataclasses.replace(sc, schools=(closing, *sc.schools[1:])), tmp_path / "o3")
    header = (tmp_path / "o3" / "schools.csv").read_text(encoding="utf-8").split("\n")[0]
    assert header.split(",")[-1] == "closes" and "opens" not in header
    assert SCHOOL_HEADER.split(",")[0] == header.split(",")[0]
