"""A solve job's ``what_if`` parameter read from JSON, every part checked and named on error
(``what_if.lock[0].child_id``), and the expansion options it may switch.

The document::

    {"lock": [{"child_id": "C00012", "school_id": "S3"}], "must_admit": ["S4"],
     "policy": {"travel_gbp_per_min": 500}, "options": {"OPT-7": true}, "base_job": "<job id>"}

Every key is optional. ``base_job`` names the job the what-if is measured against (its
deltas); the rest is :class:`sendplan.routing.what_if_apply.WhatIf`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from sendplan.errors import InputError
from sendplan.routing.model import Scenario, is_safe_id
from sendplan.routing.planning.options import Option
from sendplan.routing.what_if_apply import (
    MAX_LOCKS,
    MAX_MUST_ADMIT,
    MAX_OPTIONS,
    WhatIf,
    WhatIfError,
)

PREFIX = "what_if"
KEYS = ("lock", "must_admit", "policy", "options", "base_job")
_JOB_ID = re.compile(r"[0-9a-f]{32}")


def _bad(field: str, message: str) -> InputError:
    return InputError("params", message, field=f"{PREFIX}.{field}" if field else PREFIX)


def _safe_id(value: object, field: str, what: str) -> str:
    if not isinstance(value, str) or not is_safe_id(value):
        raise _bad(field, f"give a {what} id (letters, digits, '-', '_' or '.')")
    return value


def _list(document: dict[str, Any], key: str, most: int) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise _bad(key, "give a list")
    if len(value) > most:
        raise _bad(key, f"at most {most} entries, not {len(value)}")
    return value


def _object(document: dict[str, Any], key: str, most: int) -> dict[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise _bad(key, "give an object")
    if len(value) > most:
        raise _bad(key, f"at most {most} entries, not {len(value)}")
    return value


def _finite(value: int | float) -> float | None:
    """``value`` as a float, None when not finite (a JSON integer too large for a float too)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def parse_what_if(document: object) -> tuple[WhatIf, str | None]:
    """The what-if and its base job's id (None when not given); InputError naming the field."""
    if not isinstance(document, dict):
        raise _bad("", f"give an object with any of the keys {', '.join(KEYS)}")
    for key in sorted(document):
        if key not in KEYS:
            raise _bad(str(key), f"unknown key; use {', '.join(KEYS)}")
    locks = []
    for i, item in enumerate(_list(document, "lock", MAX_LOCKS)):
        if not isinstance(item, dict) or set(item) != {"child_id", "school_id"}:
            raise _bad(f"lock[{i}]", "give an object with child_id and school_id")
        locks.append((_safe_id(item["child_id"], f"lock[{i}].child_id", "child"),
                      _safe_id(item["school_id"], f"lock[{i}].school_id", "school")))  # fmt: skip
    must_admit = tuple(
        _safe_id(item, f"must_admit[{i}]", "school")
        for i, item in enumerate(_list(document, "must_admit", MAX_MUST_ADMIT))
    )
    policy = []
    for name, value in sorted(_object(document, "policy", MAX_OPTIONS).items()):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(f"policy.{name}", "give a number")
        number = _finite(value)
        if number is None:
            raise _bad(f"policy.{name}", "must be a finite number")
        policy.append((str(name), number))
    options = []
    for option_id, on in sorted(_object(document, "options", MAX_OPTIONS).items()):
        _safe_id(option_id, f"options.{option_id}", "option")
        if not isinstance(on, bool):
            raise _bad(f"options.{option_id}", "give true (on) or false (off)")
        options.append((str(option_id), on))
    base = document.get("base_job")
    if base is not None and not (isinstance(base, str) and _JOB_ID.fullmatch(base)):
        raise _bad("base_job", "give a job id (32 hex characters)")
    try:
        what_if = WhatIf(locks=tuple(locks), must_admit=must_admit, policy=tuple(policy),
                         options=tuple(options))  # fmt: skip
    except WhatIfError as err:
        raise _bad(err.field, err.message) from None
    return what_if, base


def named_error(err: WhatIfError) -> InputError:
    """A what-if that did not apply to its scenario, as an InputError naming the field."""
    return _bad(err.field, err.message)


def scenario_options(source: Path, scenario: Scenario) -> tuple[Option, ...]:
    """The expansion options a what-if may switch: the scenario's options.csv, else the
    shipped ones (as an expansion job reads them); InputError when they do not fit."""
    from sendplan.api.options_io import default_options, read_options

    options_file = source / "options.csv" if source.is_dir() else None
    try:
        if options_file is not None and options_file.is_file():
            return read_options(options_file, scenario)
        return default_options(scenario)
    except InputError as err:
        raise _bad("options", f"the expansion options do not fit the scenario: {err}") from None
