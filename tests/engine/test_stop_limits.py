"""Splitting a work limit between schools (with_runtime / with_limits) keeps every condition the
caller gave: only the wall-clock and iteration limits are re-set, never dropped."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from transport_cases import TRAVEL, random_children, scenario

from sendplan.routing.transport.planner import plan_transport
from sendplan.routing.vrp.stop import (
    AllOf,
    AnyOf,
    Checker,
    MaxIterations,
    MaxRuntime,
    NoImprovement,
    StopCriterion,
    with_limits,
    with_runtime,
)


@dataclass(frozen=True)
class Reached(StopCriterion):
    """Raises when a search starts it: proves the caller's criterion got there."""

    def start(self, t0: float | None = None) -> Checker:
        raise LookupError("the caller's criterion reached the search")

    def max_runtime_s(self) -> float | None:
        return None

    def max_iterations(self) -> int | None:
        return None


def test_with_runtime_resets_the_clock_and_keeps_every_other_part() -> None:
    stop = MaxRuntime(60) | MaxIterations(500) | NoImprovement(20)
    assert with_runtime(stop, 3.0) == AnyOf(
        (AnyOf((MaxRuntime(3.0), MaxIterations(500))), NoImprovement(20))
    )
    assert with_runtime(stop, None) == stop
    assert with_runtime(MaxIterations(7) | NoImprovement(2), 1.5) == MaxIterations(
        7
    ) | NoImprovement(2)
    both = AllOf((MaxRuntime(10), MaxIterations(5)))
    assert with_runtime(both, 2.0) == AllOf((MaxRuntime(2.0), MaxIterations(5)))  # still "both"


def test_with_limits_sets_iterations_only_where_there_are_some() -> None:
    assert with_limits(MaxIterations(100), iterations=10) == MaxIterations(10)
    assert with_limits(NoImprovement(4), iterations=10) == NoImprovement(4)
    assert with_limits(Reached(), runtime_s=1.0, iterations=1) == Reached()


@dataclass(frozen=True)
class Counted(StopCriterion):
    """A caller's own criterion that counts iterations (as the service's job stop does)."""

    count: int
    tag: str

    def start(self, t0: float | None = None) -> Checker:
        return MaxIterations(self.count).start(t0)

    def max_runtime_s(self) -> float | None:
        return None

    def max_iterations(self) -> int | None:
        return self.count

    def with_iterations(self, iterations: int) -> StopCriterion:
        return Counted(iterations, self.tag)


def test_a_callers_criterion_that_counts_iterations_gets_its_share() -> None:
    assert with_limits(Counted(40, "job"), iterations=10) == Counted(10, "job")
    assert with_limits(Counted(40, "job"), runtime_s=3.0) == Counted(40, "job")
    assert with_limits(Counted(40, "job") | MaxRuntime(9), runtime_s=3.0, iterations=4) == (
        Counted(4, "job") | MaxRuntime(3.0)
    )


leaves = st.one_of(
    st.floats(0, 100).map(MaxRuntime),
    st.integers(0, 1000).map(MaxIterations),
    st.integers(0, 50).map(NoImprovement),
    st.just(Reached()),
)
trees = st.recursive(
    leaves,
    lambda inner: st.lists(inner, min_size=1, max_size=3).flatmap(
        lambda parts: st.sampled_from([AnyOf(tuple(parts)), AllOf(tuple(parts))])
    ),
    max_leaves=8,
)


def _kinds(stop: StopCriterion) -> list[str]:
    if isinstance(stop, AnyOf | AllOf):
        return [type(stop).__name__, *(k for p in stop.parts for k in _kinds(p))]
    return [type(stop).__name__]


@given(trees, st.floats(0.01, 50), st.integers(1, 300))
def test_with_limits_keeps_the_shape_and_sets_the_limits(
    stop: StopCriterion, runtime_s: float, iterations: int
) -> None:
    out = with_limits(stop, runtime_s=runtime_s, iterations=iterations)
    assert _kinds(out) == _kinds(stop)
    if stop.max_runtime_s() is not None:
        assert out.max_runtime_s() == runtime_s
    if stop.max_iterations() is not None:
        assert out.max_iterations() == iterations


@pytest.mark.parametrize("mixed", [False, True])
def test_a_callers_own_criterion_reaches_the_routing_search(mixed: bool) -> None:
    # 12 children: above the exact search's size, so the engine runs and starts the criterion.
    sc = scenario(random_children(12, 3, flags=False), mixed_school_routes=mixed)
    with pytest.raises(LookupError, match="reached the search"):
        plan_transport(sc, None, TRAVEL, session="am", stop=MaxIterations(50) | Reached(),
                       seed=1, workers=1)  # fmt: skip
