"""What every command shares: one-line errors with exit codes, and a progress line on terminals."""

from __future__ import annotations

import functools
import inspect
import logging
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from sendplan.api.atomic import check_out_folder
from sendplan.api.invocation import command_line, running
from sendplan.errors import InputError, PlanRejected, visible
from sendplan.logs import ROOT, ChildDataFilter
from sendplan.routing.placement.plan import PlacementError

if TYPE_CHECKING:
    from sendplan.routing.model import Scenario

stderr = Console(stderr=True)

SEED_MAX = 2**32 - 1  # numpy's and the engines' seed range
TIME_LIMIT_MAX_S = 7 * 24 * 3600.0
ITERATIONS_MAX = 100_000_000


def _out_folder(value: Path | None) -> Path | None:
    """--out: refused before any work if it is a file or a folder of files not ours."""
    if value is not None:
        try:
            check_out_folder(value)
        except InputError as err:
            raise typer.BadParameter(err.message) from None
    return value


def check_seconds(value: float | None) -> float | None:
    """A time limit: finite seconds above 0 (nan, inf and negative numbers are refused)."""
    if value is not None and not (math.isfinite(value) and 0 < value <= TIME_LIMIT_MAX_S):
        raise typer.BadParameter(
            f"{value} is not a number of seconds above 0 (at most {TIME_LIMIT_MAX_S:.0f})"
        )
    return value


def check_time_limit(
    ctx: typer.Context, param: typer.CallbackParam, value: float | None
) -> float | None:
    """--time-limit: ``check_seconds``, and not given with --iterations (one work limit: the
    other would be silently dropped)."""
    check_seconds(value)
    if _given(ctx, param.name) and ctx.params.get("iterations") is not None:
        raise typer.BadParameter(_ONE_LIMIT)
    return value


_ONE_LIMIT = "give --time-limit or --iterations, not both"


def _given(ctx: typer.Context, name: str | None) -> bool:
    """Whether the user gave option ``name`` (not its default)."""
    source = ctx.get_parameter_source(name) if name else None
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def check_iterations(ctx: typer.Context, value: int | None) -> int | None:
    """--iterations: not with a --time-limit the user gave (whichever is read second says so)."""
    if value is not None and _given(ctx, "time_limit"):
        raise typer.BadParameter(_ONE_LIMIT)
    return value


OutOption = Annotated[
    Path,
    typer.Option(
        "--out",
        callback=_out_folder,
        help="Folder for the outputs: new, empty or written by sendplan (replaced whole).",
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", min=0, max=SEED_MAX, help="Random seed.")]
TimeLimitOption = Annotated[
    float,
    typer.Option("--time-limit", callback=check_time_limit, help="Seconds of search per session."),
]
IterationsOption = Annotated[
    int | None,
    typer.Option(
        "--iterations",
        min=1,
        max=ITERATIONS_MAX,
        callback=check_iterations,
        help="Search iterations per school instead of a time limit (reproducible).",
    ),
]
NetworkOption = Annotated[
    Path | None,
    typer.Option("--network", help="Road network from `sendplan network build` (or a map file)."),
]
MatrixOption = Annotated[
    Path | None,
    typer.Option(
        "--matrix",
        help="Another router's times and distances: a CSV from_id,to_id,seconds,metres, or an "
        "OSRM /table or Valhalla sources_to_targets JSON answer (points order: "
        "`sendplan network points`).",
    ),
]
PostcodesOption = Annotated[
    Path | None,
    typer.Option(
        "--postcodes",
        help="Code-Point Open or ONS Postcode Directory CSV to geocode children's postcodes "
        "offline.",
    ),
]


def load_with_postcodes(scenario_path: Path, postcodes: Path | None) -> Scenario:
    """Load a scenario, geocoding `postcode`-only children from the user's postcode file."""
    # Imported here, as every command's library code is: `--help` and usage errors need none.
    from sendplan.api.loader import load_scenario
    from sendplan.geo.postcodes import load_postcodes

    if postcodes is None:
        return load_scenario(scenario_path)

    table = load_postcodes(postcodes)
    return load_scenario(scenario_path, postcodes=table.lookup)


@contextmanager
def progress() -> Iterator[Callable[[str], None]]:
    """A live status line on a terminal; silence when piped."""
    if not stderr.is_terminal:
        yield lambda _msg: None
        return
    with stderr.status("starting") as status:
        yield lambda msg: status.update(msg)


def fail_cleanly(run: Callable[[], None]) -> None:
    """Run a command, turning errors into one line and an exit code instead of a traceback.

    Exit codes: 2 for bad input (the message names file, row and field), 1 for anything else.
    """
    try:
        run()
    except InputError as err:
        # A Text is printed as it is: no markup, emoji codes or highlighting of the user's text.
        stderr.print(Text.assemble(("error:", "red"), " ", str(err)), soft_wrap=True)
        raise typer.Exit(2) from None
    except typer.Exit:
        raise
    except PlacementError as err:
        # A request the exact placement model cannot take (a mode, a must-admit school, per-need
        # places beside residential places): the message names the school and the fields.
        stderr.print(Text.assemble(("error:", "red"), " ", str(err)), soft_wrap=True)
        raise typer.Exit(2) from None
    except PlanRejected as err:
        # A solver bug, never a result: every violation is listed and nothing is written.
        stderr.print(Text.assemble(("plan rejected:", "red"), f" the {err.what} failed the "
                                   "independent checker; no outputs written"))  # fmt: skip
        for violation in err.violations:
            stderr.print(Text(f"  {violation}"), soft_wrap=True)
        raise typer.Exit(1) from None
    except OSError as err:
        if debug_enabled():
            raise
        # The machine said no (disk full, file too large, permissions): say what, in one line.
        where = f" ({visible(str(err.filename), 80)})" if err.filename else ""
        what = err.strerror or type(err).__name__
        stderr.print(
            Text.assemble(("error:", "red"), f" cannot read or write a file{where}: {what}")
        )
        raise typer.Exit(1) from None
    except Exception as err:
        if debug_enabled():
            raise
        stderr.print(
            Text.assemble(
                ("internal error:", "red"),
                f" {type(err).__name__}. Set SENDPLAN_DEBUG=1 to see the traceback.",
            )
        )
        raise typer.Exit(1) from None


def debug_enabled() -> bool:
    """SENDPLAN_DEBUG set to anything but empty, 0, false, no or off."""
    value = os.environ.get("SENDPLAN_DEBUG", "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def configure_logging(*, verbose: int = 0, quiet: bool = False) -> None:
    """Send sendplan's log records to stderr: warnings by default, ``-v`` info, ``-vv`` (or
    SENDPLAN_DEBUG) debug, ``-q`` errors only. Every record has passed the child-data filter."""
    if quiet:
        level = logging.ERROR
    elif verbose >= 2 or debug_enabled():
        level = logging.DEBUG
    else:
        level = logging.INFO if verbose == 1 else logging.WARNING
    logger = logging.getLogger(ROOT)
    logger.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler.addFilter(ChildDataFilter())
        logger.addHandler(handler)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (a test runner swaps it per invocation)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


VerboseOption = Annotated[
    int, typer.Option("--verbose", "-v", count=True, help="More log detail (-v, -vv).")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")]


def with_verbosity(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with ``-v/--verbose`` and ``-q/--quiet`` options that configure logging."""
    signature = inspect.signature(command, eval_str=True)  # typer reads __signature__ as is
    extra = [
        inspect.Parameter("verbose", inspect.Parameter.KEYWORD_ONLY, default=0,
                          annotation=VerboseOption),
        inspect.Parameter("quiet", inspect.Parameter.KEYWORD_ONLY, default=False,
                          annotation=QuietOption),
        # typer passes the click context to a parameter annotated typer.Context
        inspect.Parameter("sendplan_context", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=typer.Context),
    ]  # fmt: skip

    @functools.wraps(command)
    def wrapper(
        *args: Any,
        verbose: int = 0,
        quiet: bool = False,
        sendplan_context: typer.Context | None = None,
        **kwargs: Any,
    ) -> None:
        if verbose or quiet:  # else the top level's -v/-q (or the default) stands
            configure_logging(verbose=verbose, quiet=quiet)
        if sendplan_context is None:
            command(*args, **kwargs)
            return
        with running(command_line(sendplan_context)):  # for the outputs' manifest.json
            command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *extra]
    )
    return wrapper


_YEAR_RANGE = re.compile(r"\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?")
MAX_YEARS = 50


def parse_year_range(text: str) -> tuple[int, int]:
    """``2026-2031`` (or one year) as (first, last), within 2000..2100 and at most
    ``MAX_YEARS`` years; InputError naming --years otherwise."""
    found = _YEAR_RANGE.fullmatch(text)
    if found is None:
        raise InputError("--years", f"{visible(text)} is not a year or a range like 2026-2031")
    first = int(found.group(1))
    last = int(found.group(2) or first)
    if not 2000 <= first <= last <= 2100 or last - first >= MAX_YEARS:
        raise InputError(
            "--years",
            f"{visible(text)}: give FIRST <= LAST within 2000..2100, <= {MAX_YEARS} years",
        )
    return first, last
