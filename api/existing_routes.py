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

``existing_columns.py`` reads a table and the column mapping, ``existing_workbook.py`` a
workbook, ``existing_json.py`` routes.json, and ``existing_rows.py`` holds the rows as read and
how their cells parse; this module checks every row against the scenario and the routes so far.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sendplan.api.existing_columns import read_column_map, table_rows
from sendplan.api.existing_json import json_rows, stated_extra
from sendplan.api.existing_rows import REQUIRED, SESSIONS, CellError, Row, cell_text, parse_time
from sendplan.api.existing_workbook import workbook_rows
from sendplan.errors import InputError, read_csv, visible
from sendplan.routing.model import Scenario
from sendplan.routing.transport.existing import ExistingStop


def read_existing_routes(
    path: Path, scenario: Scenario, *, columns: Path | None = None
) -> list[ExistingStop]:
    """The routes in ``path`` (CSV, workbook or routes.json), checked against the scenario."""
    mapping = read_column_map(columns) if columns is not None else None
    suffix = path.suffix.lower()
    if suffix == ".json":
        rows: Iterable[Row] = json_rows(path)
    elif suffix in (".xlsx", ".xlsm"):
        rows = workbook_rows(path, mapping, columns)
    else:
        header, reader = read_csv(path)
        rows = table_rows(path.name, None, header, enumerate(reader, start=2), mapping, columns)
    return _Checker(scenario, path.name).stops(rows)


class _Checker:
    """Turns read rows into stops, checking each against the scenario and the routes so far."""

    def __init__(self, scenario: Scenario, name: str) -> None:
        self.name = name
        self.fleet = {v.name for v in scenario.fleet}
        self.schools = {s.school_id for s in scenario.schools}
        self.children = {c.child_id for c in scenario.children}

    def stops(self, rows: Iterable[Row]) -> list[ExistingStop]:
        out: list[ExistingStop] = []
        seen_child: set[tuple[str, str]] = set()
        seen_order: set[tuple[str, str, int]] = set()
        vehicle_of: dict[tuple[str, str], str] = {}
        for row in rows:
            stop = self.stop(row)

            def bad(field: str, message: str, row: Row = row) -> InputError:
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

    def error(self, row: Row, field: str, message: str) -> InputError:
        return InputError(
            self.name, message, row=row.row, field=row.headings.get(field, field), sheet=row.sheet
        )

    def stop(self, row: Row) -> ExistingStop:
        v = row.values

        def bad(field: str, message: str) -> InputError:
            return self.error(row, field, message)

        text = {f: cell_text(v.get(f)) for f in REQUIRED}
        for field in REQUIRED:
            if not text[field]:
                raise bad(field, f"{field} is blank")
        if text["vehicle_type"] not in self.fleet:
            raise bad("vehicle_type", f"unknown vehicle type {visible(text['vehicle_type'])}")
        if text["school_id"] not in self.schools:
            raise bad("school_id", f"unknown school {visible(text['school_id'])}")
        if text["child_id"] not in self.children:  # not quoted: a mis-mapped column may hold names
            raise bad("child_id", "unknown child: not a child_id of the scenario")
        session = SESSIONS.get(text["session"].lower())
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
            except CellError as err:
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
            # routes.json only (``json_rows``): a table's own columns of these names are not read
            **({} if row.precision is None else stated_extra(v)),
        )
