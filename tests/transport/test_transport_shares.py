"""How the planner shares a runtime budget among schools (``planner._school_stop``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sendplan.routing.transport.planner import (
    EXACT_MAX_CHILDREN,
    MIN_SCHOOL_RUNTIME_S,
    _school_stop,
    _share_weight,
)
from sendplan.routing.vrp.stop import MaxIterations, MaxRuntime, NoImprovement, now


def test_exact_sized_schools_get_a_token_weight_and_larger_ones_their_children() -> None:
    assert _share_weight(0) == 0.0
    assert _share_weight(EXACT_MAX_CHILDREN) == 1.0  # this side of the exact limit...
    above = EXACT_MAX_CHILDREN + 1
    assert _share_weight(above) == float(above)  # ...and the other


@given(sizes=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=30))
def test_shares_of_an_untouched_budget_add_up_to_it(sizes: list[int]) -> None:
    """Solved in turn with no time passing, the shares spend the budget exactly once."""
    budget = 120.0
    total = sum(_share_weight(n) for n in sizes)
    left, spent = total, 0.0
    for n in sizes:
        w = _share_weight(n)
        share = (w / max(left, 1.0)) * (budget - spent)
        spent += share
        left -= w
    assert spent <= budget + 1e-6
    if total >= 1.0:
        assert spent == pytest.approx(budget)


def test_school_stop_takes_its_weighted_share_and_keeps_other_parts() -> None:
    stop = MaxRuntime(100.0) | NoImprovement(50)
    share = _school_stop(stop, now(), weight_left=400.0, weight=100.0)
    runtime = share.max_runtime_s()
    assert runtime is not None and 24.0 <= runtime <= 25.0
    assert "NoImprovement(iterations=50)" in repr(share)
    tiny = _school_stop(stop, now(), weight_left=1e9, weight=1.0)
    assert tiny.max_runtime_s() == MIN_SCHOOL_RUNTIME_S


def test_iteration_limits_are_left_to_each_school() -> None:
    """The work limit stays an iteration limit: the plan stays reproducible."""
    share = _school_stop(MaxIterations(300), now(), weight_left=10.0, weight=1.0)
    assert share == MaxIterations(300)
    assert share.max_runtime_s() is None
