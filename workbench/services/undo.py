"""Undo of a delete: an assertion or an evidence link put back as it was, under its own id.

A delete removes the row (every reader keeps seeing only live rows, with no tombstone to filter
out) and its audit event keeps the whole record (``before``). Undo reads that event and inserts
the same row again, with the same id, content, times and version (ids are never reused, see
migration 0008), audited as ``assertion.restore`` / ``evidence.restore``. The policy is the
delete's: only the reviewer who may delete the row may restore it, only while their review is
open, and only for ``UNDO_SECONDS`` after the delete. A restore never makes a twin of an
assertion saved meanwhile (the ``duplicate`` rule of every save).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, insert, select
from sqlalchemy.orm import Session

from ..models import Assertion, AssignmentStatus, AuditEvent, Evidence, User, utcnow
from ..text import SpanError, check_span
from . import audit
from .assertions import (_ASSERTION_COLUMNS, _ONE_WRITER, DUPLICATE, _assertions, _assignments,
                         _audit_view, _Checked, _read_spans, _same_span_and_tag,
                         get_assertion_for, get_evidence_for, new_assertion_dict)
from .errors import Conflict, Forbidden, NotFound, WorkbenchError
from .policy import SUBMITTED, article_access, require

# How long after a delete its Undo is honoured. The page shows Undo for a few seconds; the
# server allows more, for a slow click or a page without JavaScript.
UNDO_SECONDS = 120
ASSERTION, EVIDENCE = "assertion", "evidence"
NOTHING_TO_UNDO = {ASSERTION: "Nothing to undo: no deleted assertion of yours has this id.",
                   EVIDENCE: "Nothing to undo: no deleted evidence link of yours has this id."}


@dataclass(frozen=True, slots=True)
class Deleted:
    """A delete the user may still undo: what it removed, as its audit event recorded it."""

    kind: str  # "assertion" or "evidence"
    id: int
    article_id: int
    label: str  # the assertion's quote, or the evidence link's title or address
    record: dict[str, Any]
    at: datetime


def _deleted(session: Session, user: User, kind: str, entity_id: int) -> Deleted:
    """The user's delete of this row that Undo may restore now, else the refusal (404 for what
    they may not know of, 403 for what they may not change, 409 restored or too late)."""
    event: AuditEvent | None = audit.latest(session, f"{kind}.delete", kind, entity_id)
    _refuse_live(session, user, kind, entity_id, undone=event is not None)
    if event is None or not event.before or event.article_id is None:
        raise NotFound(NOTHING_TO_UNDO[kind])
    record = event.before
    if kind == ASSERTION:
        owner_id = session.scalar(select(User.id).where(User.username == record["reviewer"]))
        access = article_access(session, user, event.article_id)
        if owner_id is None or not access.can_see_reviewer(owner_id):
            raise NotFound(NOTHING_TO_UNDO[kind])
        if owner_id != user.id:
            raise Forbidden("Only the reviewer who made an assertion restores it.",
                            code="not_owner")
        require(access, "can_annotate")
        label = record["quote"]
    else:
        try:
            assertion, access = get_assertion_for(session, user, record["assertion_id"])
        except NotFound:
            raise NotFound(NOTHING_TO_UNDO[kind]) from None
        if assertion.reviewer_id != user.id:
            raise Forbidden("Only the reviewer who made an assertion changes it.",
                            code="not_owner")
        require(access, "can_annotate")
        label = record["title"] or record["url"]
    current = {"id": entity_id, "article_id": event.article_id,
               "assertion_id": entity_id if kind == ASSERTION else record["assertion_id"]}
    if utcnow() - event.at > timedelta(seconds=UNDO_SECONDS):
        raise Conflict(f"Too late to undo: a delete can be undone for {UNDO_SECONDS // 60} "
                       "minutes.", current=current, code="undo_expired")
    return Deleted(kind, entity_id, event.article_id, label, record, event.at)


def _refuse_live(session: Session, user: User, kind: str, entity_id: int, *,
                 undone: bool) -> None:
    """A row that is there has nothing to undo: 409 (it came back already, or was never
    deleted) to whoever may see it, 404 to anyone else. Ids are never reused, so a row with
    this id is the deleted one."""
    if kind == ASSERTION:
        if session.get(Assertion, entity_id) is None:
            return
        assertion, _ = get_assertion_for(session, user, entity_id)
        name, article_id, assertion_id = "assertion", assertion.article_id, assertion.id
    else:
        if session.get(Evidence, entity_id) is None:
            return
        evidence = get_evidence_for(session, user, entity_id)
        assertion, _ = get_assertion_for(session, user, evidence.assertion_id)
        name, article_id, assertion_id = "evidence link", assertion.article_id, assertion.id
    raise Conflict(f"This {name} is back already." if undone
                   else f"This {name} is not deleted: there is nothing to undo.",
                   current={"id": entity_id, "article_id": article_id,
                            "assertion_id": assertion_id},
                   code="restored" if undone else "not_deleted")


def undoable(session: Session, user: User, kind: str, entity_id: int) -> Deleted | None:
    """The delete the page may offer to undo, or None (nothing to undo, or no longer)."""
    try:
        return _deleted(session, user, kind, entity_id)
    except WorkbenchError:
        return None


def _columns_as_params(names: list[str]) -> Any:
    return select(*(bindparam(name, type_=_assertions.c[name].type) for name in names))


# The assertion goes back under its id only while its reviewer's assignment is open, no twin
# was saved meanwhile and the id is free (a second Undo finds it taken), all in one statement.
_RESTORE_COLUMNS = ["id", *_ASSERTION_COLUMNS]
_GUARDED_RESTORE = (
    insert(_assertions)
    .from_select(_RESTORE_COLUMNS, _columns_as_params(_RESTORE_COLUMNS)
                 .where(exists().where(
                     _assignments.c.article_id == bindparam("article_id"),
                     _assignments.c.reviewer_id == bindparam("reviewer_id"),
                     _assignments.c.status == AssignmentStatus.assigned.value))
                 .where(~exists().where(*_same_span_and_tag()))
                 .where(~exists().where(_assertions.c.id == bindparam("id"))))
    .returning(_assertions.c.id))
_TWIN = select(_assertions.c.id).where(*_same_span_and_tag()).limit(1)
_INSERT_EVIDENCE = insert(Evidence.__table__)


def restore_assertion(session: Session, user: User, assertion_id: int) -> dict[str, Any]:
    """Undo the user's delete of their assertion: the same row, its evidence links too; returns
    it as ``assertion_dict`` shapes it."""
    deleted = _deleted(session, user, ASSERTION, assertion_id)
    record, article_id = deleted.record, deleted.article_id
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_ONE_WRITER, {"key": article_id * 2**31 + user.id})
    item = _Checked(record["start"], record["end"], record["quote"], record["tag"],
                    record["note"], [])
    windows, _ = _read_spans(session, article_id, user, [item])
    text, first, length = windows[0]
    try:
        # The one span check: the quote must still stand at its offsets (and it gives back the
        # prefix and suffix, which the audit trail does not keep).
        prefix, suffix = check_span(text, item.start, item.end, item.quote,
                                    body_start=first, body_length=length)
    except SpanError:
        raise Conflict("The article's text changed since the delete; save the assertion again.",
                       current={"id": assertion_id, "article_id": article_id,
                                "assertion_id": None}, code="text_changed") from None
    row = {"id": assertion_id, "article_id": article_id, "reviewer_id": user.id,
           "start_offset": item.start, "end_offset": item.end, "quote": item.quote,
           "prefix": prefix, "suffix": suffix, "tag": item.tag, "note": item.note,
           "created_at": datetime.fromisoformat(record["created_at"]),
           "updated_at": datetime.fromisoformat(record["updated_at"]),
           "version": record["version"]}
    if connection.execute(_GUARDED_RESTORE, row).scalar() is None:
        twin = connection.execute(_TWIN, row).scalar()
        if session.get(Assertion, assertion_id) is not None:
            raise Conflict("This assertion is back already.",
                           current={"id": assertion_id, "article_id": article_id,
                                    "assertion_id": assertion_id}, code="restored")
        if twin is not None:
            raise Conflict("You saved this span with this tag again since the delete: see that "
                           "assertion.", current={"id": assertion_id, "article_id": article_id,
                                                  "assertion_id": twin},
                           field="start", code=DUPLICATE[1])
        raise Forbidden(SUBMITTED[0], code=SUBMITTED[1])
    restored = new_assertion_dict(assertion_id, row, user.username)
    for link in record.get("evidence", []):
        restored["evidence"].append(_put_back_evidence(session, link))
    audit.record(session, user, "assertion.restore", "assertion", assertion_id,
                 article_id=article_id, after=_audit_view(restored))
    return restored


def restore_evidence(session: Session, user: User,
                     evidence_id: int) -> tuple[Assertion, dict[str, Any]]:
    """Undo the user's removal of an evidence link from their assertion; returns the assertion
    and the link (as ``evidence_dict`` shapes it)."""
    deleted = _deleted(session, user, EVIDENCE, evidence_id)
    assertion, _ = get_assertion_for(session, user, deleted.record["assertion_id"],
                                     for_change=True)
    # Under the assertion's lock, so that two Undos at once put the link back once.
    _refuse_live(session, user, EVIDENCE, evidence_id, undone=True)
    restored = _put_back_evidence(session, deleted.record)
    session.expire(assertion, ["evidence"])
    audit.record(session, user, "evidence.restore", "evidence", evidence_id,
                 article_id=assertion.article_id, after=restored)
    return assertion, restored


def _put_back_evidence(session: Session, link: dict[str, Any]) -> dict[str, Any]:
    """One evidence link as ``evidence_dict`` recorded it, under its own id."""
    added_by = (session.scalar(select(User.id).where(User.username == link["added_by"]))
                if link.get("added_by") else None)
    session.connection().execute(_INSERT_EVIDENCE, {
        "id": link["id"], "assertion_id": link["assertion_id"], "url": link["url"],
        "title": link["title"], "note": link["note"], "stance": link["stance"],
        "added_by_id": added_by, "created_at": datetime.fromisoformat(link["created_at"])})
    return dict(link)
