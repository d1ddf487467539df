"""The audit trail: one append-only event per create, update and delete, in the same transaction.

Nothing in the app updates or deletes an event, and database triggers (migration 0002) refuse
UPDATE and DELETE on ``audit_events`` from anyone."""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (JSON, Insert, Integer, Select, String, Text, bindparam, cast, func, insert,
                        literal, select)
from sqlalchemy.orm import Session

from ..models import AuditEvent, User, utcnow
from ..config import MAX_INT
from ..values import ValueProblem, parse_optional_int
from .errors import ValidationFailed


_INSERT_EVENT = insert(AuditEvent.__table__)


def record(session: Session, actor: User | None, action: str, entity_type: str,
           entity_id: int | None, *, article_id: int | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    """Append an audit event; it commits or rolls back with the change it describes."""
    session.connection().execute(_INSERT_EVENT, {
        "at": utcnow(),
        "actor_id": actor.id if actor else None,
        "actor": actor.username if actor else "system",
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "article_id": article_id,
        "before": before,
        "after": after,
    })


def recorded_with(insert_returning_id: Insert, action: str, entity_type: str) -> Insert:
    """PostgreSQL: one statement that runs ``insert_returning_id`` (an INSERT … RETURNING id)
    and appends its audit event, RETURNING the new row's id (no row when the INSERT wrote
    none, and then no event either). It binds ``at``, ``actor_id``, ``actor``, ``article_id``
    and ``after_without_id``: the ``after`` record's JSON text (``json.dumps``, as the JSON
    column writes it) without its ``id``, which the server puts first (``after_json``)."""
    created = insert_returning_id.cte("created")
    after = cast(func.concat('{"id": ', created.c.id, ", ",
                             func.substr(bindparam("after_without_id", type_=Text), 2)), JSON)
    columns = ["at", "actor_id", "actor", "action", "entity_type", "entity_id", "article_id",
               "after"]
    return (insert(AuditEvent.__table__)
            .from_select(columns, select(
                bindparam("at", type_=AuditEvent.__table__.c.at.type),
                bindparam("actor_id", type_=Integer), bindparam("actor", type_=String),
                literal(action), literal(entity_type), created.c.id,
                bindparam("article_id", type_=Integer), after))
            .returning(AuditEvent.__table__.c.entity_id))


def after_json(after: dict[str, Any]) -> str:
    """``after`` as ``recorded_with`` binds it: its JSON text without the leading ``id``."""
    return json.dumps({key: value for key, value in after.items() if key != "id"})


def record_many(session: Session, actor: User | None,
                events: Sequence[tuple[str, str, int | None, int | None, dict[str, Any] | None]]
                ) -> None:
    """Append many events at once (one executemany): ``(action, entity_type, entity_id,
    article_id, after)`` each, for bulk writes such as imports."""
    if not events:
        return
    at, actor_id = utcnow(), actor.id if actor else None
    name = actor.username if actor else "system"
    session.connection().execute(_INSERT_EVENT, [
        {"at": at, "actor_id": actor_id, "actor": name, "action": action,
         "entity_type": entity_type, "entity_id": entity_id, "article_id": article_id,
         "before": None, "after": after}
        for action, entity_type, entity_id, article_id, after in events])


def latest(session: Session, action: str, entity_type: str,
           entity_id: int) -> AuditEvent | None:
    """The newest ``action`` event on one entity (an Undo reads what its delete recorded)."""
    return session.scalar(select(AuditEvent).where(
        AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id,
        AuditEvent.action == action).order_by(AuditEvent.id.desc()).limit(1))


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What a supervisor narrows the trail to; every field optional."""

    user: str | None = None
    article_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def parse_filter(args: Mapping[str, str]) -> AuditFilter:
    """Filters from query parameters (``user``, ``article``, ``action``, ``since``, ``until``)."""
    try:
        article_id = parse_optional_int(args.get("article"), "article", minimum=1,
                                        maximum=MAX_INT)
    except ValueProblem:
        raise ValidationFailed("article must be an article id.", "article") from None

    def when(name: str) -> datetime | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed(f"{name} must be a date (2026-11-23) or an ISO timestamp.",
                                   name) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        if name == "until" and len(raw) == 10:
            # A bare date includes that whole day (the last day there is has no next day).
            value = value + timedelta(days=1) if value.date() < date.max else datetime.max.replace(
                tzinfo=timezone.utc)
        return value

    return AuditFilter(user=(args.get("user") or "").strip() or None,
                       article_id=article_id,
                       action=(args.get("action") or "").strip() or None,
                       since=when("since"), until=when("until"))


def _filtered(query: Select[Any], filters: AuditFilter) -> Select[Any]:
    if filters.user:
        query = query.where(AuditEvent.actor == filters.user)
    if filters.article_id is not None:
        query = query.where(AuditEvent.article_id == filters.article_id)
    if filters.action:
        # "assertion" matches every assertion.* action; "assertion.update" only that one.
        query = query.where(AuditEvent.action.startswith(filters.action)
                            if "." not in filters.action else AuditEvent.action == filters.action)
    if filters.since:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.at < filters.until)
    return query


def list_events(session: Session, filters: AuditFilter, *, before_id: int | None = None,
                limit: int = 50) -> tuple[list[AuditEvent], int | None]:
    """One page of events, newest first (keyset on id), and the cursor of the next page."""
    query = _filtered(select(AuditEvent), filters)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    rows = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if has_more and rows else None)


def iter_events(session: Session, filters: AuditFilter, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every matching event, oldest first, fetched in batches (for exports)."""
    after = 0
    while True:
        rows = list(session.scalars(_filtered(select(AuditEvent), filters)
                                    .where(AuditEvent.id > after)
                                    .order_by(AuditEvent.id).limit(batch)))
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id


def event_dict(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.id, "at": event.at.isoformat(), "actor": event.actor,
            "action": event.action, "entity_type": event.entity_type,
            "entity_id": event.entity_id, "article_id": event.article_id,
            "before": event.before, "after": event.after}


QUOTE_SHOWN = 60


def describe(event: AuditEvent) -> str:
    """What the event touched, in words a supervisor reads: the assertion's quote and tag, the
    user's or reviewer's name, the evidence link, the verdict's rating (from the event's own
    snapshots, so it stays true after the row is changed or deleted)."""
    data = event.after or event.before or {}
    kind = event.entity_type
    if kind == "assertion" and data.get("quote") is not None:
        quote = " ".join(str(data["quote"]).split())
        if len(quote) > QUOTE_SHOWN:
            quote = quote[:QUOTE_SHOWN - 1].rstrip() + "…"
        return f"assertion “{quote}” ({data.get('tag', '?')})"
    if kind == "user" and data.get("username"):
        return f"user {data['username']}" + (f" ({data['role']})" if data.get("role") else "")
    if kind == "assignment" and data.get("reviewer"):
        return f"assignment of {data['reviewer']}"
    if kind == "evidence" and data.get("url"):
        return f"evidence {data['url']}" + (f" ({data['stance']})" if data.get("stance") else "")
    if kind == "api_token" and data.get("user"):
        return f"token “{data.get('label') or data.get('prefix', '')}” of {data['user']}"
    if kind == "article" and data.get("title"):
        return f"article “{data['title']}”"
    if kind == "verdict" and data.get("rating"):
        return f"verdict “{data['rating']}”"
    return f"{kind} {event.entity_id}" if event.entity_id is not None else kind


def action_names(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
