"""Assigning articles to reviewers and reviewers submitting their work."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..models import Article, Assertion, Assignment, AssignmentStatus, Role, User, utcnow
from . import audit
from .errors import Conflict, NotFound, ValidationFailed
from ..values import parse_reason
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
    """An article's assignments with their reviewers, in one query (the panel names each)."""
    return list(session.scalars(select(Assignment).where(Assignment.article_id == article_id)
                                .options(joinedload(Assignment.reviewer))
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


# -- Work for many: bulk assignment, unassigning, reopening ---------------------------------------

MAX_BULK_ARTICLES = 1000


def _active_reviewers(session: Session, names: Sequence[str]) -> list[User]:
    if not names:
        raise ValidationFailed("Pick at least one reviewer.", "reviewers")
    wanted = list(dict.fromkeys(n for n in names if isinstance(n, str)))
    found = {u.username: u for u in session.scalars(select(User).where(
        User.username.in_(wanted)))}
    unknown = [n for n in wanted if n not in found or not found[n].active
               or not project_access(found[n]).can_review]
    if unknown or len(wanted) != len(names):
        raise ValidationFailed("Not active reviewers: " + ", ".join(map(str, unknown or names))
                               + ".", "reviewers")
    return [found[n] for n in wanted]


def assign_many(session: Session, supervisor: User, article_ids: Sequence[int],
                reviewer_names: Sequence[str], per_article: int) -> list[Assignment]:
    """Give each article to ``per_article`` of these reviewers, the least loaded first (open
    assignments), skipping reviewers already on that article. All or nothing."""
    require(project_access(supervisor), "can_assign")
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        raise ValidationFailed("Pick at least one article.", "articles")
    if len(ids) > MAX_BULK_ARTICLES:
        raise ValidationFailed(f"At most {MAX_BULK_ARTICLES} articles at once.", "articles")
    reviewers = _active_reviewers(session, reviewer_names)
    if not 1 <= per_article <= len(reviewers):
        raise ValidationFailed(f"Each article can go to 1 to {len(reviewers)} of the chosen "
                               "reviewers.", "per_article")
    known = set(session.scalars(select(Article.id).where(Article.id.in_(ids))))
    missing = [i for i in ids if i not in known]
    if missing:
        raise ValidationFailed("No such articles: " + ", ".join(map(str, missing)) + ".",
                               "articles")
    load = {r.id: 0 for r in reviewers}
    for reviewer_id, count in session.execute(
            select(Assignment.reviewer_id, func.count()).where(
                Assignment.reviewer_id.in_(load),
                Assignment.status == AssignmentStatus.assigned.value)
            .group_by(Assignment.reviewer_id)):
        load[reviewer_id] = count
    taken = {(row[0], row[1]) for row in session.execute(
        select(Assignment.article_id, Assignment.reviewer_id).where(
            Assignment.article_id.in_(ids), Assignment.reviewer_id.in_(load)))}
    created = []
    for article_id in ids:
        already = sum((article_id, r.id) in taken for r in reviewers)
        free = [r for r in reviewers if (article_id, r.id) not in taken]
        free.sort(key=lambda r: (load[r.id], r.username))
        for reviewer in free[:max(per_article - already, 0)]:
            assignment = Assignment(article_id=article_id, reviewer_id=reviewer.id,
                                    assigned_by_id=supervisor.id, reviewer=reviewer)
            session.add(assignment)
            load[reviewer.id] += 1
            created.append(assignment)
    session.flush()
    for assignment in created:
        audit.record(session, supervisor, "assignment.create", "assignment", assignment.id,
                     article_id=assignment.article_id, after=assignment_dict(assignment))
    return created


def _assignment_of(session: Session, supervisor: User, article_id: int,
                   reviewer_name: str) -> Assignment:
    if session.get(Article, article_id) is None:
        raise NotFound("No such article.")
    require(article_access(session, supervisor, article_id), "can_assign")
    assignment = session.scalar(select(Assignment).join(
        User, User.id == Assignment.reviewer_id).where(
        Assignment.article_id == article_id, User.username == reviewer_name))
    if assignment is None:
        raise NotFound(f"{reviewer_name} is not assigned to this article.")
    return assignment


def unassign(session: Session, supervisor: User, article_id: int, reviewer_name: str,
             reason: object) -> None:
    """Take an article back from a reviewer who has not submitted; their assertions stay
    (supervisors still see them), and the reason is audited."""
    why = parse_reason(reason)
    assignment = _assignment_of(session, supervisor, article_id, reviewer_name)
    if assignment.status == AssignmentStatus.submitted.value:
        raise Conflict(f"{reviewer_name} has submitted; reopen the review instead.",
                       current=assignment_dict(assignment), code="submitted")
    before = assignment_dict(assignment)
    session.delete(assignment)
    session.flush()
    audit.record(session, supervisor, "assignment.delete", "assignment", before["id"],
                 article_id=article_id, before=before, after={"reason": why})


def reopen(session: Session, supervisor: User, article_id: int, reviewer_name: str,
           reason: object) -> Assignment:
    """Let a reviewer change a submitted review again (the reason is audited)."""
    why = parse_reason(reason)
    assignment = _assignment_of(session, supervisor, article_id, reviewer_name)
    if assignment.status != AssignmentStatus.submitted.value:
        raise Conflict(f"{reviewer_name} has not submitted this review.",
                       current=assignment_dict(assignment), code="not_submitted")
    before = assignment_dict(assignment)
    assignment.status = AssignmentStatus.assigned.value
    assignment.submitted_at = None
    session.flush()
    audit.record(session, supervisor, "assignment.reopen", "assignment", assignment.id,
                 article_id=article_id, before=before,
                 after={**assignment_dict(assignment), "reason": why})
    return assignment


# -- Queues and progress ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class QueueItem:
    article_id: int
    title: str
    assigned_at: datetime
    assertions: int
    status: str  # "to_do", "in_progress" or "submitted"


def queue(session: Session, reviewer: User) -> dict[str, list[QueueItem]]:
    """A reviewer's work: to do (nothing tagged yet), in progress, submitted; oldest first."""
    counts = (select(Assertion.article_id, func.count().label("n"))
              .where(Assertion.reviewer_id == reviewer.id)
              .group_by(Assertion.article_id).subquery())
    rows = session.execute(
        select(Assignment.article_id, Article.title, Assignment.assigned_at, Assignment.status,
               func.coalesce(counts.c.n, 0))
        .join(Article, Article.id == Assignment.article_id)
        .outerjoin(counts, counts.c.article_id == Assignment.article_id)
        .where(Assignment.reviewer_id == reviewer.id)
        .order_by(Assignment.assigned_at, Assignment.id))
    result: dict[str, list[QueueItem]] = {"to_do": [], "in_progress": [], "submitted": []}
    for article_id, title, assigned_at, status, n in rows:
        kind = ("submitted" if status == AssignmentStatus.submitted.value
                else "in_progress" if n else "to_do")
        result[kind].append(QueueItem(article_id, title, assigned_at, n, kind))
    return result


def next_article(items: dict[str, list[QueueItem]]) -> int | None:
    """Where to go next: the oldest work in progress, else the oldest still to do."""
    for kind in ("in_progress", "to_do"):
        if items[kind]:
            return items[kind][0].article_id
    return None


def queue_item_dict(item: QueueItem) -> dict[str, Any]:
    return {"article_id": item.article_id, "title": item.title, "status": item.status,
            "assertions": item.assertions, "assigned_at": item.assigned_at.isoformat()}


@dataclass(frozen=True, slots=True)
class ReviewerProgress:
    reviewer: str
    to_do: int
    in_progress: int
    submitted: int

    @property
    def assigned(self) -> int:
        return self.to_do + self.in_progress + self.submitted


def progress(session: Session, supervisor: User) -> list[ReviewerProgress]:
    """Per active reviewer: how many articles wait, are in progress and are submitted."""
    require(project_access(supervisor), "can_assign")
    counts = (select(Assertion.article_id, Assertion.reviewer_id)
              .group_by(Assertion.article_id, Assertion.reviewer_id).subquery())
    rows = session.execute(
        select(User.username, Assignment.status, counts.c.article_id.is_not(None), func.count())
        .join(Assignment, Assignment.reviewer_id == User.id)
        .outerjoin(counts, (counts.c.article_id == Assignment.article_id)
                   & (counts.c.reviewer_id == Assignment.reviewer_id))
        .group_by(User.username, Assignment.status, counts.c.article_id.is_not(None)))
    tally: dict[str, dict[str, int]] = {
        name: {"to_do": 0, "in_progress": 0, "submitted": 0}
        for name in session.scalars(select(User.username).where(
            User.role == Role.reviewer.value, User.active.is_(True)))}
    for name, status, started, count in rows:
        kind = ("submitted" if status == AssignmentStatus.submitted.value
                else "in_progress" if started else "to_do")
        tally.setdefault(name, {"to_do": 0, "in_progress": 0, "submitted": 0})[kind] += count
    return [ReviewerProgress(name, **c) for name, c in sorted(tally.items())]
