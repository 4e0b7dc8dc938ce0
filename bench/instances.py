"""Parsers for the standard routing benchmarks kept in ``../shared/benchmarks``.

Formats: Solomon VRPTW (``solomon/instances/*.txt``), Li & Lim PDPTW (``li_lim/instances/*.txt``)
and the Park-Tae-Kim school-bus sets (``sbrp_park_tae_kim/instances/NAME/{Schools,Stops}.txt``),
plus their best-known-solution tables. The files are read in place, never copied; errors name the
file and line. Conversions to routing problems live in ``bench.solomon`` etc.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BENCHMARKS_ENV = "SENDPLAN_BENCHMARKS"


class InstanceError(ValueError):
    """A benchmark file is missing or malformed; names the file and, where known, the line."""

    def __init__(self, path: Path, *, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(f"{path}{'' if line is None else f':{line}'}: {message}")


def benchmarks_dir() -> Path:
    """``$SENDPLAN_BENCHMARKS``, else ``../shared/benchmarks`` beside the project folder."""
    env = os.environ.get(BENCHMARKS_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as err:
        raise InstanceError(path, message=f"cannot read ({err.strerror})") from None


def _numbers(path: Path, lineno: int, line: str, count: int) -> list[float]:
    parts = line.split()
    if len(parts) != count:
        raise InstanceError(
            path, line=lineno, message=f"expected {count} numbers, found {len(parts)}"
        )
    try:
        return [float(p) for p in parts]
    except ValueError:
        raise InstanceError(
            path, line=lineno, message=f"not a number in {line.strip()!r}"
        ) from None


def _int(path: Path, lineno: int, value: float, what: str) -> int:
    if value != int(value):
        raise InstanceError(path, line=lineno, message=f"{what} must be an integer, got {value}")
    return int(value)


def pick_names(requested: Sequence[str] | None, available: list[str], folder: Path) -> list[str]:
    """The requested instance names as spelled on disk (all when none are requested)."""
    if not requested or list(requested) == ["all"]:
        return available
    by_upper = {name.upper(): name for name in available}
    out = []
    for name in requested:
        if name.upper() not in by_upper:
            raise InstanceError(folder, message=f"no instance {name!r} here")
        out.append(by_upper[name.upper()])
    return out


# ------------------------------------------------------------------------------------- Solomon


@dataclass(frozen=True)
class SolomonInstance:
    """Node 0 is the depot; times are in the file's units (travel time = distance)."""

    name: str
    vehicles: int
    capacity: int
    xy: tuple[tuple[float, float], ...]
    demand: tuple[int, ...]
    ready: tuple[int, ...]
    due: tuple[int, ...]
    service: tuple[int, ...]

    @property
    def customers(self) -> int:
        return len(self.xy) - 1


def read_solomon(path: Path) -> SolomonInstance:
    lines = _lines(path)
    name = lines[0].strip() if lines else ""
    vehicles = capacity = None
    rows: list[list[float]] = []
    section = ""
    for lineno, line in enumerate(lines, start=1):
        text = line.strip()
        upper = text.upper()
        if not text:
            continue
        if upper in ("VEHICLE", "CUSTOMER"):
            section = upper
            continue
        if upper.startswith(("NUMBER", "CUST")):
            continue
        if section == "VEHICLE" and vehicles is None:
            k, q = _numbers(path, lineno, text, 2)
            vehicles, capacity = _int(path, lineno, k, "vehicles"), _int(path, lineno, q, "cap")
        elif section == "CUSTOMER":
            row = _numbers(path, lineno, text, 7)
            if int(row[0]) != len(rows):
                raise InstanceError(
                    path, line=lineno, message=f"customer {int(row[0])} out of order"
                )
            rows.append(row)
    if vehicles is None or capacity is None or not rows:
        raise InstanceError(path, message="no VEHICLE or CUSTOMER section")
    return SolomonInstance(
        name=name or path.stem,
        vehicles=vehicles,
        capacity=capacity,
        xy=tuple((r[1], r[2]) for r in rows),
        demand=tuple(int(r[3]) for r in rows),
        ready=tuple(int(r[4]) for r in rows),
        due=tuple(int(r[5]) for r in rows),
        service=tuple(int(r[6]) for r in rows),
    )


def solomon_names(root: Path | None = None) -> list[str]:
    folder = (root or benchmarks_dir()) / "solomon" / "instances"
    return sorted(p.stem for p in folder.glob("*.txt"))


def solomon_path(name: str, root: Path | None = None) -> Path:
    return (root or benchmarks_dir()) / "solomon" / "instances" / f"{name.upper()}.txt"


def read_solomon_bks(root: Path | None = None) -> dict[str, tuple[int, float]]:
    """Instance -> (vehicles, distance) of the distance-only best known solution."""
    path = (root or benchmarks_dir()) / "solomon" / "bks.csv"
    out = {}
    for lineno, row in _csv_rows(path):
        try:
            out[row["instance"]] = (int(row["distonly_vehicles"]), float(row["distonly_distance"]))
        except (KeyError, ValueError):
            raise InstanceError(path, line=lineno, message="bad distonly_* value") from None
    return out


def _csv_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return [(i, row) for i, row in enumerate(csv.DictReader(fh), start=2)]
    except OSError as err:
        raise InstanceError(path, message=f"cannot read ({err.strerror})") from None


# ------------------------------------------------------------------------------------- Li & Lim


@dataclass(frozen=True)
class LiLimInstance:
    """Node 0 is the depot. ``pairs`` lists (pickup node, delivery node) for each request."""

    name: str
    vehicles: int
    capacity: int
    xy: tuple[tuple[float, float], ...]
    demand: tuple[int, ...]
    ready: tuple[int, ...]
    due: tuple[int, ...]
    service: tuple[int, ...]
    pairs: tuple[tuple[int, int], ...]


def read_lilim(path: Path) -> LiLimInstance:
    lines = [(i, ln) for i, ln in enumerate(_lines(path), start=1) if ln.strip()]
    if not lines:
        raise InstanceError(path, message="empty file")
    lineno, head = lines[0]
    k, q, _speed = _numbers(path, lineno, head, 3)
    rows: list[list[float]] = []
    for lineno, line in lines[1:]:
        row = _numbers(path, lineno, line, 9)
        if int(row[0]) != len(rows):
            raise InstanceError(path, line=lineno, message=f"node {int(row[0])} out of order")
        rows.append(row)
    pairs = []
    for node, row in enumerate(rows[1:], start=1):
        demand, sibling_pickup, sibling_delivery = int(row[3]), int(row[7]), int(row[8])
        if demand > 0 or (demand == 0 and sibling_delivery > 0):
            if not 0 < sibling_delivery < len(rows):
                raise InstanceError(path, message=f"pickup {node} has no valid delivery node")
            if int(rows[sibling_delivery][7]) != node:
                raise InstanceError(
                    path, message=f"delivery {sibling_delivery} does not point to {node}"
                )
            pairs.append((node, sibling_delivery))
        elif not 0 < sibling_pickup < len(rows):
            raise InstanceError(path, message=f"delivery {node} has no valid pickup node")
    if 2 * len(pairs) != len(rows) - 1:
        raise InstanceError(path, message=f"{len(pairs)} requests for {len(rows) - 1} nodes")
    return LiLimInstance(
        name=path.stem,
        vehicles=_int(path, lines[0][0], k, "vehicles"),
        capacity=_int(path, lines[0][0], q, "capacity"),
        xy=tuple((r[1], r[2]) for r in rows),
        demand=tuple(int(r[3]) for r in rows),
        ready=tuple(int(r[4]) for r in rows),
        due=tuple(int(r[5]) for r in rows),
        service=tuple(int(r[6]) for r in rows),
        pairs=tuple(pairs),
    )


def lilim_100_names(root: Path | None = None) -> list[str]:
    """The 56 instances with 100 tasks (file names without an underscore)."""
    folder = (root or benchmarks_dir()) / "li_lim" / "instances"
    return sorted(p.stem for p in folder.glob("*.txt") if "_" not in p.stem)


def lilim_path(name: str, root: Path | None = None) -> Path:
    return (root or benchmarks_dir()) / "li_lim" / "instances" / f"{name.lower()}.txt"


def read_lilim_reference(root: Path | None = None) -> dict[str, tuple[float, str]]:
    """Instance -> (best distance-only cost, which column it came from) from the measured
    baselines: the least of the hierarchical BKS distance and every solver's cost (all of them
    are feasible under the distance-only model with the instance's fleet)."""
    path = (root or benchmarks_dir()) / "measured_baselines" / "li_lim_100_distance_objective.csv"
    out = {}
    for lineno, row in _csv_rows(path):
        best: tuple[float, str] | None = None
        for col, value in row.items():
            if col == "bks_hier_distance" or col.endswith("_cost"):
                try:
                    cost = float(value)
                except (TypeError, ValueError):
                    continue  # NO_FEASIBLE
                if best is None or cost < best[0]:
                    best = (cost, col)
        if best is None:
            raise InstanceError(path, line=lineno, message=f"no cost for {row.get('instance')}")
        out[row["instance"]] = best
    return out


# ------------------------------------------------------------------------------ Park-Tae-Kim


@dataclass(frozen=True)
class SbrpSchool:
    school_id: str
    x: float
    y: float
    am_early_hhmm: int
    am_late_hhmm: int


@dataclass(frozen=True)
class SbrpStop:
    stop_id: str
    x: float
    y: float
    school_id: str
    students: int


@dataclass(frozen=True)
class SbrpInstance:
    """Coordinates in feet; bell windows as HHMM integers (e.g. 810 is 08:10)."""

    name: str
    schools: tuple[SbrpSchool, ...]
    stops: tuple[SbrpStop, ...]


def _tsv(path: Path, header: list[str]) -> list[tuple[int, list[str]]]:
    lines = _lines(path)
    if not lines or lines[0].split() != header:
        raise InstanceError(path, line=1, message=f"expected header {' '.join(header)}")
    out = []
    for lineno, line in enumerate(lines[1:], start=2):
        if line.strip():
            parts = line.split()
            if len(parts) != len(header):
                raise InstanceError(path, line=lineno, message=f"expected {len(header)} fields")
            out.append((lineno, parts))
    return out


def read_sbrp(folder: Path) -> SbrpInstance:
    schools_path, stops_path = folder / "Schools.txt", folder / "Stops.txt"
    schools = []
    for lineno, p in _tsv(schools_path, ["ID", "X", "Y", "AMEARLY", "AMLATE"]):
        try:
            schools.append(SbrpSchool(p[0], float(p[1]), float(p[2]), int(p[3]), int(p[4])))
        except ValueError:
            raise InstanceError(schools_path, line=lineno, message="bad number") from None
    known = {s.school_id for s in schools}
    stops = []
    for lineno, p in _tsv(stops_path, ["ID", "X_COORD", "Y_COORD", "EP_ID", "STUDENT_COUNT"]):
        try:
            stop = SbrpStop(p[0], float(p[1]), float(p[2]), p[3], int(p[4]))
        except ValueError:
            raise InstanceError(stops_path, line=lineno, message="bad number") from None
        if stop.school_id not in known:
            raise InstanceError(stops_path, line=lineno, message=f"unknown school {stop.school_id}")
        stops.append(stop)
    return SbrpInstance(folder.name, tuple(schools), tuple(stops))


def sbrp_names(root: Path | None = None) -> list[str]:
    folder = (root or benchmarks_dir()) / "sbrp_park_tae_kim" / "instances"
    return sorted(p.name for p in folder.iterdir() if (p / "Stops.txt").exists())


def sbrp_path(name: str, root: Path | None = None) -> Path:
    return (root or benchmarks_dir()) / "sbrp_park_tae_kim" / "instances" / name.upper()


@dataclass(frozen=True)
class SbrpReference:
    buses_best: int
    buses_by_method: dict[str, int]


def read_sbrp_bks(root: Path | None = None) -> dict[tuple[str, int], SbrpReference]:
    """(instance, max riding time in s) -> bus counts from the published methods."""
    path = (root or benchmarks_dir()) / "sbrp_park_tae_kim" / "bks.csv"
    out = {}
    for lineno, row in _csv_rows(path):
        try:
            methods = {
                col.removeprefix("buses_"): int(v)
                for col, v in row.items()
                if col.startswith("buses_") and v
            }
            key = (row["instance"], int(float(row["max_riding_time_s"])))
            out[key] = SbrpReference(int(row["best_buses_in_table"]), methods)
        except (KeyError, ValueError):
            raise InstanceError(path, line=lineno, message="bad value") from None
    return out
