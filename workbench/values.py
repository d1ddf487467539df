"""Parsing of the values that arrive as text (query parameters, form fields, path segments).

Pure: no Flask, no database. One parser per kind of value, with the same bounds everywhere, so
every entry point refuses the same bad input the same way: ``ValueProblem`` carries a message
for the field; the API turns it into a 422 JSON error, a page into a message beside the field.
"""
from __future__ import annotations

import re

from .config import MAX_INT

# ASCII digits only: str.isdigit() also accepts "²", "١٢" and other digits that int() refuses
# or reads as a number nobody typed.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,10}")


class ValueProblem(ValueError):
    """A value that cannot be used; ``field`` names it, ``message`` says why."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def parse_int(raw: object, field: str, *, minimum: int = 0, maximum: int = MAX_INT,
              what: str | None = None) -> int:
    """A whole number written in ASCII digits, from ``minimum`` to ``maximum`` (at most 2**31-1,
    what every id and offset column holds). Surrounding spaces are allowed; signs, separators,
    exponents and other scripts' digits are not."""
    text = raw.strip() if isinstance(raw, str) else None
    bounds = f"from {minimum} to {maximum}"
    if not text or not _WHOLE_NUMBER.fullmatch(text):
        raise ValueProblem(f"{field} must be {what or 'a whole number'} {bounds}.", field)
    value = int(text)
    if not minimum <= value <= maximum:
        raise ValueProblem(f"{field} must be {what or 'a whole number'} {bounds}.", field)
    return value


def parse_optional_int(raw: object, field: str, **bounds: int) -> int | None:
    """``parse_int``, with a missing or empty value meaning None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return parse_int(raw, field, **bounds)  # type: ignore[arg-type]


def is_id(raw: str) -> bool:
    """Whether ``raw`` is a positive id as a URL or anchor would carry it."""
    try:
        parse_int(raw, "id", minimum=1)
    except ValueProblem:
        return False
    return True


# Characters that end a line for some reader (Python's str.splitlines, JavaScript, Unicode):
# a one-line field such as a title must hold none of them.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def has_line_break(text: str) -> bool:
    return any(ch in LINE_BREAKS for ch in text)
