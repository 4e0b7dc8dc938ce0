"""Mid-year changes to a scenario: a child added or removed, a new home or school, a route an
operator hands back. ``apply_changes`` gives the changed scenario and what each change touches,
for the continuity re-plan (``continuity.py``). Every change names the file row it came from,
so a change that does not fit the scenario (an unknown child, a child added twice) is an
``InputError`` naming that row and field.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from sendplan.errors import InputError, visible
from sendplan.routing.model import Child, Scenario

ChangeKind = Literal[
    "add_child", "remove_child", "change_address", "change_school", "route_handed_back"
]
CHANGE_KINDS: tuple[ChangeKind, ...] = (
    "add_child", "remove_child", "change_address", "change_school", "route_handed_back",
)  # fmt: skip


@dataclass(frozen=True)
class Change:
    """One change. ``child`` is the new child of an ``add_child`` (their school as
    ``current_school``); ``point`` the new home (lon, lat) of a ``change_address``."""

    kind: ChangeKind
    row: int
    child_id: str = ""
    route_id: str = ""
    point: tuple[float, float] | None = None
    school_id: str = ""
    child: Child | None = None


@dataclass(frozen=True)
class Applied:
    """The changed scenario; the routes handed back; the children added, removed and
    relocated (a new home or school: their seat must be found again)."""

    scenario: Scenario
    handed_back: frozenset[str]
    added: frozenset[str]
    removed: frozenset[str]
    relocated: frozenset[str]


def apply_changes(
    scenario: Scenario, changes: Sequence[Change], *, file: str, route_ids: Collection[str]
) -> Applied:
    """The scenario with ``changes`` applied in order. ``route_ids`` are the baseline's routes
    (a handed-back route must be one of them); ``file`` names the changes file in errors."""
    children = {c.child_id: c for c in scenario.children}
    schools = {s.school_id for s in scenario.schools}
    handed: set[str] = set()
    added: set[str] = set()
    removed: set[str] = set()
    relocated: set[str] = set()

    def known(change: Change) -> Child:
        if change.child_id not in children:
            what = "removed by an earlier row" if change.child_id in removed else "not in"
            raise InputError(
                file,
                f"child {visible(change.child_id)} is {what} the scenario",
                row=change.row,
                field="child_id",
            )
        return children[change.child_id]

    for change in changes:
        if change.kind in ("change_school", "add_child") and change.school_id not in schools:
            raise InputError(
                file, f"unknown school {visible(change.school_id)}", row=change.row,
                field="school_id",
            )  # fmt: skip
        if change.kind == "add_child":
            assert change.child is not None
            if change.child.child_id in children:
                raise InputError(
                    file, f"child {visible(change.child.child_id)} is already in the scenario",
                    row=change.row, field="child_id",
                )  # fmt: skip
            children[change.child.child_id] = change.child
            added.add(change.child.child_id)
            removed.discard(change.child.child_id)
        elif change.kind == "remove_child":
            known(change)
            del children[change.child_id]
            removed.add(change.child_id)
            added.discard(change.child_id)
            relocated.discard(change.child_id)
        elif change.kind == "change_address":
            assert change.point is not None
            lon, lat = change.point
            children[change.child_id] = replace(known(change), lon=lon, lat=lat)
            relocated.add(change.child_id)
        elif change.kind == "change_school":
            children[change.child_id] = replace(known(change), current_school=change.school_id)
            relocated.add(change.child_id)
        else:
            if change.route_id not in route_ids:
                raise InputError(
                    file, f"route {visible(change.route_id)} is not in the baseline routes",
                    row=change.row, field="route_id",
                )  # fmt: skip
            handed.add(change.route_id)
    gone = set(removed)
    kids = tuple(
        replace(c, never_with=tuple(o for o in c.never_with if o not in gone))
        if gone & set(c.never_with)
        else c
        for c in children.values()
    )
    return Applied(
        scenario=replace(scenario, children=kids),
        handed_back=frozenset(handed),
        added=frozenset(added),
        removed=frozenset(removed),
        relocated=frozenset(relocated - added),
    )
