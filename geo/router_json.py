"""Another router's JSON matrix (OSRM ``/table`` or Valhalla ``sources_to_targets``) and the
points file that says which place each of its rows and columns is.

``sendplan network points`` writes the points file (``index,id,kind,lon,lat``: every child,
school and vehicle type's depot, in :func:`place_rows` order). The user sends those points to
their own router as both sources and destinations, in that order, and saves the response as
``NAME.json`` beside ``NAME.points.csv``. The points file holds children's home locations, so it
is kept as the children file is; errors never print a coordinate.

* OSRM: ``{"code": "Ok", "durations": [[s, ...]], "distances": [[m, ...]]}`` (request with
  ``annotations=duration,distance``); ``null`` is an unreachable pair.
* Valhalla: ``{"sources_to_targets": [[{"from_index", "to_index", "time", "distance"}, ...]],
  "units": "kilometers" | "miles"}``, or its concise form ``{"sources_to_targets":
  {"durations": [[...]], "distances": [[...]]}, "units": ...}``; time in seconds, distance in
  ``units``; a ``null`` time or distance is an unreachable pair.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sendplan.errors import InputError, read_csv, visible

POINTS_COLUMNS = ("index", "id", "kind", "lon", "lat")
KINDS = ("child", "school", "depot")
METRES_PER = {"kilometers": 1000.0, "miles": 1609.344}
_TOLERANCE = 5e-8  # degrees (~5 mm): the points file must hold the scenario's own locations

Place = tuple[str, str, float, float]  # id, kind, lon, lat
Matrix = NDArray[np.float64]


def points_path(matrix: Path) -> Path:
    """The points file a JSON matrix needs: ``NAME.points.csv`` beside ``NAME.json``."""
    return matrix.with_name(f"{matrix.stem}.points.csv")


def is_json(path: Path) -> bool:
    """A ``.json`` file, or any file whose first non-blank character is ``{``."""
    if path.suffix.lower() == ".json":
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(64).removeprefix(b"\xef\xbb\xbf").lstrip()
    except OSError:
        return False  # the CSV reader reports it
    return head.startswith(b"{")


def place_rows(
    children: Sequence[tuple[str, float, float]],
    schools: Sequence[tuple[str, float, float]],
    depots: Sequence[tuple[str, float, float]],
) -> list[Place]:
    """Every place in the points file's order: children, schools, then depots, each by id."""
    out: list[Place] = []
    for kind, group in zip(KINDS, (children, schools, depots), strict=True):
        out.extend((i, kind, float(lon), float(lat)) for i, lon, lat in sorted(group))
    return out


def write_points_csv(places: Sequence[Place], path: Path) -> None:
    """``index,id,kind,lon,lat``; coordinates written exactly (``repr``), so they read back."""
    lines = [",".join(POINTS_COLUMNS)]
    lines += [f"{n},{i},{k},{lon!r},{lat!r}" for n, (i, k, lon, lat) in enumerate(places)]
    try:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as err:
        raise InputError("--out", f"cannot write {path.name} ({err.strerror})") from None


def read_points_csv(path: Path) -> list[Place]:
    """The places of a points file, in index order; errors name its row and field."""
    name = path.name
    if not path.is_file():
        raise InputError(
            name, "is missing: a JSON matrix needs its points file beside it (write it with "
            "`sendplan network points SCENARIO --out " + name + "`)",
        )  # fmt: skip
    header, reader = read_csv(path)
    if tuple(header) != POINTS_COLUMNS:
        raise InputError(name, f"the header must be {','.join(POINTS_COLUMNS)}", row=1)
    out: list[Place] = []
    seen: set[str] = set()
    for row_number, row in enumerate(reader, start=2):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) != len(POINTS_COLUMNS):
            raise InputError(name, f"{len(cells)} cells for 5 columns", row=row_number)
        index, place_id, kind, lon, lat = cells
        if index != str(len(out)):
            raise InputError(name, f"index must be {len(out)}", row=row_number, field="index")
        if not place_id or place_id in seen:
            what = "is blank" if not place_id else f"{place_id} is given twice"
            raise InputError(name, f"id {what}", row=row_number, field="id")
        if kind not in KINDS:
            raise InputError(
                name, f"kind {visible(kind)} is not child, school or depot", row=row_number,
                field="kind",
            )  # fmt: skip
        seen.add(place_id)
        out.append((place_id, kind, _coordinate(name, row_number, "lon", lon),
                    _coordinate(name, row_number, "lat", lat)))  # fmt: skip
    return out


def _coordinate(name: str, row: int, field: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(name, "is not a number", row=row, field=field) from None
    if not math.isfinite(value):
        raise InputError(name, "must be a finite number", row=row, field=field)
    return value


def check_points(
    path: Path, places: Sequence[Place], known: Mapping[str, tuple[float, float]]
) -> None:
    """Every place the scenario knows is in the points file, at the scenario's location."""
    row_of = {place[0]: n for n, place in enumerate(places)}
    for place_id in sorted(known):
        n = row_of.get(place_id)
        if n is None:
            raise InputError(
                path.name, f"has no row for {place_id}: write it again with `sendplan network "
                "points` and ask the router again",
            )  # fmt: skip
        _id, kind, lon, lat = places[n]
        k_lon, k_lat = known[place_id]
        for field, mine, theirs in (("lon", lon, k_lon), ("lat", lat, k_lat)):
            if abs(mine - theirs) > _TOLERANCE:
                raise InputError(
                    path.name, f"{kind} {place_id} is not where the scenario puts it: write the "
                    "file again with `sendplan network points` and ask the router again",
                    row=n + 2, field=field,
                )  # fmt: skip


def read_router_json(path: Path, places: Sequence[Place]) -> tuple[Matrix, Matrix]:
    """(seconds, metres), ``len(places)`` square, from an OSRM or Valhalla response."""
    doc = _load(path)
    if "sources_to_targets" in doc:
        return _valhalla(path, doc, places)
    if "durations" in doc or "code" in doc:
        return _osrm(path, doc, places)
    raise InputError(
        path.name, "is neither an OSRM /table response (durations, distances) nor a Valhalla "
        "matrix (sources_to_targets)",
    )  # fmt: skip


def _load(path: Path) -> dict[str, object]:
    def no_constant(word: str) -> object:
        raise ValueError(f"{word} is not JSON")

    try:
        text = path.read_bytes().decode("utf-8-sig")
        doc = json.loads(text, parse_constant=no_constant)
    except OSError as err:
        raise InputError(path.name, f"cannot read the file ({err.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(path.name, "is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise InputError(
            path.name, f"is not valid JSON ({err.msg} at line {err.lineno} column {err.colno})"
        ) from None
    except (ValueError, RecursionError) as err:
        raise InputError(path.name, f"is not valid JSON ({visible(str(err))})") from None
    if not isinstance(doc, dict):
        raise InputError(path.name, "must be a JSON object")
    return doc


def _osrm(path: Path, doc: Mapping[str, object], places: Sequence[Place]) -> tuple[Matrix, Matrix]:
    code = doc.get("code")
    if code != "Ok":
        said = doc.get("message")
        detail = f": {visible(said, 120)}" if isinstance(said, str) else ""
        said_code = f"OSRM answered code {visible(str(code))}{detail}"
        raise InputError(path.name, said_code, field="code")
    for key in ("sources", "destinations"):
        listed = doc.get(key)
        if listed is not None and (not isinstance(listed, list) or len(listed) != len(places)):
            raise InputError(path.name, _size_message(listed, places, key), field=key)
    if "distances" not in doc:
        raise InputError(
            path.name, "has no distances: ask OSRM with annotations=duration,distance",
            field="distances",
        )  # fmt: skip
    secs = _square(path, doc.get("durations"), "durations", places, 1.0)
    metres = _square(path, doc.get("distances"), "distances", places, 1.0)
    return secs, metres


def _valhalla(
    path: Path, doc: Mapping[str, object], places: Sequence[Place]
) -> tuple[Matrix, Matrix]:
    units = doc.get("units")
    if not isinstance(units, str) or units not in METRES_PER:
        shown = "missing" if units is None else visible(str(units))
        raise InputError(path.name, f"units {shown}: expected kilometers or miles", field="units")
    scale = METRES_PER[units]
    body = doc["sources_to_targets"]
    if isinstance(body, dict):  # the concise form (verbose=false)
        key = "sources_to_targets."
        secs = _square(path, body.get("durations"), key + "durations", places, 1.0)
        return secs, _square(path, body.get("distances"), key + "distances", places, scale)
    rows = _rows(path, body, "sources_to_targets", places)
    n = len(places)
    secs, metres = np.zeros((n, n)), np.zeros((n, n))
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            where = f"sources_to_targets[{i}][{j}]"
            if not isinstance(cell, dict):
                raise InputError(path.name, "must be an object", field=where)
            for index_key, want in (("from_index", i), ("to_index", j)):
                got = cell.get(index_key, want)
                if got != want or isinstance(got, bool):
                    raise InputError(path.name, f"must be {want}", field=f"{where}.{index_key}")
            secs[i, j] = _number(path, cell.get("time"), f"{where}.time", places, i, j)
            metres[i, j] = _number(path, cell.get("distance"), f"{where}.distance", places, i, j)
    return secs, metres * scale


def _size_message(value: object, places: Sequence[Place], what: str) -> str:
    size = f"{len(value)} entries" if isinstance(value, list) else "not a list"
    return f"{what}: {size} for the {len(places)} places of the points file"


def _rows(path: Path, value: object, key: str, places: Sequence[Place]) -> list[list[object]]:
    n = len(places)
    if not isinstance(value, list) or len(value) != n:
        raise InputError(path.name, _size_message(value, places, "rows"), field=key)
    for i, row in enumerate(value):
        if not isinstance(row, list) or len(row) != n:
            raise InputError(path.name, _size_message(row, places, "columns"), field=f"{key}[{i}]")
    return value


def _square(path: Path, value: object, key: str, places: Sequence[Place], scale: float) -> Matrix:
    rows = _rows(path, value, key, places)
    out = np.array(
        [[_number(path, v, f"{key}[{i}][{j}]", places, i, j) for j, v in enumerate(row)]
         for i, row in enumerate(rows)],
        dtype=np.float64,
    ).reshape(len(places), len(places))  # fmt: skip
    return out * scale


def _number(
    path: Path, value: object, where: str, places: Sequence[Place], i: int, j: int
) -> float:
    if value is None:
        (a, a_kind, *_), (b, b_kind, *_) = places[i], places[j]
        raise InputError(
            path.name, f"the router found no route from {a_kind} {a} to {b_kind} {b}", field=where
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(path.name, f"{visible(str(value))} is not a number", field=where)
    if not math.isfinite(value) or value < 0:
        raise InputError(path.name, f"{value} must be a number >= 0", field=where)
    return float(value)
