"""Who may see and change what. Blind review: a reviewer sees only their own work while annotating."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Assignment, AssignmentStatus, Setting, User

REVEAL_AFTER_SUBMIT = "reveal_after_submit"
DEFAULT_SETTINGS: dict[str, object] = {REVEAL_AFTER_SUBMIT: False}


def get_setting(session: Session, key: str) -> object:
    value = session.scalar(select(Setting.value).where(Setting.key == key))
    return DEFAULT_SETTINGS.get(key) if value is None else value


@dataclass(frozen=True, slots=True)
class ArticleAccess:
    """What one user may do on one article."""

    can_see: bool
    # None means every reviewer's assertions; otherwise the reviewer ids whose work is visible.
    visible_reviewers: frozenset[int] | None
    can_annotate: bool
    assignment_status: str | None

    def sees_reviewer(self, reviewer_id: int) -> bool:
        return self.visible_reviewers is None or reviewer_id in self.visible_reviewers


NO_ACCESS = ArticleAccess(False, frozenset(), False, None)


def article_access(session: Session, user: User, article_id: int,
                   assignment_status: str | None = None, *, known: bool = False) -> ArticleAccess:
    """The caller's rights on an article; pass ``known=True`` with a status already loaded."""
    if user.is_supervisor:
        return ArticleAccess(True, None, False, None)
    if not known:
        assignment_status = session.scalar(
            select(Assignment.status).where(Assignment.article_id == article_id,
                                            Assignment.reviewer_id == user.id))
    return reviewer_access(session, user, assignment_status)


def reviewer_access(session: Session, user: User, assignment_status: str | None) -> ArticleAccess:
    if assignment_status is None:
        return NO_ACCESS
    if assignment_status == AssignmentStatus.submitted.value:
        revealed = bool(get_setting(session, REVEAL_AFTER_SUBMIT))
        return ArticleAccess(True, None if revealed else frozenset({user.id}), False,
                             assignment_status)
    return ArticleAccess(True, frozenset({user.id}), True, assignment_status)
