"""data/tools/school_records.csv rebuilds the shipped school tables, and bad records are refused."""

import csv
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
RECORDS = DATA / "tools" / "school_records.csv"


def load_builder() -> ModuleType:
    """Import data/tools/build_schools.py by path (data/tools is not a package)."""
    path = DATA / "tools" / "build_schools.py"
    spec = importlib.util.spec_from_file_location("build_schools", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = load_builder()


def write_records(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def shipped_records() -> list[list[str]]:
    with RECORDS.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_records_rebuild_shipped_tables_byte_for_byte(tmp_path: Path) -> None:
    builder.build(RECORDS, tmp_path)
    for name in ("schools.csv", "school_sources.csv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_missing_source_names_the_row(tmp_path: Path) -> None:
    rows = shipped_records()
    assert rows[5][1] == "lat"
    rows[5][4] = ""
    records = write_records(tmp_path / "school_records.csv", rows)
    message = r"line 6 \(school 'EST-LEI-001', field 'lat'\): empty source"
    with pytest.raises(builder.RecordsError, match=message):
        builder.build(records, tmp_path)
    assert not (tmp_path / "schools.csv").exists()


def test_duplicated_field_names_the_row(tmp_path: Path) -> None:
    rows = shipped_records()
    capacity = next(i for i, row in enumerate(rows) if row[:2] == ["EST-LEI-001", "capacity"])
    rows.insert(capacity + 1, rows[capacity])
    records = write_records(tmp_path / "school_records.csv", rows)
    message = rf"line {capacity + 2} \(school 'EST-LEI-001', field 'capacity'\): duplicate field"
    with pytest.raises(builder.RecordsError, match=message):
        builder.build(records, tmp_path)


def test_missing_field_and_bad_basis_are_refused(tmp_path: Path) -> None:
    rows = shipped_records()
    name = next(i for i, row in enumerate(rows) if row[:2] == ["151482", "name"])
    records = write_records(tmp_path / "a.csv", rows[:name] + rows[name + 1 :])
    with pytest.raises(builder.RecordsError, match=r"school '151482' has no row for name"):
        builder.build(records, tmp_path)
    rows[name][3] = "guess"
    records = write_records(tmp_path / "b.csv", rows)
    with pytest.raises(builder.RecordsError, match=rf"line {name + 1} .*fact or estimate"):
        builder.build(records, tmp_path)
