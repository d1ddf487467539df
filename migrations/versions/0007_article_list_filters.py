"""Indexes for the article list's filters and orders at 100,000 articles.

Each order of the list (title, published date, added) and each equality filter (publisher, also
in title order; language) reads an index in the order it pages, the article id breaking ties,
so a page is a short index range however many articles there are. The published date's order sorts on
``COALESCE(published_at, '0001-01-01')`` (a missing date sorts lowest, never NULL, so the keyset
cursor stays exact): an expression index, written by hand on each engine and left out of
autogenerate (``migrations/env.py`` ``UNMODELLED``). The tag filter looks assertions up by tag
and article; a reviewer's list walks their assignments in article order.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The list's sort key for the published date, exactly as services/articles.py writes it.
PUBLISHED_KEY = {"sqlite": "coalesce(published_at, '0001-01-01')",
                 "postgresql": "coalesce(published_at, DATE '0001-01-01')"}


def upgrade() -> None:
    with op.batch_alter_table("articles", recreate="never") as batch_op:
        batch_op.create_index("ix_articles_title_id", ["title", "id"], unique=False)
        batch_op.create_index("ix_articles_publisher_id", ["publisher", "id"], unique=False)
        batch_op.create_index("ix_articles_publisher_title_id", ["publisher", "title", "id"],
                              unique=False)
        batch_op.create_index("ix_articles_language_id", ["language", "id"], unique=False)
    with op.batch_alter_table("assertions", recreate="never") as batch_op:
        batch_op.create_index("ix_assertions_tag_article", ["tag", "article_id"], unique=False)
    with op.batch_alter_table("assignments", recreate="never") as batch_op:
        batch_op.create_index("ix_assignments_reviewer_article", ["reviewer_id", "article_id"],
                              unique=False)
    dialect = op.get_bind().dialect.name
    op.execute(f"CREATE INDEX ix_articles_published_key ON articles "
               f"({PUBLISHED_KEY[dialect]}, id)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_articles_published_key")
    with op.batch_alter_table("assignments", recreate="never") as batch_op:
        batch_op.drop_index("ix_assignments_reviewer_article")
    with op.batch_alter_table("assertions", recreate="never") as batch_op:
        batch_op.drop_index("ix_assertions_tag_article")
    with op.batch_alter_table("articles", recreate="never") as batch_op:
        batch_op.drop_index("ix_articles_language_id")
        batch_op.drop_index("ix_articles_publisher_title_id")
        batch_op.drop_index("ix_articles_publisher_id")
        batch_op.drop_index("ix_articles_title_id")
