"""--must-admit reports what it moved, and when nothing moved, the figures that say why."""

from __future__ import annotations

import dataclasses

from strategies import make_child, make_school

import sendplan
from sendplan.routing.model import Policy, Scenario


def _scenario(over_capacity_gbp: float) -> Scenario:
    """Two children next to a full cheap school A; B, far and dear, has room."""
    kids = [make_child("C1", 0.0), make_child("C2", 0.1), make_child("C3", 0.2)]
    schools = [make_school("A", 0.5, capacity=1, annual_cost_gbp=20_000.0),
               make_school("B", 8.0, capacity=5, annual_cost_gbp=60_000.0)]  # fmt: skip
    return Scenario(name="what-if", children=tuple(kids), schools=tuple(schools),
                    policy=Policy(over_capacity_gbp=over_capacity_gbp))  # fmt: skip


def test_a_cheap_extra_place_moves_children_and_says_who() -> None:
    result = sendplan.solve(_scenario(1_000.0), sessions=(), must_admit=("A",))
    effect = result.summary.must_admit_effects["A"]
    assert effect["moved_in"] == ["C1", "C2"] and effect["over_capacity"] == 2  # C3 was there
    assert "2 children moved in" in effect["note"]


def test_a_dear_extra_place_moves_nobody_and_gives_the_figures() -> None:
    result = sendplan.solve(_scenario(100_000.0), sessions=(), must_admit=("A",))
    effect = result.summary.must_admit_effects["A"]
    assert effect["moved_in"] == [] and effect["over_capacity"] == 0
    assert "costs 100,000 GBP a year" in effect["note"]
    saving = int(effect["note"].rsplit(" ", 2)[-2].replace(",", ""))
    assert 0 < saving < 100_000  # the fee gap (40,000) plus the shorter journey


def test_a_school_with_room_moves_nobody_and_says_so() -> None:
    roomy = _scenario(1_000.0)
    schools = (dataclasses.replace(roomy.schools[0], capacity=9), roomy.schools[1])
    result = sendplan.solve(dataclasses.replace(roomy, schools=schools), sessions=(),
                            must_admit=("A",))  # fmt: skip
    assert "already had room (3 of 9 places used" in result.summary.must_admit_effects["A"]["note"]


def test_lexicographic_summary_states_its_order() -> None:
    result = sendplan.solve(_scenario(1_000.0), sessions=(), mode="lexicographic")
    assert result.summary.levels_order == (
        "placed",
        "placed_in_area",
        "placement_cost_gbp",
        "travel_s",
    )
    assert sendplan.solve(_scenario(1_000.0), sessions=()).summary.levels_order == ()
