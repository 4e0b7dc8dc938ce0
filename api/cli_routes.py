"""`sendplan routes`: plan AM/PM transport for a scenario, write the outputs, evaluate old routes.

``routes`` is mounted by the main CLI as ``sendplan routes``; :func:`run_transport` is shared
with ``sendplan demo``.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from sendplan.api.cli_common import (
    OutOption,
    PostcodesOption,
    SeedOption,
    fail_cleanly,
    load_with_postcodes,
    progress,
)
from sendplan.api.errors import InputError
from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario
from sendplan.routing.plan import PlacementPlan
from sendplan.routing.stop import StopCriterion, work_limit
from sendplan.routing.transport_plan import Session, TransportPlan


class SessionChoice(StrEnum):
    am = "am"
    pm = "pm"
    both = "both"


def sessions_of(choice: str) -> tuple[Session, ...]:
    return ("am", "pm") if choice == "both" else (("am",) if choice == "am" else ("pm",))


def transport_kpis(
    scenario: Scenario, plans: Sequence[TransportPlan], checks_ok: bool
) -> dict[str, Any]:
    """The transport KPIs of DESIGN.md's summary (plus checker_ok and unrouted).

    Cost per day sums the planned sessions; with one session planned it is doubled (the other
    run of the day is assumed to cost the same) and ``transport_cost_basis`` says so.
    """
    routes = [r for p in plans for r in p.routes]
    day = sum(p.cost_gbp for p in plans)
    basis = "+".join(p.session for p in plans)
    if len(plans) == 1:
        day, basis = 2 * day, f"{plans[0].session} x 2"
    rides = [s.ride_min for r in routes for s in r.stops]
    limits = {c.child_id: scenario.policy.max_ride_min(c) for c in scenario.children}
    over = sum(1 for r in routes for s in r.stops if s.ride_min > limits[s.child_id] + 1e-6)
    return {
        "transported": len({c for r in routes for c in r.child_ids}),
        "vehicles": max((len(p.routes) for p in plans), default=0),
        "routes": len(routes),
        "transport_cost_gbp_per_day": round(day, 2),
        "transport_cost_gbp_per_year": round(day * scenario.policy.school_days_per_year, 2),
        "transport_cost_basis": basis,
        "max_ride_min": round(max(rides), 2) if rides else None,
        "rides_over_limit": over,
        "solo_routes": sum(r.solo for r in routes),
        "mixed_school_routes": sum(r.mixed for r in routes),
        "unrouted": len({u.child_id for p in plans for u in p.unrouted}),
        "checker_ok": checks_ok,
        "sessions": [p.session for p in plans],
    }


def run_transport(
    scenario: Scenario,
    placement: PlacementPlan | None,
    out_dir: Path,
    *,
    travel: TravelModel,
    sessions: Sequence[Session],
    stop: StopCriterion,
    seed: int,
    progress: Callable[[str], None] | None = None,
    walk_travel: TravelModel | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Plan each session, check it, write routes.json, routes.geojson, route_sheets.xlsx and
    transport_review.csv (walking-distance flags, personal transport budgets); return KPIs."""
    kpis, _plans = plan_and_write(
        scenario, placement, out_dir, travel=travel, sessions=sessions, stop=stop, seed=seed,
        progress=progress, walk_travel=walk_travel, workers=workers,
    )  # fmt: skip
    return kpis


def plan_and_write(
    scenario: Scenario,
    placement: PlacementPlan | None,
    out_dir: Path,
    *,
    travel: TravelModel,
    sessions: Sequence[Session],
    stop: StopCriterion,
    seed: int,
    progress: Callable[[str], None] | None = None,
    walk_travel: TravelModel | None = None,
    workers: int | None = None,
) -> tuple[dict[str, Any], list[TransportPlan]]:
    """:func:`run_transport`, also returning the plans."""
    from sendplan.api.transport_io import (
        write_route_sheets,
        write_routes_geojson,
        write_routes_json,
    )
    from sendplan.routing.transport import plan_transport, school_of_children
    from sendplan.routing.transport_check import check_transport

    say = progress or (lambda _msg: None)
    school_of = school_of_children(scenario, placement)
    plans, ok = [], True
    for session in sessions:
        plan = plan_transport(
            scenario, placement, travel, session=session, stop=stop, seed=seed,
            progress=say, workers=workers,
        )  # fmt: skip
        check = check_transport(scenario, school_of, travel, plan)
        ok = ok and check.ok
        plans.append(plan)
    kpis = transport_kpis(scenario, plans, ok)
    out_dir.mkdir(parents=True, exist_ok=True)
    say("writing routes")
    write_routes_json(scenario, plans, out_dir / "routes.json", kpis=kpis)
    write_routes_geojson(scenario, plans, out_dir / "routes.geojson")
    write_route_sheets(scenario, plans, out_dir / "route_sheets.xlsx")
    flagged, cheaper = write_review(
        scenario, school_of, travel, plans, out_dir / "transport_review.csv", walk_travel
    )
    kpis["walking_distance_flags"] = flagged
    kpis["ptb_cheaper_than_seat"] = cheaper
    return kpis, plans


def write_review(
    scenario: Scenario,
    school_of: dict[str, str | None],
    travel: TravelModel,
    plans: Sequence[TransportPlan],
    path: Path,
    walk_travel: TravelModel | None = None,
) -> tuple[int, int]:
    """transport_review.csv: per child, walking-distance flag and PTB beside the seat's cost."""
    from sendplan.routing.eligibility import ptb_options, walking_distance_flags

    flags = {
        f.child_id: f for f in walking_distance_flags(scenario, school_of, walk_travel or travel)
    }
    options = ptb_options(scenario, school_of, travel, plans)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            ["child_id", "school_id", "distance_km", "within_walking_distance",
             "walking_limit_km", "ptb_gbp_per_year", "seat_gbp_per_year", "ptb_cheaper"]
        )  # fmt: skip
        for o in options:
            f = flags.get(o.child_id)
            w.writerow(
                [o.child_id, o.school_id, f"{o.distance_m / 1000:.2f}", "yes" if f else "no",
                 f"{f.limit_m / 1000:.2f}" if f else "",
                 f"{o.ptb_gbp_per_year:.2f}",
                 "" if o.seat_gbp_per_year is None else f"{o.seat_gbp_per_year:.2f}",
                 "yes" if o.ptb_cheaper else "no"]
            )  # fmt: skip
    return len(flags), sum(o.ptb_cheaper for o in options)


def matrix_cache_dir() -> Path:
    """Where road-network matrices are cached: $SENDPLAN_CACHE_DIR, else ~/.cache/sendplan."""
    root = os.environ.get("SENDPLAN_CACHE_DIR") or Path.home() / ".cache" / "sendplan"
    return Path(root) / "matrices"


def travel_model_for(
    scenario: Scenario, *, network: Path | None, matrix: Path | None
) -> tuple[TravelModel, TravelModel | None]:
    """The drive model (and the walk model when a network is given) the user asked for."""
    from sendplan.api.pipeline import default_travel_model

    if network is not None and matrix is not None:
        raise InputError("command line", "give --network or --matrix, not both")
    if matrix is not None:
        from sendplan.geo.external_matrix import ExternalMatrixModel, scenario_points

        points = scenario_points(
            [(c.child_id, c.lon, c.lat) for c in scenario.children],
            [(s.school_id, s.lon, s.lat) for s in scenario.schools],
            [(v.name, v.depot_lon, v.depot_lat) for v in scenario.fleet],
        )
        return ExternalMatrixModel.from_csv(matrix, points), None
    if network is not None:
        from sendplan.geo.network_model import NetworkTravelModel

        drive = NetworkTravelModel.from_file(
            network,
            max_snap_m=scenario.policy.max_snap_m,
            congestion_factor=scenario.policy.am_peak_congestion_factor,
            cache_dir=matrix_cache_dir(),
        )
        # Snap every point up front so a point too far from the roads is named by its id.
        groups: list[tuple[str, list[str], list[tuple[float, float]]]] = [
            ("child", [c.child_id for c in scenario.children],
             [(c.lon, c.lat) for c in scenario.children]),
            ("school", [s.school_id for s in scenario.schools],
             [(s.lon, s.lat) for s in scenario.schools]),
            ("depot of", [v.name for v in scenario.fleet],
             [(v.depot_lon, v.depot_lat) for v in scenario.fleet]),
        ]  # fmt: skip
        for kind, ids, lonlat in groups:
            if ids:
                drive.snap(np.asarray(lonlat, dtype=float), ids=[f"{kind} {i}" for i in ids])
        try:
            walk: TravelModel | None = drive.walking()
        except Exception:  # a drive-only network: walking distance falls back to driving
            walk = None
        return drive, walk
    return default_travel_model(scenario), None


def routes(
    scenario_path: Annotated[
        Path, typer.Argument(metavar="SCENARIO", help="Scenario folder or .xlsx workbook.")
    ],
    out: OutOption = Path("sendplan-routes"),
    network: Annotated[
        Path | None, typer.Option("--network", help="A road network built by `network build`.")
    ] = None,
    matrix: Annotated[
        Path | None,
        typer.Option("--matrix", help="CSV from_id,to_id,seconds,metres from another router."),
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds of search per session.")
    ] = 60.0,
    session: Annotated[
        SessionChoice, typer.Option("--session", help="Which runs to plan.")
    ] = SessionChoice.am,
    evaluate: Annotated[
        Path | None,
        typer.Option("--evaluate", help="CSV of the current routes to check and compare."),
    ] = None,
    seed: SeedOption = 1,
    postcodes: PostcodesOption = None,
    iterations: Annotated[
        int | None,
        typer.Option(
            "--iterations",
            help="Search iterations per school instead of a time limit (reproducible).",
        ),
    ] = None,
    mixed_schools: Annotated[
        bool | None,
        typer.Option(
            "--mixed-schools/--single-school",
            help="Allow runs serving several nearby schools when cheaper (default: the "
            "scenario's policy mixed_school_routes).",
        ),
    ] = None,
) -> None:
    """Plan home-to-school routes for every transport-eligible child of a scenario."""

    def run() -> None:
        from sendplan.routing.placement import place

        with progress() as say:
            say(f"reading {scenario_path.name}")
            scenario = load_with_postcodes(scenario_path, postcodes)
            if mixed_schools is not None:
                policy = replace(scenario.policy, mixed_school_routes=mixed_schools)
                scenario = replace(scenario, policy=policy)
            drive, walk = travel_model_for(scenario, network=network, matrix=matrix)
            placement = None
            if not all(c.current_school for c in scenario.children):
                say(f"placing {len(scenario.children):,} children")
                placement = place(scenario, drive)
            stop = work_limit(time_limit_s=time_limit, iterations=iterations)
            sessions = sessions_of(session.value)
            kpis, plans = plan_and_write(
                scenario, placement, out, travel=drive, sessions=sessions, stop=stop,
                seed=seed, progress=say, walk_travel=walk,
            )  # fmt: skip
            summary: dict[str, Any] = {
                "children": len(scenario.children),
                "travel_model": drive.name,
                "seed": seed,
            }
            if placement is not None:
                from sendplan.routing.kpis import summarise_placement

                summary.update(summarise_placement(scenario, placement).to_dict())
            summary.update(kpis)
            if evaluate is not None:
                say(f"evaluating {evaluate.name}")
                summary["evaluation"] = evaluate_existing(
                    scenario, placement, drive, evaluate, out, plans=plans
                )
            (out / "summary.json").write_text(
                json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
        typer.echo(
            f"{kpis['transported']} children on {kpis['routes']} routes, "
            f"£{kpis['transport_cost_gbp_per_day']:,.2f} a day "
            f"({kpis['transport_cost_basis']}), checker "
            f"{'ok' if kpis['checker_ok'] else 'FAILED'}; outputs in {out}"
        )

    fail_cleanly(run)


def evaluate_existing(
    scenario: Scenario,
    placement: PlacementPlan | None,
    travel: TravelModel,
    path: Path,
    out_dir: Path,
    *,
    plans: Sequence[TransportPlan],
) -> dict[str, Any]:
    """Check the existing routes, compare each with the new plan; write evaluation.json.

    Existing routes take each child to the school they name: the placement or current_school
    of the child is the reference, so a child routed elsewhere is a violation.
    """
    from sendplan.api.transport_io import read_existing_routes
    from sendplan.routing.evaluate import evaluate_routes, saving
    from sendplan.routing.transport import school_of_children

    stops = read_existing_routes(path, scenario)
    school_of = school_of_children(scenario, placement)
    report: dict[str, Any] = {}
    for session in sorted({s.session for s in stops}):
        ev = evaluate_routes(scenario, school_of, travel, stops, session=session)
        entry: dict[str, Any] = {
            "cost_gbp": round(ev.cost_gbp, 2),
            "routes": len(ev.plan.routes),
            "max_ride_min": round(max(ev.check.rides_min.values(), default=0.0), 2),
            "rides_over_limit": list(ev.check.rides_over_limit),
            "violations": list(ev.violations),
        }
        new = next((p for p in plans if p.session == session), None)
        if new is not None:
            entry["saving"] = saving(ev, new, days_per_year=scenario.policy.school_days_per_year)
        report[session] = entry
    (out_dir / "evaluation.json").write_text(
        json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return {
        s: {k: (len(v) if isinstance(v, list) else v) for k, v in e.items()}
        for s, e in report.items()
    }
