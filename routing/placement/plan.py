"""What the placement solver returns: every child either assigned or unplaced with a reason.

Also what it raises (``PlacementError``), so the solver's modules and their callers share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PlacementError(ValueError):
    """The placement request is invalid (unknown mode or school) or cannot be solved exactly."""


class UnplacedReason(StrEnum):
    """Machine-readable reasons a child has no place, most fundamental first."""

    NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE = "no_school_meets_need_in_age_range"
    # Schools admit the child (need, age, sex, cohort) but none is open on the scenario date.
    NO_OPEN_SCHOOL = "no_open_school_meets_need"
    RESIDENTIAL_NEED_UNMET = "residential_need_unmet"
    OVER_MAX_TRAVEL = "over_max_travel"
    CAPACITY_EXHAUSTED = "capacity_exhausted"
    # Weighted mode only: a candidate has room, but every placement costs more than the
    # policy's unplaced penalty (a deliberately low ``unplaced_gbp``).
    COSTS_MORE_THAN_UNPLACED = "placement_costs_more_than_unplaced_penalty"


class PlacementReason(StrEnum):
    """Why a child was placed where they were (several may hold)."""

    LOCKED = "locked_current_placement"
    FIRST_PREFERENCE = "first_preference"
    OTHER_PREFERENCE = "other_preference"
    NEAREST_SUITABLE = "nearest_suitable_school"
    LOWEST_COST_SUITABLE = "lowest_cost_suitable_school"
    NEARER_SCHOOLS_FULL = "nearer_suitable_schools_full"
    RESIDENTIAL_PLACE = "residential_place"
    OUT_OF_AREA = "out_of_area"
    # No school with a free place in the final plan would cost less for this child (fees,
    # travel, preference and out-of-area terms): true of every unlocked child in an optimal
    # weighted plan, so every placed child has at least one reason.
    LEAST_COST_WITH_ROOM = "least_cost_school_with_room"


@dataclass(frozen=True, slots=True)
class Assignment:
    """One child placed at one school, with the figures the decision was based on."""

    child_id: str
    school_id: str
    travel_s: float
    distance_m: float
    annual_cost_gbp: float
    preference_rank: int | None
    in_area: bool
    residential: bool
    reasons: tuple[str, ...]
    # The child's home LA differs from the school's LA (a cross-border placement).
    cross_border: bool = False


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A child the plan could not place, with the binding reason."""

    child_id: str
    reason: UnplacedReason
    detail: str


@dataclass(frozen=True)
class PlacementPlan:
    """A solved placement. ``objective`` is in GBP-per-year equivalents under the policy weights."""

    assignments: tuple[Assignment, ...]
    unplaced: tuple[Unplaced, ...]
    objective: float
    optimal: bool
    travel_model: str
    solver: str
    # "weighted" (policy weights) or "lexicographic" (placed, in area, cost, travel).
    mode: str = "weighted"
    # What-if schools whose capacity is soft, and the places each one is over capacity.
    must_admit: tuple[str, ...] = ()
    over_capacity: tuple[tuple[str, int], ...] = ()
    # Model size: flow nodes for the free children (identical children share one) and arcs.
    classes: int = 0
    arcs: int = 0
    # Lexicographic mode: (placed, placed in area, cost GBP, travel s) of the plan, else ().
    levels: tuple[int, ...] = ()

    def assignment(self, child_id: str) -> Assignment | None:
        """The assignment of this child, or None if unplaced."""
        for a in self.assignments:
            if a.child_id == child_id:
                return a
        return None
