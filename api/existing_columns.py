"""A council's table of current routes for ``existing_routes.py``: its column headings read as
our fields, directly or through a column mapping (``--columns FILE``, TOML or CSV)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sendplan.api.existing_rows import FIELDS, REQUIRED, Row, norm_heading
from sendplan.errors import InputError, loads_toml, read_csv, visible


def read_column_map(path: Path) -> dict[str, str]:
    """Our field -> the council's column heading, from a TOML or ``field,column`` CSV file."""
    name = path.name
    items: list[tuple[int | None, str, object]] = []
    if path.suffix.lower() == ".toml":
        try:
            document = loads_toml(path.read_text(encoding="utf-8-sig"))
        except OSError as err:
            raise InputError(name, f"cannot read the file ({err.strerror})") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise InputError(name, f"not a TOML file ({err})") from None
        items = [(None, key, value) for key, value in document.items()]
    else:
        header, reader = read_csv(path)
        if [h.lower() for h in header[:2]] != ["field", "column"] or len(header) != 2:
            raise InputError(name, "the header must be: field,column", row=1, field="field")
        for number, cells in enumerate(reader, start=2):
            if any(c.strip() for c in cells):
                if len(cells) != 2:
                    raise InputError(name, f"{len(cells)} cells for 2 columns", row=number)
                items.append((number, cells[0].strip(), cells[1].strip()))
    out: dict[str, str] = {}
    for row, key, value in items:
        if key not in FIELDS:
            known = ", ".join(FIELDS)
            raise InputError(
                name, f"unknown field {visible(key)} (fields: {known})", row=row, field=key
            )
        if not isinstance(value, str) or not value.strip():
            raise InputError(name, "the column heading must be text", row=row, field=key)
        if key in out:
            raise InputError(name, f"{key} is mapped twice", row=row, field=key)
        if norm_heading(value) in {norm_heading(v) for v in out.values()}:
            raise InputError(name, f"column {visible(value)} is mapped twice", row=row, field=key)
        out[key] = value.strip()
    return out


def table_rows(
    name: str,
    sheet: str | None,
    header: list[str],
    rows: Iterable[tuple[int, list[Any]]],
    mapping: dict[str, str] | None,
    mapping_path: Path | None,
    header_row: int = 1,
) -> Iterator[Row]:
    """Rows of a table whose columns are our fields, or the council's through ``mapping``."""

    def bad(heading: str, message: str) -> InputError:
        return InputError(name, message, row=header_row, field=heading, sheet=sheet)

    where = mapping_path.name if mapping_path else "the column mapping"
    position: dict[str, list[int]] = {}
    for k, heading in enumerate(header):
        if heading is not None and str(heading).strip():
            position.setdefault(norm_heading(heading), []).append(k)
    wanted = {f: (mapping or {}).get(f, f) for f in FIELDS}
    if mapping is None:
        for heading in header:
            if heading is not None and str(heading).strip() and norm_heading(heading) not in FIELDS:
                hint = "(a council's own headings are read with --columns)"
                raise bad(str(heading), f"unknown column {visible(str(heading))} {hint}")
    columns: dict[str, int] = {}
    for field, heading in wanted.items():
        found = position.get(norm_heading(heading), [])
        if len(found) > 1:
            raise bad(heading, f"column {visible(heading)} appears twice")
        if found:
            columns[field] = found[0]
        elif mapping is not None and field in mapping:
            raise bad(heading, f"no column {visible(heading)} (mapped to {field} in {where})")
        elif field in REQUIRED:
            hint = f" (name the heading that holds it in {where})" if mapping is not None else ""
            raise bad(field, f"missing column {field}{hint}")
    headings = {f: wanted[f] for f in columns}
    for number, cells in rows:
        if not any(c is not None and str(c).strip() for c in cells):
            continue
        if len(cells) != len(header) and sheet is None:
            raise InputError(name, f"{len(cells)} cells for {len(header)} columns", row=number)
        values = {f: (cells[k] if k < len(cells) else None) for f, k in columns.items()}
        yield Row(values, headings, number, sheet)
