"""`sendplan compare A B [C...]`: solved scenarios side by side (:func:`sendplan.compare`).

Each input is a result folder (summary.json and placements.csv, read back as they are; a
``routes`` run on current schools has no placements.csv: its children are at their current
schools, read from its results.gpkg, and a note says so) or a scenario (folder or .xlsx
workbook, solved here: placement only unless ``--routes``, with the demo's iteration limit so
the same inputs give the same comparison).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sendplan.api.atomic import check_inputs_outside
from sendplan.api.cli_common import OutOption, SeedOption, fail_cleanly, progress
from sendplan.api.cli_place import (
    DEMO_ITERATIONS_PER_SCHOOL,
    MoversOption,
    movers_rule,
)
from sendplan.errors import InputError, printable, visible

if TYPE_CHECKING:
    from sendplan.routing.placement.movers import MoversRule
    from sendplan.routing.planning.compare import Comparison, ResultView

InputsArgument = Annotated[
    list[Path],
    typer.Argument(
        metavar="FOLDER",
        help="Two or more result folders (from place/demo/routes) or scenarios (folder or "
        ".xlsx); the first is the baseline.",
    ),
]


def compare_cmd(
    inputs: InputsArgument,
    out: OutOption = Path("sendplan-compare"),
    routes: Annotated[
        bool,
        typer.Option("--routes/--no-routes", help="Also plan the morning routes of scenarios."),
    ] = False,
    seed: SeedOption = 1,
    movers: MoversOption = "phase_transfer",
) -> None:
    """Compare scenarios or results: every KPI with deltas, school fill, children who move."""

    def run() -> None:
        # Imported here, as every command's library code is: `--help` and usage errors need none.
        from sendplan.api.comparison_files import write_comparison
        from sendplan.api.result_reader import (
            has_own_placement,
            is_result_folder,
            with_status_quo_notes,
        )
        from sendplan.routing.planning.compare import compare

        if len(inputs) < 2:
            raise InputError("FOLDER...", "give at least two folders to compare")
        rule = movers_rule(movers)
        check_inputs_outside(out, {f"input {p}": p for p in inputs})
        with progress() as say:
            views = [load_input(p, routes=routes, seed=seed, movers=rule, say=say) for p in inputs]
            names = input_names(inputs)
            own = [not is_result_folder(p) or has_own_placement(p) for p in inputs]
            comparison = with_status_quo_notes(compare(views, names=names), own_placement=own)
            say("writing outputs")
            write_comparison(comparison, out)
        print_comparison(comparison, out)

    fail_cleanly(run)


def load_input(
    path: Path, *, routes: bool, seed: int, movers: MoversRule, say: Callable[[str], None]
) -> ResultView:
    """A result folder read back, or a scenario solved (deterministically)."""
    from sendplan.api.loader import load_scenario
    from sendplan.api.result_reader import is_result_folder, read_result
    from sendplan.routing.planning.compare import view_result
    from sendplan.routing.solve import solve
    from sendplan.routing.vrp.stop import MaxIterations

    if is_result_folder(path):
        say(f"reading the result {path.name}")
        return read_result(path)
    is_scenario = (path.is_dir() and (path / "children.csv").is_file()) or (
        path.is_file() and path.suffix.lower() == ".xlsx"
    )
    if not is_scenario:
        raise InputError(
            visible(str(path), 80),
            "is neither a result folder (with summary.json) nor a scenario "
            "(a folder with children.csv, or an .xlsx workbook)",
        )
    say(f"reading the scenario {path.name}")
    scenario = load_scenario(path)
    result = solve(
        scenario, sessions=("am",) if routes else (), seed=seed, movers=movers,
        stop=MaxIterations(DEMO_ITERATIONS_PER_SCHOOL), progress=say,
    )  # fmt: skip
    return view_result(result)


def input_names(paths: Sequence[Path]) -> list[str]:
    """Each input's folder (or workbook) name, numbered when two are the same."""
    names: list[str] = []
    for path in paths:
        resolved = path.resolve()
        # Control characters in a folder name would reach the terminal, CSV and HTML: escape.
        base = printable((resolved.stem if resolved.is_file() else resolved.name) or str(path))
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base} ({n})"
        names.append(name)
    return names


def print_comparison(comparison: Comparison, out: Path) -> None:
    """The KPI table (values, deltas, relative deltas) and the children moved, on stdout."""
    from sendplan.api.comparison_files import figure, percent, signed

    terminal = sys.stdout.isatty()
    console = Console(file=sys.stdout, width=None if terminal else 160, highlight=False)
    names = comparison.names
    table = Table(title=Text(f"baseline: {names[0]}"), show_edge=False)
    table.add_column("figure")
    table.add_column(Text(names[0]), justify="right")
    for name in names[1:]:
        table.add_column(Text(name), justify="right")
        table.add_column("delta", justify="right")
        table.add_column("relative", justify="right")
    for r in comparison.kpis:
        cells = [r.key, figure(r.values[0])]
        for i in range(1, len(names)):
            cells += [figure(r.values[i]), signed(r.deltas[i]), percent(r.relative[i])]
        # Text cells: user-named inputs and keys are shown as they are, never as rich markup.
        table.add_row(*(Text(c) for c in cells))
    console.print(table)
    counts = comparison.changed_counts()
    for name in names[1:]:
        fills = sum(1 for s in comparison.schools if s.placed[names.index(name)] != s.placed[0])
        console.print(
            Text(f"{name}: {counts[name]:,} children change school; {fills} schools' rolls change")
        )
    for note in comparison.notes:
        console.print(Text(f"note: {note}"))
    console.print(Text(f"outputs in {out}"))
