"""Build data/schools.csv and data/school_sources.csv from data/tools/school_records.csv.

Run from the repository root::

    python data/tools/build_schools.py

school_records.csv has one row per (school, field) with columns
school_id,field,value,value_basis,source,note. ``field`` is a schools.csv column and every school
has exactly one row with a value for each column, except the OPTIONAL ones (blank when no row
gives them: ``opens``/``closes`` as ISO dates or ``unknown``, ``capacity_by_designation`` and
``reserved_by_designation`` as ``NEED:PLACES;...``). Each row's value_basis, source and note become
that field's row in school_sources.csv, with these conventions:

* lon+lat, age_low+age_high and bell_am+finish_pm are listed there as one ``location``,
  ``age_range`` and ``bell_times`` row when the pair share their basis, source and note;
* a row with an empty value adds a further source for a field valued on an earlier row
  (e.g. a fact and an estimate part of one school's designations);
* rows whose source is NO_FIELD_SOURCE (no per-field source recorded; data/SOURCES.md describes
  the conventions, such as ``sex`` mixed unless a source says otherwise) are not listed there.

Schools keep the order of their first record; school_sources.csv keeps the record order.
"""

import csv
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1]
RECORDS = DATA / "tools" / "school_records.csv"
RECORD_COLUMNS = ["school_id", "field", "value", "value_basis", "source", "note"]
COLUMNS = [
    "school_id", "name", "lon", "lat", "la_code", "type", "age_low", "age_high", "sex",
    "designations", "capacity", "residential_places", "annual_cost_gbp", "bell_am", "finish_pm",
    "in_area", "opens", "closes", "capacity_by_designation", "reserved_by_designation",
]  # fmt: skip
# Columns a school may leave out: blank in schools.csv (open before any modelled date, not
# closing, no cap or reservation by need).
OPTIONAL = ("opens", "closes", "capacity_by_designation", "reserved_by_designation")
SOURCE_COLUMNS = ["school_id", "field", "value_basis", "source", "note"]
BASES = ("fact", "estimate")
NO_FIELD_SOURCE = "no per-field source recorded; see data/SOURCES.md"
PAIRED = {
    "lon": "location", "lat": "location", "age_low": "age_range", "age_high": "age_range",
    "bell_am": "bell_times", "finish_pm": "bell_times",
}  # fmt: skip


class RecordsError(ValueError):
    """A school_records.csv row (or school) breaks the table's rules."""


def read_records(records: Path) -> list[tuple[int, dict[str, str]]]:
    """Return (line number, row) for every record, checking header, field, basis and source."""
    with records.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != RECORD_COLUMNS:
            raise RecordsError(f"{records.name}: header must be {','.join(RECORD_COLUMNS)}")
        rows = list(enumerate(reader, start=2))
    for line, row in rows:
        where = f"{records.name} line {line} (school {row['school_id']!r}, field {row['field']!r})"
        if None in row or any(v is None for v in row.values()):
            raise RecordsError(f"{where}: expected {len(RECORD_COLUMNS)} columns")
        if not row["school_id"]:
            raise RecordsError(f"{where}: empty school_id")
        if row["field"] not in COLUMNS:
            raise RecordsError(f"{where}: field is not a schools.csv column")
        if row["value_basis"] not in BASES:
            raise RecordsError(f"{where}: value_basis must be fact or estimate")
        if not row["source"].strip():
            raise RecordsError(f"{where}: empty source")
    return rows


def school_table(rows: list[tuple[int, dict[str, str]]], name: str) -> list[dict[str, str]]:
    """Collect each school's values, checking every column is given exactly once."""
    schools: dict[str, dict[str, str]] = {}
    first: dict[tuple[str, str], int] = {}
    for line, row in rows:
        sid, field, value = row["school_id"], row["field"], row["value"]
        where = f"{name} line {line} (school {sid!r}, field {field!r})"
        values = schools.setdefault(sid, {})
        if not value:
            if field not in values:
                raise RecordsError(f"{where}: empty value and no earlier row gives one")
            continue
        if field in values:
            raise RecordsError(
                f"{where}: duplicate field (first given on line {first[sid, field]})"
            )
        if field == "school_id" and value != sid:
            raise RecordsError(f"{where}: school_id value {value!r} differs")
        values[field] = value
        first[sid, field] = line
    for sid, values in schools.items():
        missing = [c for c in COLUMNS if c not in values and c not in OPTIONAL]
        if missing:
            raise RecordsError(f"{name}: school {sid!r} has no row for {', '.join(missing)}")
    return list(schools.values())


def source_rows(rows: list[tuple[int, dict[str, str]]]) -> list[list[str]]:
    """school_sources.csv rows: record order, paired columns merged, unlisted rows left out."""
    out: list[list[str]] = []
    for _, row in rows:
        if row["source"] == NO_FIELD_SOURCE:
            continue
        listed = [row["school_id"], PAIRED.get(row["field"], row["field"])]
        listed += [row["value_basis"], row["source"], row["note"]]
        if not (row["field"] in PAIRED and out and out[-1] == listed):
            out.append(listed)
    return out


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write a UTF-8 CSV with LF line endings and minimal quoting."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def build(records: Path, out_dir: Path) -> None:
    """Check ``records`` and write schools.csv and school_sources.csv into ``out_dir``."""
    rows = read_records(records)
    schools = school_table(rows, records.name)
    write_csv(out_dir / "schools.csv", COLUMNS, [[s.get(c, "") for c in COLUMNS] for s in schools])
    write_csv(out_dir / "school_sources.csv", SOURCE_COLUMNS, source_rows(rows))


def main() -> None:
    """Build the shipped tables in data/ from data/tools/school_records.csv."""
    try:
        build(RECORDS, DATA)
    except RecordsError as error:
        sys.exit(f"error: {error}")
    print(f"wrote {DATA / 'schools.csv'} and {DATA / 'school_sources.csv'}")


if __name__ == "__main__":
    main()
