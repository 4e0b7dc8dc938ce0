"""The tender pack's content: per route, what an operator needs to price it, read back from a
finished plan folder (as ``sendplan routes`` or ``demo`` write it).

routes.json gives each route's session, schools, vehicle type and layout, assistant, times and
distance; route_sheets.xlsx gives school names and each rider's needs flags, which are counted
here. The pack holds no child data beyond those counts and flags: child ids are read only to
count riders (and who is aboard at once, for a layout) and are never put in a ``TenderRoute``.
A route stating no layout (a routes.json written before layouts) takes its vehicle type's first
layout that takes the most children aboard at once, as ``--evaluate`` does; that needs the
scenario's fleet, and a route whose type is not in it is an error naming the route.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sendplan.api.neutralise import restore
from sendplan.api.xlsx_guard import check_workbook
from sendplan.errors import InputError, loads_json, visible
from sendplan.routing.model import VehicleType, layout_label

ROUTES_FILE = "routes.json"
SHEETS_FILE = "route_sheets.xlsx"
SUMMARY_FILE = "summary.json"
METRES_PER_MILE = 1609.344
NEEDS = ("wheelchair", "needs_assistant", "travel_alone")


@dataclass(frozen=True)
class TenderRoute:
    """One route as an operator prices it. Times are minutes after midnight."""

    route_id: str
    session: str  # "am" or "pm", as the route sheets write it
    school_ids: tuple[str, ...]
    school_names: tuple[str, ...]
    days: str
    leaves_depot_min: float
    first_stop_min: float  # AM: first pick-up; PM: first drop-off
    school_times_min: tuple[float, ...]  # AM: arrivals; PM: departures, one per school call
    last_stop_min: float  # AM: last pick-up; PM: last drop-off
    back_at_depot_min: float
    vehicle_type: str
    layout: str
    assistant: bool
    stops: int  # places the vehicle stops at: riders at one place count once
    riders: int
    wheelchair_users: int
    needing_assistant: int
    travel_alone: bool
    flags: tuple[str, ...]
    miles: float  # depot to depot
    minutes: float  # depot to depot
    minutes_with_children: float  # AM: first pick-up to last school; PM: school to last drop-off
    minutes_empty: float  # the legs from and back to the depot
    longest_ride_min: float
    model_cost_gbp: float
    stop_times_min: tuple[float, ...]  # pick-up (drop-off) times in driving order, no one named


def read_tender_routes(
    folder: Path, *, fleet: Mapping[str, VehicleType] | None = None
) -> list[TenderRoute]:
    """Every route of the plan folder, in routes.json's order; an InputError naming the file
    for a missing or malformed plan folder. ``fleet`` (by type name) gives the layouts of routes
    stating none."""
    folder = Path(folder)
    label = folder.name or str(folder)
    if not folder.is_dir():
        raise InputError(label, "not a plan folder (write one with `sendplan routes` or `demo`)")
    doc = _read_json(folder / ROUTES_FILE, f"{label}/{ROUTES_FILE}")
    needs, names, wheelchair = _read_sheets(folder / SHEETS_FILE, f"{label}/{SHEETS_FILE}")
    days = _days(folder / SUMMARY_FILE)
    sessions = doc.get("sessions")
    if not isinstance(sessions, dict):
        raise InputError(f"{label}/{ROUTES_FILE}", "no sessions: not a routes.json of sendplan")
    out = []
    for session, body in sessions.items():
        routes = body.get("routes") if isinstance(body, dict) else None
        if not isinstance(routes, list):
            raise InputError(f"{label}/{ROUTES_FILE}", f"session {session}: no routes list")
        seen: set[str] = set()
        for k, route in enumerate(routes):
            where = f"{label}/{ROUTES_FILE}"
            _check_figures(where, f"session {session} route {k + 1}", route, seen)
            try:
                if isinstance(route, dict) and not route.get("layout"):
                    route = {**route, "layout": _derived_layout(
                        where, str(session), k, route, fleet, wheelchair)}  # fmt: skip
                out.append(_route(str(session), route, needs, names, days))
            except (KeyError, TypeError, ValueError, IndexError) as err:
                raise InputError(
                    where, f"session {session} route {k + 1} is malformed ({type(err).__name__})"
                ) from None
    return out


def _check_figures(where: str, named: str, route: object, seen: set[str]) -> None:
    """What a tender sheet shows of a route must be sane: its id printable, short and not
    repeated in the session; every step's time minutes after midnight; distance, cost and the
    longest ride not negative (the rest of a malformed route is reported by ``_route``)."""
    if not isinstance(route, dict):
        return
    route_id = route.get("route_id")
    if isinstance(route_id, str):
        if not route_id.isprintable() or not 0 < len(route_id) <= 64:
            raise InputError(where, f"{named}: route_id {visible(route_id)} is not a route id",
                             field="route_id")  # fmt: skip
        if route_id in seen:
            raise InputError(where, f"{named}: route_id {visible(route_id)} repeats",
                             field="route_id")  # fmt: skip
        seen.add(route_id)
    steps = route.get("steps")
    for n, step in enumerate(steps if isinstance(steps, list) else []):
        time = step.get("time") if isinstance(step, dict) else None
        if isinstance(time, bool) or not isinstance(time, int | float) or not 0 <= time < 1440:
            raise InputError(where, f"{named} step {n + 1}: time is not minutes after midnight",
                             field="time")  # fmt: skip
    for key in ("distance", "cost", "max_ride"):
        value = route.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            raise InputError(where, f"{named}: {key} is negative", field=key)


def _read_json(path: Path, label: str) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(label, "missing: a plan folder holds the routes.json of its run")
    try:
        doc = loads_json(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise InputError(label, "not readable JSON") from None
    if not isinstance(doc, dict):
        raise InputError(label, "not a routes.json of sendplan")
    return doc


def _derived_layout(
    where: str,
    session: str,
    k: int,
    route: dict[str, Any],
    fleet: Mapping[str, VehicleType] | None,
    wheelchair: set[str],
) -> str:
    """The layout of a route stating none: its type's first that takes the most children
    aboard at once (wheelchair users in spaces, the others in seats)."""
    named = f"session {session} route {k + 1} ({visible(str(route.get('route_id')), 40)})"
    kind = str(route.get("vehicle_type"))
    if fleet is None:
        raise InputError(where, f"{named} states no layout: give --scenario (the scenario the "
                         "plan was made for) so its vehicle type's layouts are known")  # fmt: skip
    if kind not in fleet:
        raise InputError(where, f"{named} states no layout and its vehicle type "
                         f"{visible(kind, 40)} is not in the scenario's fleet")  # fmt: skip
    am = session.lower() == "am"
    aboard, peak = [0, 0], [0, 0]
    for step in route["steps"]:
        if step["type"] in ("pickup", "dropoff"):
            change = [(str(step["child_id"]), 1 if step["type"] == "pickup" else -1)]
        elif step["type"] == "school":
            change = [(str(c), -1 if am else 1) for c in step.get("children", [])]
        else:
            continue
        for child_id, sign in change:
            aboard[child_id in wheelchair] += sign
        peak = [max(p, a) for p, a in zip(peak, aboard, strict=True)]
    fits = [lay for lay in fleet[kind].layout_options if lay[0] >= peak[0] and lay[1] >= peak[1]]
    if not fits:
        raise InputError(where, f"{named} states no layout and no layout of {visible(kind, 40)} "
                         f"takes its {peak[0]} seated and {peak[1]} wheelchair riders")  # fmt: skip
    return layout_label(fits[0])


def _read_sheets(
    path: Path, label: str
) -> tuple[dict[str, dict[str, int]], dict[str, str], set[str]]:
    """Per route id, how many riders have each need flag; per school id, its name; the child
    ids of wheelchair users (to fit a layout; never written)."""
    import openpyxl  # about 0.1 s to import; only the tender pack's reading needs it

    if not path.is_file():
        raise InputError(label, "missing: a plan folder holds the route_sheets.xlsx of its run")
    try:
        check_workbook(path)
    except InputError as err:
        raise InputError(label, err.message) from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheets = [list(book[n].iter_rows(values_only=True)) for n in book.sheetnames]
        book.close()
    except Exception as err:  # whatever a malformed file makes openpyxl raise is bad input
        raise InputError(label, f"not a readable .xlsx workbook ({type(err).__name__})") from None
    needs: dict[str, dict[str, int]] = {}
    names: dict[str, str] = {}
    wheelchair: set[str] = set()
    for rows in sheets[1:]:
        if len(rows) < 2 or not str(rows[0][0] or "").startswith("route "):
            continue
        route_id = restore(str(rows[0][0])[len("route ") :])
        header = [str(h or "") for h in rows[1]]
        at = {
            name: header.index(name)
            for name in (*NEEDS, "school_id", "school_name", "child_id")
            if name in header
        }
        counts = dict.fromkeys(NEEDS, 0)
        for row in rows[2:]:
            for need in NEEDS:
                if need in at and str(row[at[need]] or "").strip().lower() == "yes":
                    counts[need] += 1
                    if need == "wheelchair" and "child_id" in at:
                        wheelchair.add(restore(str(row[at["child_id"]])))
            if "school_id" in at and "school_name" in at and row[at["school_id"]] is not None:
                names[restore(str(row[at["school_id"]]))] = restore(
                    str(row[at["school_name"]] or "")
                )
        needs[route_id] = counts
    return needs, names, wheelchair


def _days(path: Path) -> str:
    """Mon-Fri school days, with the number a year when the plan's summary gives it."""
    try:
        summary = loads_json(path.read_bytes().decode("utf-8"))
        per_day = float(summary["transport_cost_gbp_per_day"])
        per_year = float(summary["transport_cost_gbp_per_year"])
        if per_day > 0:
            return f"Mon-Fri school days ({round(per_year / per_day)} a year)"
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        pass
    return "Mon-Fri school days"


def _route(
    session: str,
    route: dict[str, Any],
    needs: dict[str, dict[str, int]],
    names: dict[str, str],
    days: str,
) -> TenderRoute:
    steps = route["steps"]
    stops = [s for s in steps if s["type"] in ("pickup", "dropoff")]
    calls = [s for s in steps if s["type"] == "school"]
    start, end = float(steps[0]["time"]), float(steps[-1]["time"])
    am = session.lower() == "am"
    stop_times = tuple(float(s["time"]) for s in stops)
    school_times = tuple(float(c["time"]) for c in calls)
    # children aboard from the first pick-up to the last school (AM), or from the first school
    # to the last drop-off (PM); the rest of the run is the empty legs from and to the depot
    aboard_from = stop_times[0] if am else school_times[0]
    aboard_to = school_times[-1] if am else stop_times[-1]
    route_id = str(route["route_id"])
    counts = needs.get(route_id, dict.fromkeys(NEEDS, 0))
    school_ids = tuple(str(s) for s in route.get("school_ids") or [route["school_id"]])
    places = [tuple(s["location"]) for s in stops]
    return TenderRoute(
        route_id=route_id,
        session=session.lower(),
        school_ids=school_ids,
        school_names=tuple(names.get(s, "") for s in school_ids),
        days=days,
        leaves_depot_min=start,
        first_stop_min=stop_times[0],
        school_times_min=school_times,
        last_stop_min=stop_times[-1],
        back_at_depot_min=end,
        vehicle_type=str(route["vehicle_type"]),
        layout=str(route.get("layout") or ""),
        assistant=bool(route["assistant"]),
        stops=sum(1 for k, at in enumerate(places) if k == 0 or at != places[k - 1]),
        riders=len(stops),
        wheelchair_users=counts["wheelchair"],
        needing_assistant=counts["needs_assistant"],
        travel_alone=counts["travel_alone"] > 0,
        flags=tuple(str(f) for f in route.get("flags") or ()),
        miles=round(float(route["distance"]) / METRES_PER_MILE, 1),
        minutes=round(end - start, 1),
        minutes_with_children=round(aboard_to - aboard_from, 1),
        minutes_empty=round((end - start) - (aboard_to - aboard_from), 1),
        longest_ride_min=round(float(route["max_ride"]), 1),
        model_cost_gbp=round(float(route["cost"]), 2),
        stop_times_min=stop_times,
    )
