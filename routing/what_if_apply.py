"""A what-if on a scenario: lock children at schools, switch expansion options on, change
objective weights; and which schools must admit (passed on to ``solve(must_admit=...)``).

:func:`apply_what_if` is pure: it returns a new, validated Scenario or raises
:class:`WhatIfError` naming the offending field (``lock[0].school_id``, ``policy.unplaced_gbp``),
so a caller can answer with that name. A lock is the council's decision: the placement keeps a
locked child at their current school (:mod:`sendplan.routing.placement.movers`), so a lock sets
``current_school`` and ``locked``. It is refused where the placement's own rules would refuse
the child: a school that cannot meet their need, age or sex, not their cohort, or not open on
the scenario's date. An option switched on adds its places as a school of its own (an annex,
:func:`sendplan.routing.planning.options.annex_school`), as an expansion run models it.

The lock is the what-if's, not the child's current placement: :func:`relabel_what_if_locks`
gives such a child the reason ``locked_by_what_if`` instead of ``locked_current_placement``, and
a caller measures the status quo on the scenario before the what-if.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sendplan.routing.model import Child, ModelError, Policy, Scenario, School
from sendplan.routing.placement.candidates import cohort_admits
from sendplan.routing.placement.plan import PlacementPlan, PlacementReason
from sendplan.routing.planning.options import Option, annex_school, with_annexes

MAX_LOCKS = 500
MAX_MUST_ADMIT = 50
MAX_OPTIONS = 100

# The objective weights a what-if may change, with the range each may take (GBP-per-year
# equivalents, as in Policy). The ends keep the solver's integer costs far from overflow and a
# place over capacity cheaper than leaving a child unplaced; rules (ride limits, eligibility)
# are the council's policy, not a what-if's.
POLICY_LIMITS: dict[str, tuple[float, float]] = {
    "weight_placement_cost": (0.0, 10.0),
    "travel_gbp_per_min": (0.0, 10_000.0),
    "preference_gbp_per_rank": (0.0, 1_000_000.0),
    "not_preferred_gbp": (0.0, 1_000_000.0),
    "out_of_area_gbp": (0.0, 1_000_000.0),
    "unplaced_gbp": (1_000.0, 100_000_000.0),
    "over_capacity_gbp": (0.0, 10_000_000.0),
    "transport_gbp_per_km": (0.0, 100.0),
}


class WhatIfError(ValueError):
    """A what-if that cannot apply: ``field`` names the part (``lock[2].child_id``)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class WhatIf:
    """The changes: ``locks`` as (child id, school id), ``policy`` as (Policy field, value),
    ``options`` as (option id, on). Bounds are checked on construction."""

    locks: tuple[tuple[str, str], ...] = ()
    must_admit: tuple[str, ...] = ()
    policy: tuple[tuple[str, float], ...] = ()
    options: tuple[tuple[str, bool], ...] = ()

    def __post_init__(self) -> None:
        for what, items, most in (("lock", self.locks, MAX_LOCKS),
                                  ("must_admit", self.must_admit, MAX_MUST_ADMIT),
                                  ("options", self.options, MAX_OPTIONS)):  # fmt: skip
            if len(items) > most:
                raise WhatIfError(what, f"at most {most} entries, not {len(items)}")
        _once("lock", [child_id for child_id, _ in self.locks], "child_id")
        _once("must_admit", list(self.must_admit), None)
        for name, value in self.policy:
            where = f"policy.{name}"
            if name not in POLICY_LIMITS:
                raise WhatIfError(
                    where, f"may not be changed; use one of {', '.join(POLICY_LIMITS)}"
                )
            low, high = POLICY_LIMITS[name]
            if not math.isfinite(value) or not low <= value <= high:
                raise WhatIfError(where, f"must be a number {low:g}..{high:g}")


def _once(what: str, ids: list[str], key: str | None) -> None:
    seen: set[str] = set()
    for i, item in enumerate(ids):
        if item in seen:
            field = f"{what}[{i}]" + (f".{key}" if key else "")
            raise WhatIfError(field, f"{item} is named twice")
        seen.add(item)


def apply_what_if(
    scenario: Scenario, what_if: WhatIf, *, options: Sequence[Option] = ()
) -> Scenario:
    """``scenario`` with the options switched on added, the policy weights changed and the
    locks set (each child locked at the school), checked; ``what_if.must_admit`` must name its
    schools (annexes included). ``options`` are the ones ``what_if.options`` may name."""
    built = _annexes(scenario, what_if, options)
    scenario = with_annexes(scenario, built)  # preferences carried to an expanded school's annex
    schools = scenario.schools
    policy = scenario.policy
    if what_if.policy:
        try:
            changes: dict[str, object] = dict(what_if.policy)  # names checked: float fields
            policy = replace(policy, **changes)  # type: ignore[arg-type]
        except ModelError as err:
            raise WhatIfError("policy", str(err)) from None
    if policy.over_capacity_gbp >= policy.unplaced_gbp:
        # A place over capacity must cost less than an unplaced child, or must-admit means nothing.
        raise WhatIfError("policy.over_capacity_gbp", "must be below unplaced_gbp")
    by_id = {s.school_id: s for s in schools}
    for i, school_id in enumerate(what_if.must_admit):
        if school_id not in by_id:
            raise WhatIfError(f"must_admit[{i}]", f"no school {school_id} in the scenario")
    children = list(scenario.children)
    index = {c.child_id: k for k, c in enumerate(children)}
    for i, (child_id, school_id) in enumerate(what_if.locks):
        if child_id not in index:
            raise WhatIfError(f"lock[{i}].child_id", f"no child {child_id} in the scenario")
        if school_id not in by_id:
            raise WhatIfError(f"lock[{i}].school_id", f"no school {school_id} in the scenario")
        child = children[index[child_id]]
        refusal = _refusal(child, by_id[school_id], scenario, policy)
        if refusal:
            raise WhatIfError(f"lock[{i}].school_id", f"cannot lock {child_id} there: {refusal}")
        children[index[child_id]] = replace(child, current_school=school_id, locked=True)
    try:
        return replace(scenario, schools=schools, policy=policy, children=tuple(children))
    except ModelError as err:  # the checks above should have caught it; still name the part
        raise WhatIfError("what_if", str(err)) from None


WHAT_IF_LOCK = "locked_by_what_if"
"""The placement reason of a child a what-if locked (instead of ``locked_current_placement``)."""


def relabel_what_if_locks(plan: PlacementPlan, what_if: WhatIf) -> PlacementPlan:
    """``plan`` with each child the what-if locked giving :data:`WHAT_IF_LOCK` as the reason
    for their place (the placement sees only a locked current school)."""
    locked = {child_id for child_id, _ in what_if.locks}
    if not locked:
        return plan

    def reason(code: str) -> str:
        return WHAT_IF_LOCK if code == PlacementReason.LOCKED else code

    assignments = tuple(
        replace(a, reasons=tuple(reason(r) for r in a.reasons)) if a.child_id in locked else a
        for a in plan.assignments
    )
    return replace(plan, assignments=assignments)


def _annexes(
    scenario: Scenario, what_if: WhatIf, options: Sequence[Option]
) -> tuple[tuple[Option, School], ...]:
    """The schools of the options switched on (an option needing another needs it on too; one
    of each exclusive group at most)."""
    known = {o.option_id: o for o in options}
    on: dict[str, Option] = {}
    for option_id, switched_on in what_if.options:
        if option_id not in known:
            raise WhatIfError(f"options.{option_id}", "no such expansion option")
        if switched_on:
            on[option_id] = known[option_id]
    groups: dict[str, str] = {}
    for option_id, option in on.items():
        where = f"options.{option_id}"
        if option.requires is not None and option.requires not in on:
            raise WhatIfError(where, f"needs option {option.requires} switched on too")
        group = option.exclusive_group
        if group is not None and group in groups:
            raise WhatIfError(where, f"{groups[group]} and {option_id} exclude each other")
        if group is not None:
            groups[group] = option_id
    annexes = []
    for option_id, option in on.items():
        try:
            annexes.append((option, annex_school(option, scenario)))
        except (ModelError, StopIteration) as err:
            raise WhatIfError(f"options.{option_id}", f"does not fit the scenario: {err}") from None
    taken = {s.school_id for s in scenario.schools}
    for _, annex in annexes:
        if annex.school_id in taken:
            raise WhatIfError(f"options.{annex.school_id}", "is also a school id in the scenario")
    return tuple(annexes)


def _refusal(child: Child, school: School, scenario: Scenario, policy: Policy) -> str:
    """Why the placement's rules would not put ``child`` at ``school`` ('' when they would)."""
    if child.primary_need not in school.designations:
        # The need itself stays out: it is the child's health data, and messages are logged.
        return "its designations do not include the child's primary need"
    if not school.age_low <= child.age <= school.age_high:
        return f"the child's age is outside its age range {school.age_low}..{school.age_high}"
    if school.sex != "mixed" and school.sex != child.sex:
        return "it is a single-sex school for the other sex"
    if not cohort_admits(school, child, policy):
        return "its places are for another cohort (resourced provision or special school)"
    if not school.open_on(scenario.as_of):
        return "it is not open on the scenario's date"
    return ""


def what_if_echo(
    scenario: Scenario,
    what_if: WhatIf,
    options: Sequence[Option] = (),
    *,
    base_schools: Mapping[str, str | None] | None = None,
) -> dict[str, object]:
    """What was applied, for what_if.json: each lock with the child's school before, each
    weight from and to, each option with its places (``scenario`` is the one before). The
    school before is where the base job placed the child when ``base_schools`` (child id ->
    school id, None when unplaced) is given, else the child's current school."""
    current = {c.child_id: c for c in scenario.children}
    known = {o.option_id: o for o in options}

    def lock(child_id: str, school_id: str) -> dict[str, object]:
        before = current.get(child_id)
        was = None if before is None else before.current_school
        if base_schools is not None:
            was = base_schools.get(child_id)
        return {"child_id": child_id, "school_id": school_id, "was_school_id": was,
                "was_locked": None if before is None else before.locked}  # fmt: skip

    def option(option_id: str, on: bool) -> dict[str, object]:
        found = known.get(option_id)
        return {"on": on, "places": None if found is None else found.places,
                "school_id": None if found is None else found.school_id,
                "name": None if found is None else found.name}  # fmt: skip

    return {
        "lock": [lock(child_id, school_id) for child_id, school_id in what_if.locks],
        "must_admit": list(what_if.must_admit),
        "policy": {
            name: {"from": getattr(scenario.policy, name), "to": value}
            for name, value in what_if.policy
        },
        "options": {option_id: option(option_id, on) for option_id, on in what_if.options},
    }


__all__ = [
    "MAX_LOCKS", "MAX_MUST_ADMIT", "MAX_OPTIONS", "POLICY_LIMITS", "WHAT_IF_LOCK", "WhatIf",
    "WhatIfError", "apply_what_if", "relabel_what_if_locks", "what_if_echo",
]  # fmt: skip
