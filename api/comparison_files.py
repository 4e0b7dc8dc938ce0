"""The files of ``sendplan compare``: comparison.json, comparison.csv (one row per KPI),
school_fill.csv, changed_children.csv and a self-contained comparison.html, written atomically
with a manifest.json. Text cells are neutralised (formula injection), HTML escaped."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from sendplan.api.atomic import atomic_output
from sendplan.api.invocation import current_command
from sendplan.api.manifest import write_command_manifest
from sendplan.api.neutralise import csv_row
from sendplan.routing.planning.compare import Comparison

FILES = ("comparison.json", "comparison.csv", "school_fill.csv", "changed_children.csv",
         "comparison.html")  # fmt: skip


def write_comparison(
    comparison: Comparison, out: Path, *, command: Sequence[str] | None = None
) -> Path:
    """Every file of a comparison, then manifest.json, into ``out``, atomically (``out`` keeps
    its previous contents whole on any error)."""
    with atomic_output(Path(out)) as folder:
        write_json(comparison, folder / "comparison.json")
        write_kpi_csv(comparison, folder / "comparison.csv")
        write_fill_csv(comparison, folder / "school_fill.csv")
        write_changes_csv(comparison, folder / "changed_children.csv")
        (folder / "comparison.html").write_text(render_html(comparison), encoding="utf-8")
        recorded = command if command is not None else current_command()
        # A manifest marks the folder as sendplan's, so a later run may replace it.
        write_command_manifest(folder, command=recorded, compared=list(comparison.names))
    return Path(out)


def write_json(comparison: Comparison, path: Path) -> None:
    """comparison.json: :meth:`Comparison.to_dict`, in input order (keys not re-sorted)."""
    path.write_text(json.dumps(comparison.to_dict(), indent=2) + "\n", encoding="utf-8")


def _rows(path: Path, header: Sequence[object], rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(csv_row(header))  # input names are the user's folder names
        writer.writerows(csv_row(row) for row in rows)


def write_kpi_csv(comparison: Comparison, path: Path) -> None:
    """comparison.csv: key, the baseline's value, then per other input its value, delta and
    relative delta (empty when not computed)."""
    header: list[object] = ["key", comparison.baseline]
    for name in comparison.names[1:]:
        header += [name, f"{name} delta", f"{name} relative delta"]
    rows = []
    for r in comparison.kpis:
        row: list[object] = [r.key, _cell(r.values[0])]
        for i in range(1, len(comparison.names)):
            row += [_cell(r.values[i]), _cell(r.deltas[i]), _cell(r.relative[i])]
        rows.append(row)
    _rows(path, header, rows)


def write_fill_csv(comparison: Comparison, path: Path) -> None:
    """school_fill.csv: one row per school and input, with the change in children placed."""
    rows = [
        [s.school_id, s.name, name, s.placed[i], _cell(s.capacity[i]), _cell(s.fill[i]),
         s.placed[i] - s.placed[0]]
        for s in comparison.schools
        for i, name in enumerate(comparison.names)
    ]  # fmt: skip
    header = ["school_id", "school_name", "input", "placed", "capacity", "fill", "placed_delta"]
    _rows(path, header, rows)


def write_changes_csv(comparison: Comparison, path: Path) -> None:
    """changed_children.csv: per input, each child whose school differs from the baseline's."""
    header = ["input", "child_id", "baseline_school_id", "school_id", "change"]
    rows = [
        [c.name, c.child_id, c.baseline_school_id or "", c.school_id or "", c.change]
        for c in comparison.changes
    ]
    _rows(path, header, rows)


def _cell(value: object) -> object:
    return "" if value is None else value


def figure(value: object) -> str:
    """A KPI value as text: thousands separated, 2 decimals for fractions, n/a for None."""
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1000 else f"{value:,.2f}"
    return str(value)


def signed(value: object) -> str:
    """A delta as text, with its sign."""
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:+,}"
    if isinstance(value, float):
        whole = value.is_integer() and abs(value) >= 1000
        return f"{value:+,.0f}" if whole else f"{value:+,.2f}"
    return str(value)


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:+.1f}%"


def render_html(comparison: Comparison) -> str:
    """comparison.html: KPIs with deltas, fill per school, changed children; no scripts."""
    names = comparison.names
    body = [
        f"<h1>sendplan comparison: {escape(' vs '.join(names))}</h1>",
        f'<p class="note">Baseline: <strong>{escape(comparison.baseline)}</strong>. Deltas are '
        "each input minus the baseline; relative deltas are over the baseline's value.</p>",
        *(f'<p class="note">{escape(n)}</p>' for n in comparison.notes),
        "<h2>Runs</h2>",
        _runs_table(comparison),
        "<h2>Key figures</h2>",
        _kpi_table(comparison),
        "<h2>Fill per school</h2>",
        _fill_table(comparison),
        "<h2>Children whose school changes</h2>",
        _changes_table(comparison),
    ]
    return _PAGE.format(title=escape("sendplan comparison"), body="\n".join(body))


def _head(cells: Sequence[str]) -> str:
    return "<tr>" + "".join(f"<th>{escape(c)}</th>" for c in cells) + "</tr>"


def _row(cells: Sequence[str], *, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<tr{cls}>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>"


def _runs_table(comparison: Comparison) -> str:
    keys = [k for k in comparison.runs[0] if k != "name"]
    rows = [_row([str(run["name"]), *(_text(run.get(k)) for k in keys)]) for run in comparison.runs]
    return f"<table>{_head(['input', *keys])}{''.join(rows)}</table>"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "+".join(str(v) for v in value)
    return str(value)


def _kpi_table(comparison: Comparison) -> str:
    names = comparison.names
    head = ["figure", names[0]]
    for name in names[1:]:
        head += [name, "delta", "relative"]
    rows = []
    for r in comparison.kpis:
        cells = [r.key, figure(r.values[0])]
        for i in range(1, len(names)):
            cells += [figure(r.values[i]), signed(r.deltas[i]), percent(r.relative[i])]
        changed = any(d not in (0, None) for d in r.deltas)
        rows.append(_row(cells, css="changed" if changed else ""))
    return f'<table class="kpi">{_head(head)}{"".join(rows)}</table>'


def _fill_table(comparison: Comparison) -> str:
    if not comparison.schools:
        return "<p>No schools.</p>"
    head = ["school", "school_id"] + [f"{n}: placed / capacity" for n in comparison.names]
    rows = []
    for s in comparison.schools:
        cells = [s.name, s.school_id]
        for placed, capacity, fill in zip(s.placed, s.capacity, s.fill, strict=True):
            share = "" if fill is None else f" ({100 * fill:.0f}%)"
            cells.append(f"{placed} / {'?' if capacity is None else capacity}{share}")
        changed = len(set(s.placed)) > 1 or len(set(s.capacity)) > 1
        rows.append(_row(cells, css="changed" if changed else ""))
    return f"<table>{_head(head)}{''.join(rows)}</table>"


def _changes_table(comparison: Comparison) -> str:
    if not comparison.changes:
        return "<p>No child's school changes.</p>"
    counts = ", ".join(f"{n}: {c:,}" for n, c in list(comparison.changed_counts().items())[1:])
    rows = "".join(
        _row([c.name, c.child_id, c.baseline_school_id or "", c.school_id or "", c.change])
        for c in comparison.changes
    )
    head = _head(["input", "child_id", "baseline school", "school", "change"])
    return f'<p class="note">{escape(counts)}</p><table>{head}{rows}</table>'


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1400px; }}
table {{ border-collapse: collapse; margin-bottom: 1.5rem; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }}
table.kpi td {{ text-align: right; }}
table.kpi td:first-child {{ text-align: left; }}
tr.changed td {{ background: #fff4e5; }}
.note {{ color: #555; }}
</style></head><body>
{body}
<p class="note">All children are identified by pseudonymous ids only. Generated by sendplan.</p>
</body></html>
"""
