"""``apply_changes``: a child can only be sent (``change_school``, ``add_child``) to a school of
the scenario open on its ``as_of`` (else an InputError naming the row and ``school_id``); a
school that would not admit the child by the scenario's rules is the panel's decision: applied,
and named in ``Applied.unsuitable`` with why; a route handed back twice names the second row;
a child removed by an earlier row is said so in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from transport_cases import child, scenario, school

from sendplan.errors import InputError
from sendplan.routing.model import Scenario
from sendplan.routing.transport.changes import Applied, Change, apply_changes

AS_OF = date(2025, 1, 16)
DAY = timedelta(days=1)


def sc(**new_school: Any) -> Scenario:
    """Two children at S1; S2 a primary school (ages 4-11, ASD and SLD) with ``new_school``."""
    primary = school("S2", 2, 0, **new_school)
    primary = replace(primary, age_low=4, age_high=11, designations=frozenset({"ASD", "SLD"}))
    kids = [child("C1", 1, 1, age=9), child("C2", -1, 1, age=14)]
    return replace(scenario(kids, schools=[school("S1"), primary]), as_of=AS_OF)


def apply(s: Scenario, *changes: Change) -> Applied:
    return apply_changes(s, changes, file="changes.csv", route_ids={"R1", "R2"})


def to_s2(kind: str, row: int = 2, child_id: str = "C1") -> Change:
    if kind == "add_child":
        new = child("N1", 0.5, 0.5, school_id="S2", age=9)
        return Change("add_child", row, child_id="N1", school_id="S2", child=new)
    return Change("change_school", row, child_id=child_id, school_id="S2")


@pytest.mark.parametrize("kind", ["change_school", "add_child"])
@pytest.mark.parametrize(
    ("dates", "open_"),
    [
        ({"opens": AS_OF}, True),  # opens on as_of
        ({"opens": AS_OF + DAY}, False),  # opens the day after
        ({"closes": AS_OF + DAY}, True),  # its last day is as_of
        ({"closes": AS_OF}, False),  # closed on as_of
    ],
)
def test_a_school_not_open_on_as_of_is_an_error_naming_row_and_school_id(
    kind: str, dates: dict[str, date], open_: bool
) -> None:
    s = sc(**dates)
    if open_:
        applied = apply(s, to_s2(kind, row=3))
        moved = "N1" if kind == "add_child" else "C1"
        got = {c.child_id: c.current_school for c in applied.scenario.children}
        assert got[moved] == "S2"
        return
    with pytest.raises(InputError) as err:
        apply(s, to_s2(kind, row=3))
    text = str(err.value)
    assert "changes.csv row 3, field school_id" in text
    assert "not open" in text and AS_OF.isoformat() in text


def test_without_as_of_every_school_is_open() -> None:
    s = replace(sc(opens=AS_OF + DAY), as_of=None)
    assert apply(s, to_s2("change_school")).relocated == {"C1"}


def test_an_unknown_school_is_an_error_naming_school_id() -> None:
    with pytest.raises(InputError, match="row 2, field school_id"):
        apply(sc(), Change("change_school", 2, child_id="C1", school_id="S9"))


@pytest.mark.parametrize(
    ("age", "fits"),
    [(11, True), (12, False), (4, True), (3, False)],  # S2 takes ages 4-11
)
def test_a_school_that_would_not_admit_the_child_stands_and_is_named(age: int, fits: bool) -> None:
    s = sc()
    s = replace(s, children=tuple(replace(c, age=age) for c in s.children))
    applied = apply(s, to_s2("change_school", row=4))
    assert {c.child_id: c.current_school for c in applied.scenario.children}["C1"] == "S2"
    if fits:
        assert applied.unsuitable == ()
        return
    (u,) = applied.unsuitable
    assert (u.child_id, u.school_id, u.row) == ("C1", "S2", 4)
    assert f"age {age}" in u.why and "4-11" in u.why


@pytest.mark.parametrize(("need", "fits"), [("SLD", True), ("PMLD", False)])
def test_a_need_the_school_is_not_designated_for_is_named(need: str, fits: bool) -> None:
    s = sc()
    s = replace(s, children=tuple(replace(c, primary_need=need) for c in s.children))
    applied = apply(s, to_s2("change_school"))
    assert (applied.unsuitable == ()) is fits
    if not fits:
        assert "primary need PMLD" in applied.unsuitable[0].why


def test_an_added_child_the_school_would_not_admit_is_named() -> None:
    change = to_s2("add_child")
    assert change.child is not None
    older = replace(change, child=replace(change.child, age=15))
    assert [u.child_id for u in apply(sc(), older).unsuitable] == ["N1"]
    assert apply(sc(), change).unsuitable == ()


def test_only_the_last_school_counts_and_a_removed_child_is_not_named() -> None:
    s = sc()
    away = Change("change_school", 3, child_id="C2", school_id="S1")
    gone = Change("remove_child", 3, child_id="C2")
    assert [u.child_id for u in apply(s, to_s2("change_school", child_id="C2")).unsuitable] == [
        "C2"
    ]
    assert apply(s, to_s2("change_school", child_id="C2"), away).unsuitable == ()
    assert apply(s, to_s2("change_school", child_id="C2"), gone).unsuitable == ()


def test_a_route_handed_back_twice_names_the_second_row() -> None:
    once = Change("route_handed_back", 2, route_id="R1")
    other = Change("route_handed_back", 3, route_id="R2")
    assert apply(sc(), once, other).handed_back == {"R1", "R2"}
    with pytest.raises(InputError) as err:
        apply(sc(), once, other, replace(once, row=4))
    assert "changes.csv row 4, field route_id" in str(err.value)
    assert "row 2" in str(err.value)


def test_a_child_removed_by_an_earlier_row_is_said_so() -> None:
    gone = Change("remove_child", 2, child_id="C1")
    with pytest.raises(InputError) as err:
        apply(sc(), gone, replace(gone, row=3))
    text = str(err.value)
    assert "row 3, field child_id" in text
    assert "'C1' was removed from the scenario by an earlier row" in text
    with pytest.raises(InputError, match="'C9' is not in the scenario"):
        apply(sc(), Change("remove_child", 2, child_id="C9"))
