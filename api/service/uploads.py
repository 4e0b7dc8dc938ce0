"""A scenario upload, read by the CLI's own loader: the same checks, limits and messages.

Three shapes, each written to a temporary scenario folder (or workbook file) that
:func:`sendplan.api.loader.load_scenario` then reads, exactly as ``sendplan place`` would:

- multipart CSV files named as in a scenario folder (children.csv, schools.csv, fleet.csv,
  policy.toml, scenario.toml), with an optional options.csv: the council's expansion options
  (``sendplan expand --options``), checked at upload by the CLI's reader against the scenario
  and stored with it for expansion jobs and what-ifs;
- multipart with one ``.xlsx`` workbook (checked by ``api/xlsx_guard.py`` inside the loader:
  zip and XML bombs never reach openpyxl);
- JSON ``{"children": [{...}], "schools": [...], "fleet": [...], "policy": {...}}``: each list
  becomes the CSV file a user would have written (one column per key), the policy a policy.toml,
  so an error names ``children.csv row 3, field age`` as the CLI does (row 2 is the first item).

The scenario is stored as the folder :func:`sendplan.api.writer.write_scenario` writes for it:
canonical files the workers re-load with the same loader.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sendplan.api.loader import (
    CHILDREN_FILE,
    FLEET_FILE,
    POLICY_FILE,
    SCENARIO_FILE,
    SCENARIO_FILES,
    SCHOOLS_FILE,
    load_scenario,
)
from sendplan.api.options_io import read_options
from sendplan.api.service.problems import FieldProblem, Problem, field_problem
from sendplan.api.service.scratch import scratch_folder
from sendplan.api.writer import write_scenario
from sendplan.errors import InputError, visible
from sendplan.routing.model import Scenario

JSON_TABLES = {"children": CHILDREN_FILE, "schools": SCHOOLS_FILE, "fleet": FLEET_FILE}
JSON_KEYS = ("name", *JSON_TABLES, "policy", "as_of")
REQUIRED_FILES = (SCHOOLS_FILE, CHILDREN_FILE)
OPTIONS_FILE = "options.csv"  # the name expansion jobs read (api/service/job_kinds.py)
MAX_TOML_DEPTH = 8
_NAME = re.compile(r"[\w .,()-]{1,200}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Limits:
    max_children: int
    max_vehicles: int


@dataclass(frozen=True)
class Upload:
    """A loaded scenario and the canonical folder files to store for it."""

    scenario: Scenario
    files: dict[str, bytes]
    content_sha256: str


def upload_problem(file: str, message: str, *, row: int | None = None,
                   field: str | None = None) -> Problem:  # fmt: skip
    """A 422 problem for an upload, shaped like an InputError's (file, row, field)."""
    return Problem(422, "bad-input", "Invalid input", str(InputError(file, message, row=row,
                   field=field)), errors=[FieldProblem(file=file, row=row, field=field,
                   message=message)])  # fmt: skip


def scenario_name(name: str | None, default: str) -> str:
    """The scenario's display name: letters, digits and simple punctuation, at most 200."""
    if name is None or not name.strip():
        return default
    if not _NAME.fullmatch(name.strip()):
        raise upload_problem("name", "use letters, digits, spaces and . , ( ) - only (at most 200)",
                             field="name")  # fmt: skip
    return name.strip()


# --- the three shapes -----------------------------------------------------------------------


def load_folder_upload(files: Mapping[str, bytes], *, name: str | None, limits: Limits) -> Upload:
    """Scenario folder files (by file name) through the loader."""
    for file in files:
        if file not in (*SCENARIO_FILES, OPTIONS_FILE):
            raise upload_problem(file, f"unknown file; a scenario folder holds "
                                 f"{', '.join(SCENARIO_FILES)} (and optionally {OPTIONS_FILE}) "
                                 "or one .xlsx workbook")  # fmt: skip
    needed = " and ".join(REQUIRED_FILES)
    for file in REQUIRED_FILES:
        if file not in files:
            raise upload_problem(file, f"missing from the upload: send {needed} at least")
    with scratch_folder("upload") as tmp:
        folder = tmp / "scenario"
        folder.mkdir()
        for file, content in files.items():
            (folder / file).write_bytes(content)
        return _finish(folder, scenario_name(name, "scenario"), limits)


def load_workbook_upload(filename: str, content: bytes, *, name: str | None,
                         limits: Limits) -> Upload:  # fmt: skip
    """One .xlsx workbook through the loader (and so through xlsx_guard first)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename).name)[:100] or "scenario.xlsx"
    with scratch_folder("upload") as tmp:
        path = tmp / safe
        path.write_bytes(content)
        return _finish(path, scenario_name(name, path.stem), limits)


def load_json_upload(document: Any, *, limits: Limits) -> Upload:
    """A JSON scenario (see the module's docstring) through the loader, as CSV and TOML files."""
    if not isinstance(document, dict):
        raise upload_problem("body", "a JSON scenario is an object with keys "
                             f"{', '.join(JSON_KEYS)}")  # fmt: skip
    for key in document:
        if key not in JSON_KEYS:
            raise upload_problem("body", f"unknown key {visible(key)}; use {', '.join(JSON_KEYS)}",
                                 field=key)  # fmt: skip
    files: dict[str, bytes] = {}
    for key, file in JSON_TABLES.items():
        rows = document.get(key)
        if rows is None:
            if file in REQUIRED_FILES:
                raise field_problem(key, f"missing: a JSON scenario needs a list of {key}")
            continue
        if not isinstance(rows, list):
            raise field_problem(key, "give a list of objects (one per row)")
        if not rows:
            hint = "" if file in REQUIRED_FILES else "; leave the key out for none"
            raise field_problem(key, f"the list is empty{hint}")
        files[file] = _csv_from_rows(rows, file)
    if document.get("policy") is not None:
        policy = document["policy"]
        if not isinstance(policy, dict):
            raise upload_problem(POLICY_FILE, "policy is an object of policy keys", field="policy")
        files[POLICY_FILE] = toml_document(policy, POLICY_FILE).encode("utf-8")
    if document.get("as_of") is not None:
        files[SCENARIO_FILE] = toml_document({"as_of": document["as_of"]}, SCENARIO_FILE).encode()
    name = document.get("name")
    if name is not None and not isinstance(name, str):
        raise upload_problem("name", "name is text", field="name")
    return load_folder_upload(files, name=name, limits=limits)


# --- JSON -> the files a user would have written -----------------------------------------------


def _cell(value: Any, file: str, row: int, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, list) and all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
    ):
        return ";".join(str(v) for v in value)  # the CSV list form: ASD;SLCN
    raise upload_problem(file, "give a text, number, true/false or a list of texts",
                         row=row, field=field)  # fmt: skip


def _csv_from_rows(rows: list[Any], file: str) -> bytes:
    # A row's errors keep the CLI's wording (file, row, field), as the loader's own do.
    header: list[str] = []
    for number, item in enumerate(rows, start=2):
        if not isinstance(item, dict):
            raise upload_problem(file, "each row is an object of column: value", row=number)
        header += [key for key in item if key not in header]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for number, item in enumerate(rows, start=2):
        writer.writerow([_cell(item.get(key), file, number, key) for key in header])
    return out.getvalue().encode("utf-8")


def toml_document(document: dict[str, Any], file: str) -> str:
    """A JSON object as a TOML document (top-level null keys left out: TOML has no null)."""
    lines = []
    for key, value in document.items():
        if value is None:
            continue
        if file == SCENARIO_FILE and isinstance(value, str) and _DATE.fullmatch(value):
            lines.append(f"{_toml_string(key, file)} = {value}")  # a TOML date, unquoted
            continue
        lines.append(f"{_toml_string(key, file)} = {_toml_value(value, file, key, 0)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any, file: str, key: str, depth: int) -> str:
    if depth > MAX_TOML_DEPTH:
        raise upload_problem(file, "nested too deeply", field=key)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # json.loads refuses NaN and Infinity here (see the router)
    if isinstance(value, str):
        return _toml_string(value, file, key)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v, file, key, depth + 1) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{_toml_string(k, file, key)} = {_toml_value(v, file, key, depth + 1)}"
                 for k, v in value.items())  # fmt: skip
        return "{" + ", ".join(items) + "}"
    raise upload_problem(file, "null is not a value (leave the key out)", field=key)


def _toml_string(text: str, file: str, key: str | None = None) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:
            raise upload_problem(file, "text holds an unpaired surrogate", field=key or text[:40])
        else:
            out.append(char)
    return "".join(out) + '"'


# --- load, check the limits, canonical files ------------------------------------------------


def _finish(path: Path, name: str, limits: Limits) -> Upload:
    scenario = load_scenario(path, name=name)  # InputError -> 422 problem (problems.py)
    if len(scenario.children) > limits.max_children:
        raise upload_problem(
            CHILDREN_FILE,
            f"{len(scenario.children):,} children, above the limit max_children = "
            f"{limits.max_children:,}",
            field="max_children",
        )
    vehicles = sum(vehicle.available for vehicle in scenario.fleet)
    if vehicles > limits.max_vehicles:
        raise upload_problem(
            FLEET_FILE,
            f"{vehicles:,} vehicles available, above the limit max_vehicles = "
            f"{limits.max_vehicles:,}",
            field="max_vehicles",
        )
    options = path / OPTIONS_FILE if path.is_dir() else None
    if options is not None and options.is_file():
        # Checked now, against this scenario's schools, so a bad row is a 422 naming its row
        # and field rather than a failed job later; stored as sent (the reader reads it again).
        read_options(options, scenario)
    with scratch_folder("store") as folder:
        write_scenario(scenario, folder)
        if options is not None and options.is_file():
            (folder / OPTIONS_FILE).write_bytes(options.read_bytes())
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    digest = hashlib.sha256()
    for file, content in files.items():
        digest.update(f"{file}\0{hashlib.sha256(content).hexdigest()}\n".encode())
    return Upload(scenario=scenario, files=files, content_sha256=digest.hexdigest())
