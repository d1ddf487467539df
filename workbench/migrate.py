"""Run Alembic from code (CLI and tests) with the project's migrations folder."""
from __future__ import annotations

from alembic import command
from alembic.config import Config

from .config import PROJECT_ROOT


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at ``database_url`` to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raise if the models and the migrated schema differ (``alembic check``)."""
    command.check(alembic_config(database_url))
