"""JSON as sendplan writes it: indented, keys sorted, one final newline, so that the same
document always gives the same bytes (summaries, routes, manifests, expansion, evaluation)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def json_text(document: Any) -> str:
    """``document`` as indented JSON with sorted keys and a final newline."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def write_json(document: Any, path: Path) -> None:
    """``document`` to ``path`` as :func:`json_text`, in UTF-8."""
    path.write_text(json_text(document), encoding="utf-8")
