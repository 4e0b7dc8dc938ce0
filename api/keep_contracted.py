"""``sendplan routes SCENARIO --baseline ROUTES --contracts CONTRACTS.csv --keep-contracted``:
what became of each contracted route (``routing/transport/keep_contracted.py``), for
summary.json and changes.json, and the plan's routes priced: the kept ones by their contract
beside the model's estimate, the others (re-planned: to tender) listed without one."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from sendplan.api.changes import Replanned, replan_from_files
from sendplan.api.changes_report import changes_report
from sendplan.api.contracts import in_force_route_ids, read_contracts
from sendplan.api.locations import PostcodeLookup
from sendplan.errors import visible
from sendplan.logs import get_logger
from sendplan.routing.model import Scenario
from sendplan.routing.transport.contracts import Contract, price_contracts
from sendplan.routing.transport.keep_contracted import KeptRoute
from sendplan.routing.transport.plan import Session
from sendplan.routing.travel import TravelModels
from sendplan.routing.vrp.stop import StopCriterion

log = get_logger(__name__)

NOTE = (
    "routes whose contract is in force on as_of (every contract without an as_of date) are kept "
    "as they are: same vehicle and layout, same riders in the same order at the same times; a "
    "change that takes riders off one leaves the rest as they were. The other children are "
    "re-planned with continuity (the policy's disruption weights: only what must change "
    "changes), or from scratch when both weights are 0. routes_not_kept names every route one "
    "of whose runs was not kept, by the first such run's status; one kept in another session "
    "is still priced by its contract (routes_kept_in_another_session)."
)


def replan_with_contracts(
    scenario: Scenario,
    baseline: Path,
    changes: Path | None,
    contracts: Path | None,
    *,
    models: Callable[[Scenario], TravelModels],
    sessions: Sequence[Session],
    stop: StopCriterion,
    seed: int,
    postcodes: PostcodeLookup | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Replanned, dict[str, Any]]:
    """The baseline re-planned after ``changes`` (None: none), keeping the routes whose
    contract in ``contracts`` is in force (None: keeping none), and its changes.json: what
    `sendplan routes --baseline` and the service's changes jobs both run."""
    priced = None if contracts is None else read_contracts(contracts)
    keep = None if priced is None else in_force_route_ids(priced, scenario.as_of)
    replanned = replan_from_files(
        scenario, baseline, changes, models=models, sessions=sessions, stop=stop, seed=seed,
        postcodes=postcodes, progress=progress, keep=keep,
    )  # fmt: skip
    if priced is not None:
        replanned = with_kept_contracts(replanned, priced)
    report = changes_report(replanned, seed=seed, work_limit=repr(stop))
    if replanned.result.summary.kept_contracted is not None:
        report["kept_contracted"] = replanned.result.summary.kept_contracted
    return replanned, report


def with_kept_contracts(replanned: Replanned, contracts: Sequence[Contract]) -> Replanned:
    """``replanned`` with its summary's ``contracts`` (the plan's routes priced: kept routes by
    contract beside the model's estimate) and ``kept_contracted`` (what became of each)."""
    result = replanned.result
    scenario = result.scenario
    as_of = scenario.as_of
    kept_somewhere = {k.route_id for k in replanned.kept if k.kept}
    gone: dict[str, str] = {}
    for k in replanned.kept:  # session order: a route kept in no session, by its first reason
        if k.route_id not in kept_somewhere:
            gone.setdefault(k.route_id, k.status)
    evaluation: dict[str, Mapping[str, object]] = {
        p.session: {
            "routes_costed": [
                {"route_id": r.route_id, "cost_gbp": round(r.cost_gbp, 2)} for r in p.routes
            ]
        }
        for p in result.transport
    }
    priced = price_contracts(
        contracts, evaluation, as_of=as_of, days_per_year=scenario.policy.school_days_per_year,
        gone=gone, unplanned=replanned.unplanned_routes,
    )  # fmt: skip
    priced["routes_not_kept"], priced["routes_kept_in_another_session"] = not_kept(replanned.kept)
    warn_not_in_force(contracts, as_of=as_of, shown=priced["as_of"])
    summary = replace(
        result.summary, contracts=priced, kept_contracted=kept_section(replanned, contracts)
    )
    return replace(replanned, result=replace(result, summary=summary))


def not_kept(kept: Sequence[KeptRoute]) -> tuple[dict[str, str], list[str]]:
    """Each contracted route one of whose runs was not kept, by the first such run's status
    (session order), also one kept in another session (a council id running AM and PM, say);
    and those kept in another session, which stay priced by their contract."""
    out: dict[str, str] = {}
    for k in kept:
        if not k.kept:
            out.setdefault(k.route_id, k.status)
    somewhere = {k.route_id for k in kept if k.kept}
    return dict(sorted(out.items())), sorted(set(out) & somewhere)


def warn_not_in_force(contracts: Sequence[Contract], *, as_of: date | None, shown: str) -> None:
    """One warning line: how many contracts are not in force, and how many routes that leaves
    with no contract in force (re-planned), naming the first; a route another of whose
    contracts is in force is kept by that one, so it is not counted."""
    off = [c for c in contracts if not c.in_force(as_of)]
    if not off:
        return
    live = {c.route_id for c in contracts if c.in_force(as_of)}
    bare = sorted({c.route_id for c in off} - live)
    n, m = len(off), len(bare)
    routes = (
        f"{m} route{'' if m == 1 else 's'} with no contract in force planned with the rest "
        f"(first: route {visible(bare[0], 40)})"
        if bare
        else "each of their routes has another contract in force"
    )
    log.warning("%d contract%s not in force on %s: %s", n, "" if n == 1 else "s", shown, routes)


def kept_section(replanned: Replanned, contracts: Sequence[Contract]) -> dict[str, Any]:
    """What became of each contracted route in force, per session (``status`` and ``why``)."""
    as_of = replanned.result.scenario.as_of
    operator = {c.route_id: c.operator for c in contracts if c.in_force(as_of)}
    continuity = replanned.keep is not None and replanned.keep.continuity
    kept = {(k.session, k.route_id) for k in replanned.kept if k.kept}
    riders = {
        c
        for p in replanned.result.transport
        for r in p.routes
        if (p.session, r.route_id) in kept
        for c in r.child_ids
    }
    return {
        "as_of": None if as_of is None else as_of.isoformat(),
        "rest_planned": "with_continuity" if continuity else "from_scratch",
        "routes_kept": len(kept),
        "children_on_kept_routes": len(riders),
        "routes": [
            {
                "route_id": k.route_id,
                "session": k.session,
                "operator": operator.get(k.route_id, ""),
                "status": k.status,
                "why": k.why,
                "riders_before": k.riders_before,
                "riders_now": k.riders_now,
                "riders_left": list(k.riders_left),
            }
            for k in sorted(replanned.kept, key=lambda k: (k.route_id, k.session))
        ],
        "note": NOTE,
    }
