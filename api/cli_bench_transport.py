"""`sendplan bench transport`: the default Leicester AM routes, timed and checked (one JSON).

``--baseline pyvrp --seeds 1-5`` also solves each seed with plain PyVRP per school in the same
run and prints the cost ratios (with ``--mixed-schools``, sendplan may merge nearby schools'
runs while the baseline plans each school alone); ``--anytime 5,10,30,60,120`` prints the
cost at each time limit; ``--lower-bound`` adds a proven lower bound on any single-school
plan and each plan's gap to it; ``--generated N`` uses a synthetic Leicester cohort of N children
drawn by each seed (``--generated-schools K``: moved onto K real school sites, every child
routed).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sendplan.api.cli_bench_fidelity import parse_seeds
from sendplan.api.cli_common import (
    ITERATIONS_MAX,
    TIME_LIMIT_MAX_S,
    SeedOption,
    check_iterations,
    check_seconds,
    check_time_limit,
    fail_cleanly,
)
from sendplan.errors import InputError

if TYPE_CHECKING:
    from sendplan.routing.model import Scenario
    from sendplan.routing.transport.plan import Session

BASELINES = ("pyvrp",)
MAX_ANYTIME_LIMITS = 20
GENERATED_MAX = 100_000


def parse_time_limits(text: str) -> list[float]:
    """``5,10,30``: seconds above 0, each once, in increasing order."""
    limits: list[float] = []
    for part in text.split(","):
        try:
            value = float(part.strip())
        except ValueError:
            raise InputError("--anytime", f"{part.strip()!r} is not a number of seconds") from None
        if not (math.isfinite(value) and 0 < value <= TIME_LIMIT_MAX_S):
            raise InputError(
                "--anytime", f"{part.strip()!r} is not a number of seconds above 0"
                f" (at most {TIME_LIMIT_MAX_S:.0f})"
            )  # fmt: skip
        if value not in limits:
            limits.append(value)
    if len(limits) > MAX_ANYTIME_LIMITS:
        raise InputError("--anytime", f"at most {MAX_ANYTIME_LIMITS} time limits")
    return sorted(limits)


def bench_transport_cmd(
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Scenario folder or workbook (default: Leicester)."),
    ] = None,
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", callback=check_time_limit, help="Seconds of routing search."),
    ] = 60.0,
    seed: SeedOption = 1,
    iterations: Annotated[
        int | None,
        typer.Option(
            "--iterations",
            min=1,
            max=ITERATIONS_MAX,
            callback=check_iterations,
            help="Iterations per school instead.",
        ),
    ] = None,
    session: Annotated[str, typer.Option("--session", help="am or pm.")] = "am",
    mixed_schools: Annotated[
        bool,
        typer.Option(
            "--mixed-schools",
            help="Allow mixed-school runs; also plan single-school (or, with --baseline, PyVRP"
            " per school) to compare.",
        ),
    ] = False,
    baseline: Annotated[
        str | None,
        typer.Option("--baseline", help="Also solve with plain PyVRP per school: pyvrp."),
    ] = None,
    seeds: Annotated[
        str | None,
        typer.Option("--seeds", help="With --baseline: seeds 1-5, 1,3,7 or 1-3,9 (else --seed)."),
    ] = None,
    generated: Annotated[
        int | None,
        typer.Option(
            "--generated",
            min=1,
            max=GENERATED_MAX,
            help="A synthetic Leicester cohort of N children, drawn by each seed.",
        ),
    ] = None,
    generated_schools: Annotated[
        int | None,
        typer.Option(
            "--generated-schools",
            min=1,
            max=GENERATED_MAX,
            help="With --generated: move the cohort onto its K fullest school sites, all routed.",
        ),
    ] = None,
    anytime: Annotated[
        str | None,
        typer.Option("--anytime", help="Cost at each time limit, e.g. 5,10,30,60,120 (seconds)."),
    ] = None,
    lower_bound: Annotated[
        bool,
        typer.Option(
            "--lower-bound",
            help="Also prove a lower bound on any single-school plan (column generation) and"
            " print each plan's gap to it.",
        ),
    ] = False,
    bound_time_limit: Annotated[
        float,
        typer.Option(
            "--bound-time-limit",
            callback=check_seconds,
            help="Seconds of cheap rounds for --lower-bound; an exact round then ends it.",
        ),
    ] = 900.0,
) -> None:
    """Plan one session of routes and print children, routes, cost, rule checks and seconds."""

    def run() -> None:
        # Imported here, as every command's library code is: `--help` and usage errors need none.
        from sendplan.api.defaults import leicester_scenario
        from sendplan.api.loader import load_scenario
        from sendplan.bench.generated import concentrate
        from sendplan.bench.transport import run_transport_bench
        from sendplan.bench.transport_compare import run_anytime_bench, run_baseline_bench
        from sendplan.routing.vrp.stop import MaxRuntime

        if session not in ("am", "pm"):
            raise InputError("command line", f"--session {session!r} is not am or pm")
        when: Session = "am" if session == "am" else "pm"
        if baseline is not None and baseline not in BASELINES:
            raise InputError("--baseline", f"{baseline!r} is not one of {', '.join(BASELINES)}")
        if scenario is not None and generated is not None:
            raise InputError("command line", "--scenario and --generated exclude each other")
        if generated_schools is not None and generated is None:
            raise InputError("--generated-schools", "needs --generated")
        if seeds is not None and baseline is None:
            raise InputError("--seeds", "needs --baseline (a single run takes --seed)")
        if anytime is not None and (baseline is not None or iterations is not None):
            raise InputError("--anytime", "excludes --baseline and --iterations")
        if mixed_schools and anytime is not None:
            raise InputError("--mixed-schools", "excludes --anytime")
        if lower_bound and (mixed_schools or anytime is not None):
            raise InputError(
                "--lower-bound",
                "bounds single-school plans: excludes --mixed-schools and --anytime",
            )
        bound_stop = MaxRuntime(bound_time_limit) if lower_bound else None
        wanted = parse_seeds(seeds) if seeds is not None else [seed]
        limits = parse_time_limits(anytime) if anytime is not None else []
        loaded = None if scenario is None else load_scenario(scenario)

        def drawn_for(s: int) -> Scenario:
            if loaded is not None:
                return loaded
            if generated is not None:
                drawn = leicester_scenario(seed=s, n_children=generated)
                if generated_schools is None:
                    return drawn
                return concentrate(drawn, schools=generated_schools)
            return leicester_scenario()

        def scenario_of(s: int) -> Scenario:
            scenario = drawn_for(s)
            if not (mixed_schools and baseline is not None):
                return scenario
            # sendplan may merge schools' runs; the baseline still plans each school alone.
            return replace(scenario, policy=replace(scenario.policy, mixed_school_routes=True))

        result: dict[str, Any]
        if baseline is not None:
            result = run_baseline_bench(scenario_of, seeds=wanted, baseline=baseline,
                                        session=when, time_limit_s=time_limit,
                                        iterations=iterations, bound_stop=bound_stop)  # fmt: skip
            result["mixed_school_routes"] = mixed_schools
        elif limits:
            result = run_anytime_bench(scenario_of(seed), limits_s=limits, seed=seed, session=when)
        else:
            result = run_transport_bench(
                scenario_of(seed),
                time_limit_s=time_limit,
                iterations=iterations,
                seed=seed,
                session=when,
                mixed_schools=mixed_schools,
                bound_stop=bound_stop,
            )
        if generated is not None:
            result["generated_children"] = generated
            result["generated_schools"] = generated_schools
        typer.echo(json.dumps(result, sort_keys=True))

    fail_cleanly(run)
