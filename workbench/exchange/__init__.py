"""Pure converters between the workbench's articles/assertions and other annotation tools' formats.

Nothing here touches Flask or the database: the web layer turns rows into the
plain records below, and turns imported tasks back into rows after its own checks.

* :mod:`workbench.exchange.w3c` — W3C Web Annotation Data Model (JSON-LD).
* :mod:`workbench.exchange.labelstudio` — Label Studio JSON tasks (text ``labels``).
* :mod:`workbench.exchange.doccano` — doccano sequence-labelling JSONL.

All offsets in these records are half-open Unicode code-point offsets into the
canonical body (Python ``str`` indices), exactly like the rest of the system.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

__all__ = [
    "STANCES",
    "TAGS",
    "ArticleRecord",
    "ArticleWithAssertions",
    "AssertionRecord",
    "EvidenceRecord",
    "FormatError",
    "ImportedSpan",
    "ImportedTask",
    "Problem",
    "check_assertion",
    "check_label_map",
    "is_int",
    "resolve_label",
]

# Local copies so this package stays import-light (no SQLAlchemy). They mirror
# workbench.models.assertion.TAGS / STANCES, which the services use; they should
# later come from one shared place (tests assert they are equal).
TAGS: tuple[str, ...] = ("sourced", "unsourced", "opinion")
STANCES: tuple[str, ...] = ("supports", "refutes", "context")


# --------------------------------------------------------------------------
# Export inputs
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """An article as the exporters need it; ``body`` is the canonical (NFC, ``\\n``) text."""

    id: int
    title: str
    body: str
    source_url: str | None
    publisher: str | None
    published_at: datetime | None
    language: str | None


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """An evidence link of an assertion; ``stance`` is one of :data:`STANCES`."""

    url: str
    title: str
    stance: str


@dataclass(frozen=True, slots=True)
class AssertionRecord:
    """A tagged span ``body[start:end] == quote`` (code points) with its context and evidence."""

    id: int
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str
    tag: str
    note: str
    owner: str
    created_at: datetime
    updated_at: datetime
    evidence: tuple[EvidenceRecord, ...] = ()


#: One article and the assertions on it, the unit every exporter takes.
ArticleWithAssertions = tuple[ArticleRecord, Sequence[AssertionRecord]]


# --------------------------------------------------------------------------
# Import outputs
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportedSpan:
    """A span read from a foreign file, already converted to code points: ``text[start:end] == quote``.

    ``label`` is the name the foreign tool used, ``tag`` the workbench tag it maps to.
    """

    start: int
    end: int
    label: str
    tag: str
    quote: str


@dataclass(frozen=True, slots=True)
class ImportedTask:
    """One document read from a foreign file: its text (as given, not canonicalised) and spans.

    ``meta`` holds whatever the format carried besides (task ids, annotation ids, ...).
    """

    text: str
    spans: tuple[ImportedSpan, ...]
    title: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class Problem(NamedTuple):
    """One thing wrong with an input file: where (1-based line/record number, field path) and why."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.line}: {self.field}" if self.field else f"{self.line}"
        return f"{where}: {self.reason}"


class FormatError(ValueError):
    """An input file is unusable; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: Sequence[Problem | tuple[int, str, str]]) -> None:
        self.problems: list[Problem] = [Problem(*problem) for problem in problems]
        count = len(self.problems)
        summary = f"{count} problem{'s' if count != 1 else ''} in the input"
        details = "; ".join(str(problem) for problem in self.problems[:20])
        more = f"; … and {count - 20} more" if count > 20 else ""
        super().__init__(f"{summary}: {details}{more}" if count else summary)


def check_label_map(label_map: Mapping[str, str]) -> None:
    """Raise ``ValueError`` if ``label_map`` maps a label to something that is not a tag (a caller bug)."""
    bad = sorted({tag for tag in label_map.values() if tag not in TAGS})
    if bad:
        raise ValueError(f"label_map values must be tags ({', '.join(TAGS)}), not: {', '.join(bad)}")


def resolve_label(label: str, label_map: Mapping[str, str]) -> str | None:
    """Return the tag for a foreign ``label``: ``label_map`` first, then our own tag names; ``None`` if unknown."""
    if label in label_map:
        return label_map[label]
    return label if label in TAGS else None


def is_int(value: object) -> bool:
    """True for a real ``int`` offset (JSON numbers like ``3.0`` and booleans are not offsets)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_assertion(article: ArticleRecord, assertion: AssertionRecord) -> None:
    """Raise ``ValueError`` unless ``assertion`` is a well-formed span of ``article.body`` with a known tag.

    Exporters call this so that a stale quote is never written out as if it were true.
    """
    body = article.body
    if not (is_int(assertion.start) and is_int(assertion.end)):
        raise ValueError(f"assertion {assertion.id}: offsets must be ints")
    if not 0 <= assertion.start < assertion.end <= len(body):
        raise ValueError(
            f"assertion {assertion.id}: span {assertion.start}..{assertion.end} is empty or outside "
            f"article {article.id} (length {len(body)})"
        )
    if body[assertion.start : assertion.end] != assertion.quote:
        raise ValueError(f"assertion {assertion.id}: quote does not match article {article.id} at its offsets")
    if assertion.tag not in TAGS:
        raise ValueError(f"assertion {assertion.id}: unknown tag {assertion.tag!r}")
