"""Our routes.json read back as current routes for ``existing_routes.py``: each route's
pick-ups (drop-offs), the school calls taking them and what the route states beyond its stops
(layout, depot times, rides, the order of each call's children)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sendplan.api.existing_rows import SESSIONS, Row
from sendplan.errors import InputError, loads_json
from sendplan.routing.transport.keep_contracted import Stated

JSON_PRECISION_MIN = 0.01  # routes.json rounds times to the hundredth of a minute


def stated_routes(path: Path) -> dict[str, dict[str, Stated]]:
    """Per session and route id, what our routes.json states beyond the stops: the layout
    (``14+1``) and the depot times (to the hundredth of a minute); nothing for other files,
    whose routes are read in the first layout that takes the load, their depot legs timed
    tight. Read after ``existing_routes.read_existing_routes`` has accepted the file."""
    if path.suffix.lower() != ".json":
        return {}
    doc = loads_json(path.read_bytes().decode("utf-8-sig"))
    out: dict[str, dict[str, Stated]] = {}
    for session, part in doc["sessions"].items():
        for route in part["routes"]:
            layout = route.get("layout")
            steps = [s for s in route["steps"] if isinstance(s, dict)]
            times = [
                s.get("time") if s.get("type") == kind else None
                for kind, s in (("start", steps[0]), ("end", steps[-1]))
            ]
            key = SESSIONS.get(str(session).strip().lower(), str(session))
            out.setdefault(key, {})[route["route_id"]] = Stated(
                layout=layout if isinstance(layout, str) else "",
                start_min=_minutes_or_none(times[0]),
                end_min=_minutes_or_none(times[1]),
            )
    return out


def stated_extra(values: Mapping[str, Any]) -> dict[str, Any]:
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


def json_rows(path: Path) -> Iterator[Row]:
    """Our routes.json: each route's pick-ups (drop-offs) and the school calls taking them."""
    name = path.name
    try:
        doc = loads_json(path.read_bytes().decode("utf-8-sig"))
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
                yield Row(
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
