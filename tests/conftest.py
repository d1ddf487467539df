"""Fixtures: one migrated database per test run (SQLite, or PostgreSQL from TEST_DATABASE_URL),
emptied after every test; an app, clients per role, and small factories."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from workbench import create_app
from workbench.db import db, make_engine
from workbench.migrate import upgrade
from workbench.models import Article, Assignment, Base, User
from workbench.services import assignments as assignments_service
from workbench.services import users as users_service
from workbench.services.articles import create_article

users_service.use_fast_password_hashing()

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


def make_app(database_url: str, **overrides: Any) -> Flask:
    config = {"ENV_NAME": "test", "TESTING": True, "DATABASE_URL": database_url,
              "LOGIN_RATE_LIMIT": "1000 per minute", "RATELIMIT_STORAGE_URI": "memory://"}
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = make_app(database_url)
    yield app
    db.dispose(app)


@pytest.fixture
def app_factory(database_url: str) -> Iterator[Any]:
    """``app_factory(**config)`` → another app on the test database, disposed afterwards."""
    made: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        made.append(make_app(database_url, **overrides))
        return made[-1]

    yield build
    for extra in made:
        db.dispose(extra)


@pytest.fixture(autouse=True)
def empty_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts from empty tables (the schema stays, migrated once)."""
    yield
    if "database_url" not in request.fixturenames:
        return
    engine = make_engine(request.getfixturevalue("database_url"))
    with engine.begin() as connection:
        with audit_guard_lifted(connection):
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(delete(table))
    engine.dispose()


@contextmanager
def audit_guard_lifted(connection: Any) -> Iterator[None]:
    """Tests only: lift the append-only triggers on audit_events to empty the table."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        yield
        return
    triggers = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name = 'audit_events'").all()
    for name, _ in triggers:
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    yield
    for _, sql in triggers:
        connection.exec_driver_sql(sql)


@pytest.fixture
def session(app: Flask) -> Iterator[Any]:
    """A session outside any request, committing on success (for arranging data)."""
    with app.app_context():
        with db.transaction() as s:
            yield s


@dataclass
class Factory:
    app: Flask

    def user(self, username: str, role: str = "reviewer") -> User:
        with self.app.app_context(), db.transaction() as s:
            user = users_service.create_user(s, username, role, PASSWORD)
            s.flush()
            s.expunge(user)
        return user

    def token(self, user: User | str) -> str:
        name = user if isinstance(user, str) else user.username
        with self.app.app_context(), db.transaction() as s:
            _, secret = users_service.create_token(s, users_service.get_user_by_name(s, name))
        return secret

    def article(self, body: str = "Alpha beta. Gamma delta.\n", title: str = "An article",
                **fields: Any) -> int:
        with self.app.app_context(), db.transaction() as s:
            article = create_article(s, title=title, body=body, actor=None, **fields)
            return article.id

    def assign(self, article_id: int, reviewer: str, supervisor: str | None = None) -> None:
        with self.app.app_context(), db.transaction() as s:
            boss = s.scalar(select(User).where(User.username == supervisor)) if supervisor \
                else _system_supervisor(s)
            assignments_service.assign(s, boss, article_id, reviewer)

    def audited(self, prefix: str) -> int:
        """How many audit events have an action starting with ``prefix`` (``"assertion."``)."""
        from sqlalchemy import func

        from workbench.models import AuditEvent

        with self.app.app_context(), db.transaction() as s:
            return s.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action.startswith(prefix))) or 0

    def count(self, model: type) -> int:
        from sqlalchemy import func

        with self.app.app_context(), db.transaction() as s:
            return s.scalar(select(func.count()).select_from(model)) or 0

    def assignment_status(self, article_id: int, reviewer: str) -> str | None:
        from workbench.models import Assignment

        with self.app.app_context(), db.transaction() as s:
            return s.scalar(select(Assignment.status).join(User, User.id == Assignment.reviewer_id)
                            .where(Assignment.article_id == article_id,
                                   User.username == reviewer))


def _system_supervisor(s: Any) -> User:
    boss = s.scalar(select(User).where(User.username == "fixture-supervisor"))
    if boss is None:
        boss = users_service.create_user(s, "fixture-supervisor", "supervisor", PASSWORD)
    return boss


@pytest.fixture
def factory(app: Flask) -> Factory:
    return Factory(app)


class ApiClient:
    """A test client that speaks JSON with a bearer token."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=self._headers(), **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(), **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch("/api/v1" + path, json=json, headers=self._headers(), **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.put("/api/v1" + path, json=json, headers=self._headers(), **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete("/api/v1" + path, headers=self._headers(), **kw)

    def raw(self, method: str, path: str, data: bytes,
            content_type: str = "application/json") -> Any:
        return self.client.open("/api/v1" + path, method=method, data=data,
                                headers=self._headers({"Content-Type": content_type}))


@pytest.fixture
def api_as(app: Flask, factory: Factory):  # type: ignore[no-untyped-def]
    """``api_as("alice", "reviewer")`` → an ApiClient for a new user of that role."""

    def make(username: str, role: str = "reviewer") -> ApiClient:
        factory.user(username, role)
        return ApiClient(app.test_client(), factory.token(username))

    return make


CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


class PageClient:
    """A browser-like client: logs in through the form and sends the CSRF token like a page."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.csrf = ""

    def refresh_csrf(self, path: str = "/login") -> None:
        html = self.client.get(path).get_data(as_text=True)
        match = CSRF_PATTERN.search(html)
        assert match, f"no CSRF token on {path}"
        self.csrf = match.group(1)

    def login(self, username: str, password: str = PASSWORD) -> Any:
        self.refresh_csrf("/login")
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": self.csrf})

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict[str, Any] | None = None, htmx: bool = False,
             csrf: bool = True, **kw: Any) -> Any:
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf)
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(path, data=data, headers=headers, **kw)


@pytest.fixture
def page_as(app: Flask, factory: Factory):  # type: ignore[no-untyped-def]
    """``page_as("alice", "reviewer")`` → a logged-in PageClient for a new user."""

    def make(username: str, role: str = "reviewer", create: bool = True) -> PageClient:
        if create:
            factory.user(username, role)
        client = PageClient(app.test_client())
        response = client.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


__all__ = ["ApiClient", "Article", "Assignment", "Factory", "PageClient", "PASSWORD"]


@pytest.fixture
def empty_app(tmp_path: Any) -> Iterator[Flask]:
    """An app on a fresh, migrated, empty SQLite database (whichever engine the suite runs
    on): an import's destination, or what only SQLite has (the export's fast path)."""
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    upgrade(url)
    fresh = make_app(url)
    yield fresh
    db.dispose(fresh)
