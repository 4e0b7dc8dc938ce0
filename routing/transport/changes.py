"""Mid-year changes to a scenario: a child added or removed, a new home or school, a route an
operator hands back. ``apply_changes`` gives the changed scenario and what each change touches,
for the continuity re-plan (``continuity.py``). Every change names the file row it came from,
so a change that does not fit the scenario (an unknown child, a child added twice, a school
not open on the scenario's ``as_of``, a route handed back twice) is an ``InputError`` naming
that row and field. A school that would not admit the child by the scenario's own rules (need,
age, sex, cohort, residential places, as the placement decides) is the panel's decision to
make: it stands, and ``Applied.unsuitable`` names the child and why.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from sendplan.errors import InputError, visible
from sendplan.routing.model import Child, Policy, Scenario, School
from sendplan.routing.placement.candidates import cohort_admits

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
    # Children a change sent to a school that would not admit them by the scenario's rules:
    # the panel's decision stands and transport still takes them, but it is worth a look.
    unsuitable: tuple[Unsuitable, ...] = ()


@dataclass(frozen=True)
class Unsuitable:
    """A child whose new school (set by ``row``) would not admit them, and why."""

    child_id: str
    school_id: str
    row: int
    why: str


def apply_changes(
    scenario: Scenario, changes: Sequence[Change], *, file: str, route_ids: Collection[str]
) -> Applied:
    """The scenario with ``changes`` applied in order. ``route_ids`` are the baseline's routes
    (a handed-back route must be one of them); ``file`` names the changes file in errors."""
    children = {c.child_id: c for c in scenario.children}
    schools = {s.school_id: s for s in scenario.schools}
    handed: dict[str, int] = {}
    schooled: dict[str, int] = {}  # child -> the last row that chose their school
    added: set[str] = set()
    removed: set[str] = set()
    relocated: set[str] = set()

    def known(change: Change) -> Child:
        if change.child_id not in children:
            what = (
                "was removed from the scenario by an earlier row"
                if change.child_id in removed
                else "is not in the scenario"
            )
            raise InputError(
                file, f"child {visible(change.child_id)} {what}", row=change.row, field="child_id"
            )
        return children[change.child_id]

    for change in changes:
        if change.kind in ("change_school", "add_child"):
            _check_open(schools, change, file=file, as_of=scenario.as_of)
        if change.kind == "add_child":
            assert change.child is not None
            if change.child.child_id in children:
                raise InputError(
                    file, f"child {visible(change.child.child_id)} is already in the scenario",
                    row=change.row, field="child_id",
                )  # fmt: skip
            children[change.child.child_id] = change.child
            schooled[change.child.child_id] = change.row
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
            schooled[change.child_id] = change.row
            relocated.add(change.child_id)
        else:
            if change.route_id not in route_ids:
                raise InputError(
                    file, f"route {visible(change.route_id)} is not in the baseline routes",
                    row=change.row, field="route_id",
                )  # fmt: skip
            if change.route_id in handed:
                raise InputError(
                    file, f"route {visible(change.route_id)} is already handed back by row "
                    f"{handed[change.route_id]}", row=change.row, field="route_id",
                )  # fmt: skip
            handed[change.route_id] = change.row
    gone = set(removed)
    kids = tuple(
        replace(c, never_with=tuple(o for o in c.never_with if o not in gone))
        if gone & set(c.never_with)
        else c
        for c in children.values()
    )
    # Judged on each child as the last change left them (a later row may send them elsewhere).
    unfit = []
    for child_id, row in sorted(schooled.items()):
        if child_id not in children:
            continue  # removed by a later row
        now = children[child_id]
        why = admission_problems(schools[str(now.current_school)], now, scenario.policy)
        if why:
            unfit.append(Unsuitable(child_id, str(now.current_school), row, "; ".join(why)))
    return Applied(
        scenario=replace(scenario, children=kids),
        handed_back=frozenset(handed),
        added=frozenset(added),
        removed=frozenset(removed),
        relocated=frozenset(relocated - added),
        unsuitable=tuple(unfit),
    )


def _check_open(
    schools: Mapping[str, School], change: Change, *, file: str, as_of: date | None
) -> None:
    """A child can only be sent to a school of the scenario that is open on ``as_of``."""
    school = schools.get(change.school_id)
    if school is None:
        raise InputError(
            file, f"unknown school {visible(change.school_id)}", row=change.row, field="school_id"
        )
    if not school.open_on(as_of):
        assert as_of is not None
        when = (
            f"opens on {school.opens.isoformat()}"
            if school.opens is not None and as_of < school.opens
            else f"closed on {school.closes.isoformat() if school.closes else '?'}"
        )
        raise InputError(
            file,
            f"school {visible(change.school_id)} is not open on the scenario's as_of "
            f"{as_of.isoformat()} (it {when}): a child cannot be sent there",
            row=change.row,
            field="school_id",
        )


def admission_problems(school: School, child: Child, policy: Policy) -> tuple[str, ...]:
    """Why ``school`` would not admit ``child`` (empty: it would), by ``School.admits`` and the
    placement's cohort rule, each part named."""
    out = []
    if child.primary_need not in school.designations:
        out.append(f"primary need {child.primary_need} is not one of the school's designations")
    if not school.age_low <= child.age <= school.age_high:
        out.append(
            f"age {child.age} is outside the school's ages {school.age_low}-{school.age_high}"
        )
    if school.sex != "mixed" and school.sex != child.sex:
        out.append(f"the school admits sex {school.sex} only")
    if not cohort_admits(school, child, policy):
        out.append(f"a {child.cohort} child at a {school.type} school")
    if child.residential_need and school.residential_places == 0:
        out.append("a residential need and the school has no residential places")
    return tuple(out)
