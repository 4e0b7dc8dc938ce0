"""Offline postcode geocoding from a file the user supplies; never an online geocoder.

Reads OS Code-Point Open CSVs (as published, without a header: postcode, positional quality,
eastings, northings, ...) and CSVs with a header naming a postcode column (``postcode``,
``pcds``, ``pcd``, ``pcd2``, ...) and either ``lat``/``lon`` (``long``, ``latitude``,
``longitude``) or an easting/northing pair (``easting``/``northing``, ``eastings``/``northings``,
ONSPD's ``oseast1m``/``osnrth1m``). Postcodes without a position (Code-Point quality 90, ONSPD
rows without a grid reference) are left out, so they count as unknown.

Error messages name the child (pseudonymous id), file, row and field, and never the postcode.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sendplan.errors import InputError
from sendplan.geo.coords import from_bng

_POSTCODE = re.compile(r"^(?:([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})|(GIR)(0AA))$")
_POSTCODE_COLUMNS = ("postcode", "pcds", "pcd", "pcd2", "pcd7", "pcd8", "post_code")
_LONLAT_COLUMNS = (("lon", "lat"), ("long", "lat"), ("longitude", "latitude"))
_GRID_COLUMNS = (("easting", "northing"), ("eastings", "northings"), ("oseast1m", "osnrth1m"))
# Code-Point Open as published: no header; these are its first four columns.
_CODEPOINT_COLUMNS = (0, 2, 3)  # postcode, eastings, northings


def _compact(text: str) -> str:
    return "".join(text.split()).upper()


def normalise_postcode(text: str) -> str:
    """``"le1  1aa"`` -> ``"LE1 1AA"``; a ValueError if it is not a UK postcode's shape."""
    match = _POSTCODE.match(_compact(text))
    if not match:
        raise ValueError("not a UK postcode")
    outward, inward = (match.group(1), match.group(2)) if match.group(1) else ("GIR", "0AA")
    return f"{outward} {inward}"


@dataclass(frozen=True)
class PostcodeTable:
    """Postcode centroids (lon, lat) from one file, keyed by the postcode without spaces."""

    source: str
    lonlat: dict[str, tuple[float, float]] = field(repr=False)

    def __len__(self) -> int:
        return len(self.lonlat)

    def __contains__(self, postcode: object) -> bool:
        return isinstance(postcode, str) and _compact(postcode) in self.lonlat

    def lookup(self, postcode: str) -> tuple[float, float] | None:
        """(lon, lat) of a postcode, or None when it is malformed or not in the file."""
        return self.lonlat.get(_compact(postcode))


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, fields) for each line of a CSV file."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from enumerate(csv.reader(handle), start=1)
    except UnicodeDecodeError:
        raise InputError(path.name, "the postcode file is not UTF-8 text") from None
    except csv.Error as err:
        raise InputError(path.name, f"the postcode file is not valid CSV ({err})") from None


def _number(text: str, file: str, row: int, column: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(file, "not a number", row=row, field=column) from None


def _columns(header: list[str], file: str) -> tuple[int, int, int, bool]:
    """Indices of the postcode and the two coordinate columns, and whether they are lon/lat."""
    names = [name.strip().lower() for name in header]
    postcode = next((names.index(c) for c in _POSTCODE_COLUMNS if c in names), None)
    if postcode is None:
        raise InputError(file, f"no postcode column (one of {', '.join(_POSTCODE_COLUMNS)})", row=1)
    candidates = [(p, True) for p in _LONLAT_COLUMNS] + [(p, False) for p in _GRID_COLUMNS]
    for (first, second), is_lonlat in candidates:
        if first in names and second in names:
            return postcode, names.index(first), names.index(second), is_lonlat
    raise InputError(
        file, "no coordinate columns: need lat and lon, or an easting and northing pair", row=1
    )


def load_postcodes(path: Path, *, wanted: Iterable[str] | None = None) -> PostcodeTable:
    """Read a postcode file; with ``wanted``, keep only those postcodes (fast on a full ONSPD)."""
    if not path.is_file():
        raise InputError(path.name, f"postcode file not found: {path}")
    keep = None if wanted is None else {_compact(p) for p in wanted}
    rows = _rows(path)
    first = next(rows, None)
    if first is None:
        raise InputError(path.name, "the postcode file is empty")
    number, header = first
    if header and _POSTCODE.match(_compact(header[0])):
        columns, is_lonlat = _CODEPOINT_COLUMNS, False  # headerless Code-Point Open
        body: Iterator[tuple[int, list[str]]] = _chain(first, rows)
        names: tuple[str, ...] = ("postcode", "eastings", "northings")
    else:
        pc, c1, c2, is_lonlat = _columns(header, path.name)
        columns = (pc, c1, c2)
        body = rows
        names = tuple(header[i].strip() for i in columns)
    found: dict[str, tuple[float, float]] = {}
    grid: dict[str, tuple[float, float]] = {}
    width = max(columns) + 1
    for number, fields in body:
        if not fields or not "".join(fields).strip():
            continue
        if len(fields) < width:
            raise InputError(path.name, "too few columns", row=number)
        key = _compact(fields[columns[0]])
        if keep is not None and key not in keep:
            continue
        if not _POSTCODE.match(key):
            raise InputError(path.name, "not a UK postcode", row=number, field=names[0])
        a_text, b_text = fields[columns[1]].strip(), fields[columns[2]].strip()
        if not a_text or not b_text:
            continue  # no position for this postcode
        a = _number(a_text, path.name, number, names[1])
        b = _number(b_text, path.name, number, names[2])
        if is_lonlat:
            if abs(b) <= 90 and abs(a) <= 180 and not (b == 99.999999 or (a == 0 and b == 0)):
                found[key] = (a, b)
        elif a > 0 or b > 0:  # Code-Point quality 90 has 0, 0
            grid[key] = (a, b)
    if grid:
        keys = list(grid)
        easting, northing = np.array([grid[k] for k in keys]).T
        lon, lat = from_bng(easting, northing)
        found.update(zip(keys, zip(lon.tolist(), lat.tolist(), strict=True), strict=True))
    return PostcodeTable(source=path.name, lonlat=found)


def _chain(
    first: tuple[int, list[str]], rest: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str]]]:
    yield first
    yield from rest


def geocode_postcodes(
    table: PostcodeTable,
    postcodes: Sequence[str],
    *,
    ids: Sequence[str],
    rows: Sequence[int] | None = None,
    file: str = "children.csv",
    field: str = "postcode",
    what: str = "child",
) -> NDArray[np.float64]:
    """Lon/lat (n, 2) of each postcode; an InputError names the first bad one's id and row."""
    if len(ids) != len(postcodes) or (rows is not None and len(rows) != len(postcodes)):
        raise ValueError("ids (and rows) must match the postcodes one for one")
    out = np.empty((len(postcodes), 2), dtype=np.float64)
    for i, text in enumerate(postcodes):
        row = rows[i] if rows is not None else None
        key = _compact(text or "")
        if not _POSTCODE.match(key):
            message = f"{what} {ids[i]}: the postcode is not a valid UK postcode"
            raise InputError(file, message, row=row, field=field)
        if key not in table.lonlat:
            message = f"{what} {ids[i]}: the postcode is not in {table.source}"
            raise InputError(file, message, row=row, field=field)
        out[i] = table.lonlat[key]
    return out
