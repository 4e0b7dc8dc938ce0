"""Read a result folder (written by ``sendplan place``, ``demo`` or ``routes``) back, without
solving again: :func:`read_result` gives the view :func:`sendplan.compare` needs.

summary.json is required, and placements.csv too unless the run solved no placement: a
``routes`` run on the status quo (every child has a current school; its summary's ``placed`` is
null) writes none, and its schools (each child's current school, with the schools' names and
capacities) are read from its results.gpkg (layers ``homes`` and ``schools``) instead:
:func:`has_own_placement` tells the two apart. The folder's ``scenario/schools.csv`` (the demo
writes one) supplies capacities when present. Every problem is an InputError naming the file
(as ``FOLDER/summary.json``), the row and the field.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from sendplan.api.loader import read_schools
from sendplan.api.neutralise import restore
from sendplan.errors import InputError, loads_json, read_csv, visible
from sendplan.routing.planning.compare import NUMERIC_FIELDS, Comparison, ResultView

SUMMARY_FILE = "summary.json"
PLACEMENTS_FILE = "placements.csv"
GPKG_FILE = "results.gpkg"
SCHOOLS_COPY = Path("scenario") / "schools.csv"
REQUIRED_COLUMNS = ("child_id", "status", "school_id", "school_name")


def is_result_folder(path: Path) -> bool:
    """Whether ``path`` is a folder holding a summary.json (a result, not a scenario)."""
    return path.is_dir() and (path / SUMMARY_FILE).is_file()


def read_result(folder: Path) -> ResultView:
    """The summary, each child's school and (when the folder has its scenario copy, or is a
    routes run on current schools) the capacities of a result folder."""
    folder = Path(folder)
    label = folder.resolve().name
    summary = read_summary(folder / SUMMARY_FILE, label=f"{label}/{SUMMARY_FILE}")
    capacities = None
    if has_own_placement(folder) or summary.get("placed") is not None:
        source = PLACEMENTS_FILE
        schools, names = read_placements(folder / source, label=f"{label}/{source}")
    else:
        source = GPKG_FILE
        schools, names, capacities = read_gpkg_schools(folder / source, label=f"{label}/{source}")
    if len(schools) != summary["children"]:
        raise InputError(
            f"{label}/{source}",
            f"lists {len(schools)} children but {SUMMARY_FILE} says {summary['children']}",
        )
    if (folder / SCHOOLS_COPY).is_file():
        try:
            copy = read_schools(folder / SCHOOLS_COPY)
        except InputError as err:
            raise InputError(f"{label}/{SCHOOLS_COPY.as_posix()}", err.message, row=err.row,
                             field=err.field) from None  # fmt: skip
        capacities = {s.school_id: s.capacity for s in copy}
        names = {s.school_id: s.name for s in copy} | names
    return ResultView(summary=summary, schools=schools, school_names=names, capacities=capacities)


def has_own_placement(folder: Path) -> bool:
    """Whether the result folder holds a placements.csv: False for a ``routes`` run on the
    status quo, whose children are at their current schools."""
    return (Path(folder) / PLACEMENTS_FILE).is_file()


def with_status_quo_notes(comparison: Comparison, *, own_placement: Sequence[bool]) -> Comparison:
    """``comparison`` with a note, first, for each input without a placement of its own (a
    ``routes`` run on current schools): its schools are the status quo. ``own_placement``: one
    flag per input, in ``comparison.names`` order (`sendplan compare` and HTTP GET /compare)."""
    notes = [
        f"{name}: no placement of its own (a routes run on current schools, no placements.csv): "
        "its children are at their current schools (from its results.gpkg), so school changes "
        "against it are changes from the status quo"
        for name, own in zip(comparison.names, own_placement, strict=True)
        if not own
    ]
    return dataclasses.replace(comparison, notes=(*notes, *comparison.notes))


def read_summary(path: Path, *, label: str) -> dict[str, Any]:
    """summary.json as a dict whose numeric Summary fields hold numbers (or null)."""
    if not path.is_file():
        raise InputError(label, "missing: a result folder holds the summary.json of its run")
    try:
        data = loads_json(path.read_bytes().decode("utf-8"))
    except OSError as err:
        raise InputError(label, f"cannot read the file ({err.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(label, "is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise InputError(label, f"is not valid JSON ({err.msg}, line {err.lineno})") from None
    if not isinstance(data, dict):
        raise InputError(label, "must hold a JSON object of figures")
    children = data.get("children")
    if not isinstance(children, int) or isinstance(children, bool) or children < 0:
        raise InputError(label, "must be a whole number of children", field="children")
    for key in sorted(NUMERIC_FIELDS & data.keys()):
        value = data[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InputError(label, "must be a number or null", field=key)
    return data


def read_placements(path: Path, *, label: str) -> tuple[dict[str, str | None], dict[str, str]]:
    """placements.csv: each child's school (None when unplaced) and the school names."""
    if not path.is_file():
        raise InputError(label, "missing: a result folder holds the placements.csv of its run")
    try:
        header, rows = read_csv(path)
    except InputError as err:
        raise InputError(label, err.message) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(label, f"missing column {missing[0]}", row=1, field=missing[0])
    at = {c: header.index(c) for c in REQUIRED_COLUMNS}
    schools: dict[str, str | None] = {}
    names: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(label, f"has {len(row)} cells, the header {len(header)}", row=number)
        cell = {c: restore(row[i].strip()) for c, i in at.items()}
        child = cell["child_id"]
        if not child:
            raise InputError(label, "is empty", row=number, field="child_id")
        if child in schools:
            raise InputError(label, f"child {visible(child)} is listed twice", row=number,
                             field="child_id")  # fmt: skip
        if cell["status"] == "placed":
            if not cell["school_id"]:
                raise InputError(label, "a placed child needs a school", row=number,
                                 field="school_id")  # fmt: skip
            schools[child] = cell["school_id"]
            names.setdefault(cell["school_id"], cell["school_name"])
        elif cell["status"] == "unplaced":
            schools[child] = None
        else:
            raise InputError(label, f"is {visible(cell['status'])}; use placed or unplaced",
                             row=number, field="status")  # fmt: skip
    return schools, names


def read_gpkg_schools(
    path: Path, *, label: str
) -> tuple[dict[str, str | None], dict[str, str], dict[str, int]]:
    """results.gpkg of a run with no placement: each child's school (layer ``homes``; None
    when the child has none) and each school's name and capacity (layer ``schools``)."""
    if not path.is_file():
        raise InputError(label, "missing: a result folder without placements.csv (a routes run "
                         "on current schools) holds results.gpkg")  # fmt: skip
    try:
        # Read-only, through a URI so a folder name is never taken for an option.
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            homes = db.execute("SELECT child_id, school_id FROM homes ORDER BY fid").fetchall()
            rows = db.execute("SELECT school_id, name, capacity FROM schools ORDER BY fid")
            school_rows = rows.fetchall()
    except sqlite3.Error as err:
        raise InputError(label, f"is not a sendplan GeoPackage ({err})") from None
    schools: dict[str, str | None] = {}
    for number, (child, school) in enumerate(homes, start=1):
        if not isinstance(child, str) or not child:
            raise InputError(label, "layer homes: no child_id", row=number, field="child_id")
        if child in schools:
            raise InputError(label, f"layer homes: child {visible(child)} is listed twice",
                             row=number, field="child_id")  # fmt: skip
        if school is not None and (not isinstance(school, str) or not school):
            raise InputError(label, "layer homes: not a school id", row=number, field="school_id")
        schools[child] = school
    names: dict[str, str] = {}
    capacities: dict[str, int] = {}
    for number, (school, name, capacity) in enumerate(school_rows, start=1):
        if not isinstance(school, str) or not school:
            raise InputError(label, "layer schools: no school_id", row=number, field="school_id")
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise InputError(label, "layer schools: capacity must be a whole number >= 0",
                             row=number, field="capacity")  # fmt: skip
        names[school] = name if isinstance(name, str) else ""
        capacities[school] = capacity
    return schools, names, capacities
