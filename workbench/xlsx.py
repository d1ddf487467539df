"""XLSX downloads with openpyxl's write-only workbook. Pure: no Flask, no database.

Rows are written one by one (memory stays flat), into a spooled temporary file that is then
sent in chunks. Text cells that a spreadsheet would read as a formula are written as text:
openpyxl stores a str as a string cell unless it begins with "=", so those get the same
apostrophe the CSV writer uses."""
from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from .csv_safe import safe_cell

CHUNK = 64 * 1024


def xlsx_chunks(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Report")
    sheet.append(list(header))
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as buffer:
        workbook.save(buffer)
        buffer.seek(0)
        while chunk := buffer.read(CHUNK):
            yield chunk
