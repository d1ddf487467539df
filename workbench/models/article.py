from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Index, String, Text, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from .assertion import Assertion


class Article(Base):
    """A news article; ``body`` is canonical (NFC, ``\\n`` line ends) and every offset counts its code points."""

    __tablename__ = "articles"
    # The list's orders and filters page along these (migration 0007); the published date's
    # order has an expression index of its own there, not modelled here.
    __table_args__ = (
        Index("ix_articles_title_id", "title", "id"),
        Index("ix_articles_publisher_id", "publisher", "id"),
        Index("ix_articles_publisher_title_id", "publisher", "title", "id"),
        Index("ix_articles_language_id", "language", "id"),
        Index("ix_articles_search_pending", "id", sqlite_where=text("NOT search_indexed"),
              postgresql_where=text("NOT search_indexed")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    source_url: Mapped[Optional[str]] = mapped_column(String(2048))
    publisher: Mapped[Optional[str]] = mapped_column(String(200))
    published_at: Mapped[Optional[date]]
    language: Mapped[Optional[str]] = mapped_column(String(35))
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Whether SQLite's search index holds the row: a large import leaves it false until it has
    # committed, then indexes in short transactions (migration 0010; always true on PostgreSQL).
    search_indexed: Mapped[bool] = mapped_column(default=True, server_default=true())

    assertions: Mapped[list["Assertion"]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True
    )
