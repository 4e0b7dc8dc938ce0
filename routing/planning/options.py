"""Expansion options: places a council could add, at an existing school or on a new site.

An option becomes a school of its own when built (an *annex*): at an existing school it has
that school's location, type, area, sex and times, and by default its designations, age range
and fee; a new site gives its own. Modelling the new places as a separate school is exact for
placement: with the same designations, age range and fee as the school, a child's cost is the
same at either, so extra capacity and an annex place the children identically; with narrower
designations the annex is the places those needs alone may fill.

A child who states a preference for the expanded school keeps it for the new places:
:func:`with_annexes` lists each annex in their preferences straight after its school (a rank
is a position in that list, so the annex ranks one below the school and later preferences one
lower than before; without it the annex would not be preferred at all).

*Phases* are options that ``requires`` another, built in the same or an earlier year; at most
one option of each ``exclusive_group`` is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sendplan.routing.model import ModelError, Scenario, School, is_safe_id


class OptionError(ModelError):
    """A ModelError about one option, with the field at fault where there is one (so a file
    reader can name the option's row and field)."""

    def __init__(self, option_id: str, message: str, *, field: str | None = None) -> None:
        super().__init__(f"option {option_id}: {message}")
        self.option_id = option_id
        self.field = field


@dataclass(frozen=True, slots=True)
class Option:
    """One expansion option. Money in GBP; ``capital_gbp`` is the one-off build cost."""

    option_id: str
    places: int
    capital_gbp: float
    earliest_year: int
    school_id: str | None = None  # existing school expanded; None: a new site
    name: str = ""
    lon: float | None = None
    lat: float | None = None
    designations: frozenset[str] | None = None  # None: the school's
    age_low: int | None = None
    age_high: int | None = None
    revenue_gbp_per_place: float | None = None  # yearly fee of a place; None: the school's
    exclusive_group: str | None = None
    requires: str | None = None
    school_type: str = "la_maintained"  # new sites only
    la_code: str = "856"  # new sites only
    source: str = ""

    def __post_init__(self) -> None:
        if not is_safe_id(self.option_id):
            raise ModelError(f"option_id {self.option_id!r} is not a valid id")
        if self.places < 1:
            raise ModelError(f"option {self.option_id}: places must be at least 1")
        if self.capital_gbp < 0:
            raise ModelError(f"option {self.option_id}: capital_gbp must not be negative")
        if self.revenue_gbp_per_place is not None and self.revenue_gbp_per_place < 0:
            raise ModelError(f"option {self.option_id}: revenue_gbp_per_place is negative")
        if self.school_id is None and (self.lon is None or self.lat is None):
            raise ModelError(f"option {self.option_id}: a new site needs lon and lat")
        if self.school_id is None and (self.designations is None or self.age_low is None):
            raise ModelError(
                f"option {self.option_id}: a new site needs designations, age_low and age_high"
            )
        if self.school_id is None and self.revenue_gbp_per_place is None:
            # No school to take the fee from: its places would otherwise cost nothing.
            raise ModelError(f"option {self.option_id}: a new site needs revenue_gbp_per_place")
        if self.requires == self.option_id:
            raise ModelError(f"option {self.option_id}: requires itself")


def check_options(options: Sequence[Option], scenario: Scenario) -> None:
    """Raise ModelError unless ids are unique and new, schools and ``requires`` exist, and the
    phases form no cycle."""
    ids = [o.option_id for o in options]
    schools = {s.school_id for s in scenario.schools}
    seen: set[str] = set()
    for option in options:
        if option.option_id in seen:
            raise ModelError(f"option_id {option.option_id} appears twice")
        if option.option_id in schools:
            raise ModelError(f"option_id {option.option_id} is also a school_id")
        seen.add(option.option_id)
        if option.school_id is not None and option.school_id not in schools:
            raise OptionError(
                option.option_id, f"unknown school {option.school_id!r}", field="school_id"
            )
        if option.requires is not None and option.requires not in ids:
            raise OptionError(
                option.option_id, f"requires unknown {option.requires!r}", field="requires"
            )
    by_id = {o.option_id: o for o in options}
    for option in options:
        chain, at = {option.option_id}, option.requires
        while at is not None:
            if at in chain:
                raise OptionError(option.option_id, "its requires form a cycle", field="requires")
            chain.add(at)
            at = by_id[at].requires
    for option in options:
        annex_school(option, scenario)  # the annex must itself be a valid school


def annex_school(option: Option, scenario: Scenario, *, places: int | None = None) -> School:
    """The school ``option`` adds, with ``places`` places (default: the option's)."""
    capacity = option.places if places is None else places
    if option.school_id is None:
        assert option.lon is not None and option.lat is not None
        assert option.designations is not None and option.age_low is not None
        return School(
            school_id=option.option_id,
            name=option.name or option.option_id,
            lon=option.lon,
            lat=option.lat,
            la_code=option.la_code,
            type=option.school_type,
            age_low=option.age_low,
            age_high=option.age_high if option.age_high is not None else option.age_low,
            designations=option.designations,
            capacity=capacity,
            annual_cost_gbp=option.revenue_gbp_per_place or 0.0,
        )
    base = next(s for s in scenario.schools if s.school_id == option.school_id)
    designations = base.designations if option.designations is None else option.designations
    # Caps, reservations, residential places and opening dates belong to the existing school.
    return replace(
        base,
        school_id=option.option_id,
        name=option.name or f"{base.name} (+{option.places})",
        lon=base.lon if option.lon is None else option.lon,
        lat=base.lat if option.lat is None else option.lat,
        designations=designations,
        age_low=base.age_low if option.age_low is None else option.age_low,
        age_high=base.age_high if option.age_high is None else option.age_high,
        capacity=capacity,
        annual_cost_gbp=(
            base.annual_cost_gbp
            if option.revenue_gbp_per_place is None
            else option.revenue_gbp_per_place
        ),
        residential_places=0,
        capacity_by_designation=(),
        reserved_by_designation=(),
        opens=None,
        closes=None,
    )


def with_annexes(scenario: Scenario, built: Sequence[tuple[Option, School]]) -> Scenario:
    """``scenario`` with each built option's school (annex) added, and listed straight after
    its existing school in the preferences of every child who prefers that school."""
    if not built:
        return scenario
    after: dict[str, list[str]] = {}
    for option, annex in built:
        if option.school_id is not None:
            after.setdefault(option.school_id, []).append(annex.school_id)
    children = scenario.children
    if after:
        children = tuple(
            replace(c, preferences=_carried(c.preferences, after))
            if any(p in after for p in c.preferences)
            else c
            for c in children
        )
    schools = scenario.schools + tuple(annex for _, annex in built)
    return replace(scenario, schools=schools, children=children)


def _carried(preferences: tuple[str, ...], after: dict[str, list[str]]) -> tuple[str, ...]:
    listed: list[str] = []
    for school_id in preferences:
        listed.append(school_id)
        listed.extend(a for a in after.get(school_id, ()) if a not in preferences)
    return tuple(dict.fromkeys(listed))


__all__ = ["Option", "OptionError", "annex_school", "check_options", "with_annexes"]
