"""Alembic environment: the only source of the schema, on SQLite and PostgreSQL alike."""
from __future__ import annotations

import os
import warnings

from alembic import context
from sqlalchemy import pool
from sqlalchemy.exc import SAWarning

from workbench.config import default_database_url
from workbench.db import make_engine
from workbench.models import Base

config = context.config
target_metadata = Base.metadata

# Objects made by hand-written SQL in migrations, which autogenerate cannot model: full-text
# search, and the expression index of the list's published-date order (0007).
UNMODELLED = {"article_search", "ix_articles_search", "search_vector", "ix_articles_published_key"}
# SQLite's reflection says it skips the expression index; it is meant to be unmodelled.
warnings.filterwarnings("ignore", category=SAWarning,
                        message="Skipped unsupported reflection of expression-based index "
                                "ix_articles_published_key")


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    if name in UNMODELLED or (name or "").startswith("article_search_"):
        return False
    return True


def database_url() -> str:
    return config.attributes.get("database_url") or os.environ.get("DATABASE_URL") or default_database_url()


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, include_object=include_object, compare_type=True)
    sqlite = connection.dialect.name == "sqlite" and not connection.in_transaction()
    if sqlite:
        # A batch rebuild drops and recreates a table: with foreign keys on, dropping it would
        # cascade to the rows that refer to it. The pragma only works outside a transaction.
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
    finally:
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
