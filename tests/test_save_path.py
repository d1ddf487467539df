"""The API save, the hot path: what it sends to the database (one read that checks the token, the
span and the assignment; the guarded INSERT; the audit event; one COMMIT), and that taking the
token into that read changed none of the rules: a revoked token or a deactivated user is refused
by the very next save in any app process, 401 still comes before any other refusal, and a
refused save writes nothing."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from tests.conftest import ApiClient, Factory
from workbench.db import db
from workbench.models import Assertion, AuditEvent
from workbench.services import users as users_service

BODY = "Alpha beta. Gamma delta. Epsilon zeta eta theta.\n"
# BEGIN (IMMEDIATE on SQLite), the read of token + span + assignment, the guarded INSERT, the
# audit event (on PostgreSQL in the INSERT's own statement), COMMIT; no pre-ping of a connection
# in steady use.
STATEMENTS_PER_SAVE = {"sqlite": 5, "postgresql": 4}


def span(word: str, tag: str = "sourced") -> dict[str, Any]:
    start = BODY.index(word)
    return {"start": start, "end": start + len(word), "quote": word, "tag": tag}


@pytest.fixture
def rita(app: Flask, factory: Factory) -> ApiClient:
    factory.user("rita")
    article_id = factory.article(body=BODY)
    factory.assign(article_id, "rita")
    api = ApiClient(app.test_client(), factory.token("rita"))
    api.article_id = article_id  # type: ignore[attr-defined]
    return api


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Every statement the app's engine sends meanwhile, BEGIN, COMMIT and pings included."""
    with app.app_context():
        engine = db.engine
    sent: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement != "BEGIN":  # counted by the begin event
            sent.append(" ".join(statement.split())[:60])

    def began(_conn: Any) -> None:
        sent.append("BEGIN")

    def committed(_conn: Any) -> None:
        sent.append("COMMIT")

    real_ping = engine.dialect.do_ping

    def ping(connection: Any) -> bool:
        sent.append("ping")
        return real_ping(connection)

    listeners = [("before_cursor_execute", executed), ("begin", began), ("commit", committed)]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    engine.dialect.do_ping = ping  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
        engine.dialect.do_ping = real_ping  # type: ignore[method-assign]


def test_a_save_sends_at_most_five_statements(app: Flask, rita: ApiClient,
                                              is_postgres: bool) -> None:
    path = f"/articles/{rita.article_id}/assertions"  # type: ignore[attr-defined]
    assert rita.post(path, span("Alpha")).status_code == 201  # the pool holds a connection
    with statements(app) as sent:
        saved = rita.post(path, span("Gamma"))
    assert saved.status_code == 201, saved.json
    assert len(sent) <= STATEMENTS_PER_SAVE["postgresql" if is_postgres else "sqlite"], sent
    assert sent[0] == "BEGIN" and sent[-1] == "COMMIT", sent
    assert sum(s.startswith("SELECT") for s in sent) == 1, sent  # token, span and assignment
    assert "ping" not in sent


def test_the_audit_event_records_the_saved_assertion_as_the_api_answers_it(
        app: Flask, rita: ApiClient) -> None:
    path = f"/articles/{rita.article_id}/assertions"  # type: ignore[attr-defined]
    saved = rita.post(path, span("Gamma", "opinion")).json
    with app.app_context(), db.transaction() as session:
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action.startswith("assertion."))).one()
        assert (event.action, event.entity_type, event.entity_id, event.article_id) == (
            "assertion.create", "assertion", saved["id"], saved["article_id"])
        assert event.actor == "rita" and event.before is None
        assert event.after == {k: v for k, v in saved.items() if k not in ("prefix", "suffix")}
        assert list(event.after)[:3] == ["id", "article_id", "reviewer"]


def test_a_revoked_token_is_refused_by_the_next_save_in_another_app_process(
        app: Flask, app_factory: Any, factory: Factory, rita: ApiClient) -> None:
    path = f"/articles/{rita.article_id}/assertions"  # type: ignore[attr-defined]
    other = ApiClient(app_factory().test_client(), rita.token)  # another server, same database
    assert rita.post(path, span("Alpha")).status_code == 201
    assert other.post(path, span("beta")).status_code == 201
    token_id = rita.get("/tokens").json["items"][0]["id"]
    assert other.delete(f"/tokens/{token_id}").status_code == 204  # revoked over there
    refused = rita.post(path, span("Gamma"))
    assert refused.status_code == 401, refused.json
    assert refused.json["error"]["code"] == "unauthorized"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert other.post(path, span("delta")).status_code == 401
    assert factory.count(Assertion) == 2
    assert factory.audited("assertion.create") == 2


def test_a_deactivated_reviewers_token_is_refused_by_the_next_save(
        app: Flask, factory: Factory, rita: ApiClient) -> None:
    path = f"/articles/{rita.article_id}/assertions"  # type: ignore[attr-defined]
    assert rita.post(path, span("Alpha")).status_code == 201
    with app.app_context(), db.transaction() as session:
        admin = users_service.create_user(session, "ada", "admin", "correct horse battery")
        users_service.set_active(session, admin,
                                 users_service.get_user_by_name(session, "rita").id, False)
    assert rita.post(path, span("Gamma")).status_code == 401
    assert factory.count(Assertion) == 1


@pytest.mark.parametrize("token", [None, "wb_not-a-token"])
@pytest.mark.parametrize(("what", "send"), [
    ("a good save", lambda api, path: api.post(path, span("Alpha"))),
    ("no such article", lambda api, path: api.post("/articles/999999/assertions", span("Alpha"))),
    ("bad JSON", lambda api, path: api.raw("POST", path, b"{not json")),
    ("not JSON", lambda api, path: api.raw("POST", path, b"start=0", "text/plain")),
    ("a missing field", lambda api, path: api.post(path, {"start": 0, "end": 5})),
    ("an unknown tag", lambda api, path: api.post(path, {**span("Alpha"), "tag": "maybe"})),
    ("a wrong quote", lambda api, path: api.post(path, {**span("Alpha"), "quote": "Alpho"})),
    ("a bad evidence URL", lambda api, path: api.post(
        path, {**span("Alpha"), "evidence": [{"url": "javascript:alert(1)"}]})),
])
def test_without_a_valid_token_every_save_is_401_first(
        app: Flask, factory: Factory, rita: ApiClient, token: str | None, what: str,
        send: Any) -> None:
    stranger = ApiClient(app.test_client(), token)
    path = f"/articles/{rita.article_id}/assertions"  # type: ignore[attr-defined]
    answer = send(stranger, path)
    assert answer.status_code == 401, (what, answer.get_data(as_text=True))
    assert answer.json["error"]["code"] == "unauthorized"
    assert factory.count(Assertion) == 0 and factory.audited("assertion.") == 0


@pytest.mark.parametrize(("send", "status", "code"), [
    (lambda api, path: api.raw("POST", path, b"{not json"), 400, "invalid_json"),
    (lambda api, path: api.raw("POST", path, b"start=0", "text/plain"), 415,
     "unsupported_media_type"),
    (lambda api, path: api.post(path, {**span("Alpha"), "quote": "Alpho"}), 422, "invalid"),
    (lambda api, path: api.post("/articles/999999/assertions", span("Alpha")), 404, "not_found"),
])
def test_with_a_valid_token_the_other_refusals_are_as_before(
        factory: Factory, rita: ApiClient, send: Any, status: int, code: str) -> None:
    answer = send(rita, f"/articles/{rita.article_id}/assertions")  # type: ignore[attr-defined]
    assert answer.status_code == status, answer.json
    assert answer.json["error"]["code"] == code
    assert factory.count(Assertion) == 0


def test_a_supervisors_token_may_not_save_and_a_submitted_review_is_closed(
        factory: Factory, rita: ApiClient, api_as: Any) -> None:
    path = f"/articles/{rita.article_id}/assertions"  # type: ignore[attr-defined]
    boss = api_as("sam", "supervisor")
    refused = boss.post(path, span("Alpha"))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "not_assigned"
    assert rita.post(f"/articles/{rita.article_id}/submit").status_code == 200  # type: ignore[attr-defined]
    closed = rita.post(path, span("Alpha"))
    assert closed.status_code == 403 and closed.json["error"]["code"] == "submitted"
    assert factory.count(Assertion) == 0
