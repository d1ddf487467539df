"""Adjudication: consensus assertions and the decisions that settle them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DECISIONS = ("accept", "merge", "reject", "new", "edit", "remove")


def upgrade() -> None:
    with op.batch_alter_table("assertions") as batch:
        batch.add_column(sa.Column("consensus", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "adjudications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_ids", sa.JSON(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.CheckConstraint(f"action IN {DECISIONS}", name=op.f("ck_adjudications_action")),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"],
                                name=op.f("fk_adjudications_article_id_articles"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"],
                                name=op.f("fk_adjudications_actor_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjudications")),
        sa.UniqueConstraint("article_id", "version", name=op.f("uq_adjudications_article_version")),
    )


def downgrade() -> None:
    op.drop_table("adjudications")
    with op.batch_alter_table("assertions") as batch:
        batch.drop_column("consensus")
