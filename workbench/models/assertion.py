from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .article import Article
from .base import Base, UTCDateTime, utcnow
from .user import User


class Tag(str, enum.Enum):
    sourced = "sourced"
    unsourced = "unsourced"
    opinion = "opinion"


TAGS = tuple(tag.value for tag in Tag)


class Stance(str, enum.Enum):
    supports = "supports"
    refutes = "refutes"
    context = "context"


STANCES = tuple(stance.value for stance in Stance)


class Assertion(Base):
    """A span of an article that one reviewer tagged; offsets are code points into the canonical body."""

    __tablename__ = "assertions"
    __table_args__ = (
        CheckConstraint(f"tag IN {TAGS}", name="tag"),
        CheckConstraint("start_offset >= 0 AND end_offset > start_offset", name="span"),
        # The list's counts read this index alone (0011).
        Index("ix_assertions_article_reviewer_tag", "article_id", "reviewer_id", "tag",
              "consensus"),
        Index("ix_assertions_tag_article", "tag", "article_id"),  # the list's tag filter (0007)
        # Ids are never reused (an Undo restores a row under its own id; migration 0008).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    start: Mapped[int] = mapped_column("start_offset")
    end: Mapped[int] = mapped_column("end_offset")
    quote: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(Text, default="")
    suffix: Mapped[str] = mapped_column(Text, default="")
    tag: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Optimistic locking: every update must name the version it read.
    version: Mapped[int] = mapped_column(default=1)
    # A consensus assertion: settled by a supervisor (its ``reviewer``) from the reviewers' work;
    # the set verdict reports use. Never shown as anyone's review.
    consensus: Mapped[bool] = mapped_column(default=False, server_default=false())

    __mapper_args__ = {"version_id_col": version}

    article: Mapped[Article] = relationship(back_populates="assertions")
    reviewer: Mapped[User] = relationship()
    evidence: Mapped[list["Evidence"]] = relationship(
        back_populates="assertion",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Evidence.id",
    )


class Evidence(Base):
    """A link that supports, refutes or gives context to an assertion. The server never fetches it."""

    __tablename__ = "evidence"
    __table_args__ = (CheckConstraint(f"stance IN {STANCES}", name="stance"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    assertion_id: Mapped[int] = mapped_column(
        ForeignKey("assertions.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    stance: Mapped[str] = mapped_column(String(16), default=Stance.context.value)
    added_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    assertion: Mapped[Assertion] = relationship(back_populates="evidence")
    added_by: Mapped[Optional[User]] = relationship()
