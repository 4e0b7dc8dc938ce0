"""Refuse a hostile .xlsx before openpyxl parses it: zip bombs, XML bombs and deep nesting.

An .xlsx workbook is a zip of XML files. A small file can unpack to gigabytes (a 112 KB workbook
holding a 100 MB XML comment stalled the loader for minutes), and XML can declare entities that
expand exponentially ("billion laughs") or nest without end. :func:`check_workbook` reads only
the zip's directory and then parses each XML member with expat, with no handler but counters,
so it refuses such a file within seconds, whatever it claims to unpack to:

- at most ``MAX_MEMBERS`` members, ``MAX_MEMBER_BYTES`` unpacked per member and
  ``MAX_TOTAL_BYTES`` in all, as the zip directory declares them (Python's zipfile never returns
  more bytes than a member declares, and a member that unpacks to other bytes fails its CRC);
- no member over 1 MiB packed more tightly than ``MAX_RATIO`` to 1 (real sheets pack about 10
  to 1; bombs a thousand to 1);
- no DOCTYPE or entity declaration in any XML member (a spreadsheet never needs one), no
  element nested deeper than ``MAX_DEPTH``, and no comment, processing instruction or tag
  longer than ``MAX_TOKEN_CHARS`` (a parser fed in chunks re-reads an unfinished token each
  time: a 40 MB comment of incompressible text took openpyxl minutes).

openpyxl would use ``defusedxml`` if it were installed; these checks do not depend on it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any
from xml.parsers import expat

from sendplan.errors import InputError, visible

MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 64 * 2**20  # about 80,000 rows of 20 columns in one sheet
MAX_TOTAL_BYTES = 256 * 2**20
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 2**20  # smaller members may pack as tightly as they like
MAX_DEPTH = 64  # a worksheet nests about 6 deep
MAX_TOKEN_CHARS = 2**20  # one comment, processing instruction or tag's attributes
_XML_SUFFIXES = (".xml", ".rels", ".vml")


class _Refused(Exception):
    """An XML member that must not reach the parser."""


def check_workbook(path: Path) -> None:
    """Raise InputError naming the workbook if it is not a zip of reasonable size holding
    plain XML (no DTD, no entities, no deep nesting); return quietly otherwise."""

    def refuse(why: str) -> InputError:
        return InputError(path.name, f"refused: {why}")

    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise InputError(
            path.name, f"not a readable .xlsx workbook ({type(err).__name__})"
        ) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise refuse(f"the workbook holds {len(members)} files (at most {MAX_MEMBERS})")
        total = 0
        for info in members:
            name = visible(info.filename, 60)
            if info.file_size > MAX_MEMBER_BYTES:
                raise refuse(
                    f"{name} would unpack to {_mib(info.file_size)} "
                    f"(at most {_mib(MAX_MEMBER_BYTES)} per part)"
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
                raise refuse(
                    f"{name} is packed {ratio:,.0f} to 1 (at most {MAX_RATIO} to 1): "
                    "a zip bomb, not a spreadsheet"
                )
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise refuse(
                f"the workbook would unpack to {_mib(total)} (at most {_mib(MAX_TOTAL_BYTES)})"
            )
        for info in members:
            if info.filename.lower().endswith(_XML_SUFFIXES):
                try:
                    _scan_xml(archive, info)
                except _Refused as why:
                    raise refuse(f"{visible(info.filename, 60)} {why}") from None
                except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as err:
                    raise InputError(
                        path.name, f"not a readable .xlsx workbook ({type(err).__name__})"
                    ) from None


def _too_long(what: str) -> str:
    return f"holds {what} over {MAX_TOKEN_CHARS // 2**20} MiB long"


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"


def _scan_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """One member through expat in one piece: no DTD, no entity, no nesting beyond MAX_DEPTH,
    no comment, processing instruction or tag longer than MAX_TOKEN_CHARS.

    In one piece because expat re-reads an unfinished token each time more arrives: fed in
    chunks (as openpyxl feeds it), a 40 MB comment takes minutes; whole, about a second. The
    token limit then keeps openpyxl's chunked parse fast too.
    """
    parser = expat.ParserCreate()
    depth = 0

    def start(_name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise _Refused(f"nests XML elements more than {MAX_DEPTH} deep")
        if sum(len(k) + len(v) for k, v in attrs.items()) > MAX_TOKEN_CHARS:
            raise _Refused(_too_long("an XML tag"))

    def comment(data: str) -> None:
        if len(data) > MAX_TOKEN_CHARS:
            raise _Refused(_too_long("an XML comment"))

    def instruction(target: str, data: str) -> None:
        if len(target) + len(data) > MAX_TOKEN_CHARS:
            raise _Refused(_too_long("an XML processing instruction"))

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    def doctype(*_args: Any) -> None:
        raise _Refused("declares a DOCTYPE (entity expansion is not allowed)")

    def entity(*_args: Any) -> None:
        raise _Refused("declares an XML entity (entity expansion is not allowed)")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.CommentHandler = comment
    parser.ProcessingInstructionHandler = instruction
    with archive.open(info) as stream:
        data = stream.read(MAX_MEMBER_BYTES + 1)  # zipfile stops at the declared size
    if len(data) > MAX_MEMBER_BYTES:
        raise _Refused(f"unpacks to more than {_mib(MAX_MEMBER_BYTES)}")
    try:
        parser.Parse(data, True)
    except expat.ExpatError as err:
        raise _Refused(f"is not well-formed XML ({expat.ErrorString(err.code)})") from None
