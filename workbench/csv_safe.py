"""The one CSV writer of the app: every cell a spreadsheet would evaluate is neutralised.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets (CSV injection); such a cell is written with a
leading apostrophe, which they show as text. Numbers are written as numbers, untouched.
Pure: no Flask, no database.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as it may go into a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_line(row: Iterable[Any]) -> str:
    """One CSV record (with its line end) with every cell made safe."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """A whole CSV document, record by record (for streaming responses and files)."""
    yield csv_line(header)
    for row in rows:
        yield csv_line(row)
