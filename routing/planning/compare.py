"""Solved scenarios side by side: every KPI with its deltas, per-school fill, who moves.

:func:`compare` takes Results (from :func:`sendplan.solve`) or :class:`ResultView` (a result
folder read back by ``sendplan.api.result_reader``) and measures each against the first, the
baseline::

    comparison = sendplan.compare([base, variant], names=("2025", "more places"))
    comparison.kpi("placement_cost_gbp_per_year").deltas, comparison.changes

It is pure: no files, no solving. Children appear by pseudonymous ``child_id`` only.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sendplan.routing.result import Result
from sendplan.routing.summary import Summary

Number = int | float

EXCLUDED_KEYS = frozenset({"seed"})
"""Numeric Summary keys that are settings of the run, not outcomes: shown with ``runs``."""

RUN_KEYS = (
    "seed", "solver", "optimal", "mode", "movers_rule", "travel_model", "work_limit", "sessions",
)  # fmt: skip
"""How each input was made, beside the figures (``Comparison.runs``)."""

CHANGES = ("moved", "newly_placed", "newly_unplaced", "added", "removed")
"""Why a child is listed: another school, placed now (unplaced in the baseline), unplaced now,
only in this input, only in the baseline."""

_FIELD_ORDER = tuple(f.name for f in dataclasses.fields(Summary))


def _numeric_fields() -> frozenset[str]:
    hints = typing.get_type_hints(Summary)
    numeric = set()
    for name, hint in hints.items():
        union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        parts = set(typing.get_args(hint)) if union else {hint}
        if parts & {int, float} and bool not in parts:
            numeric.add(name)
    return frozenset(numeric)


NUMERIC_FIELDS = _numeric_fields()
"""Summary fields that hold a number (or None): the KPIs, less ``EXCLUDED_KEYS``."""


@dataclass(frozen=True)
class ResultView:
    """What a comparison needs of one solved scenario.

    ``summary`` has the keys of ``Summary.to_dict()``; ``schools`` maps every child to their
    school (None when unplaced); ``capacities`` is None when unknown (a result folder without
    its ``scenario/`` copy), so fill cannot be measured.
    """

    summary: Mapping[str, Any]
    schools: Mapping[str, str | None]
    school_names: Mapping[str, str] = field(default_factory=dict)
    capacities: Mapping[str, int] | None = None


@dataclass(frozen=True)
class KpiRow:
    """One KPI across the inputs: ``deltas`` is value minus baseline, ``relative`` that over
    the baseline's magnitude (None when a value is missing, or the baseline is 0 and the
    value is not)."""

    key: str
    values: tuple[Number | None, ...]
    deltas: tuple[Number | None, ...]
    relative: tuple[float | None, ...]


@dataclass(frozen=True)
class SchoolFill:
    """Children placed at one school and its capacity, per input (capacity None: unknown)."""

    school_id: str
    name: str
    placed: tuple[int, ...]
    capacity: tuple[int | None, ...]

    @property
    def fill(self) -> tuple[float | None, ...]:
        """placed / capacity per input, None when the capacity is unknown or 0."""
        return tuple(
            round(p / c, 4) if c else None for p, c in zip(self.placed, self.capacity, strict=True)
        )


@dataclass(frozen=True)
class ChildChange:
    """A child whose school in input ``name`` differs from the baseline's (None: unplaced or
    absent, as ``change`` says)."""

    name: str
    child_id: str
    baseline_school_id: str | None
    school_id: str | None
    change: str


@dataclass(frozen=True)
class Comparison:
    """Inputs measured against the first (``names[0]``, the baseline)."""

    names: tuple[str, ...]
    kpis: tuple[KpiRow, ...]
    schools: tuple[SchoolFill, ...]
    changes: tuple[ChildChange, ...]
    runs: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = ()

    @property
    def baseline(self) -> str:
        return self.names[0]

    def kpi(self, key: str) -> KpiRow:
        """The row of ``key`` (KeyError when no input has that figure)."""
        for row in self.kpis:
            if row.key == key:
                return row
        raise KeyError(key)

    def changed_counts(self) -> dict[str, int]:
        """Children listed in ``changes`` per input (0 for the baseline)."""
        counts = Counter(c.name for c in self.changes)
        return {name: counts[name] for name in self.names}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: figures keyed by input name, in input order."""

        def by_name(values: Sequence[Any]) -> dict[str, Any]:
            return dict(zip(self.names, values, strict=True))

        return {
            "baseline": self.baseline,
            "names": list(self.names),
            "runs": [dict(r) for r in self.runs],
            "kpis": [
                {
                    "key": r.key,
                    "values": by_name(r.values),
                    "delta": by_name(r.deltas),
                    "relative_delta": by_name(r.relative),
                }
                for r in self.kpis
            ],
            "school_fill": [
                {
                    "school_id": s.school_id,
                    "name": s.name,
                    "placed": by_name(s.placed),
                    "capacity": by_name(s.capacity),
                    "fill": by_name(s.fill),
                }
                for s in self.schools
            ],
            "changed_children": [dataclasses.asdict(c) for c in self.changes],
            "changed_counts": self.changed_counts(),
            "notes": list(self.notes),
        }


def view_result(result: Result) -> ResultView:
    """The comparable view of a Result. Without a placement (children kept their current
    schools) each child is at their current school."""
    scenario = result.scenario
    if result.placement is not None:
        schools: dict[str, str | None] = {a.child_id: a.school_id
                                          for a in result.placement.assignments}  # fmt: skip
        schools.update({u.child_id: None for u in result.placement.unplaced})
    else:
        schools = {c.child_id: c.current_school or None for c in scenario.children}
    return ResultView(
        summary=result.summary.to_dict(),
        schools=schools,
        school_names={s.school_id: s.name for s in scenario.schools},
        capacities={s.school_id: s.capacity for s in scenario.schools},
    )


def compare(
    results: Sequence[Result | ResultView], *, names: Sequence[str] | None = None
) -> Comparison:
    """Every numeric Summary figure, per-school fill and changed placements of ``results``,
    each measured against the first.

    Args:
        results: two or more solved scenarios; the first is the baseline.
        names: one distinct label per result (default ``A``, ``B``, ...).
    """
    if len(results) < 2:
        raise ValueError("compare needs at least two results")
    labels = tuple(names) if names is not None else _default_names(len(results))
    if len(labels) != len(results):
        raise ValueError(f"{len(labels)} names for {len(results)} results")
    if len(set(labels)) != len(labels):
        raise ValueError(f"names must be distinct: {list(labels)}")
    views = [r if isinstance(r, ResultView) else view_result(r) for r in results]
    notes = [
        f"{label}: capacities unknown (no scenario copy), so fill is not measured"
        for label, v in zip(labels, views, strict=True)
        if v.capacities is None
    ]
    return Comparison(
        names=labels,
        kpis=tuple(compare_kpis([v.summary for v in views])),
        schools=tuple(compare_fill(views)),
        changes=tuple(changed_children(views, labels)),
        runs=tuple(
            {"name": label, **{k: _plain(v.summary.get(k)) for k in RUN_KEYS}}
            for label, v in zip(labels, views, strict=True)
        ),
        notes=tuple(notes),
    )


def compare_kpis(summaries: Sequence[Mapping[str, Any]]) -> list[KpiRow]:
    """One row per numeric figure any summary holds, in Summary field order; counts in a dict
    (``unplaced_by_reason``) become one row per entry (``unplaced_by_reason.no_place``)."""
    flat = [kpi_values(s) for s in summaries]
    keys = list(dict.fromkeys(k for f in flat for k in f))
    order = {name: i for i, name in enumerate(_FIELD_ORDER)}
    keys.sort(key=lambda k: (order.get(k.split(".", 1)[0], len(order)), k))
    rows = []
    for key in keys:
        parent = key.split(".", 1)[0] if "." in key else None
        # A count missing from a dict that the summary does hold is a zero (no child had that
        # reason), not an unknown; a dict the summary lacks altogether stays unknown.
        values = tuple(
            f.get(key, 0 if parent is not None and isinstance(s.get(parent), Mapping) else None)
            for f, s in zip(flat, summaries, strict=True)
        )
        base = values[0]
        deltas = tuple(_delta(v, base) for v in values)
        rows.append(KpiRow(key, values, deltas, tuple(_relative(d, base) for d in deltas)))
    return rows


def kpi_values(summary: Mapping[str, Any]) -> dict[str, Number]:
    """The numeric figures of one summary: top-level numbers and dicts of numbers, flattened."""
    out: dict[str, Number] = {}
    for key, value in summary.items():
        if key in EXCLUDED_KEYS:
            continue
        if _is_number(value):
            out[key] = value
        elif isinstance(value, Mapping) and value and all(_is_number(v) for v in value.values()):
            out.update({f"{key}.{sub}": v for sub, v in value.items()})
    return out


def compare_fill(views: Sequence[ResultView]) -> list[SchoolFill]:
    """Children placed and capacity per school (every school any input knows), by school_id."""
    placed = [Counter(s for s in v.schools.values() if s is not None) for v in views]
    ids = sorted({s for v in views for s in (v.capacities or {})} | {s for p in placed for s in p})
    names: dict[str, str] = {}
    for v in reversed(views):  # the baseline's name wins when a variant renames a school
        names.update(v.school_names)
    return [
        SchoolFill(
            school_id=sid,
            name=names.get(sid, ""),
            placed=tuple(p[sid] for p in placed),
            capacity=tuple(
                None if v.capacities is None else v.capacities.get(sid, 0) for v in views
            ),
        )
        for sid in ids
    ]


def changed_children(views: Sequence[ResultView], names: Sequence[str]) -> list[ChildChange]:
    """Per input after the baseline, by child_id: each child whose school differs from the
    baseline's, or who is only in one of the two."""
    base = views[0].schools
    out = []
    for name, view in zip(names[1:], views[1:], strict=True):
        for child in sorted(base.keys() | view.schools.keys()):
            before, after = base.get(child), view.schools.get(child)
            if child not in view.schools:
                change = "removed"
            elif child not in base:
                change = "added"
            elif before == after:
                continue
            elif before is None:
                change = "newly_placed"
            elif after is None:
                change = "newly_unplaced"
            else:
                change = "moved"
            out.append(ChildChange(name, child, before, after, change))
    return out


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _delta(value: Number | None, base: Number | None) -> Number | None:
    if value is None or base is None:
        return None
    if isinstance(value, int) and isinstance(base, int):
        return value - base
    # Summary figures carry 2 to 4 decimals: round off the float noise of the subtraction.
    return round(value - base, 6)


def _relative(delta: Number | None, base: Number | None) -> float | None:
    if delta is None or base is None:
        return None
    if base == 0:
        return 0.0 if delta == 0 else None
    return round(delta / abs(base), 6)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _default_names(n: int) -> tuple[str, ...]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return tuple(letters[i] if i < len(letters) else f"input {i + 1}" for i in range(n))
