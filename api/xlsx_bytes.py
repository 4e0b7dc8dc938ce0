"""Workbook bytes that depend on the content only: fixed document dates and zip timestamps, so
the same plan gives the same .xlsx bytes (DESIGN.md: deterministic outputs)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl import Workbook

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_DOCUMENT_TIME = datetime(2000, 1, 1)


def workbook_bytes(book: Workbook) -> bytes:
    """``book`` saved as .xlsx bytes with fixed created/modified dates and zip timestamps."""
    book.properties.created = FIXED_DOCUMENT_TIME
    book.properties.modified = FIXED_DOCUMENT_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    return fixed_zip(buffer.getvalue())


def fixed_zip(data: bytes) -> bytes:
    """The same zip with fixed entry timestamps, so the same plan gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time into `modified` whatever the properties say.
                content = re.sub(
                    rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>",
                    rb"<dcterms:modified\1>2000-01-01T00:00:00Z</dcterms:modified>",
                    content,
                )
            dst.writestr(fixed, content)
    return out.getvalue()


__all__ = ["fixed_zip", "workbook_bytes"]
