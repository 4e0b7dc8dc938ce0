"""Who is placed this year: the movers. Everyone else stays at their current school.

A council does not re-place every child each year. Under ``"phase_transfer"`` (the default) a
child is placed when:

- they enter Reception, Year 7 or Year 12 (their age on 31 August, ``Child.age``, is in
  ``PHASE_TRANSFER_AGES``): the phase transfers at which the SEND Regulations 2014 (reg. 18)
  require the plan to be reviewed and a school named for the next phase;
- their plan is new (``Child.new_plan``): no place has been named yet;
- they have no current school;
- their current school is not open on ``scenario.as_of`` (closed, or not yet open);
- their current school no longer admits them (``School.admits``: need, age range, sex; e.g. a
  child who has aged out of a primary school), or not their cohort (a ``dsp`` child at a special
  school, a special-school child in resourced provision the policy does not open to them).

Under ``"all"`` every child is placed afresh (the green-field plan). Under either rule a child
the scenario already locks (``Child.locked``) is no mover: the council's decision stands and the
placement keeps them where they are.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from sendplan.routing.model import Child, Scenario, School

MoversRule = Literal["phase_transfer", "all"]
MOVERS_RULES: tuple[MoversRule, ...] = ("phase_transfer", "all")

PHASE_TRANSFER_AGES: tuple[int, ...] = (4, 11, 16)
"""Ages on 31 August of children entering Reception (4), Year 7 (11) and Year 12 (16): the
phase transfers at which a new school is named for a child with an EHC plan."""


def movers(scenario: Scenario, *, rule: MoversRule) -> frozenset[str]:
    """The ids of the children placed this year under ``rule`` (see the module docstring)."""
    if rule not in MOVERS_RULES:
        raise ValueError(f"unknown movers rule {rule!r}; use {' or '.join(MOVERS_RULES)}")
    unlocked = [c for c in scenario.children if not c.locked]
    if rule == "all":
        return frozenset(c.child_id for c in unlocked)
    schools = {s.school_id: s for s in scenario.schools}
    return frozenset(
        c.child_id for c in unlocked if _moves(c, schools.get(c.current_school or ""), scenario)
    )


def _moves(child: Child, school: School | None, scenario: Scenario) -> bool:
    return (
        child.age in PHASE_TRANSFER_AGES
        or child.new_plan
        or school is None
        or not school.open_on(scenario.as_of)
        or not school.admits(child)
        or not _cohort_fits(child, school, scenario)
    )


def _cohort_fits(child: Child, school: School, scenario: Scenario) -> bool:
    """A DSP-cohort child belongs in resourced provision; a special-school child there only
    when the policy allows it (the placement's cohort rule)."""
    dsp = school.type == "resourced_provision"
    if child.cohort == "dsp":
        return dsp
    return not dsp or scenario.policy.special_cohort_in_dsp


def lock_non_movers(scenario: Scenario, moving: frozenset[str]) -> Scenario:
    """``scenario`` with every child outside ``moving`` locked at their current school (a child
    without a current school cannot be locked and is always a mover)."""
    children = tuple(
        c
        if c.child_id in moving or c.locked or c.current_school is None
        else replace(c, locked=True)
        for c in scenario.children
    )
    if children == scenario.children:
        return scenario
    return replace(scenario, children=children)


__all__ = ["MOVERS_RULES", "PHASE_TRANSFER_AGES", "MoversRule", "lock_non_movers", "movers"]
