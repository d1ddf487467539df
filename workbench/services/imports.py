"""Imports: text and Markdown files, JSONL of articles, the project's own JSONL export, and
Label Studio / doccano files with their annotations.

All or nothing, in two steps:

1. *Reading* (no database): every file is parsed into a ``Plan``: users, articles (canonical
   body, deduplicated by content hash), assignments and assertions with code-point offsets
   into the canonical body. Every span goes through the one span check (``text.check_span``)
   and the assertion validators here already, and every bad line is collected as an
   ``ImportProblem`` (file, line, field, reason).
   The assertion lines of a JSONL file are checked and counted, not kept: the writing
   step reads them again, so a project of any size is imported holding only its articles.
2. *Writing*, in the caller's transaction, only if reading found no problem: what is already
   stored (same content hash, same username, same assignment, same span with the same tag
   and note by the same owner, and the same creation time for an exported assertion) is
   counted as present and left alone; the rest goes through the services' writers
   (``insert_article_rows``, ``ARTICLE_BATCH`` articles per call, their rows made by
   ``article_rows`` before the first statement; ``insert_assertions``, in
   batches of up to ``SPAN_BATCH`` assertions per article). Then an exported project's adjudications, verdicts and ratings
   (the assertions they name mapped from the file's line ids to the stored ones; present
   when the article already has that decision number, that article a verdict, that
   assertion a rating). A problem found while writing is collected too.

If any problem was found, ``ImportFailed`` lists them all and the caller's transaction
rolls back: nothing is written. The service never commits.

The write lock (SQLite): the import is one transaction, so from its first write to its commit
reviewers' saves wait (they queue on the busy timeout; none fails). Reading and checking every
file, and making every article's row, comes before the first statement, so no lock is held
then; articles go in by executemany (``insert_article_rows``), and *outside the search index*
(``defer_search``): indexing text for FTS5 was nine tenths of the time the lock was held
(2.5 s for 10,000 articles). The
caller indexes them after the commit in transactions of a few hundred articles
(``articles.index_deferred_search``; migration 0010), so all or nothing holds and no save
waits long; until then the new articles are listed but not yet found by a search.

Text and Markdown files are read like the seed files (``text.parse_seed_text``: the first
line is the title, the rest the body, scraper boilerplate dropped; a Markdown title loses its
``#``). Label Studio and doccano tasks without a title are named by their first line.

Offsets: foreign texts are stored canonical (NFC, ``\\n``). A span of a text that was not
canonical is carried over to the canonical text only when the converted span's quote is the
canonical form of the original quote; otherwise it is refused, never shifted.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ..config import MAX_ARTICLE_BODY_BYTES
from ..exchange import FormatError, ImportedTask, check_label_map
from ..exchange import doccano, labelstudio
from ..models import (DECISIONS, ROLES, TAGS, VERDICT_STATES, Adjudication, Assertion,
                      AssertionRating, Assignment, User, Verdict, utcnow)
from ..models.review import ASSIGNMENT_STATUSES
from ..text import SpanError, canonicalize, check_span, content_hash, parse_seed_text
from ..values import ValueProblem, parse_http_url, parse_language, parse_line, parse_reason
from . import audit
from . import verdicts as verdicts_service
from . import users as users_service
from .articles import (MAX_PUBLISHER_LENGTH, MAX_TITLE_LENGTH, ArticleDraft, article_rows,
                       insert_article_rows, stored_articles)
from .assertions import (EvidenceInput, Guard, NewAssertion, insert_assertions, validate_evidence,
                         validate_note, validate_tag)
from .errors import ValidationFailed, WorkbenchError
from .policy import RATING_SCALE, VERDICT_SCALE, project_access

__all__ = ["FORMATS", "ImportFailed", "ImportProblem", "ImportReport", "Progress",
           "import_paths", "parse_label_map", "read_paths"]

#: What ``--format`` accepts; ``auto`` decides by file name and first line.
FORMATS: tuple[str, ...] = ("auto", "text", "jsonl", "labelstudio", "doccano")
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
#: Called as ``progress(kind, done, total)`` while articles and then assertions are written.
Progress = Callable[[str, int, int], None]
#: Assertions of a JSONL file written per ``insert_assertions`` call, and held at most.
SPAN_BATCH = 1000
#: New articles written per ``insert_article_rows`` call.
ARTICLE_BATCH = 500
MAX_PENDING_SPANS = 20_000


class ImportProblem(NamedTuple):
    """One bad record: the file, its line (record number in Label Studio JSON; 0 for the file
    as a whole), the field and why."""

    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" + (f": {self.field}" if self.field else "")
        return f"{where}: {self.reason}"


class ImportFailed(ValidationFailed):
    """The import was refused; ``problems`` lists every bad line. Nothing was written."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.field, p.reason))
        count = len(self.problems)
        listed = "; ".join(str(p) for p in self.problems[:50])
        more = f"; … and {count - 50} more" if count > 50 else ""
        super().__init__(f"Nothing was imported: {count} problem{'s' * (count != 1)}: "
                         f"{listed}{more}", None, code="import_refused")


@dataclass
class ImportReport:
    """What an import created and what it found already stored, per kind of record."""

    created: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)

    @property
    def nothing_new(self) -> bool:
        return not any(self.created.values())

    def lines(self) -> list[str]:
        """One line per kind, e.g. ``articles: 3 created, 1 already present``."""
        kinds = [k for k in ("users", "articles", "assignments", "assertions", "adjudications",
                             "verdicts", "ratings") if self.created[k] or self.present[k]]
        summary = [f"{kind}: {self.created[kind]} created, {self.present[kind]} already present"
                   for kind in kinds]
        if self.nothing_new:
            summary.append("Nothing new: everything in the input is already stored.")
        return summary


# -- The plan -----------------------------------------------------------------------------------

@dataclass(slots=True)
class PlannedSpan:
    """An assertion to write: code points into the canonical body, owner by username (``None``:
    the import's owner), timestamps when the source had them."""

    origin: tuple[str, int]
    start: int
    end: int
    quote: str
    tag: str
    note: str = ""
    evidence: tuple[EvidenceInput, ...] = ()
    owner: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    consensus: bool = False
    file_id: int | None = None  # the ``id`` of its line in an exported JSONL file
    stored_id: int | None = None  # set once written (or found already stored)

    def key(self) -> tuple[int, int, str, str, bool]:
        return (self.start, self.end, self.tag, self.note, self.consensus)


@dataclass(slots=True)
class PlannedArticle:
    origin: tuple[str, int]
    title: str
    body: str
    source_url: str | None = None
    publisher: str | None = None
    published_at: date | None = None
    language: str | None = None
    spans: list[PlannedSpan] = field(default_factory=list)
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        self.digest = content_hash(self.body)


@dataclass(slots=True)
class PlannedAssignment:
    origin: tuple[str, int]
    digest: str
    reviewer: str
    status: str
    assigned_by: str | None
    assigned_at: datetime | None
    submitted_at: datetime | None


@dataclass(slots=True)
class PlannedDecision:
    """An adjudication of an exported project; assertions named by their line ids in the
    file of ``origin`` (``None``: deleted before the export)."""

    origin: tuple[str, int]
    digest: str
    version: int
    action: str
    reason: str
    actor: str
    at: datetime | None
    source_ids: list[int | None]
    result_id: int | None
    result: dict[str, Any] | None


@dataclass(slots=True)
class PlannedVerdict:
    origin: tuple[str, int]
    digest: str
    rating: str
    summary: str
    state: str
    slug: str
    author: str | None
    created_at: datetime | None
    updated_at: datetime | None
    published_at: datetime | None
    version: int


@dataclass(slots=True)
class PlannedRating:
    origin: tuple[str, int]
    assertion: int  # the ``id`` of an assertion line of the same file
    rating: str
    explanation: str
    rated_by: str | None
    updated_at: datetime | None
    version: int


@dataclass
class Plan:
    """Everything an import will write, read and checked, not yet stored."""

    users: dict[str, tuple[str, tuple[str, int]]] = field(default_factory=dict)
    articles: dict[str, PlannedArticle] = field(default_factory=dict)
    assignments: list[PlannedAssignment] = field(default_factory=list)
    decisions: list[PlannedDecision] = field(default_factory=list)
    verdicts: list[PlannedVerdict] = field(default_factory=list)
    ratings: list[PlannedRating] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    # JSONL files whose assertion lines are read again while writing (so they are never all
    # held at once), with the article ids each file defined, and how many lines that is.
    jsonl_spans: dict[str, _JsonlState] = field(default_factory=dict)
    deferred_spans: int = 0

    def add_article(self, article: PlannedArticle) -> PlannedArticle:
        """Add an article, or merge its spans into the one with the same text."""
        known = self.articles.setdefault(article.digest, article)
        if known is not article:
            known.spans.extend(article.spans)
        return known

    def problem(self, origin: tuple[str, int], field_name: str, reason: str) -> None:
        self.problems.append(ImportProblem(origin[0], origin[1], field_name, reason))


def parse_label_map(pairs: Iterable[str]) -> dict[str, str]:
    """``["Claim=sourced", ...]`` as a mapping; ValidationFailed for a pair that is not
    ``LABEL=TAG`` or names an unknown tag."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        label, sep, tag = pair.rpartition("=")
        if not sep or not label:
            raise ValidationFailed(f"A label mapping is LABEL=TAG, not {pair!r}.", "map")
        if tag not in TAGS:
            raise ValidationFailed(f"{tag!r} is not a tag ({', '.join(TAGS)}).", "map")
        mapping[label] = tag
    return mapping


# -- Reading files ------------------------------------------------------------------------------

def _files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files named, and the importable files of the folders named (sorted, recursive)."""
    known = TEXT_SUFFIXES | JSONL_SUFFIXES | {".json"}
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*")
                              if p.is_file() and p.suffix.lower() in known)
        else:
            yield path


def _first_record(path: Path) -> Any:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip():
                try:
                    return json.loads(line.removeprefix("\ufeff"))
                except json.JSONDecodeError:
                    return None
    return None


def detect_format(path: Path) -> str:
    """``text``, ``jsonl``, ``labelstudio`` or ``doccano`` from the name and first record."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix == ".json":
        return "labelstudio"
    first = _first_record(path)
    if isinstance(first, dict) and "text" in first and "type" not in first \
            and "body" not in first:
        return "doccano"
    return "jsonl"


def read_paths(paths: Sequence[Path], *, label_map: Mapping[str, str], fmt: str = "auto",
               unit: str = "utf16") -> Plan:
    """Read every file into one checked ``Plan`` (no database); problems are collected in it."""
    check_label_map(label_map)
    plan = Plan()
    for path in _files(paths):
        name = str(path)
        if not path.is_file():
            plan.problem((name, 0), "", "no such file")
            continue
        kind = detect_format(path) if fmt == "auto" else fmt
        try:
            READERS[kind](plan, path, label_map=label_map, unit=unit)
        except UnicodeDecodeError as error:
            plan.problem((name, 0), "", f"not UTF-8 text: {error.reason} at byte {error.start}")
    return plan


def _read_text(plan: Plan, path: Path, **_options: Any) -> None:
    """A text or Markdown file: the first line is the title, the rest the body."""
    raw = path.read_text(encoding="utf-8")
    try:
        parsed = parse_seed_text(raw)
    except ValueError:
        plan.problem((str(path), 1), "body", "the file holds no text")
        return
    title = parsed.title.lstrip("#").strip() if path.suffix.lower() != ".txt" else parsed.title
    article = _checked_article(plan, (str(path), 1), {"title": title or path.stem,
                                                      "body": parsed.body})
    if article is not None:
        plan.add_article(article)


def _read_labelstudio(plan: Plan, path: Path, *, label_map: Mapping[str, str],
                      **_options: Any) -> None:
    name = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8").removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        plan.problem((name, error.lineno), "", f"not valid JSON: {error.msg}")
        return
    try:
        tasks = labelstudio.parse_tasks(data, label_map)
    except FormatError as error:
        _format_problems(plan, name, error)
        return
    raw_tasks = data if isinstance(data, list) else [data]
    for number, (task, raw) in enumerate(zip(tasks, raw_tasks), start=1):
        _add_task(plan, (name, task.meta.get("task_number", number)), task,
                  notes=_region_notes(raw), metadata=_workbench_metadata(raw))


def _region_notes(raw_task: dict[str, Any]) -> list[str]:
    """The note (``meta.text``) of every ``labels`` region, in the order the converter reads
    the regions into spans (annotations not cancelled, then their results)."""
    notes: list[str] = []
    for annotation in raw_task.get("annotations") or []:
        if annotation.get("was_cancelled"):
            continue
        for region in annotation.get("result") or []:
            if region.get("type") == "labels":
                texts = (region.get("meta") or {}).get("text") or []
                notes.append("\n".join(t for t in texts if isinstance(t, str))
                             if isinstance(texts, list) else "")
    return notes


def _workbench_metadata(raw_task: dict[str, Any]) -> dict[str, Any]:
    """An article's source, publisher, date and language from a task the workbench exported
    (its data names the article); another tool's data fields mean whatever that project chose."""
    data = raw_task.get("data") or {}
    if "article_id" not in data:
        return {}
    return {key: data[key] for key in ("source_url", "publisher", "published_at", "language")
            if key in data}


def _read_doccano(plan: Plan, path: Path, *, label_map: Mapping[str, str], unit: str,
                  **_options: Any) -> None:
    name = str(path)
    with path.open("rb") as handle:
        try:
            tasks = doccano.parse_lines(handle, label_map, unit=unit)  # type: ignore[arg-type]
        except FormatError as error:
            _format_problems(plan, name, error)
            return
    for task in tasks:
        _add_task(plan, (name, task.meta["line"]), task)


def _format_problems(plan: Plan, name: str, error: FormatError) -> None:
    """A converter's problems, and the unknown label names listed once."""
    unknown: set[str] = set()
    for problem in error.problems:
        plan.problem((name, problem.line), problem.field, problem.reason)
        match = re.fullmatch(r"unknown label (.+)", problem.reason)
        if match:
            unknown.add(match.group(1))
    if unknown:
        plan.problem((name, 0), "labels", f"unknown labels {', '.join(sorted(unknown))}: map "
                     "each to a tag with --map LABEL=TAG")


def _add_task(plan: Plan, origin: tuple[str, int], task: ImportedTask, *,
              notes: Sequence[str] = (), metadata: Mapping[str, Any] | None = None) -> None:
    """A foreign document with its spans, carried over to the canonical body; ``notes`` go
    with the spans in order when there is one per span."""
    body = canonicalize(task.text)
    title = task.title or _title_of(body)
    article = _checked_article(plan, origin, {**(metadata or {}), "title": title,
                                              "body": task.text})
    if article is None:
        return
    if len(notes) != len(task.spans):
        notes = [""] * len(task.spans)
    for index, span in enumerate(task.spans):
        start, end = _canonical_offsets(task.text, body, span.start, span.end)
        if body[start:end] != canonicalize(span.quote):
            plan.problem(origin, f"span[{index}]", f"{span.quote!r} at {span.start}..{span.end} "
                         "does not survive canonicalisation (NFC, \\n) of the text")
            continue
        planned = _checked_span(plan, origin, f"span[{index}]", body, PlannedSpan(
            origin, start, end, body[start:end], span.tag, notes[index]))
        if planned is not None:
            article.spans.append(planned)
    plan.add_article(article)


def _canonical_offsets(text: str, body: str, start: int, end: int) -> tuple[int, int]:
    if text == body:
        return start, end
    return len(canonicalize(text[:start])), len(canonicalize(text[:end]))


def _title_of(body: str) -> str:
    # A task without a title is named by its first line.
    first = next((line.strip() for line in body.split("\n") if line.strip()), "Untitled")
    return first if len(first) <= 120 else first[:119].rstrip() + "…"


# -- The project's own JSONL and JSONL of articles ------------------------------------------------

@dataclass
class _JsonlState:
    """What earlier lines of one JSONL file defined (its article ids), and where checked
    assertions go: counted on the reading pass, handed to ``collect`` on the writing pass."""

    articles: dict[int, PlannedArticle] = field(default_factory=dict)
    collect: Callable[[PlannedArticle, PlannedSpan], None] | None = None
    # Assertion line ids that later lines (ratings, adjudications) name, and once written the
    # stored id of each: only these are kept, not a map of every assertion.
    wanted: set[int] = field(default_factory=set)
    stored_ids: dict[int, int] = field(default_factory=dict)


LineReader = Callable[["Plan", _JsonlState, tuple[str, int], dict[str, Any]], None]


def _read_jsonl(plan: Plan, path: Path, *, state: _JsonlState | None = None,
                readers: Mapping[str, LineReader] | None = None, **_options: Any) -> None:
    """Lines with a ``type`` (the project's export) or plain articles ``{title, body, ...}``.

    The writing pass reads the file again with the ``state`` of the first and only the
    assertion reader; other lines are then skipped."""
    name = str(path)
    writing = state is not None
    state = state or _JsonlState()
    readers = readers or _LINE_READERS
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            origin = (name, number)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                plan.problem(origin, "", f"not UTF-8: {error.reason} at byte {error.start}")
                continue
            text = (text.removeprefix("\ufeff") if number == 1 else text).strip()
            if not text:
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as error:
                plan.problem(origin, "", f"not valid JSON: {error.msg} (column {error.colno})")
                continue
            if not isinstance(record, dict):
                plan.problem(origin, "", "each line must be a JSON object")
                continue
            kind = record.get("type", "article")
            reader = readers.get(kind) if isinstance(kind, str) else None
            if reader is None:
                if not writing:
                    plan.problem(origin, "type", f"unknown record type {kind!r}")
                continue
            reader(plan, state, origin, record)
    if not writing and state.articles:
        plan.jsonl_spans[name] = state


def _header_line(plan: Plan, _state: _JsonlState, origin: tuple[str, int],
                 record: dict[str, Any]) -> None:
    if record.get("version") not in (1, 2):
        plan.problem(origin, "version", f"unsupported export version {record.get('version')!r}")


def _user_line(plan: Plan, _state: _JsonlState, origin: tuple[str, int],
               record: dict[str, Any]) -> None:
    username, role = record.get("username"), record.get("role")
    if not isinstance(username, str) or not users_service.USERNAME_PATTERN.fullmatch(username):
        plan.problem(origin, "username", "a username is 2 to 64 letters, digits, . - or _")
    elif role not in ROLES:
        plan.problem(origin, "role", f"role must be one of: {', '.join(ROLES)}")
    else:
        plan.users.setdefault(username, (role, origin))


def _article_line(plan: Plan, state: _JsonlState, origin: tuple[str, int],
                  record: dict[str, Any]) -> None:
    article = _checked_article(plan, origin, record)
    if article is None:
        return
    article = plan.add_article(article)
    file_id = record.get("id")
    if file_id is not None:
        if not isinstance(file_id, int) or isinstance(file_id, bool):
            plan.problem(origin, "id", "must be a whole number")
        else:
            state.articles[file_id] = article


def _article_of(plan: Plan, state: _JsonlState, origin: tuple[str, int],
                record: dict[str, Any]) -> PlannedArticle | None:
    article = state.articles.get(record.get("article_id"))  # type: ignore[arg-type]
    if article is None:
        plan.problem(origin, "article_id", "names no article line above it in this file")
    return article


def _person(plan: Plan, origin: tuple[str, int], record: dict[str, Any], key: str,
            optional: bool = False) -> str | None:
    value = record.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or value not in plan.users:
        plan.problem(origin, key, "names no user line above it in this file")
        return None
    return value


def _assignment_line(plan: Plan, state: _JsonlState, origin: tuple[str, int],
                     record: dict[str, Any]) -> None:
    article = _article_of(plan, state, origin, record)
    reviewer = _person(plan, origin, record, "reviewer")
    assigned_by = _person(plan, origin, record, "assigned_by", optional=True)
    status = record.get("status", "assigned")
    if status not in ASSIGNMENT_STATUSES:
        plan.problem(origin, "status", f"must be one of: {', '.join(ASSIGNMENT_STATUSES)}")
        return
    times = [_timestamp(plan, origin, record, key) for key in ("assigned_at", "submitted_at")]
    if article is None or reviewer is None:
        return
    plan.assignments.append(PlannedAssignment(origin, article.digest, reviewer, status,
                                              assigned_by, *times))


def _assertion_line(plan: Plan, state: _JsonlState, origin: tuple[str, int],
                    record: dict[str, Any]) -> None:
    article = _article_of(plan, state, origin, record)
    reviewer = _person(plan, origin, record, "reviewer")
    evidence = record.get("evidence", [])
    if not isinstance(evidence, list) or not all(isinstance(e, dict) for e in evidence):
        plan.problem(origin, "evidence", "must be a list of objects")
        return
    links = tuple(EvidenceInput(url=e.get("url", ""), title=e.get("title") or "",
                                note=e.get("note") or "", stance=e.get("stance", "context"))
                  for e in evidence)
    created, updated = (_timestamp(plan, origin, record, key)
                        for key in ("created_at", "updated_at"))
    consensus = record.get("consensus", False)
    if not isinstance(consensus, bool):
        plan.problem(origin, "consensus", "must be true or false")
        return
    if article is None or reviewer is None:
        return
    file_id = record.get("id")
    span = PlannedSpan(origin, record.get("start"), record.get("end"),  # type: ignore[arg-type]
                       record.get("quote"), record.get("tag"),  # type: ignore[arg-type]
                       record.get("note") or "", links, reviewer, created, updated, consensus,
                       file_id if _whole(file_id) else None)
    checked = _checked_span(plan, origin, "", article.body, span)
    if checked is None:
        return
    if state.collect is None:
        plan.deferred_spans += 1  # written on the second pass, not held
    else:
        state.collect(article, checked)


def _whole(value: Any, minimum: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _text(plan: Plan, origin: tuple[str, int], record: dict[str, Any], key: str, *,
          maximum: int, required: bool = True) -> str:
    value = record.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > maximum:
        plan.problem(origin, key, f"must be {'non-empty ' if required else ''}text of at most "
                     f"{maximum:,} characters")
        return ""
    return value


def _version(plan: Plan, origin: tuple[str, int], record: dict[str, Any]) -> int:
    value = record.get("version", 1)
    if not _whole(value, 1):
        plan.problem(origin, "version", "must be a whole number from 1")
        return 1
    return value  # type: ignore[no-any-return]


def _adjudication_line(plan: Plan, state: _JsonlState, origin: tuple[str, int],
                       record: dict[str, Any]) -> None:
    before = len(plan.problems)
    article = _article_of(plan, state, origin, record)
    version = _version(plan, origin, record)
    action = record.get("action")
    if action not in DECISIONS:
        plan.problem(origin, "action", f"must be one of: {', '.join(DECISIONS)}")
    reason = _collected(plan, origin, lambda: parse_reason(record.get("reason")))
    actor = _text(plan, origin, record, "actor", maximum=64)
    at = _timestamp(plan, origin, record, "at")
    sources, result_id, result = (record.get("source_ids", []), record.get("result_id"),
                                  record.get("result"))
    if not isinstance(sources, list) or not all(i is None or _whole(i) for i in sources):
        plan.problem(origin, "source_ids", "must be a list of assertion ids (or null)")
    if result_id is not None and not _whole(result_id):
        plan.problem(origin, "result_id", "must be an assertion id or null")
    if result is not None and not isinstance(result, dict):
        plan.problem(origin, "result", "must be an object or null")
    if article is None or len(plan.problems) > before:
        return
    state.wanted.update(i for i in [*sources, result_id] if i is not None)
    plan.decisions.append(PlannedDecision(origin, article.digest, version, action, reason,
                                          actor, at, sources, result_id, result))


SLUG = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _verdict_line(plan: Plan, state: _JsonlState, origin: tuple[str, int],
                  record: dict[str, Any]) -> None:
    before = len(plan.problems)
    article = _article_of(plan, state, origin, record)
    rating = _text(plan, origin, record, "rating", maximum=100)
    summary = _text(plan, origin, record, "summary", required=False,
                    maximum=verdicts_service.MAX_SUMMARY_LENGTH)
    verdict_state = record.get("state", "draft")
    if verdict_state not in VERDICT_STATES:
        plan.problem(origin, "state", f"must be one of: {', '.join(VERDICT_STATES)}")
    slug = record.get("slug")
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        plan.problem(origin, "slug", "must be 16 to 64 letters, digits, - or _")
    author = _person(plan, origin, record, "author", optional=True)
    times = [_timestamp(plan, origin, record, key)
             for key in ("created_at", "updated_at", "published_at")]
    version = _version(plan, origin, record)
    if article is None or len(plan.problems) > before:
        return
    plan.verdicts.append(PlannedVerdict(origin, article.digest, rating, summary, verdict_state,
                                        slug, author, *times, version))  # type: ignore[arg-type]


def _rating_line(plan: Plan, state: _JsonlState, origin: tuple[str, int],
                 record: dict[str, Any]) -> None:
    before = len(plan.problems)
    assertion = record.get("assertion_id")
    if not _whole(assertion):
        plan.problem(origin, "assertion_id", "must be the id of an assertion line")
    rating = _text(plan, origin, record, "rating", maximum=100)
    explanation = _text(plan, origin, record, "explanation", required=False,
                        maximum=verdicts_service.MAX_EXPLANATION_LENGTH)
    rated_by = _person(plan, origin, record, "rated_by", optional=True)
    updated = _timestamp(plan, origin, record, "updated_at")
    version = _version(plan, origin, record)
    if len(plan.problems) > before:
        return
    state.wanted.add(assertion)  # type: ignore[arg-type]
    plan.ratings.append(PlannedRating(origin, assertion, rating, explanation,  # type: ignore
                                      rated_by, updated, version))


_LINE_READERS: dict[str, LineReader] = {
    "workbench": _header_line, "user": _user_line, "article": _article_line,
    "assignment": _assignment_line, "assertion": _assertion_line,
    "adjudication": _adjudication_line, "verdict": _verdict_line, "rating": _rating_line,
}


def _timestamp(plan: Plan, origin: tuple[str, int], record: dict[str, Any],
               key: str) -> datetime | None:
    value = record.get(key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        plan.problem(origin, key, "must be an ISO 8601 timestamp with a time zone")
        return None
    return moment


# -- Checks that need no database ---------------------------------------------------------------

def _checked_article(plan: Plan, origin: tuple[str, int],
                     record: Mapping[str, Any]) -> PlannedArticle | None:
    """The article fields of a record, made canonical, or None after reporting every fault.
    The parsers and limits of ``create_article``, so the write cannot refuse them later."""
    before = len(plan.problems)
    raw_title, body = record.get("title"), record.get("body")
    title = _collected(plan, origin, lambda: parse_line(
        canonicalize(raw_title) if isinstance(raw_title, str) else raw_title, "title",
        maximum=MAX_TITLE_LENGTH, what="A title"))
    publisher = _collected(plan, origin, lambda: parse_line(
        record.get("publisher"), "publisher", maximum=MAX_PUBLISHER_LENGTH, required=False,
        what="A publisher"))
    if not isinstance(body, str) or not body.strip():
        plan.problem(origin, "body", "the article body is empty")
    elif len(canonicalize(body).encode("utf-8")) > MAX_ARTICLE_BODY_BYTES:
        plan.problem(origin, "body", "an article body may be at most 2 MB of UTF-8 text")
    source_url = record.get("source_url") or None
    if source_url is not None:
        _collected(plan, origin, lambda: parse_http_url(source_url, "source_url"))
    try:
        language = parse_language(record.get("language"))
    except ValueProblem:
        language = None
        plan.problem(origin, "language", "must be a language tag such as 'en' or 'ar-MA'")
    published = _published(plan, origin, record.get("published_at"))
    if len(plan.problems) > before:
        return None
    return PlannedArticle(origin, title, canonicalize(body),  # type: ignore[arg-type]
                          source_url=source_url, publisher=publisher or None,
                          published_at=published, language=language)


def _collected(plan: Plan, origin: tuple[str, int], parse: Callable[[], Any]) -> Any:
    """What ``parse`` returns, or None after noting its ValidationFailed as a problem."""
    try:
        return parse()
    except ValidationFailed as error:
        plan.problem(origin, error.field or "", error.message)
        return None


def _published(plan: Plan, origin: tuple[str, int], value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        plan.problem(origin, "published_at", "must be a date such as 2026-03-01")
        return None


def _checked_span(plan: Plan, origin: tuple[str, int], where: str, body: str,
                  span: PlannedSpan) -> PlannedSpan | None:
    """The span after the one span check and the assertion validators, or None after
    reporting why not. Field names are ``where.field`` (``span[2].quote``)."""
    prefix = f"{where}." if where else ""
    try:
        tag = validate_tag(span.tag)
        note = validate_note(span.note)
        links = tuple(validate_evidence(link, f"evidence[{i}].")
                      for i, link in enumerate(span.evidence))
        check_span(body, span.start, span.end, span.quote)
    except SpanError as error:
        plan.problem(origin, prefix + error.field, error.message)
        return None
    except ValidationFailed as error:
        plan.problem(origin, prefix + (error.field or ""), error.message)
        return None
    span.tag, span.note, span.evidence = tag, note, links
    return span


READERS: dict[str, Callable[..., None]] = {
    "text": _read_text, "jsonl": _read_jsonl, "labelstudio": _read_labelstudio,
    "doccano": _read_doccano,
}


# -- Writing ------------------------------------------------------------------------------------

def import_paths(session: Session, paths: Sequence[Path | str], *, actor: User | None,
                 label_map: Mapping[str, str], owner: str | None = None, fmt: str = "auto",
                 unit: str = "utf16", progress: Progress | None = None) -> ImportReport:
    """Import files and folders in the caller's transaction, all or nothing.

    ``label_map`` maps foreign label names to tags; annotations from Label Studio and doccano
    belong to the user named ``owner`` (default: ``actor``). Raises ``ImportFailed`` listing
    every problem, after which the caller must roll back (``db.transaction()`` and requests
    do). Never commits. The new articles are left out of SQLite's search index: once the
    transaction has committed, the caller runs ``articles.index_deferred_search`` in short
    transactions until it returns 0 (see the module's note on the write lock)."""
    if fmt not in FORMATS:
        raise ValidationFailed(f"format must be one of: {', '.join(FORMATS)}.", "format")
    plan = read_paths([Path(p) for p in paths], label_map=label_map, fmt=fmt, unit=unit)
    report = ImportReport()
    writer = _Writer(session, plan, actor, report)
    writer.prepare_articles()  # before the first statement, so outside SQLite's write lock
    default_owner = writer.default_owner(owner)
    if not plan.problems:  # a refused input is not written at all, not even for a rollback
        writer.users()
        writer.articles(default_owner, progress)
        writer.jsonl_assertions(progress)
        writer.assignments()
        writer.decisions()
        writer.verdicts()
        writer.ratings()
    if plan.problems:
        raise ImportFailed(plan.problems)
    return report


class _Writer:
    """Writes a checked plan, counting what is new and what was already stored."""

    def __init__(self, session: Session, plan: Plan, actor: User | None,
                 report: ImportReport) -> None:
        self.session, self.plan, self.actor, self.report = session, plan, actor, report
        self.people: dict[str, User] = {}
        self.article_ids: dict[str, int] = {}
        self.rows: dict[str, dict[str, Any]] = {}  # the row of each planned article, by digest

    def prepare_articles(self) -> None:
        """The checked rows of every planned article (``articles.article_rows``: no database)."""
        planned = list(self.plan.articles.values())
        try:
            rows = article_rows([ArticleDraft(a.title, a.body, a.source_url, a.publisher,
                                              a.published_at, a.language) for a in planned])
        except WorkbenchError as error:  # checked while reading already: never expected
            self.refused(planned, error)
            return
        self.rows = {a.digest: row for a, row in zip(planned, rows, strict=True)}

    def refused(self, articles: Sequence[PlannedArticle], error: WorkbenchError) -> None:
        """A bulk writer's refusal (field ``items[i].field``) as a problem of the i-th article's
        line."""
        index = re.match(r"items\[(\d+)\]\.(.*)", error.field or "")
        where = articles[int(index.group(1))] if index else articles[0]
        self.plan.problem(where.origin, index.group(2) if index else "", error.message)

    def default_owner(self, owner: str | None) -> User | None:
        needs_owner = any(span.owner is None for article in self.plan.articles.values()
                          for span in article.spans)
        if owner is None:
            if needs_owner and self.actor is None:
                self.plan.problem(("(options)", 0), "owner",
                                  "annotations need an owner: name one with --owner")
            return self.actor
        user = self.session.scalar(select(User).where(User.username == owner))
        if user is None:
            self.plan.problem(("(options)", 0), "owner", f"no user named {owner!r}")
        return user

    def person(self, username: str) -> User | None:
        if username not in self.people:
            user = self.session.scalar(select(User).where(User.username == username))
            if user is None:
                return None
            self.people[username] = user
        return self.people[username]

    def users(self) -> None:
        """Users missing here are created inactive, with a random password nobody knows."""
        for username, (role, origin) in self.plan.users.items():
            if self.person(username) is not None:
                self.report.present["users"] += 1
                continue
            try:
                user = users_service.create_user(self.session, username, role,
                                                 users_service.generate_password(), self.actor)
            except WorkbenchError as error:
                self.plan.problem(origin, error.field or "username", error.message)
                continue
            before = users_service.user_snapshot(user)
            user.active = False  # an imported account logs in only once an admin says so
            self.session.flush()
            audit.record(self.session, self.actor, "user.update", "user", user.id,
                         before=before, after=users_service.user_snapshot(user))
            self.people[username] = user
            self.report.created["users"] += 1

    def articles(self, default_owner: User | None, progress: Progress | None) -> None:
        """New articles in bulk (``insert_article_rows``, ``ARTICLE_BATCH`` at a time: the write
        lock is held for executemany calls, not a round trip per article), then their spans."""
        planned = list(self.plan.articles.values())
        total = len(planned)
        self.article_ids.update(stored_articles(self.session, [a.digest for a in planned]))
        self.report.present["articles"] += len(self.article_ids)
        fresh = [a for a in planned if a.digest not in self.article_ids]
        done = total - len(fresh)
        if progress is not None and not fresh:
            progress("articles", done, total)
        for i in range(0, len(fresh), ARTICLE_BATCH):
            batch = fresh[i:i + ARTICLE_BATCH]
            try:
                ids = insert_article_rows(self.session, [self.rows[a.digest] for a in batch],
                                          actor=self.actor, defer_search=True)
            except WorkbenchError as error:  # checked while reading: a change meanwhile
                self.refused(batch, error)
                return
            self.article_ids.update((a.digest, article_id) for a, article_id in zip(batch, ids))
            self.report.created["articles"] += len(ids)
            done += len(batch)
            if progress is not None:
                progress("articles", done, total)
        for article in planned:
            if article.spans:
                self.spans(self.article_ids[article.digest], article.spans, default_owner)

    def jsonl_assertions(self, progress: Progress | None) -> None:
        """The assertion lines of JSONL files, read again and written in batches."""
        done = held = 0
        for name, state in self.plan.jsonl_spans.items():
            pending: dict[str, list[PlannedSpan]] = {}

            def flush(digest: str) -> None:
                nonlocal done, held
                spans = pending.pop(digest)
                article_id = self.article_ids.get(digest)
                if article_id is not None:
                    self.spans(article_id, spans, None)
                for span in spans:  # the ids later lines name
                    if span.file_id in state.wanted and span.stored_id is not None:
                        state.stored_ids[span.file_id] = span.stored_id
                done, held = done + len(spans), held - len(spans)
                if progress is not None:
                    progress("assertions", done, self.plan.deferred_spans)

            def collect(article: PlannedArticle, span: PlannedSpan) -> None:
                nonlocal held
                batch = pending.setdefault(article.digest, [])
                batch.append(span)
                held += 1
                if len(batch) >= SPAN_BATCH:
                    flush(article.digest)
                elif held >= MAX_PENDING_SPANS:
                    for digest in list(pending):
                        flush(digest)

            state.collect = collect
            _read_jsonl(self.plan, Path(name), state=state,
                        readers={"assertion": _assertion_line})
            for digest in list(pending):
                flush(digest)

    def spans(self, article_id: int, spans: Sequence[PlannedSpan],
              default_owner: User | None) -> None:
        """New spans of one article, one ``insert_assertions`` batch per owner (and per kind:
        a reviewer's work, or the consensus)."""
        by_owner: dict[tuple[int, bool], tuple[User, list[PlannedSpan]]] = {}
        for span in spans:
            owner = default_owner if span.owner is None else self.person(span.owner)
            if owner is None:
                if span.owner is not None:
                    self.plan.problem(span.origin, "reviewer", f"no user named {span.owner!r}")
                continue
            by_owner.setdefault((owner.id, span.consensus), (owner, []))[1].append(span)
        for (_, consensus), (owner, batch) in by_owner.items():
            fresh = self._fresh(article_id, owner, batch)
            if fresh:
                self._insert(article_id, owner, fresh, consensus)

    def _fresh(self, article_id: int, owner: User, spans: list[PlannedSpan]) -> list[PlannedSpan]:
        """The spans not stored yet. Stored means: same owner, offsets, tag and note, and, for
        a span from an export (which carries it), the same creation time, so two identical
        assertions a reviewer really made both come back."""
        rows = self.session.execute(
            select(Assertion.id, Assertion.start, Assertion.end, Assertion.tag, Assertion.note,
                   Assertion.consensus, Assertion.created_at)
            .where(Assertion.article_id == article_id, Assertion.reviewer_id == owner.id))
        stored: dict[tuple[Any, ...], int | None] = {}
        for assertion_id, *key, created in rows:
            stored.setdefault(tuple(key), assertion_id)
            stored.setdefault((*key, created), assertion_id)
        fresh: list[PlannedSpan] = []
        for span in spans:
            key = span.key() if span.created_at is None else (*span.key(), span.created_at)
            if key in stored:
                self.report.present["assertions"] += 1
                span.stored_id = stored[key]
            else:
                stored[key] = None  # the same span twice in the input is written once
                fresh.append(span)
        return fresh

    def _insert(self, article_id: int, owner: User, spans: list[PlannedSpan],
                consensus: bool) -> None:
        """Write through the one span writer: a consensus assertion as its supervisor settles
        one (``Guard.ADJUDICATION``: the owner must be one who may adjudicate), other work
        under ``Guard.IMPORT``."""
        if consensus and not project_access(owner).can_adjudicate:
            for span in spans:
                self.plan.problem(span.origin, "consensus", f"{owner.username} may not settle "
                                  "a consensus: only supervisors adjudicate")
            return
        items = [NewAssertion(s.start, s.end, s.quote, s.tag, s.note, s.evidence) for s in spans]
        guard = Guard.ADJUDICATION if consensus else Guard.IMPORT
        actor = (self.actor or owner) if consensus else self.actor
        try:
            records = insert_assertions(self.session, article_id, items, owner=owner,
                                        actor=actor, guard=guard)
        except WorkbenchError as error:
            index = re.match(r"items\[(\d+)\]\.", error.field or "")
            origin = spans[int(index.group(1))].origin if index else spans[0].origin
            self.plan.problem(origin, error.field or "", error.message)
            return
        self.report.created["assertions"] += len(records)
        for record, span in zip(records, spans):
            span.stored_id = record["id"]
        _keep_timestamps(self.session, [(record["id"], span) for record, span
                                        in zip(records, spans) if span.created_at])

    def assignments(self) -> None:
        for planned in self.plan.assignments:
            article_id = self.article_ids.get(planned.digest)
            reviewer = self.person(planned.reviewer)
            if article_id is None or reviewer is None:
                continue
            exists = self.session.scalar(select(Assignment.id).where(
                Assignment.article_id == article_id, Assignment.reviewer_id == reviewer.id))
            if exists is not None:
                self.report.present["assignments"] += 1
                continue
            boss = self.person(planned.assigned_by) if planned.assigned_by else None
            row = Assignment(article_id=article_id, reviewer_id=reviewer.id,
                             assigned_by_id=boss.id if boss else None, status=planned.status,
                             submitted_at=planned.submitted_at, reviewer=reviewer)
            if planned.assigned_at is not None:
                row.assigned_at = planned.assigned_at
            self.session.add(row)
            self.session.flush()
            audit.record(self.session, self.actor, "assignment.import", "assignment", row.id,
                         article_id=article_id,
                         after={"reviewer": reviewer.username, "status": row.status})
            self.report.created["assignments"] += 1


    def _assertion_id(self, origin: tuple[str, int], field_name: str,
                      file_id: int | None) -> int | None:
        """The stored id of the assertion line ``file_id`` of the file at ``origin``."""
        if file_id is None:
            return None
        state = self.plan.jsonl_spans.get(origin[0])
        stored = state.stored_ids.get(file_id) if state is not None else None
        if stored is None:
            self.plan.problem(origin, field_name, f"{file_id} names no assertion line of "
                              "this file")
        return stored

    def _user_id(self, username: str | None) -> int | None:
        user = self.person(username) if username else None
        return user.id if user is not None else None

    def _on_scale(self, origin: tuple[str, int], key: str, rating: str) -> bool:
        allowed = verdicts_service.scale(self.session, key)
        if rating not in allowed:
            self.plan.problem(origin, "rating", f"{rating!r} is not on this project's scale "
                              f"({', '.join(allowed)}); an admin can add it in Settings")
        return rating in allowed

    def decisions(self) -> None:
        """Adjudications, numbered per article as they were; assertions they name are mapped
        to the stored ones, and so is the assertion recorded in ``result``."""
        for planned in self.plan.decisions:
            article_id = self.article_ids.get(planned.digest)
            if article_id is None:
                continue
            if self.session.scalar(select(Adjudication.id).where(
                    Adjudication.article_id == article_id,
                    Adjudication.version == planned.version)) is not None:
                self.report.present["adjudications"] += 1
                continue
            sources = [self._assertion_id(planned.origin, "source_ids", i)
                       for i in planned.source_ids]
            result_id = self._assertion_id(planned.origin, "result_id", planned.result_id)
            result = _remapped(planned.result, result_id, article_id)
            row = {"article_id": article_id, "version": planned.version,
                   "action": planned.action, "reason": planned.reason,
                   "actor_id": self._user_id(planned.actor), "actor": planned.actor,
                   "at": planned.at or utcnow(), "source_ids": sources, "result_id": result_id,
                   "result": result}
            decision_id = self.session.connection().execute(
                insert(Adjudication.__table__).returning(Adjudication.__table__.c.id),
                row).scalar_one()
            audit.record(self.session, self.actor, "consensus.import", "adjudication",
                         decision_id, article_id=article_id,
                         after={"version": planned.version, "action": planned.action,
                                "reason": planned.reason, "actor": planned.actor})
            self.report.created["adjudications"] += 1

    def verdicts(self) -> None:
        """Verdicts with their state, version and public slug (a shared link keeps working)."""
        for planned in self.plan.verdicts:
            article_id = self.article_ids.get(planned.digest)
            if article_id is None:
                continue
            if self.session.scalar(select(Verdict.id).where(
                    Verdict.article_id == article_id)) is not None:
                self.report.present["verdicts"] += 1
                continue
            holder = self.session.scalar(select(Verdict.article_id).where(
                Verdict.slug == planned.slug))
            if holder is not None:
                self.plan.problem(planned.origin, "slug", "is already the public link of the "
                                  f"verdict of article {holder}")
                continue
            if not self._on_scale(planned.origin, VERDICT_SCALE, planned.rating):
                continue
            now = utcnow()
            verdict_id = self.session.connection().execute(
                insert(Verdict.__table__).returning(Verdict.__table__.c.id), {
                    "article_id": article_id, "rating": planned.rating,
                    "summary": planned.summary, "state": planned.state, "slug": planned.slug,
                    "author_id": self._user_id(planned.author),
                    "created_at": planned.created_at or now,
                    "updated_at": planned.updated_at or now,
                    "published_at": planned.published_at,
                    "version": planned.version}).scalar_one()
            audit.record(self.session, self.actor, "verdict.import", "verdict", verdict_id,
                         article_id=article_id,
                         after={"rating": planned.rating, "state": planned.state})
            self.report.created["verdicts"] += 1

    def ratings(self) -> None:
        for planned in self.plan.ratings:
            assertion_id = self._assertion_id(planned.origin, "assertion_id", planned.assertion)
            if assertion_id is None:
                continue
            if self.session.scalar(select(AssertionRating.id).where(
                    AssertionRating.assertion_id == assertion_id)) is not None:
                self.report.present["ratings"] += 1
                continue
            if not self._on_scale(planned.origin, RATING_SCALE, planned.rating):
                continue
            self.session.connection().execute(insert(AssertionRating.__table__), {
                "assertion_id": assertion_id, "rating": planned.rating,
                "explanation": planned.explanation,
                "rated_by_id": self._user_id(planned.rated_by),
                "updated_at": planned.updated_at or utcnow(), "version": planned.version})
            audit.record(self.session, self.actor, "rating.import", "assertion", assertion_id,
                         after={"rating": planned.rating,
                                "explanation": planned.explanation})
            self.report.created["ratings"] += 1


def _remapped(result: dict[str, Any] | None, result_id: int | None,
              article_id: int) -> dict[str, Any] | None:
    """A decision's record of its assertion, with the ids of this database (``None`` where the
    assertion is gone: evidence ids are not carried over)."""
    if result is None:
        return None
    evidence = [{**e, "id": None, "assertion_id": result_id}
                for e in result.get("evidence") or [] if isinstance(e, dict)]
    return {**result, "id": result_id, "article_id": article_id, "evidence": evidence}


_KEEP_TIMES = (update(Assertion.__table__)
               .where(Assertion.__table__.c.id == bindparam("assertion_id"))
               .values(created_at=bindparam("created"), updated_at=bindparam("updated")))


def _keep_timestamps(session: Session, pairs: list[tuple[int, PlannedSpan]]) -> None:
    """Restore the times an exported assertion had (one executemany per batch)."""
    if pairs:
        session.connection().execute(_KEEP_TIMES, [
            {"assertion_id": assertion_id, "created": span.created_at,
             "updated": span.updated_at or span.created_at} for assertion_id, span in pairs])
