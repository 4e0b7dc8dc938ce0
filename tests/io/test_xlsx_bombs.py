"""Hostile workbooks are refused before openpyxl parses them (promise 5): zip bombs (a 100 MB XML
comment packed into about 100 KB, over the size limit; a 40 MB one, under it but packed a
thousand to one), an entity-expansion bomb ("billion laughs") and elements nested 100,000 deep.
Each workbook is built here, small on disk.

The command runs in a subprocess with a generous timeout: the timeout only guards the test run
(before the guard the comment bomb stalled the loader for minutes); the assertions are on the
outcome, exit code 2 and one line, never on wall-clock time.
"""

from __future__ import annotations

import base64
import io
import random
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from scenario_files import CHILD_HEADER, CHILD_ROWS, FLEET_CSV, SCHOOLS_CSV

from sendplan.api.xlsx_guard import MAX_DEPTH, check_workbook
from sendplan.errors import InputError

SHEET = "xl/worksheets/sheet1.xml"  # the first sheet: schools
GUARD_TIMEOUT_S = 300


def _rows(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.strip().splitlines()]


def good_workbook() -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "schools"
    for row in _rows(SCHOOLS_CSV):
        first.append(row)
    for title, text in (("children", "\n".join((CHILD_HEADER, *CHILD_ROWS))),
                        ("fleet", FLEET_CSV)):  # fmt: skip
        sheet = book.create_sheet(title)
        for row in _rows(text):
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewritten(member: str, write: Callable[[io.BufferedIOBase, bytes], None]) -> bytes:
    """The good workbook with ``member`` rewritten by ``write(stream, original bytes)``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good_workbook())) as src,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename != member:
                dst.writestr(info.filename, data)
                continue
            with dst.open(info.filename, "w") as stream:
                write(stream, data)  # type: ignore[arg-type]
    return out.getvalue()


DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def comment_of(megabytes: int) -> Callable[[io.BufferedIOBase, bytes], None]:
    """An XML comment of ``megabytes`` MB before the root element, written in 1 MB blocks."""

    def write(stream: io.BufferedIOBase, original: bytes) -> None:
        stream.write(DECLARATION + b"<!--")
        block = b"a" * 1_000_000
        for _ in range(megabytes):
            stream.write(block)
        stream.write(b"-->" + original)

    return write


def incompressible_comment(stream: io.BufferedIOBase, original: bytes) -> None:
    """A 2 MB comment of random letters: packs no better than 4 to 3, so no ratio catches it."""
    letters = base64.b64encode(random.Random(7).randbytes(1_500_000))
    stream.write(DECLARATION + b"<!--" + letters + b"-->" + original)


def billion_laughs(stream: io.BufferedIOBase, original: bytes) -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    stream.write(DECLARATION + b"<!DOCTYPE worksheet [" + "".join(entities).encode() + b"]>")
    cell = b'<row r="9"><c r="A9" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData>'
    stream.write(original.replace(b"</sheetData>", cell, 1))


def deep_nesting(stream: io.BufferedIOBase, original: bytes) -> None:
    depth = 100_000
    nested = b"<x>" * depth + b"</x>" * depth
    stream.write(original.replace(b"<sheetData>", nested + b"<sheetData>"))


BOMBS = {
    "zip-bomb-100mb-comment": (comment_of(100), "would unpack to 95 MiB (at most 64 MiB"),
    "zip-bomb-40mb-comment": (comment_of(40), "packed"),
    "xml-long-incompressible-comment": (incompressible_comment, "XML comment over 1 MiB"),
    "xml-billion-laughs": (billion_laughs, "DOCTYPE"),
    "xml-deep-nesting": (deep_nesting, f"more than {MAX_DEPTH} deep"),
}


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    made = {}
    for name, (write, _) in BOMBS.items():
        path = folder / f"{name}.xlsx"
        path.write_bytes(rewritten(SHEET, write))
        made[name] = path
    return made


def _sendplan() -> list[str]:
    exe = Path(sys.executable).parent / "sendplan"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "sendplan.api.cli"]


def test_the_good_workbook_loads(tmp_path: Path) -> None:
    path = tmp_path / "good.xlsx"
    path.write_bytes(good_workbook())
    check_workbook(path)
    done = subprocess.run(
        [*_sendplan(), "place", str(path), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=GUARD_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", list(BOMBS))
def test_bomb_is_small_on_disk(bombs: dict[str, Path], name: str) -> None:
    assert bombs[name].stat().st_size < 2_500_000


@pytest.mark.parametrize("name", list(BOMBS))
def test_bomb_is_refused_with_exit_2(bombs: dict[str, Path], name: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [*_sendplan(), "place", str(bombs[name]), "--out", str(out)],
        capture_output=True, text=True, timeout=GUARD_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    line = done.stderr.strip()
    assert line.startswith(f"error: {name}.xlsx: refused:") and BOMBS[name][1] in line, line
    assert not out.exists()


@pytest.mark.parametrize("name", list(BOMBS))
def test_guard_refuses_before_parsing(bombs: dict[str, Path], name: str) -> None:
    with pytest.raises(InputError) as caught:
        check_workbook(bombs[name])
    assert caught.value.file == f"{name}.xlsx"


def test_a_file_that_is_not_a_zip_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputError, match=r"not a readable \.xlsx workbook"):
        check_workbook(path)
