"""Write a solved scenario's files (summary, placements, explanations, report, routes, review),
byte-deterministic: the same Result gives the same bytes.

:func:`write_outputs` writes them all atomically with a manifest.json (DESIGN.md promise 10);
every text cell of a CSV file is neutralised against formula injection (promise 11).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path

from sendplan.api.atomic import atomic_output
from sendplan.api.gpkg import write_results_gpkg
from sendplan.api.invocation import current_command
from sendplan.api.json_files import write_json
from sendplan.api.manifest import write_manifest
from sendplan.api.measures import with_status_quo_measures
from sendplan.api.neutralise import csv_row
from sendplan.api.placement_rows import PLACEMENT_COLUMNS, csv_text, placement_rows
from sendplan.api.placements_xlsx import write_placements_xlsx
from sendplan.api.report import write_report
from sendplan.api.route_lines import route_lines
from sendplan.api.transport_io import write_route_sheets, write_routes_geojson, write_routes_json
from sendplan.routing.model import Scenario
from sendplan.routing.placement.explain import Explanation
from sendplan.routing.placement.plan import PlacementPlan
from sendplan.routing.result import Result
from sendplan.routing.summary import Summary
from sendplan.routing.transport.eligibility import TransportReview


def write_summary(summary: Summary, path: Path) -> None:
    """summary.json with sorted keys, so the same plan gives the same bytes."""
    write_json(summary.to_dict(), path)


def write_explanations_json(explanations: Sequence[Explanation], path: Path) -> None:
    """explanations.json: per child, the alternatives and the first preference's cost."""
    path.write_text(
        json.dumps([e.to_dict() for e in explanations], indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )


def write_placements_csv(
    scenario: Scenario,
    plan: PlacementPlan,
    path: Path,
    explanations: Sequence[Explanation] = (),
) -> None:
    """One row per child (placed or unplaced), ordered by child_id; pseudonymous ids only.

    The columns and their meaning: :mod:`sendplan.api.placement_rows` (each child's unrounded
    travel and objective terms included); booleans as ``true``/``false``, empty cells empty.
    """
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PLACEMENT_COLUMNS)
        writer.writerows(
            csv_row([csv_text(c, row[c]) for c in PLACEMENT_COLUMNS])
            for row in placement_rows(scenario, plan, explanations)
        )


TRANSPORT_KEYS = (
    "transported", "vehicles", "routes", "transport_cost_gbp_per_day",
    "transport_cost_gbp_per_year", "transport_cost_basis", "max_ride_min", "rides_over_limit",
    "solo_routes", "mixed_school_routes", "unrouted", "transport_checker_ok", "sessions",
    "walking_distance_flags", "ptb_cheaper_than_seat",
)  # fmt: skip


def write_outputs(
    result: Result,
    out: Path,
    *,
    command: Sequence[str] | None = None,
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Every output file of a solved scenario, then manifest.json, into ``out``, atomically.

    The files are written into a new folder beside ``out`` and swapped in only when all of them
    (and ``extra(folder)``, e.g. the demo's ``scenario/`` copy) are written; on any error or
    interrupt ``out`` keeps the previous results whole (see :mod:`sendplan.api.atomic`).
    ``command`` is recorded in the manifest; by default the running CLI command, or None.
    An ``out`` that is a file, or a folder of other files, raises InputError naming ``--out``.
    """
    with atomic_output(Path(out)) as folder:
        write_files(result, folder)
        if extra is not None:
            extra(folder)
        recorded = command if command is not None else current_command()
        write_manifest(folder, result.summary, command=recorded)
    return Path(out)


def write_result(result: Result, out_dir: Path) -> Path:
    """Every output file of a solved scenario into ``out_dir``, atomically, with its manifest
    (what ``Result.write`` and the commands call; see :func:`write_outputs`)."""
    return write_outputs(result, out_dir)


def write_files(result: Result, out_dir: Path) -> Path:
    """Every output file of a solved scenario into the folder ``out_dir`` (created if missing),
    in place and without a manifest: callers want :func:`write_outputs`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = with_status_quo_measures(result)
    scenario, summary = result.scenario, result.summary
    write_summary(summary, out_dir / "summary.json")
    if result.placement is not None:
        write_placements_csv(scenario, result.placement, out_dir / "placements.csv",
                             result.explanations)  # fmt: skip
        write_placements_xlsx(scenario, result.placement, out_dir / "placements.xlsx",
                              result.explanations)  # fmt: skip
        write_explanations_json(result.explanations, out_dir / "explanations.json")
    lines = route_lines(result)  # along the roads when solved on a road network
    write_report(result, out_dir / "report.html", lines=lines)
    if result.transport:
        data = summary.to_dict()
        kpis = {key: data[key] for key in TRANSPORT_KEYS}
        write_routes_json(scenario, result.transport, out_dir / "routes.json", kpis=kpis)
        write_routes_geojson(scenario, result.transport, out_dir / "routes.geojson",
                             lines=lines)  # fmt: skip
        write_route_sheets(scenario, result.transport, out_dir / "route_sheets.xlsx")
    if result.review is not None:
        write_review_csv(result.review, out_dir / "transport_review.csv")
    if result.evaluation is not None:
        write_json(result.evaluation, out_dir / "evaluation.json")
    write_results_gpkg(result, out_dir / "results.gpkg", lines=lines)
    return out_dir


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def write_review_csv(review: TransportReview, path: Path) -> None:
    """transport_review.csv: per child, the walking-distance flag and the PTB beside the seat's
    average cost (its route shared by its riders) and marginal cost (the detour it adds)."""
    flags = {f.child_id: f for f in review.flags}
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            ["child_id", "school_id", "distance_km", "within_walking_distance",
             "walking_limit_km", "ptb_gbp_per_year", "seat_average_gbp_per_year",
             "seat_marginal_gbp_per_year", "ptb_cheaper_than_average_seat"]
        )  # fmt: skip
        for o in review.options:
            f = flags.get(o.child_id)
            w.writerow(csv_row(
                [o.child_id, o.school_id, f"{o.distance_m / 1000:.2f}", "yes" if f else "no",
                 f"{f.limit_m / 1000:.2f}" if f else "",
                 f"{o.ptb_gbp_per_year:.2f}",
                 _money(o.seat_average_gbp_per_year), _money(o.seat_marginal_gbp_per_year),
                 "yes" if o.ptb_cheaper else "no"]
            ))  # fmt: skip
