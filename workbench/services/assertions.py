"""Assertions (tagged spans) and their evidence links.

Saving an assertion is the product's hot path: it checks the span with one query that reads only
the needed substrings of the body (``substr`` counts code points on SQLite and PostgreSQL alike)
and inserts with Core statements, without loading the article or building ORM objects.
"""
from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, and_, bindparam, exists, func, insert, select, text
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..db import read_phase
from ..models import (STANCES, TAGS, ApiToken, Article, Assertion, Assignment, AssignmentStatus,
                      AuditEvent, Evidence, User, utcnow)
from ..config import MAX_INT
from ..text import SpanError, check_offsets, check_span, span_window
from ..values import parse_http_url
from . import audit
from .policy import SUBMITTED, ArticleAccess, article_access, require
from .errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from .users import token_digest

MAX_NOTE_LENGTH = 10_000
MAX_EVIDENCE_TITLE_LENGTH = 500
MAX_EVIDENCE_PER_REQUEST = 50


@dataclass(frozen=True, slots=True)
class EvidenceInput:
    url: str
    title: str = ""
    note: str = ""
    stance: str = "context"


def validate_tag(tag: Any) -> str:
    if tag not in TAGS:
        raise ValidationFailed(f"Tag must be one of: {', '.join(TAGS)}.", "tag")
    return tag


def validate_note(note: Any, field_name: str = "note") -> str:
    note = note or ""
    if not isinstance(note, str):
        raise ValidationFailed("A note is text.", field_name)
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationFailed(f"A note may have at most {MAX_NOTE_LENGTH} characters.",
                               field_name)
    return note


def validate_evidence(item: EvidenceInput, field_prefix: str = "") -> EvidenceInput:
    """Check one evidence link; field names carry ``field_prefix`` (``evidence[0].``) for the API."""
    url = parse_http_url(item.url, f"{field_prefix}url")
    if item.stance not in STANCES:
        raise ValidationFailed(f"Stance must be one of: {', '.join(STANCES)}.",
                               f"{field_prefix}stance")
    title = (item.title or "").strip()
    if len(title) > MAX_EVIDENCE_TITLE_LENGTH:
        raise ValidationFailed(f"A title may have at most {MAX_EVIDENCE_TITLE_LENGTH} characters.",
                               f"{field_prefix}title")
    return EvidenceInput(url=url, title=title, stance=item.stance,
                         note=validate_note(item.note, f"{field_prefix}note"))


def evidence_dict(evidence: Evidence, added_by: str | None = None) -> dict[str, Any]:
    return {
        "id": evidence.id, "assertion_id": evidence.assertion_id, "url": evidence.url,
        "title": evidence.title, "note": evidence.note, "stance": evidence.stance,
        "added_by": added_by if added_by is not None else (
            evidence.added_by.username if evidence.added_by else None),
        "created_at": evidence.created_at.isoformat(),
    }


def assertion_dict(assertion: Assertion) -> dict[str, Any]:
    """The one shape of an assertion: the API's, the audit trail's, the exports'."""
    return {
        "id": assertion.id, "article_id": assertion.article_id,
        "reviewer": assertion.reviewer.username, "start": assertion.start, "end": assertion.end,
        "quote": assertion.quote, "prefix": assertion.prefix, "suffix": assertion.suffix,
        "tag": assertion.tag, "note": assertion.note, "version": assertion.version,
        "evidence": [evidence_dict(e) for e in assertion.evidence],
        "created_at": assertion.created_at.isoformat(),
        "updated_at": assertion.updated_at.isoformat(),
    }


def new_assertion_dict(assertion_id: int, row: dict[str, Any], owner: str) -> dict[str, Any]:
    """``assertion_dict``'s shape for a row just inserted (no ORM object is built on the hot
    path); evidence is appended by the caller."""
    return {
        "id": assertion_id, "article_id": row["article_id"], "reviewer": owner,
        "start": row["start_offset"], "end": row["end_offset"], "quote": row["quote"],
        "prefix": row["prefix"], "suffix": row["suffix"], "tag": row["tag"],
        "note": row["note"], "version": row["version"], "evidence": [],
        "created_at": row["created_at"].isoformat(), "updated_at": row["updated_at"].isoformat(),
    }


def _audit_view(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("prefix", "suffix")}


_articles, _assignments = Article.__table__, Assignment.__table__
_assertions, _audit_events = Assertion.__table__, AuditEvent.__table__

# The hot path's statements are built once; each save only binds values. One query reads the
# article's length, the window of its body that the span check needs, and the owner's
# assignment status.
_ARTICLE_AND_OWNERS_ASSIGNMENT = _articles.outerjoin(_assignments, and_(
    _assignments.c.article_id == _articles.c.id,
    _assignments.c.reviewer_id == bindparam("reviewer_id")))
_SPAN_WINDOW = (
    select(func.length(_articles.c.body),
           func.substr(_articles.c.body, bindparam("window_from"), bindparam("window_length")),
           _assignments.c.status)
    .select_from(_ARTICLE_AND_OWNERS_ASSIGNMENT).where(_articles.c.id == bindparam("article_id")))
# A batch reads the whole body once.
_WHOLE_BODY = (
    select(_articles.c.body, _assignments.c.status)
    .select_from(_ARTICLE_AND_OWNERS_ASSIGNMENT).where(_articles.c.id == bindparam("article_id")))
_ASSERTION_COLUMNS = ["article_id", "reviewer_id", "start_offset", "end_offset", "quote", "prefix",
                      "suffix", "tag", "note", "created_at", "updated_at", "version"]
_PLAIN_INSERT = insert(_assertions).returning(_assertions.c.id, sort_by_parameter_order=True)
# Inserted only while the owner's assignment is still open, checked in the same statement,
# so a review submitted between the checks above and this write cannot gain an assertion.
def _same_span_and_tag() -> tuple[Any, ...]:
    """The reviewer's own assertion over the same characters with the same tag."""
    a = _assertions.c
    return (a.article_id == bindparam("article_id"), a.reviewer_id == bindparam("reviewer_id"),
            a.start_offset == bindparam("start_offset"), a.end_offset == bindparam("end_offset"),
            a.tag == bindparam("tag"), a.consensus.is_(False))


# A reviewer's save: only while their assignment is open, and never the same span and tag twice.
_GUARDED_INSERT = (
    insert(_assertions)
    .from_select(_ASSERTION_COLUMNS, select(*(
        bindparam(name, type_=_assertions.c[name].type) for name in _ASSERTION_COLUMNS))
        .where(exists().where(
            _assignments.c.article_id == bindparam("article_id"),
            _assignments.c.reviewer_id == bindparam("reviewer_id"),
            _assignments.c.status == AssignmentStatus.assigned.value))
        .where(~exists().where(*_same_span_and_tag())))
    .returning(_assertions.c.id))


class Guard(enum.Enum):
    """What must hold for assertions to be written, checked by ``insert_assertions``."""

    # A reviewer's own work: the owner is the actor, assigned to the article, not yet submitted
    # (re-checked inside the INSERT itself).
    OPEN_ASSIGNMENT = "open_assignment"
    # A consensus assertion: the actor may adjudicate the article.
    ADJUDICATION = "adjudication"
    # An import: the caller (the CLI, an admin's upload) has authorised the whole batch.
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class NewAssertion:
    """One assertion to write, as a writer gives it (offsets in code points)."""

    start: Any
    end: Any
    quote: Any
    tag: Any
    note: Any = ""
    evidence: Sequence[EvidenceInput] = ()


@dataclass(frozen=True, slots=True)
class _Checked:
    start: int
    end: int
    quote: str
    tag: str
    note: str
    links: list[EvidenceInput]


def _validated(item: NewAssertion, prefix: str) -> _Checked:
    """Every check that needs no text; field names carry ``prefix`` (``items[3].``) in batches."""
    try:
        tag = validate_tag(item.tag)
        note = validate_note(item.note)
        if len(item.evidence) > MAX_EVIDENCE_PER_REQUEST:
            raise ValidationFailed(f"At most {MAX_EVIDENCE_PER_REQUEST} evidence links at once.",
                                   "evidence")
        links = [validate_evidence(link, f"evidence[{i}].") for i, link in enumerate(item.evidence)]
        start, end = check_offsets(item.start, item.end)
        if end > MAX_INT:
            raise SpanError("end is past the end of the article.", "end")
    except SpanError as error:
        raise ValidationFailed(error.message, prefix + error.field) from None
    except ValidationFailed as error:
        if prefix:
            raise ValidationFailed(error.message, prefix + (error.field or "")) from None
        raise
    return _Checked(start, end, item.quote, tag, note, links)


def _read_spans(session: Session, article_id: int, owner: User,
                items: list[_Checked]) -> tuple[list[tuple[str, int, int]], str | None]:
    """For every span, the text ``check_span`` needs (a window of the body, its first code
    point, the body's length), and the owner's assignment status. One query for one span (a
    window of the body), one for a batch (the whole body)."""
    with read_phase(session):
        if len(items) == 1:
            first, past = span_window(items[0].start, items[0].end)
            row = session.connection().execute(_SPAN_WINDOW, {
                "window_from": first + 1, "window_length": past - first,
                "reviewer_id": owner.id, "article_id": article_id}).first()
            if row is None:
                raise NotFound("No such article.")
            length, window, status = row
            windows = [(window, first, length)]
        else:
            row = session.connection().execute(_WHOLE_BODY, {
                "reviewer_id": owner.id, "article_id": article_id}).first()
            if row is None:
                raise NotFound("No such article.")
            body, status = row
            windows = [(body, 0, len(body))] * len(items)
    return windows, status


def insert_assertions(session: Session, article_id: int, items: Sequence[NewAssertion], *,
                      owner: User, actor: User | None, guard: Guard) -> list[dict[str, Any]]:
    """Write assertions on one article, in the caller's transaction, after the one span check
    (``text.check_span``) and the ``guard``; returns each as ``assertion_dict`` shapes it.

    All or nothing: the first bad item raises (its field named ``items[i].field`` when there
    are several) before anything is written. Never commits."""
    prefix = (lambda i: f"items[{i}].") if len(items) > 1 else (lambda i: "")
    checked = [_validated(item, prefix(i)) for i, item in enumerate(items)]
    if not checked:
        return []
    windows, status = _read_spans(session, article_id, owner, checked)
    _check_guard(session, guard, article_id, owner, actor, status)
    return _write(session, article_id, checked, windows, owner=owner, actor=actor, guard=guard,
                  prefix=prefix)


def _write(session: Session, article_id: int, checked: list[_Checked],
           windows: list[tuple[str, int, int]], *, owner: User, actor: User | None,
           guard: Guard, prefix: Any, writer_locked: bool = False) -> list[dict[str, Any]]:
    """The span check of every item, then the INSERTs with their evidence and audit events."""
    now = utcnow()
    params = []
    for i, (item, (text, first, length)) in enumerate(zip(checked, windows)):
        try:
            span_prefix, span_suffix = check_span(text, item.start, item.end, item.quote,
                                                  body_start=first, body_length=length)
        except SpanError as error:
            raise ValidationFailed(error.message, prefix(i) + error.field) from None
        params.append({
            "article_id": article_id, "reviewer_id": owner.id, "start_offset": item.start,
            "end_offset": item.end, "quote": item.quote, "prefix": span_prefix,
            "suffix": span_suffix, "tag": item.tag, "note": item.note, "created_at": now,
            "updated_at": now, "version": 1})
    connection = session.connection()
    if guard is Guard.OPEN_ASSIGNMENT:
        if connection.dialect.name == "postgresql" and not writer_locked:
            # One reviewer's saves on one article in turn, so that two clicks at once cannot
            # both find no twin (SQLite's write lock already serialises every writer).
            connection.execute(_ONE_WRITER, {"key": article_id * 2**31 + owner.id})
        if (connection.dialect.name == "postgresql" and len(params) == 1
                and not checked[0].links and actor is not None):
            return [_insert_audited(connection, params[0], owner, actor, now, prefix(0))]
        ids = []
        for i, row in enumerate(params):
            new_id = connection.execute(_GUARDED_INSERT, row).scalar()
            if new_id is None:
                _refuse_unwritten(connection, row, prefix(i))
            ids.append(new_id)
    else:
        consensus = guard is Guard.ADJUDICATION
        ids = list(connection.execute(_PLAIN_INSERT, [{**row, "consensus": consensus}
                                                      for row in params]).scalars())
    records = []
    for assertion_id, item, row in zip(ids, checked, params):
        record = new_assertion_dict(assertion_id, row, owner.username)
        for link in item.links:
            record["evidence"].append(_insert_evidence(session, actor or owner, assertion_id,
                                                       link, now))
        audit.record(session, actor, "assertion.create", "assertion", assertion_id,
                     article_id=article_id, after=_audit_view(record))
        records.append(record)
    return records


# PostgreSQL: the guarded INSERT and its audit event in one statement (one round trip less).
_GUARDED_INSERT_AUDITED = audit.recorded_with(_GUARDED_INSERT, "assertion.create", "assertion")


def _insert_audited(connection: Connection, row: dict[str, Any], owner: User, actor: User,
                    now: datetime, field_prefix: str) -> dict[str, Any]:
    """One save without evidence on PostgreSQL: the assertion and its event in one statement."""
    record = new_assertion_dict(0, row, owner.username)
    new_id = connection.execute(_GUARDED_INSERT_AUDITED, {
        **row, "at": now, "actor_id": actor.id, "actor": actor.username,
        "after_without_id": audit.after_json(_audit_view(record))}).scalar()
    if new_id is None:
        _refuse_unwritten(connection, row, field_prefix)
    record["id"] = new_id
    return record


_tokens, _users = ApiToken.__table__, User.__table__
# The API's save reads everything it decides on in one statement: the bearer token's user (an
# unknown or revoked token, or a deactivated user, finds no row), the article's length and the
# window of its body the span check needs, and that user's assignment status. Never cached:
# a token revoked a moment ago finds no row in the very next save, in every process.
_SAVE_CONTEXT = (
    select(_users.c.id, _users.c.username, _users.c.role, func.length(_articles.c.body),
           func.substr(_articles.c.body, bindparam("window_from"), bindparam("window_length")),
           _assignments.c.status)
    .select_from(
        _tokens.join(_users, and_(_users.c.id == _tokens.c.user_id, _users.c.active.is_(True)))
        .outerjoin(_articles, _articles.c.id == bindparam("article_id"))
        .outerjoin(_assignments, and_(_assignments.c.article_id == _articles.c.id,
                                      _assignments.c.reviewer_id == _users.c.id)))
    .where(_tokens.c.token_hash == bindparam("digest"), _tokens.c.revoked_at.is_(None)))
# On PostgreSQL the same statement takes the reviewer's writer lock on the article (see
# ``_write``), saving a round trip; a refused save releases it with its rollback.
_SAVE_CONTEXT_LOCKED = _SAVE_CONTEXT.add_columns(func.pg_advisory_xact_lock(
    bindparam("lock_base", type_=BigInteger) + _users.c.id))


def create_assertion_for_token(session: Session, token: str, article_id: int, *, start: Any,
                               end: Any, quote: Any, tag: Any, note: Any = "",
                               evidence: Sequence[EvidenceInput] = ()) -> dict[str, Any]:
    """The API's save: ``create_assertion`` for the holder of a bearer ``token``, which is
    checked in the same statement that reads the span and the assignment (Unauthorized when
    it is unknown or revoked, or its user is deactivated). The same checks, policy and guarded
    INSERT as every reviewer's save; never commits."""
    item = _validated(NewAssertion(start, end, quote, tag, note, evidence), "")
    first, past = span_window(item.start, item.end)
    connection = session.connection()
    locks = connection.dialect.name == "postgresql"
    row = connection.execute(_SAVE_CONTEXT_LOCKED if locks else _SAVE_CONTEXT, {
        "digest": token_digest(token), "article_id": article_id, "window_from": first + 1,
        "window_length": past - first, "lock_base": article_id * 2**31}).first()
    if row is None:
        raise Unauthorized()
    user_id, username, role, length, window, status = row[:6]
    if length is None:
        raise NotFound("No such article.")
    # A plain record of the caller, never added to the session.
    owner = User(id=user_id, username=username, role=role, active=True)
    _check_guard(session, Guard.OPEN_ASSIGNMENT, article_id, owner, owner, status)
    return _write(session, article_id, [item], [(window, first, length)], owner=owner,
                  actor=owner, guard=Guard.OPEN_ASSIGNMENT, prefix=lambda i: "",
                  writer_locked=locks)[0]


_ONE_WRITER = text("SELECT pg_advisory_xact_lock(:key)")
_TWIN = select(_assertions.c.id).where(*_same_span_and_tag()).limit(1)
_STATUS = select(_assignments.c.status).where(
    _assignments.c.article_id == bindparam("article_id"),
    _assignments.c.reviewer_id == bindparam("reviewer_id"))
DUPLICATE = ("You already saved this span with this tag: see the assertion it would repeat.",
             "duplicate")


def _refuse_unwritten(connection: Connection, row: dict[str, Any], field_prefix: str) -> None:
    """Why the guarded INSERT wrote nothing: the same span and tag already saved (409 with the
    existing id), or the assignment no longer open (403)."""
    status = connection.execute(_STATUS, row).scalar()
    twin = connection.execute(_TWIN, row).scalar()
    if status == AssignmentStatus.assigned.value and twin is not None:
        raise Conflict(DUPLICATE[0], current={"id": twin}, field=field_prefix + "start",
                       code=DUPLICATE[1])
    raise Forbidden(SUBMITTED[0], code=SUBMITTED[1])


def _check_guard(session: Session, guard: Guard, article_id: int, owner: User,
                 actor: User | None, status: str | None) -> None:
    if guard is Guard.OPEN_ASSIGNMENT:
        if actor is None or actor.id != owner.id:
            raise Forbidden("Reviewers write only their own assertions.", code="not_owner")
        require(article_access(session, owner, article_id, status, known=True), "can_annotate")
    elif guard is Guard.ADJUDICATION:
        if actor is None:
            raise Forbidden("Only supervisors settle the consensus.", code="forbidden")
        require(article_access(session, actor, article_id), "can_adjudicate")


def create_assertion(session: Session, user: User, article_id: int, *, start: int, end: int,
                     quote: str, tag: str, note: str = "",
                     evidence: Sequence[EvidenceInput] = ()) -> dict[str, Any]:
    """Save a reviewer's own tagged span (the hot path)."""
    return insert_assertions(session, article_id, [NewAssertion(start, end, quote, tag, note,
                                                                evidence)],
                             owner=user, actor=user, guard=Guard.OPEN_ASSIGNMENT)[0]


_INSERT_EVIDENCE = insert(Evidence.__table__).returning(Evidence.__table__.c.id)


def _insert_evidence(session: Session, user: User, assertion_id: int, link: EvidenceInput,
                     now: datetime) -> dict[str, Any]:
    evidence_id = session.connection().execute(_INSERT_EVIDENCE, {
        "assertion_id": assertion_id, "url": link.url, "title": link.title, "note": link.note,
        "stance": link.stance, "added_by_id": user.id, "created_at": now}).scalar_one()
    return {"id": evidence_id, "assertion_id": assertion_id, "url": link.url,
            "title": link.title, "note": link.note, "stance": link.stance,
            "added_by": user.username, "created_at": now.isoformat()}


def page_of_visible_assertions(session: Session, access: ArticleAccess, article_id: int, *,
                               after_id: int | None, limit: int
                               ) -> tuple[list[Assertion], int | None]:
    """One keyset page (by id) of the article's assertions that ``access`` shows (blind
    review), and the cursor of the next page."""
    if not access.can_see:
        raise NotFound("No such article.")
    stmt = (select(Assertion).where(Assertion.article_id == article_id,
                                    Assertion.consensus.is_(False))
            .options(selectinload(Assertion.evidence).selectinload(Evidence.added_by),
                     selectinload(Assertion.reviewer))
            .order_by(Assertion.id).limit(limit + 1))
    if access.visible_reviewers is not None:
        stmt = stmt.where(Assertion.reviewer_id.in_(access.visible_reviewers))
    if after_id is not None:
        stmt = stmt.where(Assertion.id > after_id)
    rows = list(session.scalars(stmt))
    page = rows[:limit]
    return page, (page[-1].id if len(rows) > limit else None)


@dataclass(slots=True)
class EvidenceView:
    id: int
    assertion_id: int
    url: str
    title: str
    note: str
    stance: str


@dataclass(slots=True)
class AssertionView:
    """What the article page shows of an assertion: plain values, read without ORM objects."""

    id: int
    reviewer_id: int
    reviewer: str
    start: int
    end: int
    quote: str
    tag: str
    note: str
    version: int
    updated_at: datetime
    evidence: list[EvidenceView]


@dataclass(frozen=True, slots=True)
class MarkView:
    """What the text, the counts and the card filters need of an assertion: no quote, note or
    evidence rows (the page loads those for the cards it shows only)."""

    id: int
    reviewer_id: int
    reviewer: str
    start: int
    end: int
    tag: str
    evidence_count: int


def _visible(access: ArticleAccess, article_id: int) -> Any:
    table = Assertion.__table__
    condition = (table.c.article_id == article_id) & table.c.consensus.is_(False)
    if access.visible_reviewers is not None:
        condition = condition & table.c.reviewer_id.in_(access.visible_reviewers)
    return condition


def mark_views(session: Session, access: ArticleAccess, article_id: int) -> list[MarkView]:
    """The assertions the access allows, in text order, as little as marking them in the text
    needs: two Core queries whatever their number (the rows, then evidence counted per
    assertion)."""
    table, evidence = Assertion.__table__, Evidence.__table__
    condition = _visible(access, article_id)
    connection = session.connection()
    counts = dict(connection.execute(
        select(evidence.c.assertion_id, func.count())
        .join(table, table.c.id == evidence.c.assertion_id)
        .where(condition).group_by(evidence.c.assertion_id)).all())
    rows = connection.execute(
        select(table.c.id, table.c.reviewer_id, User.__table__.c.username, table.c.start_offset,
               table.c.end_offset, table.c.tag)
        .join(User.__table__, User.__table__.c.id == table.c.reviewer_id)
        .where(condition)
        .order_by(table.c.start_offset, table.c.end_offset.desc(), table.c.id))
    return [MarkView(r[0], r[1], r[2], r[3], r[4], r[5], counts.get(r[0], 0)) for r in rows]


def assertion_views(session: Session, access: ArticleAccess, article_id: int,
                    ids: Collection[int] | None = None) -> list[AssertionView]:
    """The assertions the access allows (of ``ids`` only, when given: a page of cards), in
    text order, with evidence: two Core queries, so an article holding a thousand assertions
    reads in milliseconds."""
    table, evidence = Assertion.__table__, Evidence.__table__
    condition = _visible(access, article_id)
    if ids is not None:
        if not ids:
            return []
        condition = condition & table.c.id.in_(list(ids))
    connection = session.connection()
    rows = connection.execute(
        select(table.c.id, table.c.reviewer_id, User.__table__.c.username, table.c.start_offset,
               table.c.end_offset, table.c.quote, table.c.tag, table.c.note, table.c.version,
               table.c.updated_at)
        .join(User.__table__, User.__table__.c.id == table.c.reviewer_id)
        .where(condition)
        .order_by(table.c.start_offset, table.c.end_offset.desc(), table.c.id))
    views = [AssertionView(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8],
                           r[9], []) for r in rows]
    by_id = {view.id: view for view in views}
    if by_id:
        for e in connection.execute(
                select(evidence.c.id, evidence.c.assertion_id, evidence.c.url, evidence.c.title,
                       evidence.c.note, evidence.c.stance)
                .join(table, table.c.id == evidence.c.assertion_id)
                .where(condition).order_by(evidence.c.id)):
            by_id[e[1]].evidence.append(EvidenceView(*e))
    return views


def get_assertion_for(session: Session, user: User, assertion_id: int,
                      *, for_change: bool = False) -> tuple[Assertion, ArticleAccess]:
    """An assertion the user may see (else NotFound); with ``for_change``, one they may change."""
    # A change locks the row (PostgreSQL; SQLite's writers are serialised already), so a
    # concurrent edit or delete waits for this one instead of failing in the middle of it.
    if for_change:
        # Read what is stored now, even over a copy this session loaded before: a copy of an
        # older version would otherwise fail the version check while loading.
        loaded = session.identity_map.get(session.identity_key(Assertion, assertion_id))
        if loaded is not None:
            session.expire(loaded)
    assertion = session.get(Assertion, assertion_id, with_for_update=for_change or None,
                            populate_existing=for_change)
    if assertion is None:
        raise NotFound("No such assertion.")
    access = article_access(session, user, assertion.article_id)
    if not access.can_see_reviewer(assertion.reviewer_id):
        raise NotFound("No such assertion.")
    if for_change:
        if assertion.reviewer_id != user.id:
            raise Forbidden("Only the reviewer who made an assertion changes it.",
                            code="not_owner")
        require(access, "can_annotate")
    return assertion, access


def update_assertion(session: Session, user: User, assertion_id: int, *, version: int,
                     tag: str | None = None, note: str | None = None) -> Assertion:
    """Change tag and/or note; a stale ``version`` raises Conflict with the current record."""
    assertion, _ = get_assertion_for(session, user, assertion_id, for_change=True)
    if tag is not None:
        tag = validate_tag(tag)
    if note is not None:
        note = validate_note(note)
    if version != assertion.version:
        raise Conflict("This assertion was changed since you loaded it; nothing was saved.",
                       current=assertion_dict(assertion), field="version", code="stale")
    before = _audit_view(assertion_dict(assertion))
    if tag is not None:
        assertion.tag = tag
    if note is not None:
        assertion.note = note
    if session.is_modified(assertion):
        assertion.updated_at = utcnow()
        savepoint = session.begin_nested()
        try:
            session.flush()  # UPDATE ... WHERE version = :read_version
        except StaleDataError:
            # A concurrent writer won between our read and our UPDATE: undo only this flush
            # (the caller's transaction goes on) and report what is stored now.
            savepoint.rollback()
            current = session.get(Assertion, assertion_id, populate_existing=True)
            if current is None:
                raise NotFound("No such assertion.") from None
            raise Conflict("This assertion was changed since you loaded it; nothing was saved.",
                           current=assertion_dict(current), field="version",
                           code="stale") from None
        savepoint.commit()
        audit.record(session, user, "assertion.update", "assertion", assertion.id,
                     article_id=assertion.article_id, before=before,
                     after=_audit_view(assertion_dict(assertion)))
    return assertion


def delete_assertion(session: Session, user: User, assertion_id: int,
                     version: int | None = None) -> int:
    """Delete an assertion and its evidence; returns the article id."""
    assertion, _ = get_assertion_for(session, user, assertion_id, for_change=True)
    if version is not None and version != assertion.version:
        raise Conflict("This assertion was changed since you loaded it; nothing was deleted.",
                       current=assertion_dict(assertion), field="version", code="stale")
    before = _audit_view(assertion_dict(assertion))
    article_id = assertion.article_id
    session.delete(assertion)
    session.flush()
    audit.record(session, user, "assertion.delete", "assertion", assertion_id,
                 article_id=article_id, before=before)
    return article_id


def add_evidence(session: Session, user: User, assertion_id: int,
                 link: EvidenceInput) -> dict[str, Any]:
    """Attach an evidence link to the user's own assertion."""
    assertion, _ = get_assertion_for(session, user, assertion_id, for_change=True)
    link = validate_evidence(link)
    record = _insert_evidence(session, user, assertion.id, link, utcnow())
    session.expire(assertion, ["evidence"])
    audit.record(session, user, "evidence.create", "evidence", record["id"],
                 article_id=assertion.article_id, after=record)
    return record


def get_evidence_for(session: Session, user: User, evidence_id: int) -> Evidence:
    """An evidence link on an assertion the user may see; one answer for missing and hidden."""
    evidence = session.get(Evidence, evidence_id)
    try:
        if evidence is None:
            raise NotFound()
        get_assertion_for(session, user, evidence.assertion_id)
    except NotFound:
        raise NotFound("No such evidence link.") from None
    return evidence


def delete_evidence(session: Session, user: User, evidence_id: int) -> Assertion:
    """Remove an evidence link from the user's own assertion; returns that assertion."""
    evidence = get_evidence_for(session, user, evidence_id)
    assertion, _ = get_assertion_for(session, user, evidence.assertion_id, for_change=True)
    before = evidence_dict(evidence)
    session.delete(evidence)
    session.flush()
    session.expire(assertion, ["evidence"])
    audit.record(session, user, "evidence.delete", "evidence", evidence_id,
                 article_id=assertion.article_id, before=before)
    return assertion
