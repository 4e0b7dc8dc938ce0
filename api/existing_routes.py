"""Read a council's existing routes for ``sendplan routes --evaluate FILE``.

Three kinds of file, one ``ExistingStop`` per child per route:

- a table, ``.csv`` or a council's ``.xlsx`` (the first sheet with a header row naming
  child_id, or the heading mapped to it, in its first rows), one row per child per route:
  ``route_id, vehicle_type, school_id, session, stop_order, child_id`` and optionally
  ``pickup_time`` (the pick-up in the morning, the drop-off in the afternoon) and
  ``school_time`` (the arrival at the child's school in the morning, the departure from it in
  the afternoon: it places a mixed-school run's calls between its stops);
- our ``route_sheets.xlsx`` (an index sheet ``routes`` and a sheet per route; extra columns,
  PM drop-off/departure headings and Excel time cells are read as well as text);
- our ``routes.json``.

A council's own headings are read through a column mapping (``--columns FILE``): a TOML file
(``child_id = "Pupil Ref"``) or a CSV with columns ``field,column``. Fields it does not map keep
their own names; columns it does not name are ignored (without a mapping an unknown column is an
error, as in every input). Times are ``HH:MM`` (``HH:MM:SS``, ``8:05 am`` and Excel time cells
too); a time given to the minute stands for any time within 30 seconds of it, and routes.json's
hundredths of a minute for any within 0.3 s (see ``routing.transport.evaluate``). Every error
names the file, row (sheet) and field.
"""

from __future__ import annotations

import datetime
import json
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sendplan.api.xlsx_guard import check_workbook
from sendplan.errors import InputError, read_csv, visible
from sendplan.routing.model import Scenario
from sendplan.routing.transport.existing import ExistingStop
from sendplan.routing.transport.keep_contracted import Stated
from sendplan.routing.transport.plan import Session

FIELDS = (
    "route_id", "vehicle_type", "school_id", "session", "stop_order", "child_id", "pickup_time",
    "school_time",
)  # fmt: skip
REQUIRED = FIELDS[:6]
JSON_PRECISION_MIN = 0.01  # routes.json rounds times to the hundredth of a minute
HEADER_ROWS = 10  # a council sheet's header may sit below a few title rows
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*(?:([ap])\.?m\.?)?", re.IGNORECASE)
_SESSIONS: Mapping[str, Session] = {"am": "am", "pm": "pm", "morning": "am", "afternoon": "pm"}

# Route-sheet headings, normalised (lower case, '_' for spaces and dashes), most specific first.
_AM_CHILD = ("pickup_time", "pick_up_time", "pickup", "pick_up")
_AM_SCHOOL = ("arrival", "arrival_time", "school_arrival", "arrives", "school_time")
_PM_CHILD = ("dropoff_time", "drop_off_time", "dropoff", "drop_off")
_PM_SCHOOL = ("departure", "departure_time", "school_departure", "leaves_school", "school_time")
_PM_LEGACY = (("arrival", "arrival_time"), ("pickup_time", "pick_up_time", "pickup"))


class _CellError(ValueError):
    """A cell that does not parse; the caller names the file, row and field."""


def read_existing_routes(
    path: Path, scenario: Scenario, *, columns: Path | None = None
) -> list[ExistingStop]:
    """The routes in ``path`` (CSV, workbook or routes.json), checked against the scenario."""
    mapping = read_column_map(columns) if columns is not None else None
    suffix = path.suffix.lower()
    if suffix == ".json":
        rows: Iterable[_Row] = _json_rows(path)
    elif suffix in (".xlsx", ".xlsm"):
        rows = _workbook_rows(path, mapping, columns)
    else:
        header, reader = read_csv(path)
        rows = _table_rows(path.name, None, header, enumerate(reader, start=2), mapping, columns)
    return _Checker(scenario, path.name).stops(rows)


def stated_routes(path: Path) -> dict[str, dict[str, Stated]]:
    """Per session and route id, what our routes.json states beyond the stops: the layout
    (``14+1``) and the depot times (to the hundredth of a minute); nothing for other files,
    whose routes are read in the first layout that takes the load, their depot legs timed
    tight. Read after :func:`read_existing_routes` has accepted the file."""
    if path.suffix.lower() != ".json":
        return {}
    doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    out: dict[str, dict[str, Stated]] = {}
    for session, part in doc["sessions"].items():
        for route in part["routes"]:
            layout = route.get("layout")
            steps = [s for s in route["steps"] if isinstance(s, dict)]
            times = [
                s.get("time") if s.get("type") == kind else None
                for kind, s in (("start", steps[0]), ("end", steps[-1]))
            ]
            key = _SESSIONS.get(str(session).strip().lower(), str(session))
            out.setdefault(key, {})[route["route_id"]] = Stated(
                layout=layout if isinstance(layout, str) else "",
                start_min=_minutes_or_none(times[0]),
                end_min=_minutes_or_none(times[1]),
            )
    return out


def _stated_extra(values: Mapping[str, Any]) -> dict[str, Any]:
    """A routes.json row's route-level layout and depot times, as ``ExistingStop`` fields."""
    return {
        "layout": values.get("layout") or "",
        "depot_start_min": values.get("depot_start"),
        "depot_end_min": values.get("depot_end"),
        "ride_min": values.get("ride"),
        "call_rank": values.get("call_rank"),
    }


def _minutes_or_none(value: object) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return float(value) if 0 <= value < 24 * 60 else None


def read_column_map(path: Path) -> dict[str, str]:
    """Our field -> the council's column heading, from a TOML or ``field,column`` CSV file."""
    name = path.name
    items: list[tuple[int | None, str, object]] = []
    if path.suffix.lower() == ".toml":
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as err:
            raise InputError(name, f"cannot read the file ({err.strerror})") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise InputError(name, f"not a TOML file ({err})") from None
        items = [(None, key, value) for key, value in document.items()]
    else:
        header, reader = read_csv(path)
        if [h.lower() for h in header[:2]] != ["field", "column"] or len(header) != 2:
            raise InputError(name, "the header must be: field,column", row=1, field="field")
        for number, cells in enumerate(reader, start=2):
            if any(c.strip() for c in cells):
                if len(cells) != 2:
                    raise InputError(name, f"{len(cells)} cells for 2 columns", row=number)
                items.append((number, cells[0].strip(), cells[1].strip()))
    out: dict[str, str] = {}
    for row, key, value in items:
        if key not in FIELDS:
            known = ", ".join(FIELDS)
            raise InputError(
                name, f"unknown field {visible(key)} (fields: {known})", row=row, field=key
            )
        if not isinstance(value, str) or not value.strip():
            raise InputError(name, "the column heading must be text", row=row, field=key)
        if key in out:
            raise InputError(name, f"{key} is mapped twice", row=row, field=key)
        if _norm(value) in {_norm(v) for v in out.values()}:
            raise InputError(name, f"column {visible(value)} is mapped twice", row=row, field=key)
        out[key] = value.strip()
    return out


@dataclass(frozen=True)
class _Row:
    """One child on one route as read, before checking; ``where`` names its file position."""

    values: dict[str, Any]  # field -> raw cell (text, number, time or None)
    headings: dict[str, str]  # field -> the heading to name in errors
    row: int | None
    sheet: str | None = None
    precision: float | None = None  # routes.json: times are minutes to this precision


def _norm(heading: object) -> str:
    return " ".join(str(heading).split()).casefold()


def _key(heading: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(heading).strip().lower())


def _table_rows(
    name: str,
    sheet: str | None,
    header: list[str],
    rows: Iterable[tuple[int, list[Any]]],
    mapping: dict[str, str] | None,
    mapping_path: Path | None,
    header_row: int = 1,
) -> Iterator[_Row]:
    """Rows of a table whose columns are our fields, or the council's through ``mapping``."""

    def bad(heading: str, message: str) -> InputError:
        return InputError(name, message, row=header_row, field=heading, sheet=sheet)

    where = mapping_path.name if mapping_path else "the column mapping"
    position: dict[str, list[int]] = {}
    for k, heading in enumerate(header):
        if heading is not None and str(heading).strip():
            position.setdefault(_norm(heading), []).append(k)
    wanted = {f: (mapping or {}).get(f, f) for f in FIELDS}
    if mapping is None:
        for heading in header:
            if heading is not None and str(heading).strip() and _norm(heading) not in FIELDS:
                hint = "(a council's own headings are read with --columns)"
                raise bad(str(heading), f"unknown column {visible(str(heading))} {hint}")
    columns: dict[str, int] = {}
    for field, heading in wanted.items():
        found = position.get(_norm(heading), [])
        if len(found) > 1:
            raise bad(heading, f"column {visible(heading)} appears twice")
        if found:
            columns[field] = found[0]
        elif mapping is not None and field in mapping:
            raise bad(heading, f"no column {visible(heading)} (mapped to {field} in {where})")
        elif field in REQUIRED:
            hint = f" (name the heading that holds it in {where})" if mapping is not None else ""
            raise bad(field, f"missing column {field}{hint}")
    headings = {f: wanted[f] for f in columns}
    for number, cells in rows:
        if not any(c is not None and str(c).strip() for c in cells):
            continue
        if len(cells) != len(header) and sheet is None:
            raise InputError(name, f"{len(cells)} cells for {len(header)} columns", row=number)
        values = {f: (cells[k] if k < len(cells) else None) for f, k in columns.items()}
        yield _Row(values, headings, number, sheet)


def _workbook_rows(
    path: Path, mapping: dict[str, str] | None, mapping_path: Path | None
) -> list[_Row]:
    import openpyxl  # about 0.1 s to import; only workbooks need it

    check_workbook(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheets = {
            name: [list(r) for r in book[name].iter_rows(values_only=True)]
            for name in book.sheetnames
        }
        book.close()
    except Exception as err:  # whatever a malformed file makes openpyxl raise is bad input
        raise InputError(
            path.name, f"not a readable .xlsx workbook ({type(err).__name__})"
        ) from None
    index = next((n for n in sheets if n.strip().lower() == "routes"), None)
    if index is not None and mapping is None and _is_route_index(sheets[index]):
        return list(_route_sheet_rows(path.name, index, sheets))
    # The council's sheet: the first whose header row (within its first rows) names child_id.
    child = _norm((mapping or {}).get("child_id", "child_id"))
    found = [
        (sheet, k)
        for sheet, table in sheets.items()
        for k, row in enumerate(table[:HEADER_ROWS])
        if child in {_norm(c) for c in row if c is not None}
    ]
    if not found:
        found = [(s, 0) for s, t in sheets.items() if t and any(_blankless(c) for c in t[0])]
    if not found:
        raise InputError(path.name, "the workbook has no rows")
    sheet, at = found[0]
    table = sheets[sheet]
    body = [(k, r) for k, r in enumerate(table[at + 1 :], start=at + 2)]
    header = [str(h or "") for h in table[at]]
    return list(_table_rows(path.name, sheet, header, body, mapping, mapping_path, at + 1))


def _blankless(cell: object) -> bool:
    return cell is not None and str(cell).strip() != ""


def _is_route_index(table: list[list[Any]]) -> bool:
    """Our route sheets' index: a row per route (no child_id column)."""
    header = {_key(h) for h in table[0]} if table else set()
    return {"route_id", "session"} <= header and "child_id" not in header


def _route_sheet_rows(name: str, index: str, sheets: dict[str, list[list[Any]]]) -> Iterator[_Row]:
    """Our route_sheets.xlsx: the index names each route's session and vehicle; each route's
    sheet (titled ``route ID`` in A1) lists its children in driving order."""
    table = sheets[index]
    head = [_key(h) for h in table[0]]
    titled: dict[str, str] = {}
    for title, rows in sheets.items():
        if title != index and rows and rows[0] and isinstance(rows[0][0], str):
            titled.setdefault(rows[0][0].strip(), title)
    for number, cells in enumerate(table[1:], start=2):
        if not any(_blankless(c) for c in cells):
            continue
        entry = dict(zip(head, cells, strict=False))

        def bad(field: str, message: str, row: int = number) -> InputError:
            return InputError(name, message, row=row, field=field, sheet=index)

        route_id = _text(entry.get("route_id"))
        if not route_id:
            raise bad("route_id", "route_id is blank")
        named = re.sub(r"[\[\]:*?/\\]", "_", route_id)[:31]  # as the writer names sheets
        sheet = titled.get(f"route {route_id}") or (named if named in sheets else None)
        if sheet is None or sheet == index:
            raise bad("route_id", f"no sheet for route {route_id}")
        session = _text(entry.get("session")).lower()
        vehicle = _text(entry.get("vehicle", entry.get("vehicle_type")))
        yield from _one_route_sheet(name, sheet, sheets[sheet], route_id, session, vehicle, entry)


def _one_route_sheet(
    name: str,
    sheet: str,
    rows: list[list[Any]],
    route_id: str,
    session: str,
    vehicle: str,
    entry: dict[str, Any],
) -> Iterator[_Row]:
    at = next((k for k, r in enumerate(rows[:6]) if "child_id" in {_key(c) for c in r}), None)
    if at is None:
        raise InputError(name, "no header row with child_id", row=1, field="child_id", sheet=sheet)
    head = [_key(h) for h in rows[at]]

    def first(names: Iterable[str]) -> str | None:
        return next((h for h in names if h in head), None)

    if session == "pm" and first(_PM_CHILD) is None:
        child_time, school_time = first(_PM_LEGACY[0]), first(_PM_LEGACY[1])
    elif session == "pm":
        child_time, school_time = first(_PM_CHILD), first((*_PM_SCHOOL, *_PM_LEGACY[1]))
    else:
        child_time, school_time = first(_AM_CHILD), first(_AM_SCHOOL)
    fields = {"pickup_time": child_time, "school_time": school_time}
    one_school = _text(entry.get("school_id"))
    for number, cells in enumerate(rows[at + 1 :], start=at + 2):
        if not any(_blankless(c) for c in cells):
            continue
        got = dict(zip(head, cells, strict=False))
        values: dict[str, Any] = {
            "route_id": route_id,
            "session": session,
            "vehicle_type": got.get("vehicle") or got.get("vehicle_type") or vehicle,
            "school_id": got.get("school_id") or one_school,
            "stop_order": got.get("stop_order", number - at - 1),
            "child_id": got.get("child_id"),
        }
        headings = {f: f for f in values}
        for field, heading in fields.items():
            if heading is not None:
                values[field], headings[field] = got.get(heading), heading
        yield _Row(values, headings, number, sheet)


def _json_rows(path: Path) -> Iterator[_Row]:
    """Our routes.json: each route's pick-ups (drop-offs) and the school calls taking them."""
    name = path.name
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as err:
        raise InputError(name, f"cannot read the file ({err.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(name, f"not a JSON file ({err})") from None

    def need(value: object, kind: type | tuple[type, ...], where: str) -> Any:
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InputError(name, f"{where} is missing or not {_kind(kind)}", field=where)
        return value

    def minutes(value: object, where: str) -> float:
        time = float(need(value, (int, float), where))
        if not 0 <= time < 24 * 60:  # NaN included
            raise InputError(name, f"{where} is not minutes after midnight", field=where)
        return time

    sessions = need(need(doc, dict, "the document").get("sessions"), dict, "sessions")
    for session, part in sessions.items():
        routes = need(
            need(part, dict, f"sessions.{session}").get("routes"),
            list,
            f"sessions.{session}.routes",
        )
        for r, route in enumerate(routes):
            at = f"sessions.{session}.routes[{r}]"
            need(route, dict, at)
            route_id = need(route.get("route_id"), str, f"{at}.route_id")
            vehicle = need(route.get("vehicle_type"), str, f"{at}.vehicle_type")
            steps = need(route.get("steps"), list, f"{at}.steps")
            call: dict[str, tuple[str, float]] = {}
            rank: dict[str, int] = {}
            # What the route states beyond its stops, kept on read-back where it holds; not
            # required (a hand-made file may leave it out), so never an error.
            ends = [s for s in steps if isinstance(s, dict)] or [{}]
            layout = route.get("layout")
            extra = {
                "layout": layout if isinstance(layout, str) else "",
                "depot_start": _minutes_or_none(ends[0].get("time"))
                if ends[0].get("type") == "start"
                else None,
                "depot_end": _minutes_or_none(ends[-1].get("time"))
                if ends[-1].get("type") == "end"
                else None,
            }
            for s, step in enumerate(steps):
                where = f"{at}.steps[{s}]"
                if need(step, dict, where).get("type") == "school":
                    school = need(step.get("school_id"), str, f"{where}.school_id")
                    time = minutes(step.get("time"), f"{where}.time")
                    kids = need(step.get("children"), list, f"{where}.children")
                    for n, child in enumerate(kids):
                        call[need(child, str, f"{where}.children")] = (school, float(time))
                        rank[child] = n
            order = 0
            for s, step in enumerate(steps):
                where = f"{at}.steps[{s}]"
                if step.get("type") not in ("pickup", "dropoff"):
                    continue
                order += 1
                child = need(step.get("child_id"), str, f"{where}.child_id")
                time = minutes(step.get("time"), f"{where}.time")
                if child not in call:
                    raise InputError(name, f"no school call takes child {child}", field=where)
                school, school_time = call[child]
                values = {
                    "route_id": route_id, "vehicle_type": vehicle, "school_id": school,
                    "session": session, "stop_order": order, "child_id": child,
                    "pickup_time": float(time), "school_time": school_time,
                }  # fmt: skip
                ride = step.get("ride")
                stated = {
                    "ride": _minutes_or_none(ride),
                    "call_rank": rank[child],
                }
                yield _Row(
                    {**values, **extra, **stated},
                    {f: f"{where}.{f}" for f in values},
                    None,
                    None,
                    JSON_PRECISION_MIN,
                )


def _kind(kind: type | tuple[type, ...]) -> str:
    names = {dict: "a JSON object", list: "a list", str: "text", int: "a number", float: "a number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


def _text(value: object) -> str:
    """A cell as text: numbers a spreadsheet stored (an id typed as 130353) without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_time(value: object) -> tuple[float, float] | None:
    """A time cell as (minutes after midnight, precision in minutes), or None when blank.

    Text ``HH:MM`` (also ``H:MM``, ``HH.MM``, ``HH:MM:SS``, ``8:05 am``), an Excel time or
    date-time cell, or a fraction of a day. A time without seconds is stated to the minute.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        value = value.time()
    if isinstance(value, datetime.timedelta):
        value = (
            (datetime.datetime.min + value).time() if value < datetime.timedelta(days=1) else value
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1:
        seconds = round(value * 86400, 3)
        value = (datetime.datetime.min + datetime.timedelta(seconds=seconds)).time()
    if isinstance(value, datetime.time):
        minutes = value.hour * 60 + value.minute
        sub = value.second + value.microsecond / 1e6
        return minutes + sub / 60, (1.0 if sub == 0 else 1 / 60)
    text = str(value).strip()
    match = _TIME.fullmatch(text)
    if match is None:
        raise _CellError(f"{visible(text)} is not a time HH:MM")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            raise _CellError(f"{visible(text)} is not a time HH:MM")
        hour = hour % 12 + (12 if match[4].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _CellError(f"{visible(text)} is not a time HH:MM")
    return hour * 60 + minute + second / 60, (1 / 60 if second else 1.0)


class _Checker:
    """Turns read rows into stops, checking each against the scenario and the routes so far."""

    def __init__(self, scenario: Scenario, name: str) -> None:
        self.name = name
        self.fleet = {v.name for v in scenario.fleet}
        self.schools = {s.school_id for s in scenario.schools}
        self.children = {c.child_id for c in scenario.children}

    def stops(self, rows: Iterable[_Row]) -> list[ExistingStop]:
        out: list[ExistingStop] = []
        seen_child: set[tuple[str, str]] = set()
        seen_order: set[tuple[str, str, int]] = set()
        vehicle_of: dict[tuple[str, str], str] = {}
        for row in rows:
            stop = self.stop(row)

            def bad(field: str, message: str, row: _Row = row) -> InputError:
                return self.error(row, field, message)

            # A route may name several schools (a mixed-school run), never two vehicles; one
            # route_id may name a morning and an afternoon run.
            route = (stop.session, stop.route_id)
            if vehicle_of.setdefault(route, stop.vehicle_type) != stop.vehicle_type:
                raise bad("vehicle_type", f"route {stop.route_id} changes vehicle")
            key = (stop.session, stop.route_id, stop.stop_order)
            if key in seen_order:
                raise bad(
                    "stop_order", f"stop_order {stop.stop_order} repeats on route {stop.route_id}"
                )
            seen_order.add(key)
            if (stop.session, stop.child_id) in seen_child:
                raise bad("child_id", f"child {stop.child_id} is on two {stop.session} routes")
            seen_child.add((stop.session, stop.child_id))
            out.append(stop)
        if not out:
            raise InputError(self.name, "has no routes", row=2)
        return out

    def error(self, row: _Row, field: str, message: str) -> InputError:
        return InputError(
            self.name, message, row=row.row, field=row.headings.get(field, field), sheet=row.sheet
        )

    def stop(self, row: _Row) -> ExistingStop:
        v = row.values

        def bad(field: str, message: str) -> InputError:
            return self.error(row, field, message)

        text = {f: _text(v.get(f)) for f in REQUIRED}
        for field in REQUIRED:
            if not text[field]:
                raise bad(field, f"{field} is blank")
        if text["vehicle_type"] not in self.fleet:
            raise bad("vehicle_type", f"unknown vehicle type {visible(text['vehicle_type'])}")
        if text["school_id"] not in self.schools:
            raise bad("school_id", f"unknown school {visible(text['school_id'])}")
        if text["child_id"] not in self.children:  # not quoted: a mis-mapped column may hold names
            raise bad("child_id", "unknown child: not a child_id of the scenario")
        session = _SESSIONS.get(text["session"].lower())
        if session is None:
            raise bad("session", f"{visible(text['session'])} is not am or pm")
        try:
            order = int(float(text["stop_order"]))
            if order != float(text["stop_order"]):
                raise ValueError
        except (ValueError, OverflowError):
            raise bad(
                "stop_order", f"{visible(text['stop_order'])} is not a whole number"
            ) from None
        times: dict[str, tuple[float, float] | None] = {}
        for field in ("pickup_time", "school_time"):
            try:
                if row.precision is None:
                    times[field] = parse_time(v.get(field))
                else:  # minutes after midnight, checked when read
                    times[field] = (v[field], row.precision) if field in v else None
            except _CellError as err:
                raise bad(field, str(err)) from None
        precision = max((t[1] for t in times.values() if t is not None), default=0.0)
        pickup, school_time = times["pickup_time"], times["school_time"]
        return ExistingStop(
            route_id=text["route_id"],
            vehicle_type=text["vehicle_type"],
            school_id=text["school_id"],
            session=session,
            stop_order=order,
            child_id=text["child_id"],
            time_min=None if pickup is None else pickup[0],
            school_time_min=None if school_time is None else school_time[0],
            precision_min=precision,
            # routes.json only (``_json_rows``): a table's own columns of these names are not read
            **({} if row.precision is None else _stated_extra(v)),
        )
