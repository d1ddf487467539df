"""Verdicts on articles and ratings of assertions: the end of a fact-check."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .user import User


class VerdictState(str, enum.Enum):
    draft = "draft"
    published = "published"


VERDICT_STATES = tuple(s.value for s in VerdictState)


class Verdict(Base):
    """An article's verdict: a rating from the project's scale and a summary. While published,
    its report is public at ``/r/<slug>`` (the slug is unguessable and kept across
    unpublishing, so a link shared once points at the same report when it comes back)."""

    __tablename__ = "verdicts"
    __table_args__ = (CheckConstraint(f"state IN {VERDICT_STATES}", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), unique=True)
    rating: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default=VerdictState.draft.value)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    author: Mapped[Optional[User]] = relationship()


class AssertionRating(Base):
    """The rating of one assertion (accurate, misleading…) with a short explanation."""

    __tablename__ = "assertion_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    assertion_id: Mapped[int] = mapped_column(
        ForeignKey("assertions.id", ondelete="CASCADE"), unique=True)
    rating: Mapped[str] = mapped_column(String(100))
    explanation: Mapped[str] = mapped_column(Text, default="")
    rated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    rated_by: Mapped[Optional[User]] = relationship()
