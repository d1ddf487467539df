"""The schema comes from Alembic only, and the models agree with it on this database."""
from __future__ import annotations

from workbench.migrate import check


def test_models_match_migrations(database_url):
    check(database_url)  # raises if autogenerate would find a difference


def test_the_ids_migration_keeps_every_row_and_reference_on_sqlite(tmp_path):
    """0008 rebuilds assertions and evidence (SQLite AUTOINCREMENT): rows that refer to them
    survive (foreign keys are off while the tables are swapped), and ids go on upwards."""
    import sqlite3

    from workbench.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0006")
    connection = sqlite3.connect(tmp_path / "old.db")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.executescript("""
        INSERT INTO users VALUES (1, 'rita', 'x', 'reviewer', 'n', 1, '2026-01-01');
        INSERT INTO articles (id, title, body, content_hash, created_at)
            VALUES (1, 't', 'Alpha beta', 'h', '2026-01-01');
        INSERT INTO assertions VALUES (1, 1, 1, 0, 5, 'Alpha', '', ' beta', 'sourced', '',
                                       '2026-01-01', '2026-01-01', 1, 0);
        INSERT INTO assertions VALUES (2, 1, 1, 6, 10, 'beta', 'Alpha ', '', 'opinion', '',
                                       '2026-01-01', '2026-01-01', 1, 0);
        INSERT INTO evidence VALUES (1, 2, 'https://e.org', '', '', 'context', 1, '2026-01-01');
        DELETE FROM assertions WHERE id = 1;
    """)
    connection.commit()
    connection.close()
    upgrade(url)
    connection = sqlite3.connect(tmp_path / "old.db")
    connection.execute("PRAGMA foreign_keys=ON")
    assert connection.execute("SELECT id, assertion_id FROM evidence").fetchall() == [(1, 2)]
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    connection.execute("DELETE FROM assertions WHERE id = 2")  # the newest, and its evidence
    assert connection.execute("SELECT count(*) FROM evidence").fetchone() == (0,)
    connection.execute("INSERT INTO assertions (article_id, reviewer_id, start_offset, "
                       "end_offset, quote, prefix, suffix, tag, note, created_at, updated_at, "
                       "version) VALUES (1, 1, 0, 5, 'Alpha', '', '', 'sourced', '', "
                       "'2026-01-02', '2026-01-02', 1)")
    assert connection.execute("SELECT id FROM assertions").fetchall() == [(3,)]
    connection.close()
