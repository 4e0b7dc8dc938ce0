"""Logging for every layer: standard-library loggers that never carry a child's location.

Library modules log through ``get_logger(__name__)``. Each such logger scrubs its records before
any handler sees them: coordinates and postcodes become ``[coordinates]`` and ``[postcode]``, so
a home location cannot reach a log file even through an error message that quotes one.
Pseudonymous ids (``C00017``) pass. Nothing is printed unless the application configures
logging: the CLI does (quiet by default; ``-v`` for progress, ``-vv`` for detail, ``-q`` for
errors only), a notebook may call ``logging.basicConfig``.
"""

from __future__ import annotations

import logging
import re

ROOT = "sendplan"

# A decimal degree with 4+ places, or a BNG easting/northing pair of 6-7 digits each: enough to
# place a home to a street. Bare integers (counts, seconds, ids) are left alone.
_COORDINATE = re.compile(
    r"(?<![\w.])-?\d{1,3}\.\d{4,}(?!\d)"  # decimal degrees
    r"|(?<!\w)\d{6,7}\s*,\s*\d{6,7}(?!\w)"  # easting, northing
    r"|(?<![\w])[EN]\s*:?\s*\d{6,7}(?!\w)"  # E 458123 or N 304567
)
# UK postcodes, full (LE1 7RH) or outward-plus-sector (LE1 7), case-insensitive.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d[A-Za-z\d]?(?:\s*\d[A-Za-z]{2}|\s+\d)(?![A-Za-z0-9])"
)


def scrub(text: str) -> str:
    """``text`` with coordinates and postcodes replaced by placeholders."""
    return _POSTCODE.sub("[postcode]", _COORDINATE.sub("[coordinates]", text))


class ChildDataFilter(logging.Filter):
    """Rewrites each record's message (arguments merged in) with :func:`scrub` applied."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


_FILTER = ChildDataFilter()


def get_logger(name: str) -> logging.Logger:
    """The logger for module ``name``, with the child-data filter attached."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


# A library stays silent unless its application configures logging (Python's advice).
get_logger(ROOT).addHandler(logging.NullHandler())
