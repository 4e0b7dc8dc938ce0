"""A travel model read from another router's matrix (OSRM, Valhalla, a commercial tool).

The file is CSV with the header ``from_id,to_id,seconds,metres``: one row per ordered pair of
places, ids being a ``child_id``, a ``school_id`` or a vehicle type's name (for its depot). The
model answers for points by the ids at them (places sharing a point share their rows), so every
pair a plan needs must be in the file: a missing pair is an error naming it. Rows for ids the
scenario does not know are ignored, so one matrix can serve several scenarios.

An OSRM ``/table`` or Valhalla ``sources_to_targets`` JSON response is read too, its rows and
columns named by the points file beside it (:mod:`sendplan.geo.router_json`).

The model's name (an output's ``travel_model``) carries the file's content hash, as a road
network's does, ``external-matrix:NAME@<sha256 prefix>``, and for a JSON matrix the points
file's too; :attr:`ExternalMatrixModel.input_files` gives both files' full sha256 for the
summary's and manifest's ``inputs``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sendplan.errors import InputError, read_csv
from sendplan.geo.digest import file_sha256
from sendplan.geo.router_json import (
    check_points,
    is_json,
    points_path,
    read_points_csv,
    read_router_json,
)

COLUMNS = ("from_id", "to_id", "seconds", "metres")
_DIGITS = 7  # ~1 cm: points compare after rounding
_SHOWN = 12  # hex digits of a file's sha256 in the model's name, as for a road network


def _key(lon: float, lat: float) -> tuple[float, float]:
    return (round(float(lon), _DIGITS), round(float(lat), _DIGITS))


class ExternalMatrixModel:
    """A :class:`~sendplan.geo.travel.TravelModel` over a user's id-to-id matrix."""

    def __init__(
        self,
        pairs: Mapping[tuple[str, str], tuple[float, float]],
        points: Mapping[str, tuple[float, float]],
        *,
        source: str,
        sha256: str = "",
    ) -> None:
        """``sha256``: of the file the pairs were read from (named with its prefix)."""
        ids = sorted(points)
        index = {place_id: n for n, place_id in enumerate(ids)}
        secs = np.full((len(ids), len(ids)), np.nan)
        metres = np.full((len(ids), len(ids)), np.nan)
        for (a, b), (s, m) in pairs.items():
            if a in index and b in index:
                secs[index[a], index[b]], metres[index[a], index[b]] = s, m
        files = ((source, sha256),) if sha256 else ()
        self._setup(ids, secs, metres, points, source, files)

    def _setup(
        self,
        ids: Sequence[str],
        secs: NDArray[np.float64],
        metres: NDArray[np.float64],
        points: Mapping[str, tuple[float, float]],
        source: str,
        files: tuple[tuple[str, str], ...],
    ) -> None:
        # Dense (seconds, metres) over ``ids``; NaN where the file gave no value. ``files``:
        # (name, sha256) of the matrix file, then of its points file (JSON only).
        self._files = files
        self._index = {place_id: n for n, place_id in enumerate(ids)}
        self._secs, self._metres = secs, metres
        self._source = source
        self._ids_at: dict[tuple[float, float], list[str]] = {}
        for place_id in sorted(points):
            self._ids_at.setdefault(_key(*points[place_id]), []).append(place_id)

    @property
    def name(self) -> str:
        """``external-matrix:NAME@<sha256 prefix>``, with ``(points NAME@<sha256 prefix>)`` for a
        JSON matrix: different content, different name; same content, same hashes."""
        if not self._files:
            return f"external-matrix:{self._source}"
        (matrix, digest), *points = self._files
        name = f"external-matrix:{matrix}@{digest[:_SHOWN]}"
        for points_name, points_digest in points:
            name += f" (points {points_name}@{points_digest[:_SHOWN]})"
        return name

    @property
    def input_files(self) -> tuple[tuple[str, str], ...]:
        """(file name, sha256) of the matrix file and, for JSON, its points file."""
        return self._files

    @classmethod
    def from_csv(cls, path: Path, points: Mapping[str, tuple[float, float]]) -> ExternalMatrixModel:
        """Read ``path``; ``points`` maps each id the scenario knows to its (lon, lat)."""
        pairs = read_matrix_csv(path, known=set(points))
        return cls(pairs, points, source=path.name, sha256=file_sha256(path))

    @classmethod
    def from_file(
        cls, path: Path, points: Mapping[str, tuple[float, float]]
    ) -> ExternalMatrixModel:
        """Our CSV, or an OSRM/Valhalla JSON response with ``NAME.points.csv`` beside it
        (see :mod:`sendplan.geo.router_json`); either is checked whole before it is used."""
        if not is_json(path):
            return cls.from_csv(path, points)
        points_file = points_path(path)
        places = read_points_csv(points_file)
        check_points(points_file, places, points)
        secs, metres = read_router_json(path, places)
        # The points file decides what each row means, so its hash is recorded too.
        files = ((path.name, file_sha256(path)), (points_file.name, file_sha256(points_file)))
        model = cls.__new__(cls)
        model._setup([p[0] for p in places], secs, metres, points, path.name, files)
        return model

    def _one(self, o: tuple[float, float], d: tuple[float, float]) -> tuple[float, float]:
        ko, kd = _key(*o), _key(*d)
        if ko == kd:
            return (0.0, 0.0)
        froms, tos = self._ids_at.get(ko), self._ids_at.get(kd)
        if not froms or not tos:
            raise InputError(self._source, "a point that is no known place was asked for")
        for a in froms:
            for b in tos:
                i, j = self._index.get(a), self._index.get(b)
                if i is not None and j is not None and not math.isnan(self._secs[i, j]):
                    return (float(self._secs[i, j]), float(self._metres[i, j]))
        raise InputError(
            self._source, f"no row for the pair from {froms[0]} to {tos[0]}", field="from_id"
        )

    def pairs(
        self, origins: NDArray[np.float64], destinations: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        o, d = np.asarray(origins, dtype=np.float64), np.asarray(destinations, dtype=np.float64)
        out = [self._one((a[0], a[1]), (b[0], b[1])) for a, b in zip(o, d, strict=True)]
        secs = np.array([s for s, _ in out], dtype=np.float64).reshape(len(out))
        metres = np.array([m for _, m in out], dtype=np.float64).reshape(len(out))
        return secs, metres

    def matrix(
        self, origins: NDArray[np.float64], destinations: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        o, d = np.asarray(origins, dtype=np.float64), np.asarray(destinations, dtype=np.float64)
        secs = np.zeros((len(o), len(d)))
        metres = np.zeros((len(o), len(d)))
        for i, a in enumerate(o):
            for j, b in enumerate(d):
                secs[i, j], metres[i, j] = self._one((a[0], a[1]), (b[0], b[1]))
        return secs, metres


def read_matrix_csv(
    path: Path, *, known: set[str] | None = None
) -> dict[tuple[str, str], tuple[float, float]]:
    """(from_id, to_id) -> (seconds, metres); errors name the file, row and field."""
    name = path.name
    header, reader = read_csv(path)
    if not header:
        raise InputError(name, "is empty: expected the header from_id,to_id,seconds,metres", row=1)
    for column in header:
        if column not in COLUMNS:
            raise InputError(name, f"unknown column {column!r}", row=1, field=column)
    for column in COLUMNS:
        if column not in header:
            raise InputError(name, f"missing column {column}", row=1, field=column)
    where = {c: header.index(c) for c in COLUMNS}
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for row_number, row in enumerate(reader, start=2):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) != len(header):
            raise InputError(name, f"{len(cells)} cells for {len(header)} columns", row=row_number)
        a, b = cells[where["from_id"]], cells[where["to_id"]]
        for column, value in (("from_id", a), ("to_id", b)):
            if not value:
                raise InputError(name, f"{column} is blank", row=row_number, field=column)
        values: list[float] = []
        for column in ("seconds", "metres"):
            text_value = cells[where[column]]
            try:
                number = float(text_value)
            except ValueError:
                raise InputError(
                    name, f"{text_value!r} is not a number", row=row_number, field=column
                ) from None
            if not math.isfinite(number) or number < 0:
                raise InputError(
                    name, f"{text_value} must be a number >= 0", row=row_number, field=column
                )
            values.append(number)
        if known is not None and (a not in known or b not in known):
            continue
        if (a, b) in out:
            raise InputError(name, f"the pair {a} -> {b} is given twice", row=row_number)
        out[(a, b)] = (values[0], values[1])
    return out


def scenario_points(
    children: list[tuple[str, float, float]],
    schools: list[tuple[str, float, float]],
    depots: list[tuple[str, float, float]],
) -> dict[str, tuple[float, float]]:
    """The id -> (lon, lat) table an external matrix is keyed by."""
    return {i: (lon, lat) for i, lon, lat in (*children, *schools, *depots)}
