"""Computed agreement, kept per article until the work it was computed from changes."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class AgreementCache(Base):
    """An article's agreement as computed from its submitted work: the figures its pages show
    and its contribution to the pooled figures (JSON), each valid while ``fingerprint`` (of the
    submitted reviewers and their assertions) still matches. Derived data: deleting a row
    loses nothing but the time to compute it again."""

    __tablename__ = "agreement_cache"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    figures: Mapped[Optional[str]] = mapped_column(Text)
    contribution: Mapped[Optional[str]] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
