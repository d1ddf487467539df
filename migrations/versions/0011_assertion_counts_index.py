"""The article list's counts read an index alone.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

Every list page counts the assertions of its 50 articles by article, reviewer and tag, reviewers'
work only (``articles.fill_counts``). ``ix_assertions_article_reviewer`` found the rows but each
count then read the row itself for its tag and consensus flag: about 1,650 row reads a page.
This index carries both, so the count reads the index alone (2.1 → 1.4 ms a page, measured on
SQLite at 30,000 articles), and it serves every lookup the old one did (same leading columns),
which it replaces: a save still updates as many indexes as before.
"""
from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_assertions_article_reviewer_tag", "assertions",
                    ["article_id", "reviewer_id", "tag", "consensus"])
    op.drop_index("ix_assertions_article_reviewer", table_name="assertions")


def downgrade() -> None:
    op.create_index("ix_assertions_article_reviewer", "assertions", ["article_id", "reviewer_id"])
    op.drop_index("ix_assertions_article_reviewer_tag", table_name="assertions")
