"""The command line of the running `sendplan` command, for the outputs' manifest.json.

Every command runs inside :func:`running` (``cli_common.with_verbosity`` sees to it), so a
writer deep below can ask :func:`current_command` how its files were made. The command line is
rebuilt from what the user gave (not from defaults): paths, ids and numbers, never file
contents. A library call (``Result.write``) has none.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from typing import Any

import typer

_COMMAND: ContextVar[tuple[str, ...] | None] = ContextVar("sendplan_command", default=None)


def current_command() -> tuple[str, ...] | None:
    """The running command's words (``("sendplan", "demo", "--seed", "7")``) or None."""
    return _COMMAND.get()


@contextmanager
def running(command: Sequence[str]) -> Iterator[None]:
    token = _COMMAND.set(tuple(command))
    try:
        yield
    finally:
        _COMMAND.reset(token)


def command_line(ctx: typer.Context) -> tuple[str, ...]:
    """The command as the user gave it: ``sendplan``, the sub-commands, then every argument and
    option that came from the command line or the environment, in the command's order."""
    words = ["sendplan", *ctx.command_path.split()[1:]]
    for param in ctx.command.params:
        name = param.name
        if name is None or name not in ctx.params:
            continue
        source = ctx.get_parameter_source(name)
        if source is None or source.name not in ("COMMANDLINE", "ENVIRONMENT"):
            continue
        words += _words(param, ctx.params[name])
    return tuple(words)


def _words(param: Any, value: object) -> list[str]:
    if value is None:
        return []
    if param.param_type_name == "argument":
        items = value if isinstance(value, list | tuple) else [value]
        return [_text(item) for item in items]
    option = param.opts[0]
    if getattr(param, "count", False):
        return [option] * int(value)  # type: ignore[call-overload]
    if getattr(param, "is_flag", False):
        if value:
            return [option]
        return [param.secondary_opts[0]] if param.secondary_opts else []
    if getattr(param, "multiple", False) and isinstance(value, list | tuple):
        return [word for item in value for word in (option, _text(item))]
    return [option, _text(value)]


def _text(value: object) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)
