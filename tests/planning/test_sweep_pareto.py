"""The Pareto front of a sweep against a brute force on random points."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sendplan.routing.planning.sweep import mark_pareto, pareto_front

coordinate = st.integers(min_value=0, max_value=6)  # few values, so ties and equal points occur
points = st.lists(st.tuples(coordinate, coordinate, coordinate), min_size=1, max_size=25)


def dominates(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True)) and a != b


@settings(max_examples=200, deadline=None)
@given(points)
def test_the_front_is_exactly_the_undominated_points(pts: list[tuple[int, int, int]]) -> None:
    expected = [not any(dominates(q, p) for q in pts) for p in pts]
    assert pareto_front(pts) == expected


@settings(max_examples=100, deadline=None)
@given(points)
def test_rows_are_marked_with_in_city_maximised(pts: list[tuple[int, int, int]]) -> None:
    rows = [
        {"variant": f"v{i}", "placement_cost_gbp_per_year": c, "placed_in_city": n,
         "mean_travel_min": m}
        for i, (c, n, m) in enumerate(pts)
    ]  # fmt: skip
    # More children in the city is better: as a minimised coordinate it is -n.
    flipped = [(c, -n, m) for c, n, m in pts]
    expected = [not any(dominates(q, p) for q in flipped) for p in flipped]
    assert [r["pareto"] for r in mark_pareto(rows)] == expected


def test_a_row_without_figures_is_never_on_the_front() -> None:
    rows = [
        {"variant": "a", "placement_cost_gbp_per_year": 5.0, "placed_in_city": 1,
         "mean_travel_min": None},
        {"variant": "b", "placement_cost_gbp_per_year": 9.0, "placed_in_city": 1,
         "mean_travel_min": 20.0},
    ]  # fmt: skip
    assert [r["pareto"] for r in mark_pareto(rows)] == [False, True]
