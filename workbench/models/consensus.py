"""Adjudication: each decision a supervisor takes on an article's consensus set, in order."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class Decision(str, enum.Enum):
    accept = "accept"  # a reviewer's assertion into the consensus (possibly with another tag)
    merge = "merge"  # several reviewers' assertions into one spanning them all
    reject = "reject"  # a reviewer's assertion stays out of the consensus
    new = "new"  # the supervisor writes an assertion nobody made
    edit = "edit"  # a consensus assertion's tag or note changes
    remove = "remove"  # a consensus assertion leaves the set


DECISIONS = tuple(d.value for d in Decision)


class Adjudication(Base):
    """One decision on an article's consensus; ``version`` numbers the article's decisions, so
    the consensus set has a version (the latest) and a history (the decisions before it)."""

    __tablename__ = "adjudications"
    __table_args__ = (
        UniqueConstraint("article_id", "version", name="uq_adjudications_article_version"),
        CheckConstraint(f"action IN {DECISIONS}", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int]
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The reviewers' assertions the decision is about, and the consensus assertion it made or
    # changed (ids; the assertions themselves may be deleted later, the decision stays).
    source_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    result_id: Mapped[Optional[int]]
    result: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
