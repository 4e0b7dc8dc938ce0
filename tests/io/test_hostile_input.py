"""Hostile scenario files (DESIGN.md promises 5 and 11): every kind is refused with exit 2 and one
line naming the file, row and field, with the offending value shown escaped, never raw, and
nothing written; no traceback.

Each case is one kind of hostile input. The README's count is these ``LOADER_KINDS`` (47) plus
the workbook (6, test_xlsx_bombs.py), CLI option and printing (14, tests/cli/test_cli_hostile.py),
routes (1) and output (8, test_formula_injection.py) kinds: 76.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from scenario_files import CHILD_HEADER, CHILD_ROWS, FLEET_CSV, SCHOOLS_CSV, load_error, make_folder
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.policy_file import POLICY_RANGES
from sendplan.errors import printable
from sendplan.routing.model import Policy

RUNNER = CliRunner()
EXT_HEADER = CHILD_HEADER + ",sibling_group,never_with"
SCHOOL_COLUMNS = SCHOOLS_CSV.splitlines()[0].split(",")
FLEET_COLUMNS = FLEET_CSV.splitlines()[0].split(",")
NEW_SCHOOL_ROW = "120009,New School,-1.10,52.64,856,academy,4,19,mixed,ASD,50,,30000,08:50,15:00,"
NEW_SCHOOL = dict(zip(SCHOOL_COLUMNS, (NEW_SCHOOL_ROW + "true").split(","), strict=True))
NEW_VEHICLE = dict(
    zip(FLEET_COLUMNS, "van,8,1,false,40,2.4,5,-1.12,52.62".split(","), strict=True)  # noqa: SIM905
)


def _line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()


def kids(**cells: str) -> dict[str, str]:
    """children.csv: the three standard children, then C004 (row 5) with these cells."""
    columns = EXT_HEADER.split(",")
    row = dict.fromkeys(columns, "")
    row.update(child_id="C004", lon="-1.1", lat="52.6", age="9", sex="M", primary_need="ASD")
    row.update(cells)
    lines = [EXT_HEADER, *(r + ",," for r in CHILD_ROWS), _line([row[c] for c in columns])]
    return {"children_csv": "\n".join(lines) + "\n"}


def schools(**cells: str) -> dict[str, str]:
    """schools.csv: the three standard schools, then a fourth (row 5) with these cells (a cell
    of an optional column adds the column)."""
    extra = [c for c in cells if c not in SCHOOL_COLUMNS]
    columns = [*SCHOOL_COLUMNS, *extra]
    lines = SCHOOLS_CSV.strip("\n").split("\n")
    body = [line + "," * len(extra) for line in lines[1:]]
    row = {**NEW_SCHOOL, **cells}
    new = _line([row[c] for c in columns])
    return {"schools_csv": "\n".join([",".join(columns), *body, new]) + "\n"}


def fleet(**cells: str) -> dict[str, str]:
    """fleet.csv: the two standard vehicle types, then a third (row 4) with these cells."""
    row = {**NEW_VEHICLE, **cells}
    return {"fleet_csv": FLEET_CSV + _line([row[c] for c in FLEET_COLUMNS]) + "\n"}


def policy(text: str) -> dict[str, str]:
    return {"policy_toml": text + "\n"}


C, S, F, P = "children.csv", "schools.csv", "fleet.csv", "policy.toml"

# (kind, files, (file, row, field), words the message holds)
# fmt: off
CASES: list[tuple[str, dict[str, str], tuple[str, int | None, str | None], str]] = [
    # ids: a safe set only (letters, digits, '-', '_', '.', 1..64, a letter or digit first)
    ("id-bel-control-character", kids(child_id="C\x07004"), (C, 5, "child_id"), "'C\\x07004'"),
    ("id-ansi-escape", kids(child_id="C\x1b[31m4"), (C, 5, "child_id"), "\\x1b[31m"),
    ("id-rich-markup", kids(child_id="C[/x]4"), (C, 5, "child_id"), "'C[/x]4'"),
    ("id-formula", schools(school_id="=1+2"), (S, 5, "school_id"), "'=1+2'"),
    ("id-space", kids(child_id="C 4"), (C, 5, "child_id"), "'C 4'"),
    ("id-homoglyph-non-ascii", kids(child_id="\u0421004"), (C, 5, "child_id"), "not 1..64"),
    ("id-over-64-characters", kids(child_id="C" * 65), (C, 5, "child_id"), "..."),
    ("id-leading-dash", kids(child_id="-2+3"), (C, 5, "child_id"), "'-2+3'"),
    ("id-in-preferences", kids(preferences="120001;@SUM(1)"), (C, 5, "preferences"), "@SUM"),
    ("id-in-never-with", kids(never_with="C001;C 2"), (C, 5, "never_with"), "'C 2'"),
    ("id-in-current-school", kids(current_school="<b>x</b>"), (C, 5, "current_school"), "<b>"),
    ("id-sibling-group-path", kids(sibling_group="../g"), (C, 5, "sibling_group"), "'../g'"),
    ("id-vehicle-type-name", fleet(name="=cmd|' /C calc'!A0"), (F, 4, "name"), "=cmd"),
    # free text (a school's name): printable, at most 200 characters
    ("text-control-character", schools(name="Ash\x07Field"), (S, 5, "name"), "control"),
    ("text-bidi-override", schools(name="Ash\u202eField"), (S, 5, "name"), "\\u202e"),
    ("text-over-200-characters", schools(name="A" * 201), (S, 5, "name"), "200 characters"),
    # numbers: finite, within a stated range
    ("capacity-1e20", schools(capacity="1e20"), (S, 5, "capacity"), "is outside 0..100000"),
    ("fee-1e30", schools(annual_cost_gbp="1e30"), (S, 5, "annual_cost_gbp"), "0..10000000"),
    ("fee-nan", schools(annual_cost_gbp="nan"), (S, 5, "annual_cost_gbp"), "not a finite"),
    ("capacity-inf", schools(capacity="inf"), (S, 5, "capacity"), "not a finite"),
    ("fee-minus-inf", schools(annual_cost_gbp="-inf"), (S, 5, "annual_cost_gbp"), "finite"),
    ("capacity-5000-digits", schools(capacity="9" * 5000), (S, 5, "capacity"), "finite"),
    ("capacity-negative", schools(capacity="-5"), (S, 5, "capacity"), "-5 is negative"),
    ("places-per-need-1e9", schools(capacity_by_designation="ASD:1e9"),
     (S, 5, "capacity_by_designation"), "outside 0..100000"),
    ("school-age-1e9", schools(age_high="1e9"), (S, 5, "age_high"), "outside 2..25"),
    ("child-age-1e9", kids(age="1e9"), (C, 5, "age"), "outside 2..25"),
    ("ride-limit-601", kids(ride_limit_min="601"), (C, 5, "ride_limit_min"), "outside 1..600"),
    ("coordinate-1e308", kids(lon="1e308"), (C, 5, "lon"), "outside the UK"),
    ("seats-1e12", fleet(seats="1e12"), (F, 4, "seats"), "outside 1..100"),
    ("wheelchair-spaces-21", fleet(wheelchair_spaces="21"), (F, 4, "wheelchair_spaces"), "0..20"),
    ("available-1e9", fleet(available="1e9"), (F, 4, "available"), "outside 0..10000"),
    ("cost-per-km-1e9", fleet(cost_per_km_gbp="1e9"), (F, 4, "cost_per_km_gbp"), "0..1000"),
    ("fixed-cost-1e9", fleet(fixed_cost_gbp="1e9"), (F, 4, "fixed_cost_gbp"), "0..100000"),
    # school times: within 06:00..20:00, finish after bell
    ("bell-before-dawn", schools(bell_am="03:00"), (S, 5, "bell_am"), "06:00..20:00"),
    ("finish-at-night", schools(finish_pm="23:30"), (S, 5, "finish_pm"), "06:00..20:00"),
    ("finish-before-bell", schools(bell_am="10:00", finish_pm="09:30"), (S, 5, "finish_pm"),
     "is not after bell_am"),
    ("bell-after-default-finish", schools(bell_am="16:00", finish_pm=""), (S, 5, "bell_am"),
     "is not after bell_am 16:00"),
    # policy numbers
    ("policy-pm-departure-negative", policy("pm_departure_after_finish_min = -1"),
     (P, None, "pm_departure_after_finish_min"), "negative"),
    ("policy-arrival-window-500", policy("arrival_window_min = [0, 500]"),
     (P, None, "arrival_window_min"), "outside 0..120"),
    ("policy-penalty-1e30", policy("unplaced_gbp = 1e30"), (P, None, "unplaced_gbp"),
     "outside 0..1000000000"),
    ("policy-nan", policy("travel_gbp_per_min = nan"), (P, None, "travel_gbp_per_min"),
     "finite"),
    ("policy-inf", policy("max_snap_m = inf"), (P, None, "max_snap_m"), "finite"),
    ("policy-school-days-0", policy("school_days_per_year = 0"),
     (P, None, "school_days_per_year"), "outside 1..366"),
    ("policy-huge-integer", policy("max_candidates = 1000000000000"),
     (P, None, "max_candidates"), "outside 0..100000"),
    # structure
    ("csv-field-over-128-kib", kids(child_id="C" * 200_000), (C, 5, None), "not valid CSV"),
    ("header-markup-and-control", {"children_csv": EXT_HEADER + ",[/x]\x07\n"},
     (C, 1, "[/x]\x07"), "unknown column '[/x]\\x07'"),
    ("value-rich-markup", kids(primary_need="[/x][bold]"), (C, 5, "primary_need"),
     "'[/x][bold]'"),
]
# fmt: on
LOADER_KINDS = [case[0] for case in CASES]


@pytest.mark.parametrize(
    ("files", "where", "words"), [pytest.param(*case[1:], id=case[0]) for case in CASES]
)
def test_hostile_file_is_refused_naming_file_row_and_field(
    tmp_path: Path, files: dict[str, str], where: tuple[str, int | None, str | None], words: str
) -> None:
    err = load_error(make_folder(tmp_path, **files))
    assert (err.file, err.row, err.field) == where
    assert words in str(err)
    printed = str(err)
    assert printed.isprintable(), printed  # control characters shown escaped, never raw
    assert len(printed) < 400


@pytest.mark.parametrize(
    ("files", "where", "words"), [pytest.param(*case[1:], id=case[0]) for case in CASES]
)
def test_hostile_file_exits_2_with_one_escaped_line_and_writes_nothing(
    tmp_path: Path, files: dict[str, str], where: tuple[str, int | None, str | None], words: str
) -> None:
    folder = make_folder(tmp_path, **files)
    out = tmp_path / "out"
    result = RUNNER.invoke(app, ["place", str(folder), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    file, row, field = where
    line = result.output.strip()
    assert line.startswith(f"error: {file}") and words in line, line
    if row is not None:
        assert f"row {row}" in line
    if field is not None:
        assert f"field {printable(field)}" in line
    assert "\x07" not in line and "\x1b" not in line and "\u202e" not in line
    assert not out.exists()


def test_every_policy_number_has_a_range() -> None:
    numbers: list[Any] = [
        name for name, hint in Policy.__annotations__.items() if hint in ("float", "int")
    ]
    numbers += [name for name, hint in Policy.__annotations__.items() if hint.startswith("tuple")]
    assert set(numbers) <= set(POLICY_RANGES)
    default = Policy()
    for name, (low, high) in POLICY_RANGES.items():
        value = getattr(default, name)
        assert all(low <= v <= high for v in (value if isinstance(value, tuple) else (value,)))


def test_the_readme_counts_these_kinds() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert len(LOADER_KINDS) == len(set(LOADER_KINDS)) == 47
    assert f"{47 + 6 + 14 + 1 + 8} kinds of hostile" in readme
