"""Choose which expansion options to build, and when, at least total cost over a horizon.

*Cost* of a plan, in GBP summed over the years: each year's placement objective (the weighted
objective of ``routing.placement.place``: fees, ``travel_gbp_per_min`` x direct minutes,
preferences, out-of-area and unplaced penalties, priced by ``placement/costs.py``), plus the
annualised capital of every option built by then (``capital x annuity_factor``, whole GBP), plus
the km-based transport estimate of that year's placements (``transport_gbp_per_km``,
``explain.transport_gbp_per_year``, whole GBP). Each year's children are placed by the placement
rule itself (which prices travel by ``travel_gbp_per_min``, not by the km estimate); the
estimate is then a fixed function of the option set, so the decomposition below stays exact.
``budget_gbp`` caps the capital of everything built over the horizon.

*Demand and movers.* Year Y's cohort is the scenario's children scaled by ``demand_growth[Y]``
(:mod:`sendplan.routing.planning.year_cohort`: extra children are new plans, placed freely);
as ``place`` does, only that year's movers under ``movers`` (``"phase_transfer"`` by default)
are placed, the rest stay locked at their current school, in doing nothing and in every option
set alike. That school is the scenario's, not where an earlier year of the plan put the child:
what keeps the years independent (below). ``fees_gbp`` is the cash part of a year's placement
objective: the placed children's annual fees.

*Exact decomposition.* Given the set S of options open in a year, that year's placement is
independent of every other year, so the plan's cost is ``sum_Y P_Y(S_Y) + A(S_Y)`` with P_Y the
placement optimum (the real min-cost-flow solver, itself exact) and A the annualised capital.
Options are built once and stay, so S_2026 <= S_2027 <= ... (subsets), each closed under
``requires`` with at most one option per exclusive group and only options whose earliest year
has come; the budget binds the last set (capital only grows along the chain). The optimum over
such chains is a shortest path over (year, set), solved by dynamic programming:
``V_Y(S) = P_Y(S) + A(S) + min over S' <= S of V_{Y-1}(S')``. Every term is exact and every
feasible chain is considered, so the answer is proven optimal (gap 0). The price is one
placement solve per feasible (year, set): fine for the tens of sets of a council's options
(``MAX_SETS`` guards against an exponential blow-up).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from sendplan.errors import PlanRejected
from sendplan.geo.travel import TravelModel
from sendplan.routing.model import ModelError, Scenario
from sendplan.routing.placement.check import check_placement
from sendplan.routing.placement.explain import transport_gbp_per_year
from sendplan.routing.placement.movers import MOVERS_RULES, MoversRule
from sendplan.routing.placement.place import place
from sendplan.routing.planning.expand_defaults import (
    DEFAULT_ANNUITY_RATE,
    DEFAULT_ASSET_LIFE_YEARS,
    DEFAULT_MOVERS,
)
from sendplan.routing.planning.options import Option, annex_school, check_options, with_annexes
from sendplan.routing.planning.year_cohort import (
    DEFAULT_GROWTH_PER_YEAR,
    ExpansionError,
    default_growth,
    placed_cohort,
    year_cohort,
)
from sendplan.routing.travel import straight_line_model

MAX_SETS = 4096


@dataclass(frozen=True)
class YearOutcome:
    """One year of a plan: its open options and what placement gives."""

    year: int
    options_open: tuple[str, ...]
    children: int
    placement_gbp: int  # the placement objective
    capital_gbp: int  # annualised capital of the options open
    placed: int
    unplaced: int
    in_city_share: float  # children placed in area / all children
    mean_journey_min: float  # over placed children
    transport_estimate_gbp: float
    fees_gbp: int = 0  # cash: the annual fees of the placed children
    movers: int = 0  # children placed afresh this year (the rest stay at their school)

    @property
    def cost_gbp(self) -> int:
        return self.placement_gbp + self.capital_gbp + round(self.transport_estimate_gbp)


@dataclass(frozen=True)
class Expansion:
    """The chosen portfolio (option -> build year), its cost and the do-nothing baseline."""

    chosen: dict[str, int]
    cost_gbp: int
    capital_gbp: float
    do_nothing_gbp: int
    years: tuple[YearOutcome, ...]
    do_nothing: tuple[YearOutcome, ...]
    # Chosen: cost of dropping it (and what requires it); unchosen: the capital at or below
    # which it would be chosen (None: not at any capital).
    marginal_gbp: dict[str, int | None]
    growth: dict[int, float]
    annuity_factor: float
    budget_gbp: float | None
    feasible_sets: int
    placement_solves: int
    seconds: float
    gap: float = 0.0
    method: str = "exact enumeration of option sets + dynamic programming over years"
    options: tuple[Option, ...] = field(default=(), repr=False)
    movers: MoversRule = DEFAULT_MOVERS


def annuity_factor(*, rate: float, life_years: int) -> float:
    """Equal yearly payment per GBP of capital repaid over ``life_years`` at ``rate``."""
    if life_years < 1 or rate < 0:
        raise ExpansionError("annuity needs life_years >= 1 and rate >= 0")
    if rate == 0:
        return 1.0 / life_years
    return rate / (1.0 - (1.0 + rate) ** -life_years)


class _Planner:
    """Placement costs per (year, option set), cached, and the DP over years."""

    def __init__(
        self,
        scenario: Scenario,
        options: Sequence[Option],
        years: Sequence[int],
        growth: Mapping[int, float],
        travel: TravelModel,
        say: Callable[[str], None],
        movers: MoversRule,
    ) -> None:
        self.options = list(options)
        self.years = list(years)
        self.travel = travel
        self.say = say
        # Who moves depends only on a child's current school, open in that year or not, so
        # each year's locks are the same for every option set (an annex is no one's school).
        placed = {y: placed_cohort(scenario, y, factor=growth[y], movers_rule=movers)
                  for y in self.years}  # fmt: skip
        self.cohorts = {y: cohort for y, (cohort, _) in placed.items()}
        self.movers = {y: moving for y, (_, moving) in placed.items()}
        self.annexes = [annex_school(o, scenario) for o in self.options]
        self.base_schools = scenario.schools
        index = {o.option_id: k for k, o in enumerate(self.options)}
        self.need = [0] * len(self.options)  # bit mask of what each option requires, closed
        for k, option in enumerate(self.options):
            at = option.requires
            while at is not None:
                self.need[k] |= 1 << index[at]
                at = self.options[index[at]].requires
        self.sets = self._feasible_sets()
        self.cache: dict[tuple[int, int], YearOutcome] = {}

    def _feasible_sets(self) -> list[int]:
        groups: dict[str, int] = {}
        for k, option in enumerate(self.options):
            if option.exclusive_group is not None:
                groups[option.exclusive_group] = groups.get(option.exclusive_group, 0) | 1 << k
        sets = [0]
        for k in range(len(self.options)):
            grown = [s | 1 << k for s in sets]
            sets += [
                s for s in grown
                if all((s & g).bit_count() <= 1 for g in groups.values())
            ]  # fmt: skip
            if len(sets) > 2 * MAX_SETS:
                break
        sets = [s for s in sets if all(s & self.need[k] == self.need[k] for k in _bits(s))]
        if len(sets) > MAX_SETS:
            raise ExpansionError(
                f"{len(sets)} or more feasible option sets: above {MAX_SETS}, too many to "
                "enumerate exactly; group alternatives with exclusive_group or split the run"
            )
        return sorted(sets)

    def outcome(self, year: int, mask: int) -> YearOutcome:
        key = (year, mask)
        if key not in self.cache:
            self.cache[key] = self._place(year, mask)
        return self.cache[key]

    def scenario(self, year: int, mask: int) -> Scenario:
        """Year ``year``'s cohort with the schools of the option set ``mask`` added."""
        built = [(self.options[k], self.annexes[k]) for k in _bits(mask)]
        return with_annexes(replace(self.cohorts[year], schools=self.base_schools), built)

    def verify(self, year: int, mask: int) -> None:
        """Re-place a reported year and pass it through the independent placement checker
        (PlanRejected otherwise): only checked plans back the figures a planner reads."""
        scenario = self.scenario(year, mask)
        verdict = check_placement(
            scenario, self.travel, place(scenario, self.travel), mode="weighted", must_admit=()
        )
        if not verdict.ok:
            raise PlanRejected(f"{year} placement", verdict.violations)

    def _place(self, year: int, mask: int) -> YearOutcome:
        cohort = self.cohorts[year]
        plan = place(self.scenario(year, mask), self.travel)
        policy = cohort.policy
        placed = plan.assignments
        n = len(cohort.children)
        return YearOutcome(
            year=year,
            options_open=tuple(self.annexes[k].school_id for k in _bits(mask)),
            children=n,
            placement_gbp=round(plan.objective),
            capital_gbp=0,
            placed=len(placed),
            unplaced=len(plan.unplaced),
            in_city_share=sum(a.in_area for a in placed) / n if n else 0.0,
            mean_journey_min=sum(a.travel_s for a in placed) / 60.0 / len(placed)
            if placed
            else 0.0,
            transport_estimate_gbp=sum(
                transport_gbp_per_year(a.distance_m, policy, boarder=a.residential) for a in placed
            ),
            fees_gbp=round(sum(a.annual_cost_gbp for a in placed)),
            movers=self.movers[year],
        )

    def open_in(self, year: int, capital: Sequence[float], budget: float | None) -> list[int]:
        return [
            s for s in self.sets
            if all(self.options[k].earliest_year <= year for k in _bits(s))
            and (budget is None or _capital(s, capital) <= budget + 1e-6)
        ]  # fmt: skip

    def best(
        self, capital: Sequence[float], annual: Sequence[int], budget: float | None, *,
        banned: int = 0, forced: int = 0,
    ) -> tuple[int, list[int]]:  # fmt: skip
        """The least cost and its chain of sets, one per year (``forced`` options built by the
        last year, ``banned`` ones never)."""
        value: dict[int, tuple[int, list[int]]] = {}
        for year in self.years:
            here = [s for s in self.open_in(year, capital, budget) if not s & banned]
            nxt: dict[int, tuple[int, list[int]]] = {}
            for s in here:
                if value:
                    prev = [value[sub] for sub in _submasks(s) if sub in value]
                    if not prev:
                        continue
                    before, chain = min(prev, key=lambda v: (v[0], v[1]))
                else:
                    before, chain = 0, []
                year_cost = self.outcome(year, s)
                cost = year_cost.placement_gbp + round(year_cost.transport_estimate_gbp)
                cost += sum(annual[k] for k in _bits(s))
                nxt[s] = (before + cost, [*chain, s])
            value = nxt
        final = [v for s, v in value.items() if s & forced == forced]
        if not final:
            raise ExpansionError("no feasible portfolio (check budget and earliest years)")
        return min(final, key=lambda v: (v[0], v[1]))


def _bits(mask: int) -> list[int]:
    return [k for k in range(mask.bit_length()) if mask >> k & 1]


def _submasks(mask: int) -> list[int]:
    out, sub = [], mask
    while True:
        out.append(sub)
        if sub == 0:
            return out
        sub = (sub - 1) & mask


def _capital(mask: int, capital: Sequence[float]) -> float:
    return sum(capital[k] for k in _bits(mask))


def expand(
    scenario: Scenario,
    options: Sequence[Option],
    *,
    years: Sequence[int],
    budget_gbp: float | None = None,
    demand_growth: Mapping[int, float] | None = None,
    travel: TravelModel | None = None,
    annuity_rate: float = DEFAULT_ANNUITY_RATE,
    asset_life_years: int = DEFAULT_ASSET_LIFE_YEARS,
    marginal: bool = True,
    progress: Callable[[str], None] | None = None,
    movers: MoversRule = DEFAULT_MOVERS,
) -> Expansion:
    """The least-cost portfolio and timing of ``options`` over ``years``, proven optimal.

    ``demand_growth`` maps each year to its cohort factor (1.0 = the scenario's children);
    ``movers``: who is placed each year, as in ``solve`` (the others stay at their school).
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    years = sorted(set(years))
    if not years:
        raise ExpansionError("no years to plan")
    try:
        check_options(options, scenario)
    except ModelError as err:
        raise ExpansionError(str(err)) from None
    growth = dict(demand_growth) if demand_growth is not None else default_growth(scenario, years)
    missing = [y for y in years if y not in growth]
    if missing:
        raise ExpansionError(f"demand_growth has no factor for {missing[0]}")
    if budget_gbp is not None and not 0 <= budget_gbp < math.inf:
        raise ExpansionError("budget_gbp must be a finite number, not negative")
    if movers not in MOVERS_RULES:
        raise ExpansionError(f"unknown movers rule {movers!r}; use {' or '.join(MOVERS_RULES)}")
    factor = annuity_factor(rate=annuity_rate, life_years=asset_life_years)
    planner = _Planner(
        scenario, options, years, growth, travel or straight_line_model(scenario), say, movers
    )
    say(f"expand: {len(planner.sets)} feasible option sets x {len(years)} years")
    capital = [o.capital_gbp for o in planner.options]
    annual = [round(c * factor) for c in capital]
    cost, chain = planner.best(capital, annual, budget_gbp)
    last = chain[-1]
    chosen = {
        planner.options[k].option_id: next(
            y for y, s in zip(years, chain, strict=True) if s >> k & 1
        )
        for k in _bits(last)
    }
    marginals: dict[str, int | None] = {}
    if marginal:
        for k, option in enumerate(planner.options):
            if last >> k & 1:
                dependents = sum(1 << j for j in range(len(capital)) if planner.need[j] >> k & 1)
                try:
                    without, _ = planner.best(
                        capital, annual, budget_gbp, banned=1 << k | dependents
                    )
                    marginals[option.option_id] = without - cost
                except ExpansionError:
                    marginals[option.option_id] = None
            else:
                marginals[option.option_id] = _threshold(planner, k, capital, factor, budget_gbp)
    for year, mask in sorted({*zip(years, chain, strict=True), *((y, 0) for y in years)}):
        planner.verify(year, mask)
    rows = tuple(
        _with_capital(planner.outcome(y, s), s, annual) for y, s in zip(years, chain, strict=True)
    )
    base = tuple(planner.outcome(y, 0) for y in years)
    return Expansion(
        chosen=chosen,
        cost_gbp=cost,
        capital_gbp=_capital(last, capital),
        do_nothing_gbp=sum(b.cost_gbp for b in base),
        years=rows,
        do_nothing=base,
        marginal_gbp=marginals,
        growth={y: growth[y] for y in years},
        annuity_factor=factor,
        budget_gbp=budget_gbp,
        feasible_sets=len(planner.sets),
        placement_solves=len(planner.cache),
        seconds=time.perf_counter() - started,
        options=tuple(planner.options),
        movers=movers,
    )


def _with_capital(row: YearOutcome, mask: int, annual: Sequence[int]) -> YearOutcome:
    return replace(row, capital_gbp=sum(annual[k] for k in _bits(mask)))


def _threshold(
    planner: _Planner, k: int, capital: Sequence[float], factor: float, budget: float | None
) -> int | None:
    """The largest whole-GBP capital at which option k is in an optimal portfolio (None if
    not even free). Being chosen is monotone in the capital: a lower capital only lowers the
    cost and the budget use of every portfolio holding it."""

    def chosen_at(c: int) -> bool:
        trial = [*capital]
        trial[k] = float(c)
        annual = [round(x * factor) for x in trial]
        try:
            _, chain = planner.best(trial, annual, budget)
        except ExpansionError:
            return False
        return bool(chain[-1] >> k & 1)

    if not chosen_at(0):
        return None
    low, high = 0, max(int(capital[k]), 1)
    while chosen_at(high):  # cheaper than stated already chosen? (ties) search above
        low, high = high, high * 2
        if high > 10**12:
            return high
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if chosen_at(mid) else (low, mid)
    return low


def evaluate_portfolio(
    scenario: Scenario,
    options: Sequence[Option],
    chosen: Mapping[str, int],
    *,
    years: Sequence[int],
    demand_growth: Mapping[int, float],
    travel: TravelModel | None = None,
    annuity_rate: float = DEFAULT_ANNUITY_RATE,
    asset_life_years: int = DEFAULT_ASSET_LIFE_YEARS,
    movers: MoversRule = DEFAULT_MOVERS,
) -> int:
    """The cost of a portfolio re-placed from scratch: each year, add the built options' places
    to the scenario (its non-movers locked) and call the placement solver; plus the annualised
    capital."""
    factor = annuity_factor(rate=annuity_rate, life_years=asset_life_years)
    model = travel or straight_line_model(scenario)
    total = 0
    for year in sorted(years):
        cohort, _ = placed_cohort(scenario, year, factor=demand_growth[year], movers_rule=movers)
        built = [o for o in options if o.option_id in chosen and chosen[o.option_id] <= year]
        annexes = [(o, annex_school(o, scenario)) for o in built]
        plan = place(with_annexes(cohort, annexes), model)
        transport = sum(
            transport_gbp_per_year(a.distance_m, cohort.policy, boarder=a.residential)
            for a in plan.assignments
        )
        total += round(plan.objective) + sum(round(o.capital_gbp * factor) for o in built)
        total += round(transport)
    return total


__all__ = [
    "DEFAULT_ANNUITY_RATE",
    "DEFAULT_ASSET_LIFE_YEARS",
    "DEFAULT_GROWTH_PER_YEAR",
    "DEFAULT_MOVERS",
    "Expansion",
    "ExpansionError",
    "YearOutcome",
    "annuity_factor",
    "default_growth",
    "evaluate_portfolio",
    "expand",
    "year_cohort",
]
