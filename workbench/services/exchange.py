"""Exports of the project: the rows read in keyset batches and streamed line by line.

Every exporter is a generator of text chunks, so a project of any size is written in flat
memory: articles and assertions are read ``BATCH`` rows at a time (keyset on id, Core
selects, no ORM objects), turned into the pure records of :mod:`workbench.exchange` and
serialised at once. The whole export reads one snapshot (``read_phase``: on SQLite a
deferred transaction, which never takes the write lock).

The ``jsonl`` writer is the fast path (a project export of a million assertions): one chunk
per batch, rows unpacked by position, SQLite timestamps turned into text without building
datetimes, each line serialised by orjson as soon as it is built.

Formats (``FORMATS``):

* ``jsonl`` — the project's own format, everything needed to rebuild it (see ``jsonl_lines``).
* ``csv`` — one row per assertion, formula-neutralised by :mod:`workbench.csv_safe`.
* ``w3c`` — W3C Web Annotation: for one article, its ``AnnotationCollection``; for the whole
  project, one collection per article, one per line (JSON Lines), so each line is a complete
  JSON-LD document a client can read without holding the others.
* ``labelstudio`` — a JSON array of Label Studio tasks (code-point offsets).
* ``doccano`` — doccano JSONL, offsets in ``unit`` (default ``utf16``, doccano's default).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import (Row, Select, String, and_, bindparam, case, func, literal, null, or_,
                        select, type_coerce)
from sqlalchemy.orm import Session

from ..csv_safe import csv_lines
from ..db import begin_immediate, read_phase
from ..exchange import ArticleRecord, AssertionRecord, EvidenceRecord
from ..exchange import doccano, labelstudio, w3c
from ..prefetch import prefetched
from ..models import (Adjudication, Article, Assertion, AssertionRating, Assignment, Evidence,
                      User, Verdict)
from ..models.base import sqlite_isoformat
from .errors import NotFound, ValidationFailed

__all__ = ["BATCH", "FORMATS", "JSONL_VERSION", "ExportFile", "export_file", "export_lines"]

FORMATS: tuple[str, ...] = ("jsonl", "csv", "w3c", "labelstudio", "doccano", "claimreview")
#: Version of the project's own JSONL format, written in its first line (2 added adjudication,
#: verdict and rating lines; the importer still reads 1).
JSONL_VERSION = 2
#: Rows read per query.
BATCH = 1000
#: The base of the IRIs in W3C exports when the caller names none.
DEFAULT_BASE_URL = "http://localhost/api/v1"

CSV_HEADER = ("assertion_id", "article_id", "article_title", "reviewer", "start", "end", "quote",
              "tag", "note", "evidence_count", "evidence_urls", "created_at", "updated_at",
              "consensus")

_articles, _assertions = Article.__table__, Assertion.__table__
_evidence, _users, _assignments = Evidence.__table__, User.__table__, Assignment.__table__
_adjudications, _verdicts = Adjudication.__table__, Verdict.__table__
_ratings = AssertionRating.__table__


@dataclass(frozen=True, slots=True)
class ExportFile:
    """How an export is served or saved: media type and file name."""

    media_type: str
    filename: str


def export_file(fmt: str, article_id: int | None = None) -> ExportFile:
    """The media type and a file name for an export of ``fmt`` (a format of ``FORMATS``)."""
    scope = f"article-{article_id}" if article_id is not None else "project"
    if fmt == "csv":
        return ExportFile("text/csv", f"{scope}.csv")
    if fmt == "labelstudio":
        return ExportFile("application/json", f"{scope}.labelstudio.json")
    if fmt == "w3c" and article_id is not None:
        return ExportFile('application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
                          f"{scope}.w3c.jsonld")
    suffix = {"jsonl": "jsonl", "w3c": "w3c.jsonl", "doccano": "doccano.jsonl",
              "claimreview": "claimreview.jsonl"}[fmt]
    return ExportFile("application/jsonl", f"{scope}.{suffix}")


def export_lines(session: Session, fmt: str, *, article_id: int | None = None,
                 unit: str = "utf16", base_url: str = DEFAULT_BASE_URL) -> Iterator[str]:
    """The export of the project (or of one article) in ``fmt``, chunk by chunk.

    Checked before the first chunk: an unknown format or article raises ``NotFound``, an
    unknown doccano ``unit`` ``ValidationFailed``. Each chunk ends with a line end.
    """
    if fmt not in FORMATS:
        raise NotFound(f"No export format named {fmt!r}; there are: {', '.join(FORMATS)}.")
    if unit not in doccano.UNITS:
        raise ValidationFailed(f"unit must be one of: {', '.join(doccano.UNITS)}.", "unit")
    if article_id is not None:
        with read_phase(session):
            if session.get(Article, article_id) is None:
                raise NotFound("No such article.")
    return _snapshot(session, lambda twin: _WRITERS[fmt](
        session, article_id, unit=unit, base_url=base_url, twin=twin),
        two_cores=fmt == "jsonl" and article_id is None)


def _snapshot(session: Session, chunks: Callable[[Session | None], Iterator[str]], *,
              two_cores: bool = False) -> Iterator[str]:
    """One read transaction around the whole stream (a consistent export, no write lock),
    read a couple of chunks ahead of the writer in a thread of its own (``prefetched``): the
    reading and serialising overlap the writing. Only that thread uses the session until the
    stream ends. With ``two_cores`` (a project's JSONL), ``chunks`` is given a twin session
    reading the same snapshot where SQLite can have one (``_twin_snapshot``), else None."""
    with read_phase(session), (_twin_snapshot(session) if two_cores else nullcontext()) as twin:
        yield from prefetched(chunks(twin))


# -- Reading ------------------------------------------------------------------------------------

def _keyset_batches(session: Session, stmt: Select[Any], id_column: Any,
                    size: int | None = None) -> Iterator[list[Row[Any]]]:
    """The rows of ``stmt`` in id order, ``size`` (``BATCH``) rows per query (keyset, never
    OFFSET)."""
    size = size or BATCH
    after = 0
    while True:
        rows = session.execute(stmt.where(id_column > after).order_by(id_column)
                               .limit(size)).all()
        if rows:
            yield rows
        if len(rows) < size:
            return
        after = getattr(rows[-1], id_column.key)


class _DriverStatement:
    """A statement compiled once for the connection's driver, its parameters bound by name
    (positional for SQLite's ``?``, named for psycopg): what the export runs on the raw
    cursor, batch after batch, without SQLAlchemy's per-execution work."""

    def __init__(self, stmt: Any, dialect: Any) -> None:
        self.compiled = stmt.compile(dialect=dialect)
        self.sql = str(self.compiled)

    def parameters(self, **values: Any) -> Any:
        bound = self.compiled.construct_params(values)
        if self.compiled.positional:
            return tuple(bound[name] for name in self.compiled.positiontup or ())
        return bound


def _driver_batches(session: Session, stmt: Select[Any], id_column: Any
                    ) -> Iterator[list[tuple[Any, ...]]]:
    """``_keyset_batches`` with the rows as the driver returns them (plain tuples, no
    SQLAlchemy row or result processing: a fifth of a large export's time). Only for
    statements whose bound values are integers and whose columns the caller reads in the
    driver's own types (SQLite: timestamps as text, booleans as 0 and 1)."""
    connection = session.connection()
    statement = _DriverStatement(stmt.where(id_column > bindparam("after")).order_by(id_column)
                                 .limit(BATCH), connection.dialect)
    cursor = connection.connection.cursor()
    try:
        after = 0
        while True:
            cursor.execute(statement.sql, statement.parameters(after=after))
            rows = cursor.fetchall()
            if rows:
                yield rows
            if len(rows) < BATCH:
                return
            after = rows[-1][0]
    finally:
        cursor.close()


def _keyset(session: Session, stmt: Select[Any], id_column: Any) -> Iterator[Row[Any]]:
    """Every row of ``stmt`` in id order, read as ``_keyset_batches`` does."""
    for rows in _keyset_batches(session, stmt, id_column):
        yield from rows


def _aware(moment: date | datetime | None) -> datetime | None:
    # Articles store a publication date; the converters take aware datetimes.
    if moment is None or isinstance(moment, datetime):
        return moment
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def _article_rows(session: Session, article_id: int | None) -> Iterator[Row[Any]]:
    stmt = select(_articles)
    if article_id is not None:
        stmt = stmt.where(_articles.c.id == article_id)
    return _keyset(session, stmt, _articles.c.id)


def _article_record(row: Row[Any]) -> ArticleRecord:
    return ArticleRecord(id=row.id, title=row.title, body=row.body, source_url=row.source_url,
                         publisher=row.publisher, published_at=_aware(row.published_at),
                         language=row.language)


# An assertion with its reviewer's name, for the CSV and the converters' records.
_ASSERTION_SELECT = (
    select(_assertions.c.id, _assertions.c.article_id, _users.c.username.label("reviewer"),
           _assertions.c.start_offset, _assertions.c.end_offset, _assertions.c.quote,
           _assertions.c.tag, _assertions.c.note, _assertions.c.created_at,
           _assertions.c.updated_at, _assertions.c.consensus, _assertions.c.prefix,
           _assertions.c.suffix)
    .join(_users, _users.c.id == _assertions.c.reviewer_id))


# The CSV rows also name the article.
_CSV_SELECT = (_ASSERTION_SELECT.add_columns(_articles.c.title.label("article_title"))
               .join(_articles, _articles.c.id == _assertions.c.article_id))


def _assertion_rows(session: Session, article_ids: Sequence[int] | None,
                    stmt: Select[Any] = _ASSERTION_SELECT) -> Iterator[Row[Any]]:
    """Assertions (with the reviewer's name) of some articles, or of all when ``None``."""
    if article_ids is not None:
        stmt = stmt.where(_assertions.c.article_id.in_(article_ids))
    return _keyset(session, stmt, _assertions.c.id)


_EVIDENCE_SELECT = (select(_evidence, _users.c.username.label("added_by"))
                    .outerjoin(_users, _users.c.id == _evidence.c.added_by_id))


def _evidence_of(session: Session, batch: Sequence[Row[Any]],
                 stmt: Select[Any] = _EVIDENCE_SELECT) -> dict[int, list[Row[Any]]]:
    """The evidence rows of a batch of assertions (with who added them), by assertion id.

    The batch is a run of ids in order, so one range query finds them (an IN list of a
    thousand ids costs more to send than the rows it finds)."""
    found: dict[int, list[Row[Any]]] = {}
    if not batch:
        return found
    first, last = batch[0][0], batch[-1][0]  # ids come first
    # Every assertion in the range is in the batch unless the batch skipped some (one article's).
    wanted = None if last - first + 1 == len(batch) else {row[0] for row in batch}
    stmt = (stmt.where(_evidence.c.assertion_id.between(first, last))
            .order_by(_evidence.c.id))
    for row in session.execute(stmt).all():
        if wanted is None or row.assertion_id in wanted:
            found.setdefault(row.assertion_id, []).append(row)
    return found


def _batches(rows: Iterable[Row[Any]], size: int | None = None) -> Iterator[list[Row[Any]]]:
    size = size or BATCH
    batch: list[Row[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _assertions_with_evidence(session: Session, article_ids: Sequence[int] | None,
                              stmt: Select[Any] = _ASSERTION_SELECT
                              ) -> Iterator[tuple[Row[Any], list[Row[Any]]]]:
    """Each assertion with its evidence, read a batch at a time."""
    for batch in _batches(_assertion_rows(session, article_ids, stmt)):
        evidence = _evidence_of(session, batch)
        for row in batch:
            yield row, evidence.get(row.id, [])


def _assertion_record(row: Row[Any], evidence: Sequence[Row[Any]]) -> AssertionRecord:
    return AssertionRecord(
        id=row.id, start=row.start_offset, end=row.end_offset, quote=row.quote,
        prefix=row.prefix, suffix=row.suffix, tag=row.tag, note=row.note, owner=row.reviewer,
        created_at=row.created_at, updated_at=row.updated_at,
        evidence=tuple(EvidenceRecord(url=e.url, title=e.title, stance=e.stance)
                       for e in evidence))


def _articles_with_assertions(session: Session, article_id: int | None
                              ) -> Iterator[tuple[ArticleRecord, list[AssertionRecord]]]:
    """Each article with its assertions: a batch of articles, then their assertions."""
    batch_size = 100  # bodies are up to 2 MB each
    for batch in _batches(_article_rows(session, article_id), batch_size):
        by_article: dict[int, list[AssertionRecord]] = {row.id: [] for row in batch}
        for row, evidence in _assertions_with_evidence(session, list(by_article)):
            by_article[row.article_id].append(_assertion_record(row, evidence))
        for row in batch:
            yield _article_record(row), by_article[row.id]


# -- Writers ------------------------------------------------------------------------------------

# Characters some readers (str.splitlines, JavaScript) take for a line end, which JSON leaves
# raw, and how they are escaped.
_LINE_BREAKS = (("\u2028", "\\u2028"), ("\u2029", "\\u2029"), ("\x85", "\\u0085"))


def _lines(records: Iterable[dict[str, Any]]) -> str:
    """JSON Lines: each record compact with non-ASCII kept (orjson writes exactly what
    ``json.dumps(ensure_ascii=False, separators=(",", ":"))`` does, several times faster), the
    line-breaking characters above escaped."""
    return _joined(list(map(orjson.dumps, records)))


def _joined(lines: list[bytes]) -> str:
    """Lines of JSON (bytes from ``orjson.dumps``) as one chunk of JSON Lines text."""
    if not lines:
        return ""
    return _escaped(b"\n".join(lines).decode()) + "\n"


def _joined_text(lines: list[str]) -> str:
    """``_joined`` for lines that are text already (written by the database)."""
    if not lines:
        return ""
    return _escaped("\n".join(lines)) + "\n"


def _escaped(text: str) -> str:
    """JSON text with the line-breaking characters JSON leaves raw (``_LINE_BREAKS``) escaped.
    Looked for in the text, not the bytes: a tenth of the time (their UTF-8 lead bytes are
    common, the characters are not)."""
    for raw, escaped in _LINE_BREAKS:
        if raw in text:
            text = text.replace(raw, escaped)
    return text


def _json(record: dict[str, Any]) -> str:
    """One line of JSON Lines."""
    return _lines((record,))


def _iso(moment: date | datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _user_rows(session: Session, article_id: int | None) -> Iterator[Row[Any]]:
    """All users, or for one article those who reviewed, assigned or annotated it."""
    stmt = select(_users.c.id, _users.c.username, _users.c.role, _users.c.active)
    if article_id is not None:
        stmt = stmt.where(or_(
            _users.c.id.in_(select(_assignments.c.reviewer_id)
                            .where(_assignments.c.article_id == article_id)),
            _users.c.id.in_(select(_assignments.c.assigned_by_id)
                            .where(_assignments.c.article_id == article_id)),
            _users.c.id.in_(select(_assertions.c.reviewer_id)
                            .where(_assertions.c.article_id == article_id)),
            _users.c.id.in_(select(_evidence.c.added_by_id).join(
                _assertions, _assertions.c.id == _evidence.c.assertion_id)
                .where(_assertions.c.article_id == article_id)),
            _users.c.id.in_(select(_verdicts.c.author_id)
                            .where(_verdicts.c.article_id == article_id)),
            _users.c.id.in_(select(_ratings.c.rated_by_id).join(
                _assertions, _assertions.c.id == _ratings.c.assertion_id)
                .where(_assertions.c.article_id == article_id)),
            _users.c.username.in_(select(_adjudications.c.actor)
                                  .where(_adjudications.c.article_id == article_id))))
    return _keyset(session, stmt, _users.c.id)


def _timestamps(session: Session) -> tuple[Callable[[Any], Any], Callable[[Any], str]]:
    """How a bulk read selects a timestamp column, and turns what it reads into
    ``isoformat()``'s text. On SQLite: the stored text itself, since building an aware
    datetime per value was the largest cost of a large export; elsewhere the datetime."""
    if session.get_bind().dialect.name == "sqlite":
        return (lambda column: type_coerce(column, String).label(column.key)), sqlite_isoformat
    return (lambda column: column), datetime.isoformat


def _article_lines(session: Session, article_id: int | None) -> Iterator[str]:
    """The article lines, one chunk per hundred articles (bodies are up to 2 MB each)."""
    stamp, iso = _timestamps(session)
    c = _articles.c
    stmt = select(c.id, c.title, c.body, c.source_url, c.publisher, c.published_at, c.language,
                  c.content_hash, stamp(c.created_at))
    if article_id is not None:
        stmt = stmt.where(c.id == article_id)
    dumps = orjson.dumps
    for batch in _keyset_batches(session, stmt, c.id, size=100):
        yield _joined([dumps({
            "type": "article", "id": article, "title": title, "body": body,
            "source_url": source_url, "publisher": publisher, "published_at": _iso(published),
            "language": language, "content_hash": digest, "created_at": iso(created)})
            for (article, title, body, source_url, publisher, published, language, digest,
                 created) in batch])


def _assignment_lines(session: Session, article_id: int | None) -> Iterator[str]:
    stamp, iso = _timestamps(session)
    c = _assignments.c
    reviewer, boss = _users.alias("reviewer"), _users.alias("boss")
    stmt = (select(c.id, c.article_id, reviewer.c.username, c.status, boss.c.username,
                   stamp(c.assigned_at), stamp(c.submitted_at))
            .join(reviewer, reviewer.c.id == c.reviewer_id)
            .outerjoin(boss, boss.c.id == c.assigned_by_id))
    if article_id is not None:
        stmt = stmt.where(c.article_id == article_id)
    dumps = orjson.dumps
    for batch in _keyset_batches(session, stmt, c.id):
        yield _joined([dumps({
            "type": "assignment", "article_id": article, "reviewer": reviewer_name,
            "status": status, "assigned_by": assigned_by, "assigned_at": iso(assigned),
            "submitted_at": iso(submitted) if submitted is not None else None})
            for _, article, reviewer_name, status, assigned_by, assigned, submitted in batch])


_ASSERTION_COLUMNS = (_assertions.c.id, _assertions.c.article_id, _users.c.username,
                      _assertions.c.start_offset, _assertions.c.end_offset, _assertions.c.quote,
                      _assertions.c.tag, _assertions.c.note, _assertions.c.created_at,
                      _assertions.c.updated_at, _assertions.c.consensus)


def _assertion_lines(session: Session, article_id: int | None,
                     twin: Session | None = None) -> Iterator[str]:
    """The assertion lines, one chunk per batch: the hot loop of a project export. On SQLite
    the database writes each line itself (``_sqlite_assertion_lines``, with a ``twin`` on two
    cores); elsewhere Python does (``_python_assertion_lines``). Both write the same bytes
    (``tests/test_export_fast_path.py``)."""
    if session.get_bind().dialect.name == "sqlite":
        return _sqlite_assertion_lines(session, article_id, twin)
    return _python_assertion_lines(session, article_id)


def _python_assertion_lines(session: Session, article_id: int | None,
                            only: Sequence[int] | None = None) -> Iterator[str]:
    """The assertion lines built in Python: Core rows unpacked by position, timestamps as
    text on SQLite, one orjson call per line. ``only``: just these assertions."""
    stamp, iso = _timestamps(session)
    a = _assertions.c
    stmt = select(*_ASSERTION_COLUMNS).join(_users, _users.c.id == a.reviewer_id)
    e = _evidence.c
    evidence_stmt = (select(e.id, e.assertion_id, e.url, e.title, e.note, e.stance,
                            _users.c.username.label("added_by"), stamp(e.created_at))
                     .outerjoin(_users, _users.c.id == e.added_by_id))
    if article_id is not None:
        stmt = stmt.where(a.article_id == article_id)
    wanted = None if only is None else set(only)
    if only is not None:  # a range: the driver's statement takes no IN list
        stmt = stmt.where(a.id.between(min(only), max(only)))
    dumps = orjson.dumps
    for batch in _driver_batches(session, stmt, a.id):
        if wanted is not None:
            batch = [row for row in batch if row[0] in wanted]
        evidence = _evidence_of(session, batch, evidence_stmt)
        # Each record is serialised at once: bytes, which the garbage collector does not
        # track, instead of a thousand live dicts (that kept full collections running).
        lines = []
        for (assertion_id, article, reviewer, start, end, quote, tag, note, created, updated,
             consensus) in batch:
            created_text = iso(created)
            links = evidence.get(assertion_id)
            lines.append(dumps({
                "type": "assertion", "id": assertion_id, "article_id": article,
                "reviewer": reviewer, "start": start, "end": end, "quote": quote, "tag": tag,
                "note": note, "created_at": created_text,
                "updated_at": created_text if updated == created else iso(updated),
                "consensus": bool(consensus),
                "evidence": [{"url": url, "title": title, "note": link_note, "stance": stance,
                              "added_by": added_by, "created_at": iso(at)}
                             for _, _, url, title, link_note, stance, added_by, at in links]
                if links else []}))
        yield _joined(lines)


def _sqlite_stamp(column: Any) -> Any:
    """SQL for what ``sqlite_isoformat`` makes of a stored timestamp of the usual shape
    (``_sqlite_usual_stamp``): ``2024-01-01 00:01:02.000000`` → ``2024-01-01T00:01:02+00:00``."""
    date_part, time_part = func.substr(column, 1, 10), func.substr(column, 12, 8)
    return (date_part + literal("T")
            + case((func.substr(column, 20) == ".000000", time_part),
                   else_=func.substr(column, 12)) + literal("+00:00"))


def _sqlite_usual_stamp(column: Any) -> Any:
    """Whether a stored timestamp has the shape SQLAlchemy writes (26 characters)."""
    return and_(func.length(column) == 26, func.substr(column, 11, 1) == " ",
                func.substr(column, 20, 1) == ".")


def _sqlite_assertion_select(article_id: int | None) -> Select[Any]:
    """Each assertion's whole line as SQLite's ``json_object`` writes it: the same bytes as
    ``_python_assertion_lines`` (SQLite escapes exactly what orjson escapes, keeps non-ASCII,
    writes no spaces), its evidence an empty array (``_sqlite_evidence_select`` gives the
    links, spliced in by ``_sqlite_assertion_lines``). NULL where a timestamp has another shape
    than the usual one: Python writes those lines."""
    a = _assertions.c
    line = func.json_object(
        "type", "assertion", "id", a.id, "article_id", a.article_id, "reviewer",
        _users.c.username, "start", a.start_offset, "end", a.end_offset, "quote", a.quote,
        "tag", a.tag, "note", a.note, "created_at", _sqlite_stamp(a.created_at),
        "updated_at", _sqlite_stamp(a.updated_at),
        "consensus", case((a.consensus, func.json("true")), else_=func.json("false")),
        "evidence", func.json_array())
    usual = and_(_sqlite_usual_stamp(a.created_at), _sqlite_usual_stamp(a.updated_at))
    stmt = (select(a.id, case((usual, line))).join(_users, _users.c.id == a.reviewer_id))
    if article_id is not None:
        stmt = stmt.where(a.article_id == article_id)
    return stmt


def _sqlite_evidence_select() -> Select[Any]:
    """The evidence of a run of assertions (ids ``first`` to ``last``) as one JSON array per
    assertion, in id order, NULL for an assertion one of whose links has a timestamp of
    another shape (Python writes that line)."""
    e = _evidence.c
    added_by = _users.alias("added_by")
    links = (select(e.id, e.assertion_id, e.url, e.title, e.note, e.stance,
                    added_by.c.username.label("added_by"), e.created_at)
             .outerjoin(added_by, added_by.c.id == e.added_by_id)
             .where(e.assertion_id.between(bindparam("first"), bindparam("last")))
             .order_by(e.id).subquery())
    l = links.c
    return (select(l.assertion_id, case(
                (func.min(_sqlite_usual_stamp(l.created_at)) == 0, null()),
                else_=func.json_group_array(func.json_object(
                    "url", l.url, "title", l.title, "note", l.note, "stance", l.stance,
                    "added_by", l.added_by, "created_at", _sqlite_stamp(l.created_at)))))
            .group_by(l.assertion_id))


def _sqlite_assertion_lines(session: Session, article_id: int | None,
                            twin: Session | None = None) -> Iterator[str]:
    """The assertion lines as SQLite writes them (``_sqlite_assertion_select``, with the
    evidence arrays of ``_sqlite_evidence_select`` put in place of the empty ones): Python
    only joins them, several times faster than building them.

    With a ``twin`` (a second session reading the same snapshot: ``_twin_snapshot``), the ids
    are cut into windows of ``BATCH`` and the two sessions take every other window, each in a
    thread of its own, so SQLite builds lines on two cores (its work releases the GIL); the
    windows are handed on in order."""
    a = _assertions.c
    if twin is None:
        writer = _SqliteLines(session, article_id)
        try:
            for batch in _driver_batches(session, _sqlite_assertion_select(article_id), a.id):
                yield writer.text(batch)
        finally:
            writer.close()
        return
    first, last = session.execute(select(func.min(a.id), func.max(a.id))).one()
    if first is None:
        return
    lows = range(first - 1, last, BATCH)  # window k: ids in (lows[k], lows[k] + BATCH]
    halves = [prefetched(_window_texts(side, article_id, lows[n::2]))
              for n, side in enumerate((session, twin))]
    try:
        for k in range(len(lows)):
            text = next(halves[k % 2])
            if text:
                yield text
    finally:
        for half in halves:
            half.close()


def _window_texts(session: Session, article_id: int | None, lows: Sequence[int]
                  ) -> Iterator[str]:
    """The lines of the assertions in each window (ids ``low`` + 1 to ``low`` + ``BATCH``),
    one chunk per window, empty where the window holds none."""
    writer = _SqliteLines(session, article_id)
    a = _assertions.c
    window = _DriverStatement(_sqlite_assertion_select(article_id)
                              .where(a.id > bindparam("low"), a.id <= bindparam("high"))
                              .order_by(a.id), session.get_bind().dialect)
    try:
        for low in lows:
            batch = writer.cursor.execute(
                window.sql, window.parameters(low=low, high=low + BATCH)).fetchall()
            yield writer.text(batch) if batch else ""
    finally:
        writer.close()


class _SqliteLines:
    """Turns a batch of ``_sqlite_assertion_select`` rows (a run of ids in order) into its
    chunk of lines: the evidence arrays spliced in, the odd rows written by Python."""

    def __init__(self, session: Session, article_id: int | None) -> None:
        self.session, self.article_id = session, article_id
        connection = session.connection()
        self.evidence = _DriverStatement(_sqlite_evidence_select(), connection.dialect)
        self.cursor = connection.connection.cursor()

    def text(self, batch: Sequence[tuple[Any, ...]]) -> str:
        links = dict(self.cursor.execute(self.evidence.sql, self.evidence.parameters(
            first=batch[0][0], last=batch[-1][0])).fetchall())
        odd = [assertion_id for assertion_id, line in batch
               if line is None or (assertion_id in links and links[assertion_id] is None)]
        by_python: dict[int, str] = {}
        if odd:
            # Lines end in "\n" alone: every other line break inside is escaped.
            written = "".join(_python_assertion_lines(self.session, self.article_id, only=odd))
            by_python = dict(zip(odd, written.split("\n")[:-1], strict=True))
        lines = []
        for assertion_id, line in batch:
            if assertion_id in by_python:
                lines.append(by_python[assertion_id])
            elif assertion_id in links:
                # '…"evidence":[]}' → '…"evidence":[…links…]}'
                lines.append(f"{line[:-3]}{links[assertion_id]}}}")
            else:
                lines.append(line)
        return _joined_text(lines)

    def close(self) -> None:
        self.cursor.close()


@contextmanager
def _twin_snapshot(session: Session) -> Iterator[Session | None]:
    """A second session that reads the very snapshot ``session`` reads from here on, for a
    project export on SQLite to build its lines on two cores; None where that cannot be
    promised (another database, or a read transaction of ``session`` begun earlier).

    Both snapshots are taken while a third connection holds the write lock for a moment
    (BEGIN IMMEDIATE, then ROLLBACK): no commit can come between them. Call it inside
    ``read_phase``, so that both transactions are deferred (read-only)."""
    engine = session.get_bind()
    if engine.dialect.name != "sqlite" or session.in_transaction():
        yield None
        return
    probe = select(_articles.c.id).limit(1)
    connection = engine.connect()
    gate = engine.raw_connection()
    try:
        begin_immediate(gate.dbapi_connection)
        try:
            session.execute(probe)  # the session's snapshot begins here
            connection.execute(probe)  # and the twin's, the same: no writer can commit now
        finally:
            gate.dbapi_connection.execute("ROLLBACK")
    finally:
        gate.close()
    twin = Session(bind=connection)
    try:
        yield twin
    finally:
        twin.close()
        connection.close()


def _adjudication_rows(session: Session, article_id: int | None) -> Iterator[Row[Any]]:
    stmt = select(_adjudications)
    if article_id is not None:
        stmt = stmt.where(_adjudications.c.article_id == article_id)
    return _keyset(session, stmt, _adjudications.c.id)


def _rows_naming(session: Session, table: Any, user_id: Any, label: str,
                 where: Any = None) -> Iterator[Row[Any]]:
    """The rows of ``table`` (those ``where`` picks), each with the username ``user_id``
    names as ``label``."""
    stmt = (select(table, _users.c.username.label(label))
            .outerjoin(_users, _users.c.id == user_id))
    return _keyset(session, stmt if where is None else stmt.where(where), table.c.id)


def _verdict_rows(session: Session, article_id: int | None) -> Iterator[Row[Any]]:
    return _rows_naming(session, _verdicts, _verdicts.c.author_id, "author",
                        None if article_id is None else _verdicts.c.article_id == article_id)


def _rating_rows(session: Session, article_id: int | None) -> Iterator[Row[Any]]:
    return _rows_naming(session, _ratings, _ratings.c.rated_by_id, "rated_by",
                        None if article_id is None else _ratings.c.assertion_id.in_(
                            select(_assertions.c.id).where(
                                _assertions.c.article_id == article_id)))


def _adjudication_lines(session: Session, article_id: int | None) -> Iterator[str]:
    """Each decision on a consensus, naming assertions by their ``assertion`` line ids; an
    assertion deleted since (a removed consensus assertion, say) is named ``null``."""
    for batch in _batches(_adjudication_rows(session, article_id)):
        named = {i for row in batch for i in [*(row.source_ids or []), row.result_id]
                 if isinstance(i, int)}
        stored = set(session.scalars(select(_assertions.c.id).where(
            _assertions.c.id.in_(named)))) if named else set()
        for row in batch:
            yield _json({
                "type": "adjudication", "article_id": row.article_id, "version": row.version,
                "action": row.action, "reason": row.reason, "actor": row.actor,
                "at": _iso(row.at),
                "source_ids": [i if i in stored else None for i in row.source_ids or []],
                "result_id": row.result_id if row.result_id in stored else None,
                "result": row.result})


def jsonl_lines(session: Session, article_id: int | None, *, twin: Session | None = None,
                **_options: Any) -> Iterator[str]:
    """The project's own JSONL: a header line, then users, articles, assignments, assertions,
    adjudications (the consensus decisions), verdicts and assertion ratings.

    Each line is an object with a ``type``. Users carry their username, role and whether they
    are active, never a password hash or token. A consensus assertion (``"consensus": true``)
    names the supervisor who settled it as its reviewer. Later lines name an article by the
    ``id`` of its ``article`` line and an assertion by the ``id`` of its ``assertion`` line
    (ids of this file only), people by username. A verdict keeps its public slug, so a report
    link shared once still works once the project is rebuilt elsewhere.
    """
    yield _json({"type": "workbench", "version": JSONL_VERSION,
                 "scope": "project" if article_id is None else "article"})
    for row in _user_rows(session, article_id):
        yield _json({"type": "user", "username": row.username, "role": row.role,
                     "active": row.active})
    yield from _article_lines(session, article_id)
    yield from _assignment_lines(session, article_id)
    yield from _assertion_lines(session, article_id, twin)
    yield from _adjudication_lines(session, article_id)
    for row in _verdict_rows(session, article_id):
        yield _json({"type": "verdict", "article_id": row.article_id, "rating": row.rating,
                     "summary": row.summary, "state": row.state, "slug": row.slug,
                     "author": row.author, "created_at": _iso(row.created_at),
                     "updated_at": _iso(row.updated_at),
                     "published_at": _iso(row.published_at), "version": row.version})
    for row in _rating_rows(session, article_id):
        yield _json({"type": "rating", "assertion_id": row.assertion_id, "rating": row.rating,
                     "explanation": row.explanation, "rated_by": row.rated_by,
                     "updated_at": _iso(row.updated_at), "version": row.version})


def csv_chunks(session: Session, article_id: int | None, **_options: Any) -> Iterator[str]:
    """One CSV row per assertion (``CSV_HEADER``); evidence URLs separated by spaces."""

    def rows() -> Iterator[list[Any]]:
        ids = None if article_id is None else [article_id]
        for row, evidence in _assertions_with_evidence(session, ids, _CSV_SELECT):
            yield [row.id, row.article_id, row.article_title, row.reviewer,
                   row.start_offset, row.end_offset, row.quote, row.tag, row.note,
                   len(evidence), " ".join(e.url for e in evidence), _iso(row.created_at),
                   _iso(row.updated_at), row.consensus]

    return csv_lines(CSV_HEADER, rows())


def w3c_chunks(session: Session, article_id: int | None, *, base_url: str,
               **_options: Any) -> Iterator[str]:
    """One ``AnnotationCollection`` per article: the document itself for one article, one
    collection per line for the project."""
    for article, assertions in _articles_with_assertions(session, article_id):
        document = w3c.collection(article, assertions, base_url=base_url)
        if article_id is not None:
            yield json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        else:
            yield _json(document)


def labelstudio_chunks(session: Session, article_id: int | None, **_options: Any
                       ) -> Iterator[str]:
    """A JSON array of Label Studio tasks, written one task at a time."""
    first = True
    yield "["
    for item in _articles_with_assertions(session, article_id):
        task = json.dumps(labelstudio.export_task(item), ensure_ascii=False)
        yield ("\n" if first else ",\n") + task
        first = False
    yield "\n]\n"


def doccano_chunks(session: Session, article_id: int | None, *, unit: str,
                   **_options: Any) -> Iterator[str]:
    """doccano JSONL, one article per line, offsets counted in ``unit``."""
    for item in _articles_with_assertions(session, article_id):
        yield doccano.export_line(item, unit=unit) + "\n"  # type: ignore[arg-type]


def claimreview_chunks(session: Session, article_id: int | None, *, base_url: str,
                       **_options: Any) -> Iterator[str]:
    """schema.org ClaimReview JSON-LD, one per line: the rated assertions of published reports
    only, exactly as their public pages carry them (``/r/<slug>``)."""
    from ..models import Verdict
    from .reports import article_report, claim_reviews_of

    stmt = select(Verdict).where(Verdict.state == "published")
    if article_id is not None:
        stmt = stmt.where(Verdict.article_id == article_id)
    site = base_url.rstrip("/").removesuffix("/api/v1")  # base_url names the API
    for verdict in session.scalars(stmt.order_by(Verdict.article_id)):
        report = article_report(session, session.get(Article, verdict.article_id), public=True)
        for review in claim_reviews_of(session, report, f"{site}/r/{verdict.slug}"):
            yield json.dumps(review, ensure_ascii=False) + "\n"


_WRITERS = {"jsonl": jsonl_lines, "csv": csv_chunks, "w3c": w3c_chunks,
            "labelstudio": labelstudio_chunks, "doccano": doccano_chunks,
            "claimreview": claimreview_chunks}
