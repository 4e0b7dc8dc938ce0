"""One child on one route as read from a council's current routes (``existing_routes.py``),
before checking: the fields a file gives, the row that holds them and how its cells read (times,
sessions, numbers a spreadsheet stored as text)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sendplan.errors import visible
from sendplan.routing.transport.plan import Session

FIELDS = (
    "route_id", "vehicle_type", "school_id", "session", "stop_order", "child_id", "pickup_time",
    "school_time",
)  # fmt: skip
REQUIRED = FIELDS[:6]
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*(?:([ap])\.?m\.?)?", re.IGNORECASE)
SESSIONS: Mapping[str, Session] = {"am": "am", "pm": "pm", "morning": "am", "afternoon": "pm"}


class CellError(ValueError):
    """A cell that does not parse; the caller names the file, row and field."""


@dataclass(frozen=True)
class Row:
    """One child on one route as read, before checking; ``row`` and ``sheet`` name its file
    position."""

    values: dict[str, Any]  # field -> raw cell (text, number, time or None)
    headings: dict[str, str]  # field -> the heading to name in errors
    row: int | None
    sheet: str | None = None
    precision: float | None = None  # routes.json: times are minutes to this precision


def norm_heading(heading: object) -> str:
    """A column heading as compared: spaces collapsed, case folded."""
    return " ".join(str(heading).split()).casefold()


def cell_text(value: object) -> str:
    """A cell as text: numbers a spreadsheet stored (an id typed as 130353) without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_time(value: object) -> tuple[float, float] | None:
    """A time cell as (minutes after midnight, precision in minutes), or None when blank.

    Text ``HH:MM`` (also ``H:MM``, ``HH.MM``, ``HH:MM:SS``, ``8:05 am``), an Excel time or
    date-time cell, or a fraction of a day. A time without seconds is stated to the minute.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        value = value.time()
    if isinstance(value, datetime.timedelta):
        value = (
            (datetime.datetime.min + value).time() if value < datetime.timedelta(days=1) else value
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1:
        seconds = round(value * 86400, 3)
        value = (datetime.datetime.min + datetime.timedelta(seconds=seconds)).time()
    if isinstance(value, datetime.time):
        minutes = value.hour * 60 + value.minute
        sub = value.second + value.microsecond / 1e6
        return minutes + sub / 60, (1.0 if sub == 0 else 1 / 60)
    text = str(value).strip()
    match = _TIME.fullmatch(text)
    if match is None:
        raise CellError(f"{visible(text)} is not a time HH:MM")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            raise CellError(f"{visible(text)} is not a time HH:MM")
        hour = hour % 12 + (12 if match[4].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise CellError(f"{visible(text)} is not a time HH:MM")
    return hour * 60 + minute + second / 60, (1 / 60 if second else 1.0)
