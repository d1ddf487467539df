"""Assignment ids are never reused either (SQLite AUTOINCREMENT).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Unassigning a reviewer deletes the assignment row; without AUTOINCREMENT SQLite would hand the
newest one's id to the next assignment, and the audit trail would then name two assignments by
one id. Assertions and evidence got this in 0008. Other tables never delete rows (the audit trail
refuses it), so their ids cannot come back. PostgreSQL's sequences never go back: nothing to do.
"""
from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("assignments", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
