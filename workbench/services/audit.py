"""The audit trail: one append-only event per create, update and delete, in the same transaction."""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ..models import AuditEvent, User, utcnow


def record(session: Session, actor: User | None, action: str, entity_type: str,
           entity_id: int | None, *, article_id: int | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    """Append an audit event; it commits or rolls back with the change it describes."""
    session.execute(insert(AuditEvent).values(
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor=actor.username if actor else "system",
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        article_id=article_id,
        before=before,
        after=after,
    ))
