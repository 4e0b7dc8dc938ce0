"""The cover MIP (routing.vrp.mip.choose_cover) against a brute-force oracle on tiny instances."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sendplan.routing.vrp.mip import choose_cover, proves_optimal


def _most_links(chosen: tuple[int, ...], group: list[int], links: list[tuple[int, int]]) -> int:
    """Most links usable by the chosen routes: each route takes at most one predecessor, and a
    group releases as many vehicles as it has chosen routes (every assignment tried)."""
    releases = {g: sum(group[r] == g for r in chosen) for g in set(group)}
    into = {j: [a for a, b in links if b == j and releases.get(a, 0) > 0] for j in chosen}
    best = 0
    for pick in itertools.product(*[[None, *into[j]] for j in chosen]):
        used = [a for a in pick if a is not None]
        if all(used.count(a) <= releases[a] for a in set(used)):
            best = max(best, len(used))
    return best


def _brute_vehicles(
    covers: list[list[int]], n_items: int, group: list[int], links: list[tuple[int, int]]
) -> int | None:
    best = None
    for n in range(1, len(covers) + 1):
        for chosen in itertools.combinations(range(len(covers)), n):
            if {i for r in chosen for i in covers[r]} == set(range(n_items)):
                vehicles = n - _most_links(chosen, group, links)
                best = vehicles if best is None else min(best, vehicles)
    return best


Case = tuple[list[list[int]], int, list[int], list[tuple[int, int]]]


@st.composite
def cover_instances(draw: st.DrawFn) -> Case:
    n_items = draw(st.integers(1, 4))
    n_routes = draw(st.integers(n_items, 6))
    covers = [
        draw(st.lists(st.integers(0, n_items - 1), min_size=1, max_size=3, unique=True))
        for _ in range(n_routes)
    ]
    for i in range(n_items):  # every item on some route, so a cover exists
        covers[i % n_routes] = sorted({*covers[i % n_routes], i})
    group = [draw(st.integers(0, 2)) for _ in range(n_routes)]
    pairs = [(a, j) for a in range(3) for j in range(n_routes) if group[j] != a]
    links = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=6)) if pairs else []
    return covers, n_items, group, links


@settings(max_examples=60, deadline=None)
@given(cover_instances())
def test_cover_is_optimal_against_brute_force(case: Case) -> None:
    covers, n_items, group, links = case
    choice = choose_cover(
        covers=covers,
        n_items=n_items,
        group=group,
        links=np.array(links, dtype=int).reshape(-1, 2),
    )
    assert choice.optimal
    assert {i for r in choice.chosen for i in covers[r]} == set(range(n_items))
    assert choice.vehicles == _brute_vehicles(covers, n_items, group, links)
    assert choice.vehicles == len(choice.chosen) - _most_links(choice.chosen, group, links)


def test_a_bound_less_than_one_vehicle_below_the_cover_proves_it() -> None:
    assert proves_optimal(bound=161.25, vehicles=162)
    assert proves_optimal(bound=162.0, vehicles=162)
    assert proves_optimal(bound=161.9999999, vehicles=162)  # solver round-off
    assert not proves_optimal(bound=161.0, vehicles=162)
    assert not proves_optimal(bound=161.0000001, vehicles=162)
    assert not proves_optimal(bound=150.5, vehicles=162)
