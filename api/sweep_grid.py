"""GRID.toml, the axes of `sendplan sweep`, as a :class:`sendplan.routing.planning.sweep.Grid`.

::

    growth = [1.0, 1.06]              # cohort scale factors (the sweep module's growth rule)
    seeds = [1, 2]                    # growth draw and route search seed
    movers = ["phase_transfer", "all"]
    modes = ["weighted"]              # or lexicographic, lexicographic_preferences
    routes = false                    # true: plan the morning routes too
    route_iterations = 100            # route search iterations per school, with routes
    options = [[], ["ash-32"]]        # option sets; default: none, then each option alone

    [policy]                          # any policy.toml key, each with a list of values
    travel_gbp_per_min = [300, 600]

    [[variant_capacity]]              # what an expansion option does to a school's places
    option = "ash-32"
    school_id = "131099"
    add = 32

Every key is optional (one value each by default); every error names the file and the key.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sendplan.api.cells import show
from sendplan.api.policy_file import RENAMED, policy_from, read_toml
from sendplan.api.tables import Source
from sendplan.errors import InputError
from sendplan.routing.model import is_safe_id
from sendplan.routing.placement.movers import MOVERS_RULES, MoversRule
from sendplan.routing.placement.place import MODES
from sendplan.routing.planning.sweep import (
    MAX_VARIANTS,
    ROUTE_ITERATIONS,
    CapacityOption,
    Grid,
    SweepError,
)

KEYS = (
    "growth", "seeds", "movers", "modes", "routes", "route_iterations", "options", "policy",
    "variant_capacity",
)  # fmt: skip
SEED_MAX = 2**32 - 1
ITERATIONS_MAX = 1_000_000
CAPACITY_KEYS = ("option", "school_id", "add")

T = TypeVar("T")


def read_grid(path: Path | str) -> Grid:
    """GRID.toml as a Grid; an InputError naming the file and key for anything wrong."""
    document, source = read_toml(Path(path))
    return grid_from(document, source)


def grid_from(document: dict[str, Any], source: Source) -> Grid:
    """A parsed GRID.toml document as a Grid (see the module's example)."""
    for key in document:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise source.error(f"unknown key {show(key)}{hint}", field=key)
    routes = document.get("routes", False)
    if not isinstance(routes, bool):
        raise source.error("routes must be true or false", field="routes")
    iterations = document.get("route_iterations", ROUTE_ITERATIONS)
    if isinstance(iterations, bool) or not isinstance(iterations, int):
        raise source.error("route_iterations must be a whole number", field="route_iterations")
    if not 1 <= iterations <= ITERATIONS_MAX:
        raise source.error(
            f"route_iterations must be 1..{ITERATIONS_MAX:,}", field="route_iterations"
        )
    grid = Grid(
        options=_options(document, source),
        growth=_axis(document, "growth", source, (1.0,), _growth),
        policy=_policy(document.get("policy", {}), source),
        movers=_axis(document, "movers", source, ("phase_transfer",), _movers),
        modes=_axis(document, "modes", source, ("weighted",), _mode),
        seeds=_axis(document, "seeds", source, (1,), _seed),
        routes=routes,
        route_iterations=iterations,
    )
    if grid.size() > MAX_VARIANTS:
        raise source.error(
            f"the axes make {grid.size():,} variants, above the limit of {MAX_VARIANTS:,}; "
            "shorten an axis"
        )
    return grid


def _axis(
    document: dict[str, Any],
    key: str,
    source: Source,
    default: tuple[T, ...],
    parse: Callable[[object], T],
) -> tuple[T, ...]:
    """A list of values (a single value is a list of one), each parsed, none twice."""
    if key not in document:
        return default
    raw = document[key]
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise source.error(f"{key} is an empty list; give at least one value", field=key)
    values = []
    for item in items:
        try:
            value = parse(item)
        except ValueError as err:
            raise source.error(f"{key}: {err}", field=key) from None
        if value in values:
            raise source.error(f"{key} lists {show(str(item))} twice", field=key)
        values.append(value)
    return tuple(values)


def _growth(item: object) -> float:
    if isinstance(item, bool) or not isinstance(item, int | float):
        raise ValueError(f"{show(str(item))} is not a number")
    if isinstance(item, float) and not math.isfinite(item):
        raise ValueError(f"{show(str(item))} is not a number")
    # Compared without float(): a JSON integer too large for a float (10**400) is out of range.
    if not 0 < item <= 100:
        raise ValueError(f"{show(str(item))} is not a factor above 0 and at most 100")
    return float(item)


def _seed(item: object) -> int:
    if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= SEED_MAX:
        raise ValueError(f"{show(str(item))} is not a whole number 0..{SEED_MAX}")
    return item


def _movers(item: object) -> MoversRule:
    for rule in MOVERS_RULES:
        if item == rule:
            return rule
    raise ValueError(f"unknown rule {show(str(item))}; use {' or '.join(MOVERS_RULES)}")


def _mode(item: object) -> str:
    if item not in MODES:
        raise ValueError(f"unknown mode {show(str(item))}; use {', '.join(MODES)}")
    return str(item)


def _policy(table: object, source: Source) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """[policy]: each key checked and coerced as in policy.toml, value by value."""
    if not isinstance(table, dict):
        raise source.error("policy must be a table: [policy] with one list per key", field="policy")
    axes = []
    for given, raw in table.items():
        field = f"policy.{given}"
        key: str = RENAMED.get(str(given), str(given))
        # A list of two numbers is one value of arrival_window_min, not two values.
        if not isinstance(raw, list) or (key == "arrival_window_min" and _is_pair(raw)):
            raw = [raw]
        if not raw:
            raise source.error(f"{field} is an empty list; give at least one value", field=field)
        values: list[Any] = []
        for item in raw:
            try:
                policy = policy_from([(None, given, item)], source)
            except InputError as err:
                raise source.error(err.message, field=field) from None
            value = getattr(policy, key)
            if value in values:
                raise source.error(f"{field} lists {show(str(item))} twice", field=field)
            values.append(value)
        axes.append((key, tuple(values)))
    if len({key for key, _ in axes}) != len(axes):
        raise source.error(
            "a policy key is given twice (under an old and a new name)", field="policy"
        )
    return tuple(axes)


def _is_pair(raw: list[Any]) -> bool:
    return len(raw) == 2 and all(not isinstance(x, list | bool) for x in raw)


def _options(document: dict[str, Any], source: Source) -> tuple[tuple[CapacityOption, ...], ...]:
    """[[variant_capacity]] rows grouped by option id, and the option sets to sweep."""
    rows = document.get("variant_capacity", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise source.error(
            "variant_capacity must be [[variant_capacity]] tables", field="variant_capacity"
        )
    adds: dict[str, list[tuple[str, int]]] = {}
    for number, row in enumerate(rows, start=1):
        where = f"variant_capacity[{number}]"
        for key in row:
            if key not in CAPACITY_KEYS:
                raise source.error(
                    f"unknown key {show(key)}; use {', '.join(CAPACITY_KEYS)}",
                    field=f"{where}.{key}",
                )
        for key in CAPACITY_KEYS:
            if key not in row:
                raise source.error(f"{key} is missing", field=f"{where}.{key}")
        option, school, add = row["option"], row["school_id"], row["add"]
        if not isinstance(option, str) or not is_safe_id(option):
            raise source.error(
                "option must be an id (letters, digits, - _ .)", field=f"{where}.option"
            )
        school_id = (
            str(school) if isinstance(school, int) and not isinstance(school, bool) else school
        )
        if not isinstance(school_id, str) or not is_safe_id(school_id):
            raise source.error("school_id must be a school id", field=f"{where}.school_id")
        if isinstance(add, bool) or not isinstance(add, int) or not -100_000 <= add <= 100_000:
            raise source.error("add must be a whole number of places", field=f"{where}.add")
        adds.setdefault(option, []).append((school_id, add))
    defined = {name: CapacityOption(name, tuple(items)) for name, items in adds.items()}
    if "options" not in document:
        return ((), *((o,) for o in defined.values()))
    sets = document["options"]
    if not isinstance(sets, list) or not sets or not all(isinstance(s, list) for s in sets):
        raise source.error(
            'options must be a list of option sets, e.g. [[], ["ash-32"]]', field="options"
        )
    made: list[tuple[CapacityOption, ...]] = []
    for names in sets:
        for name in names:
            if name not in defined:
                raise source.error(
                    f"option {show(str(name))} has no [[variant_capacity]] rows", field="options"
                )
        if len(set(names)) != len(names):
            raise source.error(f"an option set names an option twice: {names}", field="options")
        chosen = tuple(defined[name] for name in names)
        if chosen in made:
            raise source.error(f"the option set {names} is listed twice", field="options")
        made.append(chosen)
    return tuple(made)


def sweep_input_error(err: SweepError, file: str) -> InputError:
    """A grid that does not fit the scenario, as an InputError naming the grid file and key."""
    return InputError(file, str(err).removeprefix(f"{err.key}: "), field=err.key)
