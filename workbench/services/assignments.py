"""Assigning articles to reviewers and reviewers submitting their work."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Article, Assignment, AssignmentStatus, User, utcnow
from . import audit
from .errors import Conflict, NotFound, ValidationFailed
from .policy import article_access, project_access, require


def assignment_dict(assignment: Assignment) -> dict[str, Any]:
    return {
        "id": assignment.id, "article_id": assignment.article_id,
        "reviewer": assignment.reviewer.username, "status": assignment.status,
        "assigned_at": assignment.assigned_at.isoformat(),
        "submitted_at": assignment.submitted_at.isoformat() if assignment.submitted_at else None,
    }


def assign(session: Session, supervisor: User, article_id: int, reviewer_name: str) -> Assignment:
    """Give an article to a reviewer; assigning twice is refused with Conflict."""
    if session.get(Article, article_id) is None:
        raise NotFound("No such article.")
    require(article_access(session, supervisor, article_id), "can_assign")
    reviewer = session.scalar(select(User).where(User.username == (reviewer_name or "")))
    if reviewer is None or not reviewer.active:
        raise ValidationFailed(f"No active user named {reviewer_name!r}.", "reviewer")
    if not project_access(reviewer).can_review:
        raise ValidationFailed(f"{reviewer.username} is not a reviewer.", "reviewer")
    existing = session.scalar(select(Assignment).where(
        Assignment.article_id == article_id, Assignment.reviewer_id == reviewer.id))
    if existing is not None:
        raise Conflict(f"{reviewer.username} is already assigned to this article.",
                       current=assignment_dict(existing), field="reviewer", code="duplicate")
    assignment = Assignment(article_id=article_id, reviewer_id=reviewer.id,
                            assigned_by_id=supervisor.id, reviewer=reviewer)
    session.add(assignment)
    session.flush()
    audit.record(session, supervisor, "assignment.create", "assignment", assignment.id,
                 article_id=article_id, after=assignment_dict(assignment))
    return assignment


def assignments_for_article(session: Session, article_id: int) -> list[Assignment]:
    return list(session.scalars(select(Assignment).where(Assignment.article_id == article_id)
                                .order_by(Assignment.id)))


def submit(session: Session, reviewer: User, article_id: int) -> Assignment:
    """Mark the reviewer's work on an article as done; their assertions freeze."""
    assignment = session.scalar(select(Assignment).where(
        Assignment.article_id == article_id, Assignment.reviewer_id == reviewer.id))
    if assignment is None:
        raise NotFound("No such article.")
    if assignment.status == AssignmentStatus.submitted.value:
        raise Conflict("You already submitted this article.", current=assignment_dict(assignment),
                       code="submitted")
    before = assignment_dict(assignment)
    assignment.status = AssignmentStatus.submitted.value
    assignment.submitted_at = utcnow()
    session.flush()
    audit.record(session, reviewer, "assignment.submit", "assignment", assignment.id,
                 article_id=article_id, before=before, after=assignment_dict(assignment))
    return assignment
