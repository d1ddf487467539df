"""Parsing of the values that arrive as text (query parameters, form fields, URLs).

Pure: no Flask, no database. One parser per kind of value, with the same bounds everywhere, so
every entry point refuses the same bad input the same way: ``ValueProblem`` (a
``ValidationFailed``) carries a message for the field; the API answers it with a 422 JSON
error, a page shows the message beside the field.
"""
from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from .config import MAX_INT, MAX_URL_LENGTH
from .services.errors import ValidationFailed

# ASCII digits only: str.isdigit() also accepts "²", "١٢" and other digits that int() refuses
# or reads as a number nobody typed.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,10}")


class ValueProblem(ValidationFailed):
    """A value that cannot be used; ``field`` names it, ``message`` says why."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field)


def parse_int(raw: object, field: str, *, minimum: int = 0, maximum: int = MAX_INT,
              what: str | None = None) -> int:
    """A whole number written in ASCII digits, from ``minimum`` to ``maximum`` (at most 2**31-1,
    what every id and offset column holds). Surrounding ASCII spaces and tabs are allowed; signs, separators,
    exponents and other scripts' digits are not."""
    text = raw.strip(" \t") if isinstance(raw, str) else None
    bounds = f"from {minimum} to {maximum}"
    if not text or not _WHOLE_NUMBER.fullmatch(text):
        raise ValueProblem(f"{field} must be {what or 'a whole number'} {bounds}.", field)
    value = int(text)
    if not minimum <= value <= maximum:
        raise ValueProblem(f"{field} must be {what or 'a whole number'} {bounds}.", field)
    return value


def parse_optional_int(raw: object, field: str, **bounds: int) -> int | None:
    """``parse_int``, with a missing or empty value meaning None."""
    if raw is None or (isinstance(raw, str) and not raw.strip(" \t")):
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


def parse_http_url(raw: object, field: str) -> str:
    """An absolute http(s) URL of at most 2048 characters, without spaces or controls."""
    url = raw.strip() if isinstance(raw, str) else ""
    if not url:
        raise ValueProblem("A URL is required.", field)
    if len(url) > MAX_URL_LENGTH:
        raise ValueProblem(f"A URL may have at most {MAX_URL_LENGTH} characters.", field)
    if any(ch.isspace() or ord(ch) < 32 or ch in LINE_BREAKS for ch in url):
        raise ValueProblem("A URL may not contain spaces or control characters.", field)
    try:
        parts = urlsplit(url)
    except ValueError:  # an invalid IPv6 literal, say
        raise ValueProblem("This is not a valid URL.", field) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueProblem("Only http:// and https:// links are accepted.", field)
    return url


def parse_line(raw: object, field: str, *, maximum: int, required: bool = True,
               what: str = "This") -> str:
    """One line of text (a title, a publisher): trimmed, at most ``maximum`` characters, with
    no line or paragraph separator of any kind."""
    text = raw.strip() if isinstance(raw, str) else ""
    if raw is not None and not isinstance(raw, str):
        raise ValueProblem(f"{what} must be text.", field)
    if not text and required:
        raise ValueProblem(f"{what} is required.", field)
    if len(text) > maximum:
        raise ValueProblem(f"{what} may have at most {maximum} characters.", field)
    if has_line_break(text):
        raise ValueProblem(f"{what} is one line.", field)
    return text


# A calendar date as people and <input type="date"> write it: ASCII digits only (fromisoformat
# alone also takes "20261130" and week dates such as "2026-W01-1").
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(raw: object, field: str) -> date | None:
    """A date written 2026-11-30 (a real day of the calendar); missing or empty means None."""
    if raw is None or (isinstance(raw, str) and not raw.strip(" \t")):
        return None
    text = raw.strip(" \t") if isinstance(raw, str) else ""
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueProblem("A date is written 2026-11-30 (year, month, day).", field) from None


def int_or_default(raw: object, default: int | None, *, minimum: int = 0,
                   maximum: int = MAX_INT) -> int | None:
    """For navigation parameters no form field carries (a page's ``before`` cursor, ``cards``,
    ``focus``): a bad value means the default, as a missing one does."""
    try:
        return parse_int(raw, "value", minimum=minimum, maximum=maximum)
    except ValueProblem:
        return default


MAX_LANGUAGE_LENGTH = 35
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


def parse_language(raw: object, field: str = "language") -> str | None:
    """A BCP 47 language tag such as ``en`` or ``ar-MA`` (ASCII letters and digits only);
    missing or empty means None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = raw.strip() if isinstance(raw, str) else ""
    if len(text) > MAX_LANGUAGE_LENGTH or not _LANGUAGE_TAG.fullmatch(text):
        raise ValueProblem("Language must be a language tag such as 'en' or 'ar-MA'.", field)
    return text


MAX_REASON_LENGTH = 1000


def parse_reason(raw: object, field: str = "reason") -> str:
    """Why a supervisor decided something (kept in the audit trail): required, one paragraph."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise ValueProblem("Say why (the reason is kept in the audit trail).", field)
    if len(text) > MAX_REASON_LENGTH:
        raise ValueProblem(f"A reason may have at most {MAX_REASON_LENGTH} characters.", field)
    return text
