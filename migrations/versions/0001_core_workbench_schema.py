"""core workbench schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23

Articles, assertions, evidence, users and API tokens; assignments, settings and the audit trail
that blind review builds on; full-text search over articles (FTS5 on SQLite, a GIN index on
PostgreSQL) written by hand because autogenerate cannot model it.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('source_url', sa.String(length=2048), nullable=True),
    sa.Column('publisher', sa.String(length=200), nullable=True),
    sa.Column('published_at', sa.Date(), nullable=True),
    sa.Column('language', sa.String(length=35), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_articles')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_articles_content_hash'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index('ix_audit_events_actor_id_id', ['actor_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_events_article_id_id', ['article_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)

    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('session_nonce', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('reviewer', 'supervisor', 'admin')", name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('assertions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('start_offset', sa.Integer(), nullable=False),
    sa.Column('end_offset', sa.Integer(), nullable=False),
    sa.Column('quote', sa.Text(), nullable=False),
    sa.Column('prefix', sa.Text(), nullable=False),
    sa.Column('suffix', sa.Text(), nullable=False),
    sa.Column('tag', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("tag IN ('sourced', 'unsourced', 'opinion')", name=op.f('ck_assertions_tag')),
    sa.CheckConstraint('start_offset >= 0 AND end_offset > start_offset', name=op.f('ck_assertions_span')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_assertions_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_assertions_reviewer_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assertions'))
    )
    with op.batch_alter_table('assertions', schema=None) as batch_op:
        batch_op.create_index('ix_assertions_article_reviewer', ['article_id', 'reviewer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assertions_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('assigned', 'submitted')", name=op.f('ck_assignments_status')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_assignments_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_assignments_assigned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_assignments_reviewer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('article_id', 'reviewer_id', name='uq_assignments_article_reviewer')
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assertion_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('stance', sa.String(length=16), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("stance IN ('supports', 'refutes', 'context')", name=op.f('ck_evidence_stance')),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_evidence_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assertion_id'], ['assertions.id'], name=op.f('fk_evidence_assertion_id_assertions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_assertion_id'), ['assertion_id'], unique=False)

    _create_article_search()


# Search indexes: SQLite keeps an external-content FTS5 table in step with triggers; PostgreSQL
# indexes an expression. Only the first 200,000 characters of a body are indexed on PostgreSQL,
# because a tsvector is limited to 1 MB.
SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE article_search USING fts5(
        title, body, content='articles', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
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
POSTGRESQL_SEARCH = [
    """CREATE INDEX ix_articles_search ON articles USING gin (
        to_tsvector('simple'::regconfig, title || ' ' || left(body, 200000)))""",
]


def _create_article_search() -> None:
    statements = SQLITE_SEARCH if op.get_bind().dialect.name == "sqlite" else POSTGRESQL_SEARCH
    for statement in statements:
        op.execute(statement)


def _drop_article_search() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS article_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS article_search")
    else:
        op.execute("DROP INDEX IF EXISTS ix_articles_search")


def downgrade() -> None:
    _drop_article_search()
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_assertion_id'))

    op.drop_table('evidence')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_reviewer_id'))

    op.drop_table('assignments')
    with op.batch_alter_table('assertions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assertions_reviewer_id'))
        batch_op.drop_index('ix_assertions_article_reviewer')

    op.drop_table('assertions')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('settings')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index('ix_audit_events_article_id_id')
        batch_op.drop_index('ix_audit_events_actor_id_id')
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    op.drop_table('articles')
