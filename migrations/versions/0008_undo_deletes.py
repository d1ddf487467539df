"""Undo of deletes: assertion and evidence ids are never reused (SQLite AUTOINCREMENT), and an
entity's audit events are found by an index.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

Without AUTOINCREMENT, SQLite gives a new row the largest id plus one, so deleting the newest
assertion hands its id to the next one saved: the audit trail would then name two assertions by
one id, and an Undo could not put the deleted row back under its own id. PostgreSQL's sequences
never go back, so there is nothing to do there. SQLite rebuilds each table (batch mode); env.py
turns foreign keys off around migrations on SQLite, as the rebuild requires, and checks them after.
"""
from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("assertions", "evidence")


def upgrade() -> None:
    # An Undo reads what the delete event recorded about one entity.
    op.create_index("ix_audit_events_entity", "audit_events", ["entity_type", "entity_id"])
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}):
            pass


def downgrade() -> None:
    op.drop_index("ix_audit_events_entity", "audit_events")
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": False}):
            pass
