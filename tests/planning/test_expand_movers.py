"""Who `expand` places each year: the movers, as `place` does (README "Who is placed this year").

Every placement the planner makes is recorded (a spy around the solver) and checked against the
phase-transfer rule worked out here from the scenario itself; `all` is checked against the
planner as it was before the rule (every year's cohort placed without locks).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

import pytest
from expand_cases import GROWTH, HOME, YEARS
from expand_cases import make_school as _school

import sendplan.routing.planning.expand as module
from sendplan.routing.model import Child, Policy, Scenario
from sendplan.routing.placement.explain import transport_gbp_per_year
from sendplan.routing.placement.place import place
from sendplan.routing.placement.plan import PlacementPlan
from sendplan.routing.planning.expand import (
    DEFAULT_MOVERS,
    annuity_factor,
    evaluate_portfolio,
    expand,
    year_cohort,
)
from sendplan.routing.planning.options import Option, annex_school, with_annexes

AS_OF = date(2025, 9, 1)
CLOSES = date(2027, 6, 1)  # C is open in September 2026, closed by September 2027
TRANSFER_AGES = (4, 11, 16)  # Reception, Year 7, Year 12


def _child(child_id: str, age: int, current: str | None, **kw: object) -> Child:
    offset = 0.001 * int(child_id[1:])
    return Child(child_id, HOME[0] + offset, HOME[1], age=age, primary_need="ASD", sex="M",
                 current_school=current, **kw)  # type: ignore[arg-type]  # fmt: skip


def _scenario() -> Scenario:
    """Children at a far, dear independent school B (and one at C, which closes): the near
    school A and its new places would win every child who is free to move."""
    children = (
        _child("c00", 11, "B"), _child("c01", 11, "B"),  # entering Year 7: movers
        _child("c02", 12, "B"), _child("c03", 12, "B"), _child("c04", 13, "B"),  # stay
        _child("c05", 13, "C"),  # stays in 2026; moves in 2027, C being closed
        _child("c06", 12, "B", new_plan=True),  # a new plan: mover
        _child("c07", 8, None),  # no current school: mover
        _child("c08", 9, "B", locked=True),  # the council's lock: stays under either rule
    )  # fmt: skip
    schools = (
        _school("A", *HOME),
        _school("B", -1.30, 52.70, type="independent", capacity=50,
                annual_cost_gbp=90_000.0, in_area=False),
        _school("C", -1.20, 52.66, capacity=10, closes=CLOSES),
    )  # fmt: skip
    return Scenario("movers", children, schools, policy=Policy(), as_of=AS_OF)


NEAR = Option(option_id="NEAR", school_id="A", places=12, capital_gbp=50_000.0,
              earliest_year=2026)  # fmt: skip


def _stayers(scenario: Scenario, year: int) -> dict[str, str]:
    """child id -> current school for every child the phase-transfer rule keeps where they
    are in ``year``, worked out from the scenario (every school here admits every child)."""
    day = AS_OF.replace(year=year)
    schools = {s.school_id: s for s in scenario.schools}
    return {
        c.child_id: c.current_school
        for c in scenario.children
        if c.current_school is not None
        and (c.locked or (c.age not in TRANSFER_AGES and not c.new_plan))
        and schools[c.current_school].open_on(day)
    }


Placed = list[tuple[Scenario, PlacementPlan]]


def _record(monkeypatch: pytest.MonkeyPatch) -> Placed:
    placed: Placed = []

    def spy(scenario: Scenario, travel: object, **kw: object) -> PlacementPlan:
        plan = place(scenario, travel, **kw)  # type: ignore[arg-type]
        placed.append((scenario, plan))
        return plan

    monkeypatch.setattr(module, "place", spy)
    return placed


def _at(plan: PlacementPlan) -> dict[str, str]:
    return {a.child_id: a.school_id for a in plan.assignments}


def test_phase_transfer_moves_no_child_who_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = _scenario()
    placed = _record(monkeypatch)
    result = expand(scenario, [NEAR], years=YEARS, demand_growth=GROWTH,
                    movers="phase_transfer")  # fmt: skip
    assert result.movers == "phase_transfer"
    assert {s.as_of.year for s, _ in placed if s.as_of} == set(YEARS)
    assert any(s.schools[-1].school_id == "NEAR" for s, _ in placed)  # option sets placed too
    for year_scenario, plan in placed:
        assert year_scenario.as_of is not None
        stayers = _stayers(scenario, year_scenario.as_of.year)
        at = _at(plan)
        for child_id, school_id in stayers.items():
            assert at[child_id] == school_id, (year_scenario.as_of, child_id)
        # Clones of children who stay are new plans, placed freely: none is held at B.
        clones = [c for c in year_scenario.children if ".y" in c.child_id]
        assert not any(c.locked or c.current_school for c in clones)
    # Each year's movers: the children who are not kept where they are.
    for row in (*result.years, *result.do_nothing):
        grown = year_cohort(scenario, row.year, factor=GROWTH[row.year])
        assert row.movers == len(grown.children) - len(_stayers(scenario, row.year))
    # In 2027 C has closed, so its child moves; in 2026 they stay.
    assert "c05" in _stayers(scenario, 2026) and "c05" not in _stayers(scenario, 2027)
    # Clones of stayers at B go to the near places once they are built.
    chosen = [
        _at(p) for s, p in placed if s.as_of and s.as_of.year == 2027 and "NEAR" in _at(p).values()
    ]
    assert chosen and all(
        at[c] != "B" for at in chosen for c in at if c.startswith(("c02.", "c03.", "c04."))
    )


def test_the_rule_matters_here_all_moves_the_stayers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the rule the scenario's stayers leave B: the test above could fail."""
    scenario = _scenario()
    placed = _record(monkeypatch)
    expand(scenario, [NEAR], years=YEARS, demand_growth=GROWTH, movers="all")
    moved = {
        child_id
        for s, plan in placed
        for child_id, school_id in _stayers(scenario, s.as_of.year if s.as_of else 0).items()
        if _at(plan)[child_id] != school_id
    }
    assert {"c02", "c03", "c04"} <= moved and "c08" not in moved  # the lock holds under all


def _unlocked_cost(
    scenario: Scenario, options: Sequence[Option], chosen: Mapping[str, int]
) -> tuple[int, list[int]]:
    """The planner's cost as it was before the movers rule: each year's cohort placed with no
    child locked but those the scenario locks; and each year's fees."""
    factor = annuity_factor(rate=module.DEFAULT_ANNUITY_RATE,
                            life_years=module.DEFAULT_ASSET_LIFE_YEARS)  # fmt: skip
    total, fees = 0, []
    for year in YEARS:
        cohort = year_cohort(scenario, year, factor=GROWTH[year])
        built = [o for o in options if o.option_id in chosen and chosen[o.option_id] <= year]
        plan = place(with_annexes(cohort, [(o, annex_school(o, scenario)) for o in built]),
                     module.straight_line_model(scenario))  # fmt: skip
        total += round(plan.objective) + sum(round(o.capital_gbp * factor) for o in built)
        total += round(
            sum(
                transport_gbp_per_year(a.distance_m, cohort.policy, boarder=a.residential)
                for a in plan.assignments
            )
        )
        fees.append(round(sum(a.annual_cost_gbp for a in plan.assignments)))
    return total, fees


def test_all_keeps_the_figures_of_placing_everyone_afresh() -> None:
    scenario = _scenario()
    result = expand(scenario, [NEAR], years=YEARS, demand_growth=GROWTH, movers="all")
    cost, fees = _unlocked_cost(scenario, [NEAR], result.chosen)
    assert result.cost_gbp == cost
    assert [r.fees_gbp for r in result.years] == fees
    assert result.do_nothing_gbp == _unlocked_cost(scenario, [NEAR], {})[0]
    again = evaluate_portfolio(scenario, [NEAR], result.chosen, years=YEARS,
                               demand_growth=GROWTH, movers="all")  # fmt: skip
    assert again == cost
    # The rule changes this scenario's figures (children stay at dear B), and the portfolio
    # re-placed under it recomputes exactly.
    kept = expand(scenario, [NEAR], years=YEARS, demand_growth=GROWTH)
    assert kept.do_nothing_gbp != result.do_nothing_gbp
    assert kept.cost_gbp == evaluate_portfolio(scenario, [NEAR], kept.chosen, years=YEARS,
                                               demand_growth=GROWTH)  # fmt: skip


def test_fees_are_the_placed_childrens_fees(monkeypatch: pytest.MonkeyPatch) -> None:
    placed = _record(monkeypatch)
    result = expand(_scenario(), [NEAR], years=YEARS, demand_growth=GROWTH)
    fees = {
        (s.as_of.year if s.as_of else 0, s.schools[-1].school_id): round(
            sum(a.annual_cost_gbp for a in plan.assignments)
        )
        for s, plan in placed
    }
    for row in result.years:
        assert fees[(row.year, row.options_open[-1] if row.options_open else "C")] == row.fees_gbp
    for row in result.do_nothing:
        assert fees[(row.year, "C")] == row.fees_gbp


def test_default_rule_is_place_s_and_a_bad_rule_is_refused() -> None:
    from sendplan.api.cli_expand import expand_cmd
    from sendplan.api.cli_place import place as place_cmd
    from sendplan.api.service.schemas import JobParamsIn
    from sendplan.routing.solve import solve

    def default(function: object, name: str = "movers") -> object:
        return inspect.signature(function).parameters[name].default  # type: ignore[arg-type]

    assert DEFAULT_MOVERS == default(solve) == default(place_cmd) == default(expand_cmd)
    assert default(expand) == default(evaluate_portfolio) == DEFAULT_MOVERS
    assert JobParamsIn.model_fields["movers"].default == DEFAULT_MOVERS
    assert default(expand) != "all"  # a council does not re-place every child each year
    with pytest.raises(module.ExpansionError, match="movers"):
        expand(_scenario(), [NEAR], years=YEARS, demand_growth=GROWTH,
               movers="everyone")  # type: ignore[arg-type]  # fmt: skip


def test_a_scenario_without_current_schools_is_placed_alike_under_both_rules() -> None:
    scenario = _scenario()
    free = replace(scenario, children=tuple(
        replace(c, current_school=None, locked=False) for c in scenario.children
    ))  # fmt: skip
    both = [expand(free, [NEAR], years=YEARS, demand_growth=GROWTH, movers=rule, marginal=False)
            for rule in ("phase_transfer", "all")]  # fmt: skip
    assert both[0].cost_gbp == both[1].cost_gbp and both[0].chosen == both[1].chosen
