"""The measures councils use (``routing.summary.council_measures``) of the routes a plan is
compared with, in the JSON outputs as well as the report: the status quo's routes (summary.json
``council_measures_status_quo``) and the current routes read by ``--evaluate`` (each session's
in evaluation.json, under ``council_measures``; every session read together in summary.json
``council_measures_evaluated``). Each is measured exactly as the plan's own ``council_measures``
are, so the columns compare."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sendplan.routing.result import Result
from sendplan.routing.summary import council_measures
from sendplan.routing.transport.evaluate import evaluate_routes
from sendplan.routing.transport.existing import ExistingStop
from sendplan.routing.transport.planner import school_of_children


def with_status_quo_measures(result: Result) -> Result:
    """``result`` with the status quo's council measures in its summary, when its routes were
    planned (every child had a current school and a session was planned)."""
    s = result.summary
    if s.council_measures_status_quo is not None or not result.status_quo_transport:
        return result
    measured = council_measures(result.scenario, result.status_quo_transport)
    return replace(result, summary=replace(s, council_measures_status_quo=measured))


def with_evaluated_measures(result: Result, stops: Sequence[ExistingStop]) -> Result:
    """``result`` (solved with ``existing_routes=stops``) with the current routes' council
    measures: per session in ``evaluation`` and, over every session read, in the summary. The
    routes are rebuilt as the evaluation rebuilt them (same scenario, schools and drive model)."""
    if result.evaluation is None or result.travel is None or not stops:
        return result
    scenario = result.scenario
    school_of = school_of_children(scenario, result.placement)
    plans = [
        evaluate_routes(scenario, school_of, result.travel, stops, session=session).plan
        for session in sorted({s.session for s in stops})
    ]
    evaluation = {
        session: {**entry, "council_measures": council_measures(scenario, [plan])}
        for (session, entry), plan in zip(sorted(result.evaluation.items()), plans, strict=True)
    }
    summary = replace(result.summary, council_measures_evaluated=council_measures(scenario, plans))
    return replace(result, summary=summary, evaluation=evaluation)
