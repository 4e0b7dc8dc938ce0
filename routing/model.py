"""The domain: children, schools, vehicle types, policy and the Scenario that holds them.

Every object is frozen and validated on construction, so a Scenario that exists is consistent:
ids are unique, needs are SEN2 codes and preferences name real schools. File-level validation
with row and field names lives in ``sendplan.api.loader``; these checks are the last line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Literal

from sendplan.errors import visible

NEED_CODES: tuple[str, ...] = (
    "ASD", "SEMH", "SLCN", "MLD", "SLD", "PMLD", "PD", "HI", "VI", "MSI", "SpLD", "OTH",
)  # fmt: skip
SCHOOL_TYPES: tuple[str, ...] = (
    "la_maintained", "academy", "free", "independent", "non_maintained", "resourced_provision",
)  # fmt: skip
COHORTS: tuple[str, ...] = ("special", "dsp")
Sex = Literal["M", "F"]
Cohort = Literal["special", "dsp"]
SchoolSex = Literal["mixed", "M", "F"]

# Rough bounding box of the United Kingdom (lon, lat), used to catch swapped or foreign points.
UK_LON = (-8.7, 1.8)
UK_LAT = (49.8, 60.9)


class ModelError(ValueError):
    """A domain object was built with inconsistent values."""


# Ids (child, school, vehicle type, sibling group) are restricted to characters that are inert in
# every output: no spreadsheet formula, markup, control character, list separator or path part.
ID_CHARACTERS = "1..64 ASCII letters, digits, '-', '_' or '.', starting with a letter or digit"
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def is_safe_id(text: str) -> bool:
    """Whether ``text`` is a valid id (see ``ID_CHARACTERS``)."""
    return _SAFE_ID.fullmatch(text) is not None


def _check_ids(what: str, ids: Iterable[str | None]) -> None:
    for item in ids:
        if item is not None and not (isinstance(item, str) and is_safe_id(item)):
            raise ModelError(f"{what} {visible(str(item))} is not {ID_CHARACTERS}")


def _check_finite(what: str, obj: object) -> None:
    """Every float field of a dataclass instance is a finite number (NaN passes every `<`)."""
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, float) and not math.isfinite(item):
                raise ModelError(f"{what} {f.name} must be a finite number")


def in_uk(lon: float, lat: float) -> bool:
    """Whether a WGS84 point lies inside the UK bounding box."""
    return UK_LON[0] <= lon <= UK_LON[1] and UK_LAT[0] <= lat <= UK_LAT[1]


def is_primary(age: int) -> bool:
    """Primary phase: ages up to 10 on 31 August (Reception to Year 6)."""
    return age <= 10


@dataclass(frozen=True, slots=True)
class Child:
    """A child with an EHCP who needs a special school place. ``child_id`` is pseudonymous."""

    child_id: str
    lon: float
    lat: float
    age: int
    primary_need: str
    sex: Sex
    secondary_needs: tuple[str, ...] = ()
    residential_need: bool = False
    wheelchair: bool = False
    needs_assistant: bool = False
    travel_alone: bool = False
    ride_limit_min: float | None = None
    current_school: str | None = None
    locked: bool = False
    preferences: tuple[str, ...] = ()
    # None: decided by the policy's eligibility rules (walking distance by age, post-16 by
    # exception); True/False: the council's own decision, taken as given.
    transport_eligible: bool | None = True
    home_la: str = "856"
    # Children sharing a non-empty group (same school and session) ride the same route.
    sibling_group: str | None = None
    # Children this child must never share a vehicle with (symmetric in effect).
    never_with: tuple[str, ...] = ()
    # A plan issued since the last placement round: the child is placed this year even under
    # phase-transfer moves.
    new_plan: bool = False
    # "special": needs a special school place (SEN2's special total); "dsp": a mainstream pupil
    # for a resourced provision (DSP/SEN unit) place, which SEN2 counts as mainstream.
    cohort: Cohort = "special"

    def __post_init__(self) -> None:
        if not self.child_id:
            raise ModelError("child_id is empty")
        _check_ids("child_id", (self.child_id,))
        _check_ids(f"child {self.child_id}: school id", (*self.preferences, self.current_school))
        _check_ids(f"child {self.child_id}: sibling_group", (self.sibling_group,))
        _check_ids(f"child {self.child_id}: never_with id", self.never_with)
        _check_finite(f"child {self.child_id}:", self)
        if self.ride_limit_min is not None and self.ride_limit_min <= 0:
            raise ModelError(f"child {self.child_id}: ride limit must be above 0")
        if self.primary_need not in NEED_CODES:
            raise ModelError(f"child {self.child_id}: unknown need {self.primary_need!r}")
        for need in self.secondary_needs:
            if need not in NEED_CODES:
                raise ModelError(f"child {self.child_id}: unknown secondary need {need!r}")
        if not 2 <= self.age <= 25:
            raise ModelError(f"child {self.child_id}: age {self.age} outside 2..25")
        if self.sex not in ("M", "F"):
            raise ModelError(f"child {self.child_id}: sex must be M or F")
        if not in_uk(self.lon, self.lat):
            raise ModelError(f"child {self.child_id}: location outside the UK")
        if self.locked and not self.current_school:
            raise ModelError(f"child {self.child_id}: locked without a current_school")
        if len(set(self.preferences)) != len(self.preferences):
            raise ModelError(f"child {self.child_id}: a school is preferred twice")
        if self.child_id in self.never_with:
            raise ModelError(f"child {self.child_id}: never_with names the child itself")
        if self.cohort not in COHORTS:
            raise ModelError(f"child {self.child_id}: cohort must be one of {COHORTS}")


@dataclass(frozen=True, slots=True)
class School:
    """A special school or resourced provision offering places. Times are minutes after midnight."""

    school_id: str
    name: str
    lon: float
    lat: float
    la_code: str
    type: str
    age_low: int
    age_high: int
    designations: frozenset[str]
    capacity: int
    annual_cost_gbp: float
    sex: SchoolSex = "mixed"
    residential_places: int = 0
    bell_am_min: int = 9 * 60
    finish_pm_min: int = 15 * 60 + 15
    in_area: bool = True
    # A cap per need, e.g. (("ASD", 40), ("SLD", 20)): children with that primary need take at
    # most that many places; any need may fill the rest of the capacity.
    capacity_by_designation: tuple[tuple[str, int], ...] = ()
    # Places reserved for a need, e.g. (("ASD", 40),): only children with that primary need may
    # fill them (they may also use the unreserved places); the others share capacity - reserved.
    reserved_by_designation: tuple[tuple[str, int], ...] = ()
    # First day open (None: open before any date modelled; date.max: opening date not known)
    # and first day closed (None: not closing).
    opens: date | None = None
    closes: date | None = None

    def __post_init__(self) -> None:
        if not self.school_id:
            raise ModelError("school_id is empty")
        _check_ids("school_id", (self.school_id,))
        _check_finite(f"school {self.school_id}:", self)
        for name in ("bell_am_min", "finish_pm_min"):
            if not 0 <= getattr(self, name) < 24 * 60:
                raise ModelError(f"school {self.school_id}: {name} is not a time of day")
        for name in ("capacity_by_designation", "reserved_by_designation"):
            self._check_designation_places(name)
        reserved = sum(places for _, places in self.reserved_by_designation)
        if reserved > self.capacity:
            raise ModelError(
                f"school {self.school_id}: reserved_by_designation totals {reserved} places, "
                f"above capacity {self.capacity}"
            )
        for need, places in self.reserved_by_designation:
            cap = self.designation_capacity(need)
            if cap is not None and places > cap:
                raise ModelError(
                    f"school {self.school_id}: {places} places reserved for {need}, above its "
                    f"cap {cap}"
                )
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ModelError(f"school {self.school_id}: closes on or before it opens")
        if self.type not in SCHOOL_TYPES:
            raise ModelError(f"school {self.school_id}: unknown type {self.type!r}")
        unknown = self.designations - set(NEED_CODES)
        if unknown:
            raise ModelError(f"school {self.school_id}: unknown designations {sorted(unknown)}")
        if self.age_low > self.age_high:
            raise ModelError(f"school {self.school_id}: age_low above age_high")
        if self.capacity < 0 or self.residential_places < 0:
            raise ModelError(f"school {self.school_id}: negative capacity")
        if self.residential_places > self.capacity:
            raise ModelError(f"school {self.school_id}: more residential places than capacity")
        if self.annual_cost_gbp < 0:
            raise ModelError(f"school {self.school_id}: negative cost")
        if not in_uk(self.lon, self.lat):
            raise ModelError(f"school {self.school_id}: location outside the UK")

    def _check_designation_places(self, name: str) -> None:
        seen: set[str] = set()
        for need, places in getattr(self, name):
            if need not in self.designations or need in seen:
                raise ModelError(
                    f"school {self.school_id}: {name} names {need!r} twice or "
                    "outside its designations"
                )
            if not 0 <= places <= self.capacity:
                raise ModelError(f"school {self.school_id}: {name} {need} outside 0..capacity")
            seen.add(need)

    def open_on(self, day: date | None) -> bool:
        """Whether the school takes children on ``day`` (None: no date set, every school)."""
        if day is None:
            return True
        return (self.opens is None or self.opens <= day) and (
            self.closes is None or day < self.closes
        )

    def reserved_places(self, need: str) -> int:
        """Places only children with this primary need may fill (0 if none reserved)."""
        return dict(self.reserved_by_designation).get(need, 0)

    def designation_capacity(self, need: str) -> int | None:
        """The cap on places for children with this primary need, or None if not capped."""
        for code, places in self.capacity_by_designation:
            if code == need:
                return places
        return None

    def admits(self, child: Child) -> bool:
        """Whether the school can meet the child's need, age and sex (capacity aside)."""
        return (
            child.primary_need in self.designations
            and self.age_low <= child.age <= self.age_high
            and (self.sex == "mixed" or self.sex == child.sex)
        )


@dataclass(frozen=True, slots=True)
class VehicleType:
    """A kind of vehicle the council can hire, with capabilities and costs."""

    name: str
    seats: int
    wheelchair_spaces: int
    has_assistant: bool
    fixed_cost_gbp: float
    cost_per_km_gbp: float
    available: int
    depot_lon: float
    depot_lat: float
    # Alternative (seats, wheelchair spaces) layouts the vehicle can be fitted in, in the
    # council's order of preference; empty: the one layout (seats, wheelchair_spaces). When
    # given, (seats, wheelchair_spaces) is one of them (the columns kept their meaning).
    layouts: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        _check_ids("vehicle type name", (self.name,))
        _check_finite(f"vehicle type {self.name}:", self)
        if self.seats < 1 or self.wheelchair_spaces < 0 or self.available < 0:
            raise ModelError(f"vehicle type {self.name}: seats, spaces or availability invalid")
        if self.fixed_cost_gbp < 0 or self.cost_per_km_gbp < 0:
            raise ModelError(f"vehicle type {self.name}: negative cost")
        for seats, spaces in self.layouts:
            if seats < 0 or spaces < 0 or seats + spaces < 1:
                raise ModelError(
                    f"vehicle type {self.name}: layout {layout_label((seats, spaces))} invalid"
                )
        if len(set(self.layouts)) != len(self.layouts):
            raise ModelError(f"vehicle type {self.name}: a layout is listed twice")
        if self.layouts and (self.seats, self.wheelchair_spaces) not in self.layouts:
            raise ModelError(
                f"vehicle type {self.name}: seats and wheelchair_spaces "
                f"{layout_label((self.seats, self.wheelchair_spaces))} are not one of its layouts"
            )

    @property
    def layout_options(self) -> tuple[tuple[int, int], ...]:
        """Every (seats, wheelchair spaces) layout of this type, in order of preference."""
        return self.layouts or ((self.seats, self.wheelchair_spaces),)


def layout_label(layout: tuple[int, int]) -> str:
    """A layout as written in files and outputs: ``seats+spaces``, e.g. ``14+1``."""
    return f"{layout[0]}+{layout[1]}"


@dataclass(frozen=True, slots=True)
class Policy:
    """The council's rules and objective weights. Money in GBP, times in minutes."""

    # Objective, in GBP-per-year equivalents so that the terms add up meaningfully.
    weight_placement_cost: float = 1.0
    travel_gbp_per_min: float = 300.0
    preference_gbp_per_rank: float = 4000.0
    not_preferred_gbp: float = 12000.0
    out_of_area_gbp: float = 10000.0
    unplaced_gbp: float = 1_000_000.0
    # What-if mode: each place over capacity at a must-admit school (below unplaced_gbp).
    over_capacity_gbp: float = 100_000.0
    # Estimated transport cost per child-km of the direct journey, for preference costs.
    transport_gbp_per_km: float = 1.5
    # Candidate schools per child: the nearest N admissible (0 = all within max travel).
    max_candidates: int = 0
    # Placement limits on the direct journey.
    max_travel_min_primary: float = 60.0
    max_travel_min_secondary: float = 90.0
    # Transport rules.
    ride_limit_min_primary: float = 45.0
    ride_limit_min_secondary: float = 75.0
    boarding_walk_on_min: float = 2.0
    boarding_wheelchair_min: float = 10.0
    arrival_window_min: tuple[float, float] = (5.0, 20.0)
    walking_distance_under8_miles: float = 2.0
    walking_distance_from8_miles: float = 3.0
    school_days_per_year: int = 190
    pm_departure_after_finish_min: float = 10.0
    # Whether a child's ride includes their own boarding (AM) or alighting (PM): False keeps
    # the ride to time on board with the vehicle moving or serving others (DfE guidance times
    # the journey, and a wheelchair user's 10 minutes of loading are not travel).
    ride_counts_own_boarding: bool = False
    # Children in residential (boarding) places travel home and back at weekends, not daily:
    # 38-week placements, home each weekend = 2 x 38 single journeys a year (12 if termly).
    boarder_journeys_per_year: int = 76
    # Post-16 personal transport budget, Leicester's rate from 2025/26: 45p a mile plus £500 a
    # year (post-16 transport policy statement 2025-2026).
    ptb_pence_per_mile: float = 45.0
    ptb_annual_gbp: float = 500.0
    # Pre-16 personal transport budget: no published Leicester pre-16 rate is held, so the
    # post-16 rate stands in (estimate).
    ptb_pre16_pence_per_mile: float = 45.0
    ptb_pre16_annual_gbp: float = 500.0
    # Age on 31 August from which post-16 rules apply (Year 12): transport only by exception,
    # for complex SEND (Leicester post-16 transport policy statement 2025-2026).
    post16_from_age: int = 16
    # Straight-line travel model.
    circuity_factor: float = 1.3
    # Road-network travel model: furthest a home or school may lie from a road, and a factor on
    # free-flow edge times for the morning peak (1.0 = free flow).
    max_snap_m: float = 500.0
    am_peak_congestion_factor: float = 1.0
    # Mixed-school routes: one vehicle may serve nearby schools whose bell windows fit, when
    # that is cheaper than their single-school runs and breaks no ride limit.
    mixed_school_routes: bool = False
    mixed_max_school_gap_min: float = 15.0
    # Whether special-school children may take resourced-provision (DSP) places; by default
    # those places belong to the mainstream "dsp" cohort, as SEN2 counts them.
    special_cohort_in_dsp: bool = False
    # Mid-year re-plans (``routes --baseline --changes``, routing/transport/continuity.py), in
    # the plan's own unit (GBP of one session's routes): a re-plan moves a settled child to
    # another vehicle only to save at least ``disruption_move_gbp`` a session, and shifts a
    # pick-up (drop-off) time by more than ``pickup_tolerance_min`` only to save at least
    # ``disruption_time_gbp``. Both 0: continuity is worth nothing (a plan from scratch).
    disruption_move_gbp: float = 25.0
    disruption_time_gbp: float = 10.0
    pickup_tolerance_min: float = 10.0

    def __post_init__(self) -> None:
        _check_finite("policy", self)
        for name in ("disruption_move_gbp", "disruption_time_gbp", "pickup_tolerance_min"):
            if getattr(self, name) < 0:
                raise ModelError(f"policy {name} must not be negative")

        for name in (
            "weight_placement_cost", "travel_gbp_per_min", "preference_gbp_per_rank",
            "not_preferred_gbp", "out_of_area_gbp", "unplaced_gbp", "max_travel_min_primary",
            "max_travel_min_secondary", "ride_limit_min_primary", "ride_limit_min_secondary",
            "boarding_walk_on_min", "boarding_wheelchair_min", "school_days_per_year",
            "over_capacity_gbp", "transport_gbp_per_km", "max_candidates",
            "mixed_max_school_gap_min", "boarder_journeys_per_year", "ptb_pence_per_mile",
            "ptb_annual_gbp", "ptb_pre16_pence_per_mile", "ptb_pre16_annual_gbp",
            "post16_from_age",
        ):  # fmt: skip
            if getattr(self, name) < 0:
                raise ModelError(f"policy {name} must not be negative")
        lo, hi = self.arrival_window_min
        if not 0 <= lo <= hi:
            raise ModelError("policy arrival_window_min must be (low, high) with 0 <= low <= high")
        if self.circuity_factor < 1.0:
            raise ModelError("policy circuity_factor must be at least 1")
        if self.max_snap_m <= 0:
            raise ModelError("policy max_snap_m must be positive")
        if self.am_peak_congestion_factor < 1.0:
            raise ModelError("policy am_peak_congestion_factor must be at least 1")

    def max_travel_min(self, child: Child) -> float:
        """The longest direct journey placement may give this child: none for a boarder (a
        residential need), who travels weekly, not daily."""
        if child.residential_need:
            return math.inf
        return (
            self.max_travel_min_primary if is_primary(child.age) else self.max_travel_min_secondary
        )

    def ride_limit_min(self, child: Child) -> float:
        """The longest ride a route may give this child (per-child override first)."""
        if child.ride_limit_min is not None:
            return child.ride_limit_min
        if is_primary(child.age):
            return self.ride_limit_min_primary
        return self.ride_limit_min_secondary


@dataclass(frozen=True)
class Scenario:
    """A validated, immutable planning problem: who needs a place, where, by what rules."""

    name: str
    children: tuple[Child, ...]
    schools: tuple[School, ...]
    fleet: tuple[VehicleType, ...] = ()
    policy: Policy = field(default_factory=Policy)
    seed: int | None = None
    # The date the scenario describes: a school not open on it takes no one (None: all open).
    as_of: date | None = None
    # The files it was read from, as (file name, sha256 of the bytes): a record of where the
    # scenario came from, not part of what it is (two equal scenarios may come from two files).
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        _unique("child_id", [c.child_id for c in self.children])
        _unique("school_id", [s.school_id for s in self.schools])
        _unique("vehicle type name", [v.name for v in self.fleet])
        known = {s.school_id for s in self.schools}
        for child in self.children:
            for school_id in (*child.preferences, child.current_school):
                if school_id is not None and school_id not in known:
                    raise ModelError(f"child {child.child_id}: unknown school {school_id!r}")
        ids = {c.child_id for c in self.children}
        for child in self.children:
            for other in child.never_with:
                if other not in ids:
                    raise ModelError(f"child {child.child_id}: never_with unknown child {other!r}")

    def school(self, school_id: str) -> School:
        """The school with this id."""
        for school in self.schools:
            if school.school_id == school_id:
                return school
        raise KeyError(school_id)


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ModelError(f"duplicate {what} {item!r}")
        seen.add(item)
