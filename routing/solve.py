"""The front door: one call solves a scenario (placement, transport, review, KPIs).

The CLI, every benchmark, the service's workers and a notebook all call :func:`solve`::

    import sendplan
    scenario = sendplan.load_scenario("scenario/")
    result = sendplan.solve(scenario, sessions=("am", "pm"), stop=sendplan.MaxRuntime(30), seed=1)
    result.summary.placed, result.placements, result.routes_gdf()

Same scenario, seed and work limit give the same plan (a time limit does not: the search is
cut wherever the clock stops it; an iteration limit is reproducible).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Literal

from sendplan.errors import InputError, PlanRejected
from sendplan.geo.external_matrix import ExternalMatrixModel
from sendplan.geo.travel import TravelModel
from sendplan.logs import get_logger
from sendplan.routing.kpis import boarder_figures, cost_per_transported_child_gbp, solo_share
from sendplan.routing.model import Scenario
from sendplan.routing.placement.check import check_placement
from sendplan.routing.placement.explain import explain_plan
from sendplan.routing.placement.movers import MOVERS_RULES, MoversRule, lock_non_movers
from sendplan.routing.placement.movers import movers as find_movers
from sendplan.routing.placement.place import MODES, place
from sendplan.routing.placement.plan import PlacementPlan
from sendplan.routing.placement.what_if import must_admit_effects
from sendplan.routing.result import Result
from sendplan.routing.status_quo import (
    compare,
    comparison_kpis,
    has_status_quo,
    status_quo_summary,
)
from sendplan.routing.summary import (
    Summary,
    cross_border_at_current_schools,
    summarise_placement,
    summarise_transport,
    versions,
)
from sendplan.routing.transport.check import TransportCheck, check_transport
from sendplan.routing.transport.eligibility import review_transport
from sendplan.routing.transport.entitlement import (
    Entitlement,
    apply_entitlements,
    decide_entitlements,
    summarise_entitlements,
)
from sendplan.routing.transport.evaluate import ExistingStop, evaluate_sessions
from sendplan.routing.transport.plan import Session, TransportPlan
from sendplan.routing.transport.planner import plan_transport, school_of_children
from sendplan.routing.travel import TravelModels, straight_line_model
from sendplan.routing.vrp.stop import MaxIterations, StopCriterion, now

Progress = Callable[[str], None]

log = get_logger(__name__)


DEFAULT_ITERATIONS = 300
"""Search iterations per school when no stop is given: reproducible, and what the demo uses."""

SESSIONS: tuple[Session, ...] = ("am", "pm")


def solve(
    scenario: Scenario,
    *,
    sessions: Sequence[Session] = SESSIONS,
    stop: StopCriterion | None = None,
    seed: int = 1,
    travel: TravelModel | TravelModels | None = None,
    placement: Literal["solve", "current", "auto"] = "solve",
    mode: str = "weighted",
    must_admit: Sequence[str] = (),
    existing_routes: Sequence[ExistingStop] | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    movers: MoversRule = "phase_transfer",
    status_quo: bool = True,
    status_quo_of: Scenario | None = None,
) -> Result:
    """Place every child, plan each session's routes, review and summarise them.

    Args:
        sessions: which runs to plan, ``("am", "pm")`` by default; ``()`` places only.
        stop: the routing search's work limit (per school); default
            ``MaxIterations(DEFAULT_ITERATIONS)``.
        travel: a travel model, or drive and walk models; default straight-line.
        placement: ``"solve"`` places every child; ``"current"`` keeps each child at their
            ``current_school`` and plans transport only (placement figures are then None,
            but for ``placed_cross_border`` at the current schools; boarders are counted);
            ``"auto"`` is ``"current"`` when every child has a current school, else ``"solve"``.
        mode, must_admit: as in :func:`sendplan.routing.placement.place.place`.
        existing_routes: a council's current routes to check and compare with the new plan.
        workers: processes solving schools in parallel (default: one per core).
        movers: with ``placement="solve"``, who is placed this year: ``"phase_transfer"``
            (children entering Reception, Year 7 or Year 12, new plans, children without a
            current school or whose school is closed or no longer admits them; see
            :mod:`sendplan.routing.placement.movers`) or ``"all"``; the others are locked at
            their current school. With no current schools everyone is a mover.

    When ``placement="solve"``, ``status_quo`` is true and every child has a current school, the
    status quo (every child at their current school, routes planned for the same sessions) is
    measured beside the optimised plan: ``summary.comparison`` and ``result.status_quo``.
    ``status_quo_of`` (default ``scenario``) is the scenario whose current schools are the
    status quo: a what-if's unmodified scenario, so its locks do not rewrite the status quo.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; use {' or '.join(MODES)}")
    if movers not in MOVERS_RULES:
        raise ValueError(f"unknown movers rule {movers!r}; use {' or '.join(MOVERS_RULES)}")
    unknown = [s for s in sessions if s not in SESSIONS]
    if unknown:
        raise ValueError(f"unknown session {unknown[0]!r}; use am or pm")
    if sessions and not scenario.fleet:
        # Planning with no vehicle would report every child unrouted as a "plan".
        raise InputError("fleet.csv", "missing or empty: routes need the vehicle types to use")
    say = progress or (lambda _msg: None)
    models = (
        travel
        if isinstance(travel, TravelModels)
        else TravelModels(travel or straight_line_model(scenario))
    )
    drive = models.drive
    stop = stop or MaxIterations(DEFAULT_ITERATIONS)

    if placement == "auto":
        every = all(c.current_school for c in scenario.children)
        placement = "current" if every else "solve"
    plan = explanations = sq_plan = None
    original = scenario if status_quo_of is None else status_quo_of
    if placement == "solve":
        moving = find_movers(scenario, rule=movers)
        scenario = lock_non_movers(scenario, moving)
        say(f"placing {len(moving):,} of {len(scenario.children):,} children ({movers} movers) "
            f"in {len(scenario.schools)} schools")  # fmt: skip
        t0 = now()
        plan = place(scenario, drive, mode=mode, must_admit=must_admit, progress=progress)
        log.info(
            "placed %d of %d children (%s, %s) in %.2f s", len(plan.assignments),
            len(scenario.children), plan.mode, "optimal" if plan.optimal else "not optimal",
            now() - t0,
        )  # fmt: skip
        verdict = check_placement(scenario, drive, plan, mode=mode, must_admit=must_admit)
        if not verdict.ok:
            raise PlanRejected("placement", verdict.violations)
        say("explaining the placements")
        explanations = tuple(explain_plan(scenario, drive, plan))
        summary = summarise_placement(scenario, plan, explanations)
        summary = dataclasses.replace(summary, movers_rule=movers, movers=len(moving))
        if must_admit:
            baseline = place(scenario, drive, mode=mode)
            effects = must_admit_effects(scenario, drive, plan, baseline)
            summary = dataclasses.replace(
                summary, must_admit_effects={e.school_id: e.to_dict() for e in effects}
            )
            for e in effects:
                log.info("must-admit %s: %s", e.school_id, e.note)
    elif placement == "current":
        # No placement of its own: placement figures stay None, except those the current
        # schools answer (children at a school in another LA).
        summary = Summary(
            children=len(scenario.children),
            versions=versions(),
            placed_cross_border=cross_border_at_current_schools(scenario),
        )
    else:
        raise ValueError(f"placement is 'solve' or 'current', not {placement!r}")

    plans: list[TransportPlan] = []
    checks: list[TransportCheck] = []
    entitlements: tuple[Entitlement, ...] = ()
    school_of: dict[str, str | None] = {}
    if sessions or existing_routes is not None:
        scenario, entitlements = _offers(scenario, plan, models)
        school_of = school_of_children(scenario, plan)
    for session in sessions:
        say(f"planning the {session.upper()} routes")
        t0 = now()
        routes = plan_transport(
            scenario,
            plan,
            drive,
            session=session,
            stop=stop,
            seed=seed,
            progress=say,
            workers=workers,
        )
        checks.append(check_transport(scenario, school_of, drive, routes))
        plans.append(routes)
        log.info(
            "%s: %d routes, GBP %.2f, %d unrouted, checker %s (%s, %.1f s)", session,
            len(routes.routes), routes.cost_gbp, len(routes.unrouted),
            "ok" if checks[-1].ok else "FAILED", repr(stop), now() - t0,
        )  # fmt: skip
        if not checks[-1].ok:
            raise PlanRejected(f"{session.upper()} transport plan", checks[-1].violations)

    review = evaluation = comparison = None
    sq_plans: tuple[TransportPlan, ...] = ()
    notes: list[str] = []
    fields: dict[str, object] = {}
    if plan is not None and status_quo and has_status_quo(original):
        say("measuring the status quo")
        sq_plan, sq_plans, comparison = _status_quo(
            original, models, sessions=sessions, stop=stop, seed=seed, workers=workers
        )
    elif plan is not None and status_quo and any(c.current_school for c in original.children):
        missing = sum(1 for c in original.children if not c.current_school)
        notes.append(f"status quo not compared: {missing} children have no current school")
    if plans:
        fields.update(summarise_transport(scenario, plans, checker_ok=all(c.ok for c in checks)))
        fields.update(summarise_entitlements(entitlements), solo_share=solo_share(scenario, plans))
        if plan is None:
            # Boarders as a placement counts them, their journeys from the drive model.
            fields.update(boarder_figures(scenario, entitlements, drive))
        review = review_transport(scenario, school_of, drive, plans, walk_travel=models.walk)
        fields.update(
            walking_distance_flags=len(review.flags), ptb_cheaper_than_seat=review.ptb_cheaper
        )
    else:
        notes.insert(0, "transport not planned: transport figures are null")
    if scenario.as_of is None and any(
        s.opens is not None or s.closes is not None for s in scenario.schools
    ):
        notes.append("no as_of date: schools' opens and closes are not applied (all are open)")
    if notes:
        fields["notes"] = tuple(notes)
    if existing_routes is not None:
        say("evaluating the existing routes")
        evaluation = evaluate_sessions(scenario, school_of, drive, existing_routes, plans=plans)
        fields["evaluation"] = _counts(evaluation)
    summary = dataclasses.replace(
        summary,
        travel_model=drive.name,
        seed=seed,
        work_limit=repr(stop) if plans else None,
        inputs=dict(sorted((*scenario.sources, *_travel_inputs(drive)))),
        **fields,  # type: ignore[arg-type]
    )
    if plans:
        summary = dataclasses.replace(
            summary,
            cost_per_transported_child_gbp=cost_per_transported_child_gbp(summary, entitlements),
        )
    if comparison is not None and plan is not None:
        optimised = comparison_kpis(scenario, plan, summary, transport=plans)
        summary = dataclasses.replace(summary, comparison=compare(comparison, optimised))
    return Result(
        scenario=scenario,
        summary=summary,
        placement=plan,
        explanations=explanations or (),
        transport=tuple(plans),
        review=review,
        evaluation=evaluation,
        checks=tuple(checks),
        status_quo=sq_plan,
        status_quo_transport=sq_plans,
        travel=drive,
    )


def decide_transport(
    scenario: Scenario, plan: PlacementPlan | None, models: TravelModels
) -> Scenario:
    """``scenario`` with every child whose ``transport_eligible`` is None decided by the
    policy's rules for the schools of ``plan`` (else current schools): see
    :mod:`sendplan.routing.transport.entitlement`. Council decisions are kept."""
    return _offers(scenario, plan, models)[0]


def _offers(
    scenario: Scenario, plan: PlacementPlan | None, models: TravelModels
) -> tuple[Scenario, tuple[Entitlement, ...]]:
    """:func:`decide_transport` and every child's offer (seat, ptb, boarder or none)."""
    walk = models.walk or models.drive
    entitlements = tuple(decide_entitlements(scenario, plan, walk, drive=models.drive))
    return apply_entitlements(scenario, entitlements), entitlements


def _status_quo(
    scenario: Scenario,
    models: TravelModels,
    *,
    sessions: Sequence[Session],
    stop: StopCriterion,
    seed: int,
    workers: int | None,
) -> tuple[PlacementPlan, tuple[TransportPlan, ...], dict[str, object]]:
    """The status-quo plan, its routes for the same sessions, search and seed as the optimised
    plan (each passed by the independent route checker, or PlanRejected), and its figures."""
    drive = models.drive
    plan, summary = status_quo_summary(scenario, drive)
    routes = []
    if sessions:
        scenario = decide_transport(scenario, plan, models)
        school_of = school_of_children(scenario, plan)
    for session in sessions:
        made = plan_transport(
            scenario, plan, drive, session=session, stop=stop, seed=seed, workers=workers
        )
        verdict = check_transport(scenario, school_of, drive, made)
        if not verdict.ok:
            raise PlanRejected(f"status-quo {session.upper()} transport plan", verdict.violations)
        routes.append(made)
    if routes:
        figures = summarise_transport(scenario, routes, checker_ok=True)
        summary = dataclasses.replace(summary, **figures)
    return plan, tuple(routes), comparison_kpis(scenario, plan, summary, transport=routes)


def _travel_inputs(model: TravelModel) -> tuple[tuple[str, str], ...]:
    """(name, sha256) of the files a travel model read (an external matrix and its points
    file), so the summary's and manifest's ``inputs`` name them whichever command ran."""
    return model.input_files if isinstance(model, ExternalMatrixModel) else ()


def _counts(evaluation: dict[str, dict[str, object]]) -> dict[str, object]:
    """The summary's view of an evaluation: lists (breaches, rides over) become their counts."""
    return {
        session: {k: (len(v) if isinstance(v, list) else v) for k, v in entry.items()}
        for session, entry in evaluation.items()
    }
