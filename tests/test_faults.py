"""The app when its database goes away, on both engines, in process: pages, form posts and the API
answer 503 with Retry-After (JSON under /api/, the workbench's error page, drawn without the
database, elsewhere), a commit the database cannot take writes nothing, and work resumes by
itself when the database answers again. SQLite loses its database by the file's folder being
moved away; PostgreSQL by a TCP proxy between the app and the server being cut.
(tests/test_faults_server.py does the same through gunicorn under load.)"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import exc
from sqlalchemy.engine import make_url

from tests.conftest import ApiClient, Factory, PageClient, make_app
from tests.faults import TcpProxy
from tests.test_openapi import assert_matches
from workbench.db import database_fault, db
from workbench.migrate import upgrade
from workbench.models import Assertion

BODY = "Alpha beta. Gamma delta.\n"
SPAN = {"start": 0, "end": 5, "quote": "Alpha", "tag": "sourced"}
UNAVAILABLE = "The database cannot be reached just now"
SAVE_PATH = ("/api/v1/articles/{article_id}/assertions", "post")


@dataclass
class Outage:
    """An app whose database a test can take away (``cut``) and give back (``restore``);
    ``failing_commit()`` loses it at the moment a request commits."""

    app: Flask
    cut: Callable[[], None]
    restore: Callable[[], None]
    failing_commit: Callable[[], Any]


@pytest.fixture
def outage(database_url: str, is_postgres: bool, tmp_path: Path) -> Iterator[Outage]:
    if is_postgres:
        yield from _postgres_outage(database_url)
    else:
        yield from _sqlite_outage(tmp_path)


def _sqlite_outage(tmp_path: Path) -> Iterator[Outage]:
    folder = tmp_path / "data"
    folder.mkdir()
    url = f"sqlite:///{folder / 'workbench.sqlite3'}"
    upgrade(url)
    app = make_app(url)

    def cut() -> None:
        folder.rename(tmp_path / "moved")
        db.dispose(app)  # open connections would still reach the moved file

    def restore() -> None:
        (tmp_path / "moved").rename(folder)

    @contextmanager
    def failing_commit() -> Iterator[None]:
        # A file the disk can no longer write: SQLite's SQLITE_IOERR at COMMIT.
        def fail(_connection: Any) -> None:
            error = sqlite3.OperationalError("disk I/O error")
            error.sqlite_errorcode = 10  # type: ignore[attr-defined]
            raise error

        with _commit_replaced(app, lambda _real: fail):
            yield

    yield Outage(app, cut, restore, failing_commit)
    db.dispose(app)


def _postgres_outage(database_url: str) -> Iterator[Outage]:
    url = make_url(database_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    app = make_app(url.set(host="127.0.0.1", port=proxy.port).render_as_string(False))

    @contextmanager
    def failing_commit() -> Iterator[None]:
        # The server goes away between the request's writes and its COMMIT.
        def commit(real: Callable[[Any], None]) -> Callable[[Any], None]:
            def cut_then_commit(connection: Any) -> None:
                proxy.cut()
                real(connection)
            return cut_then_commit

        with _commit_replaced(app, commit):
            yield
        proxy.restore()

    yield Outage(app, proxy.cut, proxy.restore, failing_commit)
    db.dispose(app)
    proxy.close()


@contextmanager
def _commit_replaced(app: Flask, replacement: Callable[[Any], Callable[[Any], None]]
                     ) -> Iterator[None]:
    dialect = app.extensions["workbench_db"].engine.dialect
    real = dialect.do_commit
    dialect.do_commit = replacement(real)
    try:
        yield
    finally:
        dialect.do_commit = real


@pytest.fixture
def arranged(outage: Outage) -> tuple[Factory, int, ApiClient, PageClient]:
    """A reviewer assigned to one article, with a token and a logged-in page client."""
    factory = Factory(outage.app)
    article_id = factory.article(body=BODY)
    factory.user("rita")
    factory.assign(article_id, "rita")
    api = ApiClient(outage.app.test_client(), factory.token("rita"))
    page = PageClient(outage.app.test_client())
    assert page.login("rita").status_code == 302
    page.refresh_csrf(f"/articles/{article_id}")
    return factory, article_id, api, page


def assert_unavailable_page(response: Any) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 503, html[:500]
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == "text/html"
    assert "Temporarily unavailable" in html and UNAVAILABLE in html
    assert "Back to the articles" in html
    assert "Log out" not in html  # drawn as for no one: the signed-in user lives in the database


def assert_unavailable_json(response: Any, path: str, method: str) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "5"
    assert_matches(response, path, method)  # as the OpenAPI document says
    body = response.get_json()
    assert body["error"]["code"] == "unavailable"
    assert body["error"]["field"] is None
    assert body["error"]["message"].startswith(UNAVAILABLE)


def test_while_the_database_is_down_every_answer_is_503_and_work_resumes_when_it_is_back(
        outage: Outage, arranged: tuple[Factory, int, ApiClient, PageClient]) -> None:
    factory, article_id, api, page = arranged
    outage.cut()
    assert_unavailable_page(page.get("/articles"))
    assert_unavailable_page(page.get(f"/articles/{article_id}"))
    form = {"start": "6", "end": "10", "quote": "beta", "tag": "opinion"}
    assert_unavailable_page(page.post(f"/articles/{article_id}/assertions", form))
    assert_unavailable_page(page.post(f"/articles/{article_id}/assertions", form, htmx=True))
    assert_unavailable_json(api.post(f"/articles/{article_id}/assertions", SPAN), *SAVE_PATH)
    assert_unavailable_json(api.get("/articles"), "/api/v1/articles", "get")

    outage.restore()
    saved = api.post(f"/articles/{article_id}/assertions", SPAN)
    assert saved.status_code == 201, saved.get_json()
    assert page.post(f"/articles/{article_id}/assertions", form).status_code == 302
    shown = page.get(f"/articles/{article_id}")
    assert shown.status_code == 200 and "rita" in shown.get_data(as_text=True)
    assert factory.count(Assertion) == 2
    assert factory.audited("assertion.create") == 2


@pytest.mark.parametrize("how", ["api", "form", "htmx"])
def test_a_commit_the_database_cannot_take_answers_503_and_writes_nothing(
        outage: Outage, arranged: tuple[Factory, int, ApiClient, PageClient], how: str) -> None:
    factory, article_id, api, page = arranged
    with outage.failing_commit():
        if how == "api":
            assert_unavailable_json(api.post(f"/articles/{article_id}/assertions", SPAN),
                                    *SAVE_PATH)
        else:
            form = {key: str(value) for key, value in SPAN.items()}
            assert_unavailable_page(page.post(f"/articles/{article_id}/assertions", form,
                                              htmx=how == "htmx"))
    assert factory.count(Assertion) == 0
    assert factory.audited("assertion.") == 0
    saved = api.post(f"/articles/{article_id}/assertions", SPAN)
    assert saved.status_code == 201, saved.get_json()
    assert factory.count(Assertion) == 1


def test_a_connection_the_server_dropped_while_idle_is_replaced_without_an_error(
        outage: Outage, arranged: tuple[Factory, int, ApiClient, PageClient], is_postgres: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No ping per request: a pooled connection is pinged only after it sat idle, and one the
    server dropped meanwhile is replaced before any request sees it."""
    if not is_postgres:
        pytest.skip("PostgreSQL only (SQLite has no server to drop a connection)")
    factory, article_id, api, _ = arranged
    monkeypatch.setattr("workbench.db.IDLE_BEFORE_PING_S", 0.0)
    assert api.get("/articles").status_code == 200  # a connection back in the pool
    outage.cut()  # the server drops it
    outage.restore()
    saved = api.post(f"/articles/{article_id}/assertions", SPAN)
    assert saved.status_code == 201, saved.get_json()
    assert factory.audited("assertion.create") == 1


def test_without_a_ping_a_busy_connection_lost_answers_503_once_then_reconnects(
        outage: Outage, arranged: tuple[Factory, int, ApiClient, PageClient], is_postgres: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if not is_postgres:
        pytest.skip("PostgreSQL only (SQLite has no server to drop a connection)")
    factory, article_id, api, _ = arranged
    monkeypatch.setattr("workbench.db.IDLE_BEFORE_PING_S", 3600.0)  # never pinged
    assert api.get("/articles").status_code == 200
    outage.cut()
    outage.restore()
    assert_unavailable_json(api.post(f"/articles/{article_id}/assertions", SPAN), *SAVE_PATH)
    saved = api.post(f"/articles/{article_id}/assertions", SPAN)
    assert saved.status_code == 201, saved.get_json()
    assert factory.count(Assertion) == 1


# -- What counts as an outage ---------------------------------------------------------------------

def _sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code  # type: ignore[attr-defined]
    return error


@pytest.mark.parametrize(("error", "fault"), [
    (exc.OperationalError("BEGIN", {}, _sqlite_error("unable to open database file", 14)),
     "unavailable"),
    (exc.OperationalError("COMMIT", {}, _sqlite_error("disk I/O error", 10 | 3 << 8)),
     "unavailable"),
    (exc.OperationalError("COMMIT", {}, _sqlite_error("database or disk is full", 13)),
     "disk_full"),
    # A lock wait that ran out is not an outage: it keeps its old answer.
    (exc.OperationalError("BEGIN", {}, _sqlite_error("database is locked", 5)), None),
    (exc.OperationalError("SELECT", {}, _sqlite_error("no such table: x", 1)), None),
    (exc.OperationalError("SELECT", {}, psycopg.OperationalError("connection failed")),
     "unavailable"),
    (exc.OperationalError("SELECT", {}, psycopg.errors.AdminShutdown()), "unavailable"),
    (exc.OperationalError("SELECT", {}, psycopg.errors.CannotConnectNow()), "unavailable"),
    (exc.OperationalError("SELECT", {}, psycopg.errors.SerializationFailure()), None),
    (exc.OperationalError("SELECT", {}, psycopg.errors.QueryCanceled()), None),
    (exc.InterfaceError("SELECT", {}, sqlite3.InterfaceError("bad parameter")), None),
    (exc.IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation()), None),
    (exc.DisconnectionError("gone"), "unavailable"),
    (ValueError("not the database's"), None),
])
def test_which_database_errors_are_an_outage(error: BaseException, fault: str | None) -> None:
    assert database_fault(error) == fault


def test_a_lost_connection_is_an_outage_whatever_the_error_says() -> None:
    lost = exc.OperationalError("SELECT", {}, psycopg.errors.SerializationFailure(),
                                connection_invalidated=True)
    assert database_fault(lost) == "unavailable"


def test_a_lock_wait_that_ran_out_keeps_its_500_and_the_page_needs_no_database(
        outage: Outage, arranged: tuple[Factory, int, ApiClient, PageClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, article_id, _, page = arranged
    outage.app.config["PROPAGATE_EXCEPTIONS"] = False  # as served: the 500 page, not a raise
    locked = exc.OperationalError("BEGIN IMMEDIATE", {},
                                  _sqlite_error("database is locked", 5))

    def time_out(*_: Any) -> None:
        outage.cut()  # and the database is gone too, so the page must not need it
        raise locked

    monkeypatch.setattr("workbench.services.users.load_session_user", time_out)
    answer = page.get(f"/articles/{article_id}")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 500 and "Retry-After" not in answer.headers
    assert "Something went wrong" in html and "Log out" not in html
    outage.restore()


def test_a_postgresql_server_that_never_answers_gets_503_after_the_connect_timeout(
        database_url: str) -> None:
    """A server that takes the TCP connection and then says nothing (a hung host, a black
    hole): each request waits the connect timeout (``POSTGRES_CONNECT_TIMEOUT_S``), not for
    ever, and answers 503 with Retry-After. Engine-independent: run in the SQLite pass only."""
    import socket
    import time

    from workbench.db import POSTGRES_CONNECT_TIMEOUT_S

    if database_url.startswith("postgresql"):
        pytest.skip("needs no PostgreSQL server: run once, in the SQLite pass")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody ever reads or writes
        port = silent.getsockname()[1]
        app = make_app(f"postgresql+psycopg://postgres@127.0.0.1:{port}/workbench")
        try:
            began = time.monotonic()
            response = ApiClient(app.test_client(), "wb_not_checked_yet").get("/articles")
            waited = time.monotonic() - began
        finally:
            db.dispose(app)
    assert_unavailable_json(response, "/api/v1/articles", "get")
    assert POSTGRES_CONNECT_TIMEOUT_S - 0.5 <= waited <= POSTGRES_CONNECT_TIMEOUT_S * 2 + 1, waited
