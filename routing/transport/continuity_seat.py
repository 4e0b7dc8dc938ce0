"""Seating one child in a continuity repair (``continuity_repair.py``): the cheapest feasible
insertion, counting disruption against the baseline, or a new run.

A child is inserted into any unflagged single-school run of their school at any position, in
any layout of the run's vehicle (a baseline run keeps its vehicle: moving riders to another
vehicle is what continuity avoids; a run new in this re-plan may change vehicle type freely),
within every ride limit and never beside a never-together partner; or gets a new run on the
cheapest vehicle left, whichever rises least in cost plus disruption. A child who travels alone
or whose direct ride breaks their limit gets a flagged solo run. A flagged sibling joins their
siblings' run; when no run of theirs has room, the siblings are taken off it and the group is
seated together on a new run (siblings ride together unless a rule keeps them apart).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Child, Policy, School, VehicleType
from sendplan.routing.transport.build_routes import build_route
from sendplan.routing.transport.layouts import layout_of
from sendplan.routing.transport.plan import (
    Route,
    RouteFlag,
    RouteStop,
    Session,
    Unrouted,
    UnroutedReason,
)
from sendplan.routing.transport.rules import boarding_s, route_cost_gbp, school_time_min, suits
from sendplan.routing.transport.school_instance import (
    SchoolInstance,
    build_instance,
    feasible_taus,
    merged_job,
    run_path,
    solo_ride_s,
)
from sendplan.routing.transport.solo import cheapest_solo

Baseline = Mapping[str, tuple[str, float]]
"""Each baseline child's route id and pick-up (AM) or drop-off (PM) time."""


@dataclass
class Run:
    """A run being repaired: its vehicle kind, children in driving order and engine times."""

    route_id: str
    school_id: str
    kind: VehicleType
    order: list[str]
    taus: list[int] = field(default_factory=list)
    flags: tuple[str, ...] = ()
    original: Route | None = None  # an untouched baseline route, kept as it is
    # The baseline route of a run that only lost riders: the rest keep their times if they can.
    was: Route | None = None

    @property
    def dirty(self) -> bool:
        return self.original is None


class SchoolRuns:
    """One school's instance over every child on its single-school runs and every child who
    needs a seat there (one job a child: siblings are kept together by the run they join)."""

    def __init__(
        self,
        school: School,
        kids: Sequence[Child],
        kinds: Sequence[VehicleType],
        travel: TravelModel,
        session: Session,
        policy: Policy,
    ) -> None:
        alone = [replace(c, sibling_group=None) for c in kids]
        self.inst: SchoolInstance = build_instance(
            school, alone, kinds, travel, session=session, policy=policy
        )
        self.index = {c.child_id: k for k, c in enumerate(alone)}
        self.session, self.policy = session, policy
        self.school_s = round(school_time_min(school, policy, session) * 60)

    def ks(self, order: Sequence[str]) -> list[int]:
        return [self.index[c] for c in order]

    def taus(self, order: Sequence[str]) -> list[int] | None:
        return feasible_taus(self.inst, self.session, self.ks(order))

    def cost(self, kind: VehicleType, order: Sequence[str]) -> float:
        ks = self.ks(order)
        path = run_path(self.inst, self.session, kind.name, ks)
        return route_cost_gbp(kind, self.inst.metres(path, ks))

    def times_min(self, order: Sequence[str], taus: Sequence[int]) -> dict[str, float]:
        out = {}
        for child_id, tau in zip(order, taus, strict=True):
            child = self.inst.children[self.index[child_id]]
            b = boarding_s(child, self.policy)
            t = self.school_s - tau - b if self.session == "am" else self.school_s + tau
            out[child_id] = t / 60
        return out

    def route(self, run: Run) -> Route:
        """The run as a Route in real time, under its own id: a run that only lost riders keeps
        every rider's baseline time when its legs still fit (they do on any travel model that
        keeps the triangle inequality), else it is re-timed tight."""
        if run.was is not None and not run.was.mixed:
            kept = self._keeping_times(run, run.was)
            if kept is not None:
                return kept
        built = build_route(
            self.inst, session=self.session, vehicle=run.kind, order=self.ks(run.order),
            rides_s=run.taus, policy=self.policy, flags=run.flags,
        )  # fmt: skip
        return replace(built, route_id=run.route_id)

    def _keeping_times(self, run: Run, was: Route) -> Route | None:
        """The run at its riders' baseline times, the vehicle waiting where a child no longer
        rides; None when a leg (in whole seconds, rounded up) no longer fits between them."""
        inst, am, policy = self.inst, self.session == "am", self.policy
        ks = self.ks(run.order)
        stated = {s.child_id: s.time_min for s in was.stops}
        kids = [inst.jobs[k].kids[0] for k in ks]
        board = [boarding_s(c, policy) / 60 for c in kids]
        times = [stated[c.child_id] for c in kids]
        call = was.school_time_min
        visits = list(zip(times, board, strict=True))
        events = [*visits, (call, 0.0)] if am else [(call, 0.0), *visits]
        path = run_path(inst, self.session, run.kind.name, ks)
        legs = [int(inst.dur[a, b]) / 60 for a, b in itertools.pairwise(path)]
        for e in range(1, len(events)):
            (t0, s0), (t1, _) = events[e - 1], events[e]
            if t1 < t0 + s0 + legs[e] - 1e-9:
                return None
        own = policy.ride_counts_own_boarding
        stops = tuple(
            RouteStop(
                child_id=c.child_id,
                time_min=t,
                ride_min=(call - t - b if am else t - call) + (b if own else 0.0),
                boarding_min=b,
            )
            for c, t, b in zip(kids, times, board, strict=True)
        )
        if any(
            s.ride_min > policy.ride_limit_min(c) + 1e-9 for s, c in zip(stops, kids, strict=True)
        ):
            return None
        metres = inst.metres(path, ks)
        return Route(
            route_id=run.route_id,
            vehicle_type=run.kind.name,
            school_id=was.school_id,
            session=self.session,
            stops=stops,
            start_min=events[0][0] - legs[0],
            school_time_min=call,
            end_min=events[-1][0] + events[-1][1] + legs[-1],
            distance_m=float(metres),
            cost_gbp=route_cost_gbp(run.kind, metres),
            assistant=run.kind.has_assistant,
            solo=bool(run.flags),
            flags=run.flags,
            layout=layout_of(run.kind),
        )


_Best = tuple[float, Run, VehicleType, list[str], list[int]]


@dataclass
class Seating:
    """What seating a school's children shares: its runs, the vehicles left, the baseline."""

    here: SchoolRuns
    runs: list[Run]
    add: Callable[[Run], None]
    kinds: Sequence[VehicleType]
    remaining: dict[str, int]
    old: Baseline
    children: Mapping[str, Child]
    used_ids: set[str]
    baseline_ids: frozenset[str]
    regrouping: bool = False  # seating a group's siblings again: never regroup within that

    def seat(self, child_id: str) -> Unrouted | None:
        """Seat one child (None), or say why no seat is left."""
        here = self.here
        inst, session = here.inst, here.session
        k = here.index[child_id]
        job = inst.jobs[k]
        child = self.children[child_id]
        flags = []
        if job.travel_alone:
            flags.append(RouteFlag.TRAVEL_ALONE.value)
        if solo_ride_s(inst, session, k) > job.limit_s:
            flags.append(RouteFlag.DIRECT_RIDE_OVER_LIMIT.value)
        best: _Best | None = None
        family: list[Run] = []
        if not flags:
            siblings = self._siblings(child)
            candidates = [r for r in self.runs if not r.flags and r.order]
            family = [r for r in candidates if siblings & set(r.order)]
            for run in family or candidates:
                best = self._best_in(run, child, siblings, best)
            if family and best is not None:
                self._insert(best)
                return None
        solo = cheapest_solo(inst, session, k, self.kinds, self.remaining)
        if solo is not None:
            fresh = Run(self._new_id(), inst.school.school_id, solo, [child_id], flags=tuple(flags))
            fresh.taus = [solo_ride_s(inst, session, k)]
            score = here.cost(solo, fresh.order) + self._disruption(fresh, fresh.order, fresh.taus)
            if flags or family or best is None or score < best[0] - 1e-9:
                self.used_ids.add(fresh.route_id)
                self.remaining[solo.name] -= 1
                self.add(fresh)
                if family and not self.regrouping:  # no run of theirs had room: together here
                    self.regrouping = True
                    self._regroup(family, self._siblings(child))
                    self.regrouping = False
                return None
        if best is not None:
            self._insert(best)
            return None
        if not any(suits(v, child) for v in self.kinds):
            return Unrouted(child_id, UnroutedReason.NO_SUITABLE_VEHICLE, "no vehicle type fits")
        return Unrouted(child_id, UnroutedReason.FLEET_EXHAUSTED, "no seat left on the routes kept")

    def _siblings(self, child: Child) -> set[str]:
        if not child.sibling_group:
            return set()
        return {
            c
            for c, other in self.children.items()
            if other.sibling_group == child.sibling_group
            and c != child.child_id
            and c in self.here.index
        }

    def _regroup(self, family: list[Run], siblings: set[str]) -> None:
        """Take the siblings off their runs (re-timed, or ended when empty) and seat them
        again, next to the child just seated."""
        moving = []
        for run in family:
            gone = [c for c in run.order if c in siblings]
            rest = [c for c in run.order if c not in siblings]
            taus = self.here.taus(rest) if rest else []
            if taus is None:
                continue  # cannot happen on a metric: leave the run as it is
            moving += gone
            run.was = run.original or run.was  # it only lost riders
            run.order, run.taus, run.original = rest, taus, None
            if not rest:
                self.remaining[run.kind.name] += 1
        for c in moving:
            self.seat(c)

    def _best_in(
        self, run: Run, child: Child, siblings: set[str], best: _Best | None
    ) -> _Best | None:
        """The cheapest insertion of ``child`` into ``run`` if cheaper than ``best``."""
        here, child_id = self.here, child.child_id
        apart = set(child.never_with) | {
            c for c, o in self.children.items() if child_id in o.never_with
        }
        if apart & set(run.order) or len(run.taus) != len(run.order):
            return best
        before = here.cost(run.kind, run.order) + self._disruption(run, run.order, run.taus)
        kinds = [
            v
            for v in self.kinds
            if v.name == run.kind.name
            or (run.route_id not in self.baseline_ids and self.remaining[v.name] > 0)
        ]
        # Beside a sibling on their run, and never between two of another family, so every
        # family is picked up one after another.
        family = [k for k, c in enumerate(run.order) if c in siblings]
        places = sorted({p for k in family for p in (k, k + 1)}) or range(len(run.order) + 1)
        for pos in places:
            if 0 < pos < len(run.order) and self._parts(run.order[pos - 1 : pos + 1], child):
                continue
            order = [*run.order[:pos], child_id, *run.order[pos:]]
            taus = here.taus(order)
            if taus is None:
                continue
            load = merged_job(here.inst, here.ks(order))
            spoilt = self._disruption(run, order, taus)
            for kind in kinds:
                if not load.suits(kind):
                    continue
                score = here.cost(kind, order) + spoilt - before
                if best is None or score < best[0] - 1e-9:
                    best = (score, run, kind, order, taus)
        return best

    def _parts(self, pair: Sequence[str], child: Child) -> bool:
        """Whether seating ``child`` between ``pair`` parts two siblings of another family."""
        a, b = (self.children[c].sibling_group for c in pair)
        return a is not None and a == b and a != child.sibling_group

    def _insert(self, best: _Best) -> None:
        _, run, kind, order, taus = best
        if kind.name != run.kind.name:  # a run new in this re-plan changing vehicle type
            self.remaining[run.kind.name] += 1
            self.remaining[kind.name] -= 1
        run.kind, run.order, run.taus, run.original, run.was = kind, order, taus, None, None

    def _disruption(self, run: Run, order: Sequence[str], taus: Sequence[int]) -> float:
        """What the run's riders lose against the baseline: a move, or a time moved too far."""
        policy = self.here.policy
        total = 0.0
        for child_id, minute in self.here.times_min(order, taus).items():
            if child_id not in self.old:
                continue
            route_id, was = self.old[child_id]
            if route_id != run.route_id:
                total += policy.disruption_move_gbp
            elif abs(minute - was) > policy.pickup_tolerance_min:
                total += policy.disruption_time_gbp
        return total

    def _new_id(self) -> str:
        stem = f"{self.here.session.upper()}-{self.here.inst.school.school_id}-N"
        n = 1
        while f"{stem}{n:03d}" in self.used_ids:
            n += 1
        return f"{stem}{n:03d}"
