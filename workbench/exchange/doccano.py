"""doccano sequence-labelling JSONL: one ``{"text": ..., "label": [[start, end, label], ...]}`` per line.

Offset units
------------
doccano's annotator runs in the browser and records offsets as JavaScript string
indices, i.e. **UTF-16 code units**, unless the project was created with
"Count grapheme clusters as one character" (``graphemeMode``), in which case an
offset counts extended grapheme clusters. Evidence: doccano issue #2290
("Sequence labels are TypeScript/JavaScript-style": in ``"👨🏻‍🚒 firemen drive
firetrucks"`` doccano stores ``firetrucks`` at 22..32 where Python has 19..29,
"without 'Count grapheme clusters as one character'"), issue #2484 (the same
UTF-16/Python mismatch reported in 2026), and the ``graphemeMode`` project flag
handed to doccano's ``v-annotator`` component. So the default ``unit`` here is
``"utf16"``; pass ``"grapheme"`` for grapheme-mode projects, or ``"codepoint"``
for files produced by Python tools that slice ``str`` directly.

Import accepts both shapes doccano writes: ``"label": [[start, end, name], ...]``
and, for projects with relations, ``"entities": [{"start_offset", "end_offset",
"label", ...}, ...]``. Offsets are converted to code points and never "repaired":
anything that does not fit is reported in one :class:`FormatError`.

Grapheme mode needs the third-party ``regex`` package (``\\X``); it is imported
only when that unit is used.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

from ..text import codepoint_to_utf16, utf16_to_codepoint
from . import (
    ArticleWithAssertions,
    FormatError,
    ImportedSpan,
    ImportedTask,
    Problem,
    check_assertion,
    check_label_map,
    is_int,
    resolve_label,
)

__all__ = ["UNITS", "Unit", "export_lines", "from_codepoint", "grapheme_boundaries", "parse_lines", "to_codepoint"]

Unit = Literal["utf16", "codepoint", "grapheme"]
UNITS: tuple[Unit, ...] = ("utf16", "codepoint", "grapheme")


# --------------------------------------------------------------------------
# Offset units
# --------------------------------------------------------------------------


def grapheme_boundaries(text: str) -> list[int]:
    """Code-point offsets of every extended-grapheme-cluster boundary in ``text``, including 0 and ``len(text)``."""
    try:
        import regex
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("grapheme offsets need the 'regex' package (pip install regex)") from exc
    return [0, *(match.end() for match in regex.finditer(r"\X", text))]


def _require_unit(unit: str) -> None:
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")


def to_codepoint(text: str, offset: int, unit: Unit, boundaries: Sequence[int] | None = None) -> int:
    """Convert an ``offset`` counted in ``unit`` into a code-point offset into ``text``.

    Raises ``ValueError`` (with a readable reason) for offsets out of range or
    inside a surrogate pair. ``boundaries`` may pass precomputed
    :func:`grapheme_boundaries` for repeated grapheme conversions.
    """
    _require_unit(unit)
    if not is_int(offset):
        raise ValueError(f"offset must be an integer, not {offset!r}")
    if unit == "utf16":
        return utf16_to_codepoint(text, offset)
    if unit == "codepoint":
        if not 0 <= offset <= len(text):
            raise ValueError(f"code-point offset {offset} is out of range 0..{len(text)}")
        return offset
    bounds = grapheme_boundaries(text) if boundaries is None else boundaries
    if not 0 <= offset < len(bounds):
        raise ValueError(f"grapheme offset {offset} is out of range 0..{len(bounds) - 1}")
    return bounds[offset]


def from_codepoint(text: str, offset: int, unit: Unit, boundaries: Sequence[int] | None = None) -> int:
    """Convert a code-point ``offset`` into ``text`` into one counted in ``unit``.

    Raises ``ValueError`` if the offset cannot be expressed (out of range, or in
    grapheme mode, inside a grapheme cluster).
    """
    _require_unit(unit)
    if unit == "utf16":
        return codepoint_to_utf16(text, offset)
    if not is_int(offset) or not 0 <= offset <= len(text):
        raise ValueError(f"code-point offset {offset!r} is out of range 0..{len(text)}")
    if unit == "codepoint":
        return offset
    bounds = grapheme_boundaries(text) if boundaries is None else boundaries
    index = _bisect(bounds, offset)
    if index is None:
        raise ValueError(f"code-point offset {offset} falls inside a grapheme cluster")
    return index


def _bisect(sorted_values: Sequence[int], value: int) -> int | None:
    # Index of ``value`` in a sorted sequence, or None if absent.
    index = bisect_left(sorted_values, value)
    return index if index < len(sorted_values) and sorted_values[index] == value else None


class _Converter:
    """Offset conversion for one text, computing grapheme boundaries at most once."""

    def __init__(self, text: str, unit: Unit) -> None:
        _require_unit(unit)
        self.text = text
        self.unit = unit
        self._bounds: list[int] | None = None

    def _boundaries(self) -> list[int] | None:
        if self.unit == "grapheme" and self._bounds is None:
            self._bounds = grapheme_boundaries(self.text)
        return self._bounds

    def to_codepoint(self, offset: int) -> int:
        return to_codepoint(self.text, offset, self.unit, self._boundaries())

    def from_codepoint(self, offset: int) -> int:
        return from_codepoint(self.text, offset, self.unit, self._boundaries())


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def export_line(item: ArticleWithAssertions, *, unit: Unit = "utf16") -> str:
    """One JSONL line (no newline) for one article: ``text``, ``label`` triples in ``unit``, and ``title``."""
    article, assertions = item
    convert = _Converter(article.body, unit)
    labels: list[list[Any]] = []
    for assertion in sorted(assertions, key=lambda a: (a.start, a.end, a.id)):
        check_assertion(article, assertion)
        try:
            start, end = convert.from_codepoint(assertion.start), convert.from_codepoint(assertion.end)
        except ValueError as exc:
            raise ValueError(f"assertion {assertion.id} cannot be written in {unit} units: {exc}") from None
        labels.append([start, end, assertion.tag])
    record = {"text": article.body, "label": labels, "title": article.title}
    return _escape_line_separators(json.dumps(record, ensure_ascii=False))


# Characters str.splitlines() breaks on that json.dumps(ensure_ascii=False) leaves raw.
_LINE_SEPARATORS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _escape_line_separators(line: str) -> str:
    # They can only occur inside JSON strings, where the escape means the same character.
    for char, escape in _LINE_SEPARATORS.items():
        line = line.replace(char, escape)
    return line


def export_lines(items: Iterable[ArticleWithAssertions], *, unit: Unit = "utf16") -> Iterator[str]:
    """Yield one doccano JSONL line (without ``\\n``) per article, offsets counted in ``unit``.

    The default ``"utf16"`` is what a default doccano project expects (see the
    module docstring). Raises ``ValueError`` if an assertion is stale (its quote no
    longer matches) or, in grapheme mode, cuts through a grapheme cluster.
    """
    _require_unit(unit)
    for item in items:
        yield export_line(item, unit=unit)


# --------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------

# (field path of the span, start, end, label, names of the start/end fields) as found in a line.
_RawSpan = tuple[str, Any, Any, Any, tuple[str, str]]


def _raw_spans(record: Mapping[str, Any], line: int, problems: list[Problem]) -> list[_RawSpan]:
    # Collect the spans of one line from "label" or "entities", reporting shape errors.
    if "label" in record and "entities" in record:
        problems.append(Problem(line, "label", "give either 'label' or 'entities', not both"))
        return []
    if "entities" in record:
        return _raw_entities(record["entities"], line, problems)
    return _raw_triples(record.get("label", []), line, problems)


def _raw_triples(value: Any, line: int, problems: list[Problem]) -> list[_RawSpan]:
    if not isinstance(value, list):
        problems.append(Problem(line, "label", "must be a list of [start, end, label]"))
        return []
    spans: list[_RawSpan] = []
    for index, item in enumerate(value):
        path = f"label[{index}]"
        if not isinstance(item, list) or len(item) != 3:
            problems.append(Problem(line, path, "must be [start, end, label]"))
            continue
        spans.append((path, item[0], item[1], item[2], ("[0]", "[1]")))
    return spans


def _raw_entities(value: Any, line: int, problems: list[Problem]) -> list[_RawSpan]:
    if not isinstance(value, list):
        problems.append(Problem(line, "entities", "must be a list of objects"))
        return []
    spans: list[_RawSpan] = []
    for index, item in enumerate(value):
        path = f"entities[{index}]"
        if not isinstance(item, dict):
            problems.append(Problem(line, path, "must be an object with start_offset, end_offset and label"))
            continue
        missing = [key for key in ("start_offset", "end_offset", "label") if key not in item]
        if missing:
            problems.append(Problem(line, path, f"missing {', '.join(missing)}"))
            continue
        spans.append((path, item["start_offset"], item["end_offset"], item["label"], (".start_offset", ".end_offset")))
    return spans


def _span(
    raw: _RawSpan, convert: _Converter, label_map: Mapping[str, str], line: int, problems: list[Problem]
) -> ImportedSpan | None:
    # Check and convert one raw span; report every problem with it.
    path, start, end, label, names = raw
    before = len(problems)
    tag: str | None = None
    label_field = f"{path}[2]" if names[0] == "[0]" else f"{path}.label"
    if not isinstance(label, str):
        problems.append(Problem(line, label_field, f"must be a string, not {label!r}"))
    else:
        tag = resolve_label(label, label_map)
        if tag is None:
            problems.append(Problem(line, label_field, f"unknown label {label!r}"))
    offsets: list[int] = []
    for name, value in zip(names, (start, end)):
        try:
            offsets.append(convert.to_codepoint(value))
        except ValueError as exc:
            problems.append(Problem(line, f"{path}{name}", str(exc)))
    if len(offsets) == 2 and offsets[0] >= offsets[1]:
        reason = "span is empty" if offsets[0] == offsets[1] else f"start {start} is after end {end}"
        problems.append(Problem(line, path, reason))
    if len(problems) > before or tag is None:
        return None
    cp_start, cp_end = offsets
    return ImportedSpan(cp_start, cp_end, str(label), tag, convert.text[cp_start:cp_end])


def _parse_line(
    raw_line: str, line: int, label_map: Mapping[str, str], unit: Unit, problems: list[Problem]
) -> ImportedTask | None:
    try:
        record = json.loads(raw_line)
    except json.JSONDecodeError as exc:
        problems.append(Problem(line, "", f"not valid JSON: {exc.msg} (column {exc.colno})"))
        return None
    if not isinstance(record, dict):
        problems.append(Problem(line, "", "must be a JSON object"))
        return None
    text = record.get("text")
    if not isinstance(text, str):
        problems.append(Problem(line, "text", "missing" if text is None else "must be a string"))
        text = None
    raw_spans = _raw_spans(record, line, problems)
    if text is None:
        return None
    convert = _Converter(text, unit)
    spans = [_span(raw, convert, label_map, line, problems) for raw in raw_spans]
    title = record.get("title")
    meta = {key: value for key, value in record.items() if key not in ("text", "label", "entities", "title")}
    return ImportedTask(
        text=text,
        spans=tuple(span for span in spans if span is not None),
        title=title if isinstance(title, str) else None,
        meta={"line": line, **meta},
    )


def _decoded(raw_line: str | bytes, line: int, problems: list[Problem]) -> str | None:
    if isinstance(raw_line, str):
        return raw_line
    try:
        return raw_line.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(line, "", f"not UTF-8: {exc.reason} at byte {exc.start}"))
        return None


def parse_lines(
    lines: Iterable[str] | Iterable[bytes] | str, label_map: Mapping[str, str], *, unit: Unit = "utf16"
) -> list[ImportedTask]:
    """Parse doccano sequence-labelling JSONL into tasks with code-point spans.

    ``label_map`` maps doccano label names to workbench tags; our own tag names
    map to themselves. Blank lines are skipped (but still counted for line
    numbers). ``lines`` may also be the whole file as one string (split on
    ``\\n`` only) or lines of UTF-8 bytes, as from a file opened in binary mode.
    Raises :class:`FormatError` listing every problem in the file: bad
    JSON, missing text, malformed spans, empty or reversed spans, out-of-range
    offsets, offsets inside a surrogate pair (UTF-16 mode), and unknown labels.
    """
    _require_unit(unit)
    check_label_map(label_map)
    problems: list[Problem] = []
    tasks: list[ImportedTask] = []
    if isinstance(lines, str):
        lines = lines.split("\n")
    for line_number, raw_line in enumerate(lines, start=1):
        decoded = _decoded(raw_line, line_number, problems)
        if decoded is None:
            continue
        stripped = (decoded.removeprefix("\ufeff") if line_number == 1 else decoded).strip()
        if not stripped:
            continue
        task = _parse_line(stripped, line_number, label_map, unit, problems)
        if task is not None:
            tasks.append(task)
    if problems:
        raise FormatError(problems)
    return tasks
