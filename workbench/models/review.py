"""Who reviews what: assignments of articles to reviewers."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .article import Article
from .base import Base, UTCDateTime, utcnow
from .user import User


class AssignmentStatus(str, enum.Enum):
    assigned = "assigned"
    submitted = "submitted"


ASSIGNMENT_STATUSES = tuple(status.value for status in AssignmentStatus)


class Assignment(Base):
    """An article given to one reviewer; one row per (article, reviewer)."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("article_id", "reviewer_id", name="uq_assignments_article_reviewer"),
        CheckConstraint(f"status IN {ASSIGNMENT_STATUSES}", name="status"),
        # A reviewer's article list, in article order (0007).
        Index("ix_assignments_reviewer_article", "reviewer_id", "article_id"),
        # Ids are never reused after an unassign (migration 0009).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    assigned_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default=AssignmentStatus.assigned.value)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    article: Mapped[Article] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
