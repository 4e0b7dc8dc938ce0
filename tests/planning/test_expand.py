"""Expansion planning: obvious choices, budget, exclusivity, phases, marginal values, all
checked against brute force over every timing of every portfolio."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from expand_cases import GROWTH, HOME, YEARS
from expand_cases import make_school as _school

from sendplan.routing.model import Child, Policy, Scenario
from sendplan.routing.planning.expand import (
    Expansion,
    ExpansionError,
    annuity_factor,
    evaluate_portfolio,
    expand,
    year_cohort,
)
from sendplan.routing.planning.options import Option


def _scenario(n: int = 6) -> Scenario:
    children = tuple(
        Child(f"c{i:02d}", HOME[0] + 0.001 * i, HOME[1], age=10, primary_need="ASD", sex="M")
        for i in range(n)
    )
    schools = (
        _school("A", *HOME),
        _school("B", -1.30, 52.70, type="independent", capacity=50, annual_cost_gbp=90_000.0,
                in_area=False),
    )  # fmt: skip
    return Scenario("tiny", children, schools, policy=Policy())


def _near(
    option_id: str = "NEAR", places: int = 4, capital: float = 100_000.0, **kw: object
) -> Option:
    values: dict[str, object] = {"earliest_year": 2026, **kw}
    return Option(option_id=option_id, school_id="A", places=places, capital_gbp=capital,
                  **values)  # fmt: skip


def _far(option_id: str = "FAR", **kw: object) -> Option:
    values: dict[str, object] = dict(
        option_id=option_id, places=4, capital_gbp=100_000.0, earliest_year=2026,
        lon=-1.35, lat=52.75, designations=frozenset({"ASD"}), age_low=4, age_high=19,
        revenue_gbp_per_place=25_000.0,
    )  # fmt: skip
    values.update(kw)
    return Option(**values)


def _run(options: Sequence[Option], **kw: object) -> Expansion:
    return expand(_scenario(), options, years=YEARS, demand_growth=GROWTH, **kw)


def brute_force(
    options: Sequence[Option], *, budget: float | None = None
) -> tuple[int, dict[str, int]]:
    """The least cost over every build year (or never) of every option, each portfolio
    re-placed from scratch by the placement solver."""
    best: tuple[int, dict[str, int]] | None = None
    for years in itertools.product([None, *YEARS], repeat=len(options)):
        chosen = {o.option_id: y for o, y in zip(options, years, strict=True) if y is not None}
        if not _allowed(options, chosen, budget):
            continue
        cost = evaluate_portfolio(_scenario(), options, chosen, years=YEARS, demand_growth=GROWTH)
        if best is None or cost < best[0]:
            best = (cost, chosen)
    assert best is not None
    return best


def _allowed(options: Sequence[Option], chosen: Mapping[str, int], budget: float | None) -> bool:
    groups: dict[str, int] = {}
    for o in options:
        if o.option_id not in chosen:
            continue
        year = chosen[o.option_id]
        if year < o.earliest_year:
            return False
        if o.requires is not None and chosen.get(o.requires, 9999) > year:
            return False
        if o.exclusive_group is not None:
            groups[o.exclusive_group] = groups.get(o.exclusive_group, 0) + 1
    capital = sum(o.capital_gbp for o in options if o.option_id in chosen)
    return all(n <= 1 for n in groups.values()) and (budget is None or capital <= budget)


def test_picks_the_obviously_best_option_at_once() -> None:
    # NEAR alone seats every child in area; FAR is the same places further away.
    result = _run([_far(), _near(places=8)])
    assert result.chosen == {"NEAR": 2026}
    assert result.cost_gbp < result.do_nothing_gbp
    assert result.years[0].in_city_share > result.do_nothing[0].in_city_share
    assert result.cost_gbp == brute_force([_far(), _near(places=8)])[0]


def test_matches_brute_force_and_recomputes_exactly() -> None:
    options = [_near("N2", places=2, capital=60_000.0), _near("N3", places=3, capital=150_000.0),
               _far(capital_gbp=20_000.0, earliest_year=2027)]  # fmt: skip
    result = _run(options)
    cost, _ = brute_force(options)
    assert result.cost_gbp == cost
    recomputed = evaluate_portfolio(
        _scenario(), options, result.chosen, years=YEARS, demand_growth=GROWTH
    )
    assert recomputed == result.cost_gbp
    assert sum(r.cost_gbp for r in result.years) == result.cost_gbp


def test_respects_the_budget() -> None:
    options = [_near("N2", places=2, capital=60_000.0), _near("N4", places=4, capital=100_000.0)]
    free = _run(options)
    assert set(free.chosen) == {"N2", "N4"}  # both pay without a budget
    capped = _run(options, budget_gbp=99_000.0)
    assert capped.capital_gbp <= 99_000.0
    assert set(capped.chosen) == {"N2"}
    assert capped.cost_gbp == brute_force(options, budget=99_000.0)[0]
    with pytest.raises(ExpansionError):
        _run(options, budget_gbp=-1.0)


def test_respects_exclusive_groups_and_phases() -> None:
    grouped = [_near("N2", places=2, capital=60_000.0, exclusive_group="g"),
               _near("N4", places=4, capital=100_000.0, exclusive_group="g")]  # fmt: skip
    result = _run(grouped)
    assert len(result.chosen) == 1
    assert result.cost_gbp == brute_force(grouped)[0]
    # A phase that pays only with its first phase: brute force over every timing agrees.
    phased = [_near("P1", places=2, capital=60_000.0, earliest_year=2027),
              _near("P2", places=3, capital=60_000.0, requires="P1")]  # fmt: skip
    result = _run(phased)
    assert result.cost_gbp == brute_force(phased)[0]
    if "P2" in result.chosen:
        assert result.chosen["P1"] <= result.chosen["P2"]
        assert result.chosen["P1"] == 2027


def test_marginal_values_recompute_by_re_solving() -> None:
    options = [_near("N2", places=2, capital=60_000.0), _far(capital_gbp=4_000_000.0),
               _near("N4", places=4, capital=100_000.0)]  # fmt: skip
    result = _run(options)
    assert "FAR" not in result.chosen
    for option in options:
        value = result.marginal_gbp[option.option_id]
        others = [o for o in options if o.option_id != option.option_id]
        if option.option_id in result.chosen:
            assert value == _run(others, marginal=False).cost_gbp - result.cost_gbp
            assert value is not None and value > 0
        else:
            # At the threshold capital it is chosen; a pound above, it is not.
            assert value is not None and 0 <= value < option.capital_gbp
            at = [o if o is not option else _far(capital_gbp=float(value)) for o in options]
            above = [o if o is not option else _far(capital_gbp=value + 1.0) for o in options]
            assert "FAR" in _run(at, marginal=False).chosen
            assert "FAR" not in _run(above, marginal=False).chosen


def test_year_cohort_scales_and_clones_free_children() -> None:
    scenario = _scenario(10)
    grown = year_cohort(scenario, 2027, factor=1.3)
    assert len(grown.children) == 13
    ids = [c.child_id for c in grown.children]
    assert len(set(ids)) == 13
    clones = [c for c in grown.children if ".y2027" in c.child_id]
    assert len(clones) == 3 and not any(c.locked or c.current_school for c in clones)
    assert len(year_cohort(scenario, 2027, factor=0.5).children) == 5
    with pytest.raises(ExpansionError):
        year_cohort(scenario, 2027, factor=0.0)


def test_annuity_factor() -> None:
    assert annuity_factor(rate=0.0, life_years=40) == pytest.approx(1 / 40)
    # GBP 1 repaid over 2 years at 10%: 0.1 / (1 - 1.1**-2) = 0.57619...
    assert annuity_factor(rate=0.1, life_years=2) == pytest.approx(0.576190476)


def test_bad_options_are_errors_not_tracebacks() -> None:
    with pytest.raises(ExpansionError, match="unknown school"):
        _run([Option(option_id="X", school_id="NOPE", places=2, capital_gbp=1.0,
                     earliest_year=2026)])  # fmt: skip
    with pytest.raises(ExpansionError, match="cycle"):
        _run([_near("P1", requires="P2"), _near("P2", requires="P1")])
    with pytest.raises(ExpansionError, match="no factor"):
        expand(_scenario(), [_near()], years=[2030], demand_growth=GROWTH)


@pytest.mark.parametrize("budget", [-1.0, float("inf"), float("nan")])
def test_a_budget_must_be_finite_and_not_negative(budget: float) -> None:
    with pytest.raises(ExpansionError, match="budget_gbp"):
        _run([_near(places=8)], budget_gbp=budget)


def test_reported_years_pass_the_independent_checker(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan behind a reported figure that fails the checker is never issued (DESIGN.md 12)."""
    import sendplan.routing.planning.expand as module
    from sendplan.errors import PlanRejected
    from sendplan.routing.placement.check import check_placement

    checked: list[int] = []

    def spy(scenario: Scenario, travel: object, plan: object, **asked: Any) -> object:
        checked.append(len(scenario.children))
        return check_placement(scenario, travel, plan, **asked)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "check_placement", spy)
    _run([_near(places=8)])
    assert len(checked) == 2 * len(YEARS)  # the chosen chain and doing nothing, each year

    def failing(scenario: Scenario, travel: object, plan: object, **asked: Any) -> object:
        verdict = check_placement(scenario, travel, plan, **asked)  # type: ignore[arg-type]
        return dataclasses.replace(verdict, ok=False, violations=("made-up violation",))

    monkeypatch.setattr(module, "check_placement", failing)
    with pytest.raises(PlanRejected, match="made-up violation"):
        _run([_near(places=8)])
