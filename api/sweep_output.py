"""The files of `sendplan sweep`: rows streamed as they finish, then the final set.

While a sweep runs, each finished row is appended to ``sweep_results.csv`` and
``sweep_results.jsonl`` and forced to disk (flush + fsync), so an interrupted sweep keeps every
finished row. At the end (or on cancelling) each file is replaced whole (write beside, fsync,
rename): the rows in variant order with their ``pareto`` flag, ``sweep.json`` and ``sweep.html``
(a results table and the Pareto charts as inline SVG; no scripts, nothing from the web).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from sendplan.errors import InputError, visible
from sendplan.routing.planning.sweep import PARETO_OBJECTIVES, Row, SweepResult

RESULTS_CSV = "sweep_results.csv"
RESULTS_JSONL = "sweep_results.jsonl"
SWEEP_JSON = "sweep.json"
SWEEP_HTML = "sweep.html"
SWEEP_NAMES = frozenset({RESULTS_CSV, RESULTS_JSONL, SWEEP_JSON, SWEEP_HTML})
_BROWSER_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def check_sweep_folder(out: Path, *, option: str = "--out") -> Path:
    """``out`` made if needed; refused (naming ``option``) when it is a file or holds files a
    sweep did not write, since a sweep overwrites its own files there."""
    path = Path(os.path.abspath(out))
    shown = visible(str(out), 80)
    if path.exists() and not path.is_dir():
        raise InputError(option, f"{shown} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        names = {entry.name for entry in path.iterdir()}
    except OSError as err:
        raise InputError(
            option, f"cannot create or read the folder {shown} ({err.strerror})"
        ) from None
    foreign = sorted(n for n in names - SWEEP_NAMES - _BROWSER_FILES if not n.startswith(".sweep"))
    if foreign:
        raise InputError(
            option,
            f"the folder {shown} holds files a sweep did not write (such as "
            f"{visible(foreign[0])}); give a new or empty folder, or an earlier sweep's",
        )
    return path


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, list | dict) else value


class RowStream:
    """Appends each row to the CSV and JSONL files and forces it to disk before returning."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self._columns: list[str] | None = None
        self._csv: IO[str] = open(folder / RESULTS_CSV, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._jsonl: IO[str] = open(folder / RESULTS_JSONL, "w", encoding="utf-8")  # noqa: SIM115

    def append(self, row: Row) -> None:
        if self._columns is None:
            self._columns = list(row)
            self._csv.write(_csv_line(self._columns))
        self._csv.write(_csv_line([_cell(row.get(c)) for c in self._columns]))
        self._jsonl.write(json.dumps(row, sort_keys=False) + "\n")
        for handle in (self._csv, self._jsonl):
            handle.flush()
            os.fsync(handle.fileno())
        self.count += 1

    def close(self) -> None:
        self._csv.close()
        self._jsonl.close()

    def __enter__(self) -> RowStream:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _csv_line(cells: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(["" if c is None else c for c in cells])
    return buffer.getvalue()


def write_final(
    folder: Path, result: SweepResult, *, title: str, inputs: Mapping[str, str] | None = None
) -> None:
    """Replace each sweep file whole with the result's rows (variant order) and summaries;
    ``inputs`` (file name -> sha256 of every file the sweep read) go into sweep.json."""
    rows = list(result.rows)
    columns = list(dict.fromkeys(c for r in rows for c in r))
    table = _csv_line(columns) + "".join(
        _csv_line([_cell(r.get(c)) for c in columns]) for r in rows
    )
    _replace(folder / RESULTS_CSV, table if rows else "")
    _replace(folder / RESULTS_JSONL, "".join(json.dumps(r) + "\n" for r in rows))
    document = result.to_dict()
    if inputs is not None:
        document["inputs"] = dict(inputs)
    _replace(folder / SWEEP_JSON, json.dumps(document, indent=2) + "\n")
    _replace(folder / SWEEP_HTML, render_sweep(result, title=title))


def _replace(path: Path, text: str) -> None:
    """Write ``path`` beside itself, force it to disk, then rename it into place."""
    temporary = path.with_name(f".sweep-{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a folder; the file itself is written
    finally:
        os.close(descriptor)


# --- sweep.html ----------------------------------------------------------------------------

COST, IN_CITY, JOURNEY = (key for key, _ in PARETO_OBJECTIVES)
CHART_W, CHART_H, PAD = 420, 300, 56


def render_sweep(result: SweepResult, *, title: str) -> str:
    """The sweep page: what ran, the Pareto charts and the results table."""
    state = (
        f"cancelled: {len(result.rows)} of {result.variants} variants finished"
        if result.cancelled
        else f"{result.variants} variants"
    )
    if result.scheduler:
        where = f"on the scheduler {result.scheduler}"
    else:
        where = f"on {result.workers} local workers" if result.workers else "in process"
    body = [
        f"<h1>sendplan sweep: {escape(title)}</h1>",
        f'<p class="note">{escape(state)}; {escape(where)}; {result.seconds:.1f} s. '
        f"The Pareto front ({len(result.front)} variants, ringed in red) is every variant no "
        "other beats on all of placement cost (lower), children placed in the city (higher) "
        "and mean direct journey (shorter).</p>",
        "<h2>Pareto front</h2>",
        _chart(result.rows, COST, IN_CITY, "Placement cost per year (£m)", "Placed in the city"),
        _chart(result.rows, COST, JOURNEY, "Placement cost per year (£m)", "Mean journey (min)"),
        "<h2>Variants</h2>",
        _table(result.rows),
    ]
    return _PAGE.format(title=escape(f"sendplan sweep: {title}"), body="\n".join(body))


def _chart(rows: Sequence[Row], x_key: str, y_key: str, x_label: str, y_label: str) -> str:
    points = [r for r in rows if r.get(x_key) is not None and r.get(y_key) is not None]
    if not points:
        return '<p class="note">No variant has these figures yet.</p>'
    xs = [float(r[x_key]) / (1e6 if x_key == COST else 1) for r in points]
    ys = [float(r[y_key]) for r in points]

    def scale(values: list[float], low_px: float, high_px: float) -> list[float]:
        lo, hi = min(values), max(values)
        span = hi - lo or 1.0
        return [low_px + (v - lo) / span * (high_px - low_px) for v in values]

    px = scale(xs, PAD, CHART_W - 16)
    py = scale(ys, CHART_H - PAD + 10, 16)
    base = CHART_H - PAD + 20  # the x axis line
    parts = [
        f'<line x1="{PAD}" y1="{base}" x2="{CHART_W - 8}" y2="{base}" class="axis"/>',
        f'<line x1="{PAD - 10}" y1="8" x2="{PAD - 10}" y2="{base}" class="axis"/>',
        f'<text x="{(CHART_W + PAD) / 2:.0f}" y="{CHART_H - 8}" class="label">'
        f"{escape(x_label)}</text>",
        f'<text x="14" y="{(CHART_H - PAD) / 2:.0f}" class="label" '
        f'transform="rotate(-90 14 {(CHART_H - PAD) / 2:.0f})">{escape(y_label)}</text>',
        f'<text x="{PAD}" y="{CHART_H - PAD + 34}" class="tick">{min(xs):,.2f}</text>',
        f'<text x="{CHART_W - 16}" y="{CHART_H - PAD + 34}" class="tick end">{max(xs):,.2f}</text>',
        f'<text x="{PAD - 14}" y="{CHART_H - PAD + 14}" class="tick end">{min(ys):,.1f}</text>',
        f'<text x="{PAD - 14}" y="20" class="tick end">{max(ys):,.1f}</text>',
    ]
    # Front points last, so they are drawn over the others.
    order = sorted(range(len(points)), key=lambda i: bool(points[i].get("pareto")))
    for i in order:
        r = points[i]
        cls = "pt front" if r.get("pareto") else "pt"
        tip = f"{r['variant']}: £{float(r[COST]):,.0f}, {r[IN_CITY]} in city, {r[JOURNEY]} min"
        parts.append(
            f'<circle cx="{px[i]:.1f}" cy="{py[i]:.1f}" r="4" class="{cls}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_W}" height="{CHART_H}" '
        f'viewBox="0 0 {CHART_W} {CHART_H}" role="img" aria-label="{escape(y_label)} against '
        f'{escape(x_label)}">{"".join(parts)}</svg>'
    )


def _table(rows: Sequence[Row]) -> str:
    if not rows:
        return '<p class="note">No variant finished.</p>'
    columns = list(dict.fromkeys(c for r in rows for c in r))
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for r in rows:
        cls = ' class="front"' if r.get("pareto") else ""
        cells = "".join(f"<td>{escape(_shown(r.get(c)))}</td>" for c in columns)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
    return str(value)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1200px; }}
table {{ border-collapse: collapse; margin-bottom: 1.5rem; font-size: 0.85rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }}
th {{ background: #f3f3f3; }}
tr.front td {{ background: #fdecea; }}
.note {{ color: #555; }}
svg {{ background: #f7f9fb; margin: 0 1rem 1rem 0; }}
svg .axis {{ stroke: #888; stroke-width: 1; }}
svg .label {{ font-size: 12px; text-anchor: middle; fill: #333; }}
svg .tick {{ font-size: 10px; fill: #555; }}
svg .end {{ text-anchor: end; }}
svg .pt {{ fill: #1f77b4; opacity: 0.6; }}
svg .front {{ fill: #d62728; opacity: 1; stroke: #000; stroke-width: 1; }}
</style></head><body>
{body}
<p class="note">Each row is one variant of the scenario; no child is named.
Generated by sendplan.</p>
</body></html>
"""
