"""``sendplan routes SCENARIO --baseline ROUTES --changes CHANGES.csv``: a mid-year re-plan
with continuity (``routing/transport/continuity.py``).

The scenario is the one the baseline was planned for; the changes file (``changes_file.py``)
says what changed. The baseline (our routes.json, a route_sheets.xlsx or a council's current
routes, read as ``--evaluate`` reads them) is rebuilt on the scenario before the changes, the
changed scenario is solved from scratch (same seed and work limit: the yardstick for the saving
forgone) and each session is re-planned with continuity. The result holds the continuity
plans (checked by the independent checker); ``changes.json`` beside the usual outputs lists
every affected child and route, with old and new times and vehicles, the disruption and the
saving forgone by keeping the rest (``changes_report.py`` writes it).

With ``--keep-contracted`` (``Keep``) the baseline routes whose contract is in force stay as
they are and only the rest is re-planned around them (``routing/transport/keep_contracted.py``),
with continuity (no changes file: none, so only what must change changes); the policy's
disruption weights at 0 plan the rest from scratch.

A change sending a child to a school that would not admit them by the scenario's rules (the
panel's decision: it stands) is a warning line and a note in ``changes.json``; a child on no
route after the changes has the reason there (removed, no longer entitled and why, or the
planner's unrouted reason).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sendplan.api.changes_file import read_changes
from sendplan.api.existing_json import stated_routes
from sendplan.api.existing_routes import read_existing_routes
from sendplan.api.locations import PostcodeLookup
from sendplan.errors import PlanRejected, visible
from sendplan.logs import get_logger
from sendplan.routing.kpis import cost_per_transported_child_gbp, solo_share
from sendplan.routing.model import Scenario
from sendplan.routing.result import Result
from sendplan.routing.solve import solve
from sendplan.routing.summary import summarise_transport
from sendplan.routing.transport.changes import Applied, apply_changes
from sendplan.routing.transport.check import check_transport
from sendplan.routing.transport.continuity import Continuity, replan_session
from sendplan.routing.transport.eligibility import review_transport
from sendplan.routing.transport.entitlement import Entitlement, decide_entitlements
from sendplan.routing.transport.evaluate import evaluate_routes
from sendplan.routing.transport.existing import ExistingStop
from sendplan.routing.transport.keep_contracted import KeptRoute, Stated, replan_keeping
from sendplan.routing.transport.plan import Session, TransportPlan
from sendplan.routing.transport.planner import plan_transport, school_of_children
from sendplan.routing.travel import TravelModels
from sendplan.routing.vrp.stop import StopCriterion

log = get_logger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Keep:
    """``--keep-contracted``: the baseline routes whose contract is in force stay as they are;
    the rest is re-planned with continuity (``continuity``; with or without changes), or from
    scratch when the policy's disruption weights are both 0. ``stated``: what the baseline file
    states of each route beyond its stops, per session and route id."""

    route_ids: frozenset[str]
    continuity: bool
    stated: Mapping[str, Mapping[str, Stated]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Replanned:
    """The re-planned result and each session's continuity report."""

    result: Result
    sessions: tuple[Continuity, ...]
    applied: Applied
    # Children the baseline takes to another school than their current school in the scenario
    # (e.g. a plan made for an optimised placement): the re-plan seats them for the scenario's.
    elsewhere: tuple[str, ...] = ()
    # --keep-contracted: how it kept, and what became of each contracted route per session.
    keep: Keep | None = None
    kept: tuple[KeptRoute, ...] = ()
    # Each child's entitlement in the changed scenario (why one lost their seat), by child id.
    entitlements: Mapping[str, Entitlement] = dataclasses.field(default_factory=dict)
    # Baseline route ids that run only in sessions not planned (``--session``): a contract on
    # one names a route that is there, but not in this plan.
    unplanned_routes: frozenset[str] = frozenset()

    @property
    def saving_forgone_gbp(self) -> float:
        return sum(c.saving_forgone_gbp for c in self.sessions)

    @property
    def moved(self) -> int:
        return sum(c.moved for c in self.sessions)


def replan_from_files(
    scenario: Scenario,
    baseline: Path,
    changes: Path | None,
    *,
    models: Callable[[Scenario], TravelModels],
    sessions: Sequence[Session],
    stop: StopCriterion,
    seed: int,
    postcodes: PostcodeLookup | None = None,
    progress: Progress | None = None,
    keep: frozenset[str] | None = None,
) -> Replanned:
    """Read the baseline and the changes (None: none) for ``scenario`` and re-plan with
    continuity. ``models`` gives the travel models of a scenario (before and after the
    changes); ``keep``: the route ids whose contract is in force, to keep as they are."""
    say = progress or (lambda _msg: None)
    stops = read_existing_routes(baseline, scenario)
    rows = () if changes is None else read_changes(changes, postcodes=postcodes)
    applied = apply_changes(
        scenario, rows, file="" if changes is None else changes.name,
        route_ids={s.route_id for s in stops},
    )  # fmt: skip
    if changes is not None:
        say(f"{len(rows)} changes read")
    for u in applied.unsuitable:
        log.warning(
            "%s row %d: school %s would not admit child %s by the scenario's rules (%s); the "
            "panel's decision stands and transport takes them there (changes.json notes it)",
            applied_file(changes), u.row, visible(u.school_id, 40), visible(u.child_id, 40),
            u.why,
        )  # fmt: skip
    kept = None
    if keep is not None:
        policy = scenario.policy
        # Continuity unless the policy gives it no weight (then the rest is planned from scratch).
        weighed = policy.disruption_move_gbp != 0 or policy.disruption_time_gbp != 0
        kept = Keep(keep, continuity=weighed, stated=stated_routes(baseline))
    before = baseline_plans(scenario, stops, models(scenario).drive, sessions)
    elsewhere = baseline_elsewhere(scenario, stops)
    if elsewhere:
        log.warning(
            "%d children ride in the baseline to another school than their current school in "
            "the scenario (first: %s): they are re-seated for the scenario's school; was the "
            "baseline planned for this scenario?", len(elsewhere), elsewhere[0],
        )  # fmt: skip
    done = replan(applied, before, models(applied.scenario), sessions=sessions, stop=stop,
                  seed=seed, progress=say, keep=kept)  # fmt: skip
    planned = {s.route_id for s in stops if s.session in sessions}
    unplanned = frozenset(s.route_id for s in stops if s.route_id not in planned)
    return dataclasses.replace(done, elsewhere=elsewhere, unplanned_routes=unplanned)


def applied_file(changes: Path | None) -> str:
    return "the changes file" if changes is None else changes.name


def baseline_elsewhere(scenario: Scenario, stops: Sequence[ExistingStop]) -> tuple[str, ...]:
    """Children with a current school whom the baseline takes to another school, sorted."""
    baseline_school = {s.child_id: s.school_id for s in stops}
    return tuple(
        sorted(
            c.child_id
            for c in scenario.children
            if c.current_school and baseline_school.get(c.child_id) not in (None, c.current_school)
        )
    )


def baseline_plans(
    scenario: Scenario,
    stops: Sequence[ExistingStop],
    drive: Any,
    sessions: Sequence[Session],
) -> dict[Session, TransportPlan]:
    """Each session's baseline routes rebuilt on the scenario before the changes."""
    school_of: dict[str, str | None] = {s.child_id: s.school_id for s in stops}
    return {s: evaluate_routes(scenario, school_of, drive, stops, session=s).plan for s in sessions}


def replan(
    applied: Applied,
    baseline: dict[Session, TransportPlan],
    models: TravelModels,
    *,
    sessions: Sequence[Session],
    stop: StopCriterion,
    seed: int,
    progress: Progress | None = None,
    keep: Keep | None = None,
) -> Replanned:
    """Solve the changed scenario from scratch, then re-plan each session with continuity
    (around the routes ``keep`` keeps, when given)."""
    say = progress or (lambda _msg: None)
    scratch = solve(
        applied.scenario, sessions=sessions, travel=models, seed=seed, stop=stop,
        placement="auto", progress=say,
    )  # fmt: skip
    scenario, drive = scratch.scenario, models.drive
    school_of = school_of_children(scenario, scratch.placement)
    reports: list[Continuity] = []
    kept: list[KeptRoute] = []
    for plan in scratch.transport:
        if keep is None:
            say(f"{plan.session.upper()} routes: keeping what need not change")
            done = replan_session(
                scenario, school_of, baseline[plan.session], plan, drive,
                handed_back=applied.handed_back, relocated=applied.relocated,
            )  # fmt: skip
            reports.append(done)
            continue
        say(f"{plan.session.upper()} routes: keeping the contracted routes")

        def plan_rest(rest: Scenario, session: Session = plan.session) -> TransportPlan:
            return plan_transport(
                rest, scratch.placement, drive, session=session, stop=stop, seed=seed
            )

        keeping = replan_keeping(
            scenario, school_of, baseline[plan.session], plan, drive,
            contracted=keep.route_ids, plan_rest=plan_rest, continuity=keep.continuity,
            handed_back=applied.handed_back, relocated=applied.relocated,
            stated=keep.stated.get(plan.session, {}),
        )  # fmt: skip
        reports.append(keeping.continuity)
        kept += keeping.kept
    plans = tuple(r.plan for r in reports)
    checks = tuple(check_transport(scenario, school_of, drive, p) for p in plans)
    for plan, check in zip(plans, checks, strict=True):
        if not check.ok:
            raise PlanRejected(f"{plan.session.upper()} continuity plan", check.violations)
    review = review_transport(scenario, school_of, drive, plans, walk_travel=models.walk)
    summary = dataclasses.replace(
        scratch.summary,
        **summarise_transport(scenario, plans, checker_ok=True),
        solo_share=solo_share(scenario, plans),
        walking_distance_flags=len(review.flags),
        ptb_cheaper_than_seat=review.ptb_cheaper,
    )
    entitlements = decide_entitlements(
        scenario, scratch.placement, models.walk or drive, drive=drive
    )
    summary = dataclasses.replace(
        summary,
        cost_per_transported_child_gbp=cost_per_transported_child_gbp(summary, entitlements),
    )
    result = dataclasses.replace(
        scratch, summary=summary, transport=plans, checks=checks, review=review
    )
    # The rules' own reasons (the solved scenario has every offer decided: "council decision").
    why = decide_entitlements(
        applied.scenario, scratch.placement, models.walk or drive, drive=drive
    )
    return Replanned(
        result, tuple(reports), applied, keep=keep, kept=tuple(kept),
        entitlements={e.child_id: e for e in why},
    )  # fmt: skip
