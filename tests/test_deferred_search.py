"""An import leaves its articles out of SQLite's search index and indexes them after its commit,
a few hundred per transaction (migration 0010): the import holds the write lock only for the
rows themselves. What a user notices: imported articles are found by a search once the import
has finished; nothing is ever half-indexed or corrupt, even when an import is interrupted
between its commit and its indexing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from workbench.db import db
from workbench.models import Article
from workbench.services import articles as articles_service
from workbench.services.articles import ArticleDraft, insert_articles


def _found(api, words: str) -> list[str]:
    return [a["title"] for a in api.get(f"/articles?q={words}").json["items"]]


def _sqlite_only(app) -> None:
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("PostgreSQL computes its search vector in the row: nothing is deferred")


def _fts_is_sound(app, every_row_indexed: bool = True) -> None:
    """FTS5's own check raises "database disk image is malformed" when the index is broken
    and, with rank 1, also when it disagrees with the articles table (which it must while
    some articles wait for indexing)."""
    with app.app_context(), db.transaction() as s:
        s.execute(text("INSERT INTO article_search(article_search, rank) "
                       "VALUES ('integrity-check', :full)"), {"full": int(every_row_indexed)})


def _jsonl(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(json.dumps({"title": f"Wire story {n}", "body":
                                        f"Dispatch number {n} about zeppelins."}) + "\n"
                            for n in range(count)), encoding="utf-8")
    return path


def test_articles_imported_from_the_command_line_are_found_by_search(app, api_as, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setattr(articles_service, "SEARCH_INDEX_BATCH", 7)  # several transactions
    api = api_as("sue", "supervisor")
    result = app.test_cli_runner().invoke(args=["import", str(_jsonl(tmp_path, 30))])
    assert result.exit_code == 0, result.output
    assert "search index: 30/30" in result.output or not app.config[
        "DATABASE_URL"].startswith("sqlite")
    found = api.get("/articles?q=zeppelins&limit=100").json["items"]
    assert len(found) == 30
    assert _found(api, "number 17") == ["Wire story 17"]
    with app.app_context(), db.transaction() as s:
        assert articles_service.deferred_search_count(s) == 0
    if app.config["DATABASE_URL"].startswith("sqlite"):
        _fts_is_sound(app)


def test_an_import_interrupted_before_indexing_is_indexed_by_the_next_call(app, api_as,
                                                                           factory):
    _sqlite_only(app)
    api = api_as("sue", "supervisor")
    factory.article(title="Already here", body="Older zeppelins story.")
    with app.app_context(), db.transaction() as s:
        ids = insert_articles(s, [ArticleDraft(f"Deferred {n}", f"Zeppelins over town {n}.")
                                  for n in range(5)], actor=None, defer_search=True)
    # Committed, not yet indexed (the process stopped here): listed, not found by a search.
    assert _found(api, "zeppelins") == ["Already here"]
    listed = {a["title"] for a in api.get("/articles?limit=100").json["items"]}
    assert {f"Deferred {n}" for n in range(5)} <= listed
    # A title edited and an article deleted meanwhile must not corrupt the index.
    with app.app_context(), db.transaction() as s:
        s.get(Article, ids[0]).title = "Renamed airship"
        s.delete(s.get(Article, ids[1]))
    _fts_is_sound(app, every_row_indexed=False)
    with app.app_context(), db.transaction() as s:
        assert articles_service.deferred_search_count(s) == 4
        assert articles_service.index_deferred_search(s, limit=3) == 3
    with app.app_context(), db.transaction() as s:
        assert articles_service.index_deferred_search(s) == 1
        assert articles_service.index_deferred_search(s) == 0
    _fts_is_sound(app)
    assert sorted(_found(api, "zeppelins")) == sorted(
        ["Already here", "Renamed airship", "Deferred 2", "Deferred 3", "Deferred 4"])
    assert _found(api, "airship") == ["Renamed airship"]
    # Once indexed, an edit goes through the index as before.
    with app.app_context(), db.transaction() as s:
        s.get(Article, ids[2]).title = "Blimp"
    assert _found(api, "blimp") == ["Blimp"] and _found(api, "airship") == ["Renamed airship"]
    _fts_is_sound(app)


def test_a_refused_import_leaves_nothing_waiting_for_the_index(app, tmp_path):
    path = _jsonl(tmp_path, 20)
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"title": "No body"}\n')
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code != 0 and "articles.jsonl:21: body" in result.output
    with app.app_context(), db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 0
        assert articles_service.deferred_search_count(s) == 0


def test_articles_created_one_by_one_are_indexed_at_once(app, api_as, factory):
    api = api_as("sue", "supervisor")
    factory.article(title="Single", body="A lone zeppelin.")
    assert _found(api, "zeppelin") == ["Single"]
    with app.app_context(), db.transaction() as s:
        assert articles_service.deferred_search_count(s) == 0


def test_going_back_to_0009_indexes_what_waits_and_restores_the_old_triggers(tmp_path):
    from alembic import command

    from tests.conftest import make_app
    from workbench.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'down.sqlite3'}"
    upgrade(url)
    app = make_app(url)
    with app.app_context(), db.transaction() as s:
        insert_articles(s, [ArticleDraft("Waiting", "Zeppelins at dawn.")], actor=None,
                        defer_search=True)
    db.dispose(app)
    command.downgrade(alembic_config(url), "0009")
    with app.app_context(), db.transaction() as s:
        found = s.scalars(text("SELECT rowid FROM article_search WHERE article_search "
                               "MATCH 'zeppelins'")).all()
        assert len(found) == 1
        s.execute(text("INSERT INTO articles (title, body, content_hash, created_at) "
                       "VALUES ('New', 'Zeppelins at dusk.', 'h', '2026-01-01 00:00:00.000000')"))
    _fts_is_sound(app)
    db.dispose(app)
    upgrade(url)
    _fts_is_sound(app)
    db.dispose(app)
