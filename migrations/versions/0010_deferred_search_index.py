"""Articles a large import adds may join SQLite's search index after the import commits.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

Indexing text for FTS5 is nine tenths of the cost of storing an article, and an import is one
transaction: 10,000 articles held SQLite's write lock for 2.5 s, while the reviewers' saves
waited. ``articles.search_indexed`` says whether a row is in ``article_search``: an import
stores its articles with false (outside the index, the triggers skip them) and indexes them
after its commit in short transactions of a few hundred (``articles.index_deferred_search``),
so no save waits long, and the import stays all or nothing. The triggers are the ones of 0001
with the flag's conditions. A partial index finds the rows still waiting.

PostgreSQL computes its search vector in the row itself (0003); the column is always true there.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_TRIGGERS = ("article_search_insert", "article_search_delete", "article_search_update")

_CONDITIONAL = [
    """CREATE TRIGGER article_search_insert AFTER INSERT ON articles
        WHEN new.search_indexed BEGIN
        INSERT INTO article_search(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER article_search_delete AFTER DELETE ON articles
        WHEN old.search_indexed BEGIN
        INSERT INTO article_search(article_search, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER article_search_update AFTER UPDATE ON articles
        WHEN old.search_indexed OR new.search_indexed BEGIN
        INSERT INTO article_search(article_search, rowid, title, body)
        SELECT 'delete', old.id, old.title, old.body WHERE old.search_indexed;
        INSERT INTO article_search(rowid, title, body)
        SELECT new.id, new.title, new.body WHERE new.search_indexed;
    END""",
]

_UNCONDITIONAL = [
    """CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN
        INSERT INTO article_search(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN
        INSERT INTO article_search(article_search, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER article_search_update AFTER UPDATE ON articles BEGIN
        INSERT INTO article_search(article_search, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO article_search(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
]


def _replace_triggers(statements: list[str]) -> None:
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild: that would drop the triggers and the FTS content).
    op.add_column("articles", sa.Column("search_indexed", sa.Boolean(), nullable=False,
                                        server_default=sa.true()))
    op.create_index("ix_articles_search_pending", "articles", ["id"],
                    sqlite_where=sa.text("NOT search_indexed"),
                    postgresql_where=sa.text("NOT search_indexed"))
    if op.get_bind().dialect.name == "sqlite":
        _replace_triggers(_CONDITIONAL)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # index what still waits: every row is indexed again from here on
        op.execute("INSERT INTO article_search(rowid, title, body) "
                   "SELECT id, title, body FROM articles WHERE NOT search_indexed")
    op.drop_index("ix_articles_search_pending", table_name="articles")
    if sqlite:
        # SQLite's own DROP COLUMN (3.35+), not a batch rebuild, which would lose the other
        # indexes and triggers; the triggers naming the column go first.
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("ALTER TABLE articles DROP COLUMN search_indexed")
        _replace_triggers(_UNCONDITIONAL)
    else:
        op.drop_column("articles", "search_indexed")
