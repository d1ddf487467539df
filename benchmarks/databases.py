"""A fresh database per run: a SQLite file under benchmarks/out/, or a PostgreSQL database made
on the local server (PG_ADMIN_URL, default postgres@127.0.0.1:5432) and dropped afterwards."""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@contextmanager
def fresh_database(kind: str, scratch: Path) -> Iterator[str]:
    """Yield the SQLAlchemy URL of an empty database of ``kind``; remove it afterwards."""
    if kind == "sqlite":
        yield from _sqlite(scratch)
    elif kind == "postgresql":
        yield from _postgresql()
    else:
        raise ValueError(f"unknown database kind {kind!r}")


def _sqlite(scratch: Path) -> Iterator[str]:
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f"bench-{os.getpid()}.sqlite3"
    _remove_sqlite_files(path)
    try:
        yield f"sqlite:///{path}"
    finally:
        _remove_sqlite_files(path)


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _postgresql() -> Iterator[str]:
    import psycopg

    name = f"workbench_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            host_part = PG_ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
            yield f"postgresql+psycopg://{host_part}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_available() -> str | None:
    """None when the server answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=5):
            return None
    except Exception as error:  # noqa: BLE001 - any failure means "not available"
        return str(error).strip() or type(error).__name__
