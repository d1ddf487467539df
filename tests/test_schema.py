"""The schema comes from Alembic only, and the models agree with it on this database."""
from __future__ import annotations

from workbench.migrate import check


def test_models_match_migrations(database_url):
    check(database_url)  # raises if autogenerate would find a difference
