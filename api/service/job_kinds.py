"""What each kind of job does, given its scenario on disk: the same loader and library calls as
the CLI (``place``, ``routes``, ``forecast``, ``expand``, ``sweep``) and the same output files.

``placement`` places only; ``transport`` plans routes (placing too unless every child has a
current school, as `sendplan routes` does); ``both`` places and plans routes; ``changes``
re-plans a routed job's routes (its routes.json, the runner's ``base_routes``) after mid-year
changes (``changes_csv``, CHANGES.csv's text) with continuity, as `sendplan routes --baseline
--changes` does, keeping the routes whose contract is in force when given ``contracts_csv``
(CONTRACTS.csv's text, as ``--contracts --keep-contracted``), writing changes.json beside the
usual files. The solve kinds may take a
``what_if`` (locks, must-admit schools, policy weights, expansion options:
:mod:`sendplan.api.what_if_params`), applied before solving and echoed in what_if.json. ``forecast``
writes forecast.csv/.json/.html (the shipped Leicester parameters), ``expansion``
expansion.json/.csv (the scenario's options.csv, else the shipped options), ``sweep`` the sweep's
results.csv/.jsonl, sweep.json and sweep.html (variants one by one in this process: a Dask task
starts no cluster of its own). Each of these three also writes summary.json.

With the service's road network (``road_network``, SENDPLAN_ROAD_NETWORK) the planning kinds and
``expansion`` travel on its roads, as the CLI's ``--network``; every summary.json records its
``travel_model``. A sweep's variants travel in straight lines (its library call takes no network).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sendplan.api.cli_common import parse_year_range
from sendplan.api.loader import load_scenario
from sendplan.errors import InputError
from sendplan.routing.placement.movers import MOVERS_RULES, MoversRule
from sendplan.routing.placement.place import MODES
from sendplan.routing.transport.plan import Session
from sendplan.routing.vrp.stop import StopCriterion

if TYPE_CHECKING:
    from sendplan.api.service.runner import JobControl
    from sendplan.routing.model import Scenario
    from sendplan.routing.travel import TravelModels
    from sendplan.routing.what_if_apply import WhatIf

SOLVE_KINDS = ("placement", "transport", "both")
MEDIA_TYPES = {
    ".json": "application/json", ".geojson": "application/geo+json", ".csv": "text/csv",
    ".jsonl": "application/x-ndjson", ".html": "text/html", ".svg": "image/svg+xml",
    ".gpkg": "application/geopackage+sqlite3",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}  # fmt: skip

StopFactory = Callable[[int, "JobControl"], StopCriterion]


def _bad(field: str, message: str) -> InputError:
    return InputError("params", message, field=field)


def _int(params: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(key, f"must be a whole number {low}..{high}")
    return value


def _choice(params: dict[str, Any], key: str, default: str, allowed: tuple[str, ...]) -> str:
    value = params.get(key, default)
    if value not in allowed:
        raise _bad(key, f"must be one of {', '.join(allowed)}")
    return str(value)


def _years(params: dict[str, Any]) -> tuple[int, int]:
    text = params.get("years")
    if not isinstance(text, str):
        raise _bad("years", "give the years as FIRST-LAST, e.g. 2026-2031")
    try:
        return parse_year_range(text)
    except InputError as err:
        raise _bad("years", err.message) from None


def run(
    kind: str,
    params: dict[str, Any],
    source: Path,
    out: Path,
    *,
    control: JobControl,
    stop: StopFactory,
    base_schools: Mapping[str, str | None] | None = None,
    base_routes: bytes | None = None,
    road_network: Path | None = None,
) -> None:
    """Run a job of ``kind`` on the scenario at ``source``; write its files into ``out``.
    ``base_schools``: a what-if's base job's placements (see :func:`placed_schools`), for
    what_if.json's school before each lock. ``base_routes``: a changes job's base routes.json.
    ``road_network``: the network file to travel on (None: straight lines)."""
    if kind in SOLVE_KINDS:
        _solve(kind, params, source, out, control=control, stop=stop, base_schools=base_schools,
               road_network=road_network)  # fmt: skip
    elif kind == "forecast":
        _forecast(params, source, out)
    elif kind == "expansion":
        _expansion(params, source, out, control=control, road_network=road_network)
    elif kind == "sweep":
        _sweep(params, source, out, control=control)
    elif kind == "changes":
        _changes(params, source, out, control=control, stop=stop, base_routes=base_routes,
                 road_network=road_network)  # fmt: skip
    else:
        raise _bad("kind", f"unknown job kind {kind!r}")


def _travel(scenario: Scenario, road_network: Path | None, *, control: JobControl) -> TravelModels:
    """The scenario's travel models: on ``road_network`` when given (a point too far from its
    roads is an InputError naming the child, school or depot), else straight lines."""
    from sendplan.routing.travel import travel_models

    if road_network is None:
        return travel_models(scenario)
    if not road_network.is_file():
        # The operator's setting, not the planner's input: an internal error, named in the
        # worker's log (a joined worker must see the file at the service's path).
        raise RuntimeError(f"the road network {road_network} is not a file on this worker")
    control.say("snapping to the road network")
    return travel_models(scenario, network=road_network)


def _work(params: dict[str, Any]) -> tuple[int, int]:
    """The seed and the search iterations of a planning job."""
    return _int(params, "seed", 1, 0, 2**31 - 1), _int(params, "iterations", 300, 1, 100_000)


def _sessions(params: dict[str, Any]) -> tuple[Session, ...]:
    raw = params.get("sessions", ["am", "pm"])
    if not isinstance(raw, list) or not raw or any(s not in ("am", "pm") for s in raw):
        raise _bad("sessions", 'give a list of "am" and/or "pm"')
    return tuple("am" if s == "am" else "pm" for s in dict.fromkeys(raw))


def _solve(
    kind: str,
    params: dict[str, Any],
    source: Path,
    out: Path,
    *,
    control: JobControl,
    stop: StopFactory,
    base_schools: Mapping[str, str | None] | None,
    road_network: Path | None,
) -> None:
    from sendplan.api.outputs import write_files
    from sendplan.routing.solve import solve

    seed, iterations = _work(params)
    mode = _choice(params, "mode", "weighted", MODES)
    chosen = _choice(params, "movers", "phase_transfer", MOVERS_RULES)
    movers: MoversRule = next(rule for rule in MOVERS_RULES if rule == chosen)
    sessions = () if kind == "placement" else _sessions(params)
    control.say("reading the scenario")
    scenario = original = load_scenario(source)
    echo: dict[str, Any] | None = None
    what_if: WhatIf | None = None
    must_admit: tuple[str, ...] = ()
    if params.get("what_if") is not None:
        scenario, what_if, echo = _what_if(params["what_if"], source, scenario, base_schools)
        must_admit = what_if.must_admit
    travel = _travel(scenario, road_network, control=control)
    result = solve(
        scenario, sessions=sessions, stop=stop(iterations, control), seed=seed,
        travel=travel, placement="auto" if kind == "transport" else "solve",
        mode=mode, movers=movers, progress=control.say,
        must_admit=must_admit,
        status_quo_of=original,  # a what-if's locks are not the children's current schools
    )  # fmt: skip
    if what_if is not None and result.placement is not None:
        from sendplan.routing.what_if_apply import relabel_what_if_locks

        relabelled = relabel_what_if_locks(result.placement, what_if)
        result = dataclasses.replace(result, placement=relabelled)
    control.say("writing outputs")
    write_files(result, out)
    if echo is not None:
        _write_json(out / "what_if.json", echo)


def _changes(
    params: dict[str, Any],
    source: Path,
    out: Path,
    *,
    control: JobControl,
    stop: StopFactory,
    base_routes: bytes | None,
    road_network: Path | None,
) -> None:
    """The base job's routes re-planned after the changes, with continuity, keeping the routes
    whose contract is in force when ``contracts_csv`` is given: the files of a transport job
    and changes.json. The inputs go into a folder beside ``out`` under the names errors give
    (``changes.csv row 3, field child_id: ...``)."""
    from sendplan.api.changes_cli import CHANGES_REPORT
    from sendplan.api.json_files import write_json
    from sendplan.api.keep_contracted import replan_with_contracts
    from sendplan.api.outputs import write_files
    from sendplan.api.service.schemas import CHANGES_NEED

    if base_routes is None:
        raise _bad(
            "base_job", "the base job has no routes.json (was it a routed job that succeeded?)"
        )
    texts = {key: params.get(key) for key in ("changes_csv", "contracts_csv")}
    for key, text in texts.items():
        if text is not None and not isinstance(text, str):
            raise _bad(key, "give the file as CSV text")
    if texts["changes_csv"] is None and texts["contracts_csv"] is None:
        raise _bad("changes_csv", CHANGES_NEED)
    seed, iterations = _work(params)
    sessions = _sessions(params)
    inputs = out.parent / "changes_inputs"
    inputs.mkdir(exist_ok=True)
    baseline = inputs / "routes.json"
    baseline.write_bytes(base_routes)
    files: dict[str, Path | None] = {}
    for key, name in (("changes_csv", "changes.csv"), ("contracts_csv", "contracts.csv")):
        path = None if texts[key] is None else inputs / name
        if path is not None:
            path.write_text(str(texts[key]), encoding="utf-8", newline="")
        files[key] = path
    control.say("reading the scenario")
    scenario = load_scenario(source)

    def models(of: Scenario) -> TravelModels:
        return _travel(of, road_network, control=control)

    criterion = stop(iterations, control)
    replanned, report = replan_with_contracts(
        scenario, baseline, files["changes_csv"], files["contracts_csv"], models=models,
        sessions=sessions, stop=criterion, seed=seed, progress=control.say,
    )  # fmt: skip
    control.say("writing outputs")
    write_files(replanned.result, out)
    write_json(report, out / CHANGES_REPORT)


def _what_if(
    document: Any, source: Path, scenario: Scenario, base_schools: Mapping[str, str | None] | None
) -> tuple[Scenario, WhatIf, dict[str, Any]]:
    """``scenario`` with the what-if applied (InputError naming the field when it cannot, so
    the job fails with that reason), the what-if, and the echo for what_if.json (each lock's
    school before: the base job's placement when ``base_schools`` is given)."""
    from sendplan.api.what_if_params import named_error, parse_what_if, scenario_options
    from sendplan.routing.what_if_apply import WhatIfError, apply_what_if, what_if_echo

    what_if, base_job = parse_what_if(document)
    options = scenario_options(source, scenario) if what_if.options else ()
    try:
        changed = apply_what_if(scenario, what_if, options=options)
    except WhatIfError as err:
        raise named_error(err) from None
    echo = {**what_if_echo(scenario, what_if, options, base_schools=base_schools),
            "base_job": base_job}  # fmt: skip
    return changed, what_if, echo


def placed_schools(placements_csv: bytes) -> dict[str, str | None]:
    """A base job's placements.csv as child id -> school id (None when unplaced)."""
    from sendplan.api.neutralise import restore

    reader = csv.DictReader(io.StringIO(placements_csv.decode("utf-8-sig")))
    return {
        restore(row["child_id"]): restore(row.get("school_id") or "") or None
        for row in reader
        if row.get("child_id")
    }


def _forecast(params: dict[str, Any], source: Path, out: Path) -> None:
    from sendplan.api.cli_forecast import report_html
    from sendplan.api.forecasting import forecast
    from sendplan.data.forecast_params import LEICESTER

    first, last = _years(params)
    scenario = load_scenario(source, require_children=False)
    result = forecast(scenario, years=(first, last))
    document: dict[str, Any] = {
        "la_code": LEICESTER,
        "origin_year": result.params.origin_year,
        "years": [first, last],
        "parameters": dict(asdict(result.params)),
        "totals": result.totals.to_dict(orient="records"),
        "cohort": result.cohort.to_dict(orient="records"),
        "sufficiency": result.sufficiency.to_dict(orient="records"),
    }
    result.sufficiency.to_csv(out / "forecast.csv", index=False)
    _write_json(out / "forecast.json", document)
    (out / "forecast.html").write_text(
        report_html(document, result.totals, result.sufficiency), encoding="utf-8"
    )
    short = result.sufficiency
    short = short[(short["need"] == "all") & (short["surplus"] < 0)]
    _write_json(out / "summary.json", {"kind": "forecast", "years": [first, last],
                                       "phase_years_short": len(short)})  # fmt: skip


def _expansion(
    params: dict[str, Any],
    source: Path,
    out: Path,
    *,
    control: JobControl,
    road_network: Path | None,
) -> None:
    from sendplan.api.cli_expand import CSV_COLUMNS, expansion_document, expansion_rows
    from sendplan.api.growth import growth_factors, parse_growth
    from sendplan.api.neutralise import csv_row
    from sendplan.api.options_io import read_options, shipped_options
    from sendplan.routing.planning.expand import DEFAULT_MOVERS, ExpansionError, expand
    from sendplan.routing.planning.year_cohort import base_year

    first, last = _years(params)
    # Who is placed each year, as a placement job's movers (the same choices and default).
    chosen = _choice(params, "movers", DEFAULT_MOVERS, MOVERS_RULES)
    movers: MoversRule = next(rule for rule in MOVERS_RULES if rule == chosen)
    budget = params.get("budget_gbp")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int | float)
                               or not 0 <= budget < 1e13):  # fmt: skip
        raise _bad("budget_gbp", "must be a non-negative amount in GBP, or null")
    # As the CLI's --growth; the forecast rules take the shipped parameters, as forecast jobs do.
    given = params.get("growth")
    growth = parse_growth("trend" if given is None else str(given)[:100], field="growth")
    base = load_scenario(source)
    years = list(range(first, last + 1))
    factors = growth_factors(growth, years, base_year=base_year(base), field="growth")
    options_file = source / "options.csv" if source.is_dir() else None
    if options_file is not None and options_file.is_file():
        options = read_options(options_file, base)
    else:
        options = shipped_options(base, field="options.csv", remedy="this scenario was "
                                  "uploaded without one: upload it again with the council's "
                                  "options.csv")  # fmt: skip
    travel = _travel(base, road_network, control=control).drive
    try:
        result = expand(
            base, options, years=years,
            budget_gbp=None if budget is None else float(budget), travel=travel,
            progress=control.say, movers=movers, demand_growth=factors,
        )  # fmt: skip
    except ExpansionError as err:
        raise InputError("options.csv", str(err)) from None
    document = expansion_document(result, seed=None, growth=growth)  # the job takes no seed
    _write_json(out / "expansion.json", document)
    with (out / "expansion.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_row(row) for row in expansion_rows(result))
    _write_json(out / "summary.json", {"kind": "expansion", "years": [first, last],
                                       "travel_model": travel.name,
                                       "movers_rule": movers,
                                       "growth_rule": growth.label()})  # fmt: skip


def _sweep(params: dict[str, Any], source: Path, out: Path, *, control: JobControl) -> None:
    from sendplan.api.sweep_grid import grid_from, sweep_input_error
    from sendplan.api.sweep_output import write_final
    from sendplan.api.tables import Source
    from sendplan.routing.planning.sweep import SweepCancelled, SweepError, sweep
    from sendplan.routing.travel import straight_line_model

    document = params.get("grid", {})
    if not isinstance(document, dict):
        raise _bad("grid", "give the grid as an object with GRID.toml's keys")
    grid = grid_from(document, Source("grid"))
    scenario = load_scenario(source)
    done = [0]

    def on_result(_row: dict[str, Any]) -> None:
        done[0] += 1
        control.say(f"sweep: {done[0]} variants finished")
        if control.should_stop():
            raise KeyboardInterrupt  # the sweep keeps every finished row (SweepCancelled)

    try:
        result = sweep(scenario, grid, in_process=True, on_result=on_result)
    except SweepCancelled as cancelled:
        result = cancelled.result
    except SweepError as err:
        raise sweep_input_error(err, "grid") from None
    write_final(out, result, title=scenario.name, inputs=dict(scenario.sources))
    # The variants travel on solve()'s default: the library's sweep takes no network.
    travel_model = straight_line_model(scenario).name
    _write_json(out / "summary.json", {"kind": "sweep", "variants": result.variants,
                                       "finished": len(result.rows),
                                       "cancelled": result.cancelled,
                                       "pareto": list(result.front),
                                       "travel_model": travel_model})  # fmt: skip


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=1, sort_keys=True, default=float) + "\n",
                    encoding="utf-8")  # fmt: skip


def read_outputs(out: Path) -> list[tuple[str, str, bytes]]:
    """Every file under ``out`` as (relative name, media type, bytes), sorted by name."""
    files = sorted(p for p in out.rglob("*") if p.is_file())
    unknown = "application/octet-stream"
    return [
        (p.relative_to(out).as_posix(), MEDIA_TYPES.get(p.suffix.lower(), unknown), p.read_bytes())
        for p in files
    ]
