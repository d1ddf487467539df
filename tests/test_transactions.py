"""An exception in the middle of a multi-row write leaves none of its rows.

Each test breaks one write halfway (the second evidence insert raises, or violates a database
constraint, or the audit event cannot be written after the rows it describes were flushed), sends
the request through the API or through an htmx form, and checks with fresh reads that the
database is exactly as it was: no assertion, no evidence, no audit event, no half update. The
same request then succeeds once the fault is gone, so the connection was handed back clean.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import ApiClient, Factory, PageClient, make_app
from workbench.db import db
from workbench.models import Article, Assertion, Assignment, AuditEvent, Evidence
from workbench.services import assertions as assertions_service
from workbench.services import audit as audit_service

BODY = "Prices doubled in 2024. The minister said so.\r\nCafe\u0301 👩‍⚕️ قال الوزير.\n"
CLAIM = "Prices doubled"


class Boom(RuntimeError):
    """The injected fault."""


@pytest.fixture
def failing_app(database_url: str) -> Iterator[Flask]:
    """An app on the test database that answers an unhandled exception with a 500, like
    production, instead of raising it into the test."""
    failing = make_app(database_url, TESTING=False, PROPAGATE_EXCEPTIONS=False)
    yield failing
    with failing.app_context():
        db.engine.dispose()


@dataclasses.dataclass
class World:
    article_id: int
    reviewer: ApiClient
    supervisor: ApiClient
    assertion_id: int
    evidence_id: int


@pytest.fixture
def world(failing_app: Flask, factory: Factory) -> World:
    """An article assigned to rita, who already has one assertion with one evidence link."""
    article_id = factory.article(body=BODY, title="Transactions")
    factory.user("rita")
    factory.user("sam", "supervisor")
    factory.user("otto")  # a reviewer to assign
    factory.assign(article_id, "rita")
    reviewer = ApiClient(failing_app.test_client(), factory.token("rita"))
    supervisor = ApiClient(failing_app.test_client(), factory.token("sam"))
    response = reviewer.post(f"/articles/{article_id}/assertions", json={
        "start": 0, "end": len(CLAIM), "quote": CLAIM, "tag": "unsourced",
        "evidence": [{"url": "https://example.org/seed"}]})
    assert response.status_code == 201, response.json
    return World(article_id, reviewer, supervisor, response.json["id"],
                 response.json["evidence"][0]["id"])


def snapshot(app: Flask) -> dict[str, Any]:
    """Every row the writes under test could touch, read in a fresh session."""
    with app.app_context(), db.transaction() as s:
        return {
            "articles": s.execute(select(Article.id, Article.content_hash)
                                  .order_by(Article.id)).all(),
            "assertions": s.execute(select(Assertion.id, Assertion.version, Assertion.tag,
                                           Assertion.note, Assertion.updated_at)
                                    .order_by(Assertion.id)).all(),
            "evidence": s.execute(select(Evidence.id, Evidence.assertion_id, Evidence.url)
                                  .order_by(Evidence.id)).all(),
            "assignments": s.execute(select(Assignment.id, Assignment.status,
                                            Assignment.submitted_at)
                                     .order_by(Assignment.id)).all(),
            "audit": s.execute(select(AuditEvent.id, AuditEvent.action)
                               .order_by(AuditEvent.id)).all(),
        }


# -- Faults ---------------------------------------------------------------------------------------

def fail_on_second_evidence(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The second evidence insert of a request raises (the first one has been flushed)."""
    original = assertions_service._insert_evidence
    calls: list[int] = []

    def insert(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise Boom("the second evidence insert failed")
        return original(*args, **kwargs)

    monkeypatch.setattr(assertions_service, "_insert_evidence", insert)
    return calls


def violate_constraint_on_second_evidence(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The second evidence insert reaches the database and breaks its CHECK on stance: a real
    database error, after which PostgreSQL refuses the rest of the transaction."""
    original = assertions_service._insert_evidence
    calls: list[int] = []

    def insert(session: Any, user: Any, assertion_id: int, link: Any, now: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            link = dataclasses.replace(link, stance="not-a-stance")
        return original(session, user, assertion_id, link, now)

    monkeypatch.setattr(assertions_service, "_insert_evidence", insert)
    return calls


def fail_audit(monkeypatch: pytest.MonkeyPatch, action_prefix: str = "") -> list[int]:
    """The audit write raises, after the rows it describes were flushed."""
    original = audit_service.record
    calls: list[int] = []

    def record(session: Any, actor: Any, action: str, *args: Any, **kwargs: Any) -> None:
        if action.startswith(action_prefix):
            calls.append(1)
            raise Boom(f"audit write for {action} failed")
        original(session, actor, action, *args, **kwargs)

    def not_json(after: dict[str, Any]) -> str:
        # PostgreSQL writes a save and its event in one statement (``audit.recorded_with``):
        # its event then fails in the database, casting text that is not JSON.
        calls.append(1)
        return "{not json"

    monkeypatch.setattr(audit_service, "record", record)
    if not action_prefix or "assertion.create".startswith(action_prefix):
        monkeypatch.setattr(audit_service, "after_json", not_json)
    return calls


Fault = Callable[[pytest.MonkeyPatch], list[int]]

THREE_LINKS = [{"url": f"https://example.org/{n}", "title": f"Link {n}", "stance": "supports"}
               for n in range(3)]


def assert_untouched_then_recovers(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                   fault: Fault, send: Callable[[], Any],
                                   ok_status: int, changed: Callable[[dict, dict], bool],
                                   ) -> None:
    before = snapshot(app)
    calls = fault(monkeypatch)
    response = send()
    assert calls, "the fault was never reached: the test does not test what it says"
    assert response.status_code == 500, (response.status_code, response.get_data(as_text=True))
    assert snapshot(app) == before, "a failed request left rows behind"

    monkeypatch.undo()
    response = send()
    assert response.status_code == ok_status, response.get_data(as_text=True)
    assert changed(before, snapshot(app)), "the retried write did not land"


def grew(table: str, by: int = 1) -> Callable[[dict, dict], bool]:
    return lambda before, after: len(after[table]) == len(before[table]) + by


# -- The JSON API ----------------------------------------------------------------------------------

@pytest.mark.parametrize("fault", [fail_on_second_evidence, violate_constraint_on_second_evidence,
                                   fail_audit],
                         ids=["second-evidence-raises", "second-evidence-db-error",
                              "audit-raises"])
def test_api_create_assertion_with_evidence_is_all_or_nothing(failing_app, world, monkeypatch,
                                                              fault):  # type: ignore[no-untyped-def]
    start = BODY.index("The minister")
    payload = {"start": start, "end": start + len("The minister"), "quote": "The minister",
               "tag": "sourced", "note": "three links", "evidence": THREE_LINKS}

    def send() -> Any:
        return world.reviewer.post(f"/articles/{world.article_id}/assertions", json=payload)

    before = snapshot(failing_app)
    calls = fault(monkeypatch)
    response = send()
    assert calls
    assert response.status_code == 500, response.json
    assert response.is_json and "error" in response.json
    after = snapshot(failing_app)
    assert after == before
    assert len(after["assertions"]) == 1 and len(after["evidence"]) == 1

    monkeypatch.undo()
    response = send()
    assert response.status_code == 201, response.json
    after = snapshot(failing_app)
    assert len(after["assertions"]) == 2
    assert len(after["evidence"]) == 4
    assert [a for _, a in after["audit"][len(before["audit"]):]] == ["assertion.create"]


def test_api_update_assertion_is_all_or_nothing(failing_app, world,
                                                monkeypatch):  # type: ignore[no-untyped-def]
    def send() -> Any:
        return world.reviewer.patch(f"/assertions/{world.assertion_id}",
                                    json={"version": 1, "tag": "opinion", "note": "changed"})

    assert_untouched_then_recovers(
        failing_app, monkeypatch, fail_audit, send, 200,
        lambda before, after: after["assertions"][0][1:4] == (2, "opinion", "changed"))


def test_api_delete_assertion_is_all_or_nothing(failing_app, world,
                                                monkeypatch):  # type: ignore[no-untyped-def]
    def send() -> Any:
        return world.reviewer.delete(f"/assertions/{world.assertion_id}")

    assert_untouched_then_recovers(
        failing_app, monkeypatch, fail_audit, send, 204,
        lambda before, after: after["assertions"] == [] and after["evidence"] == [])


def test_api_add_evidence_is_all_or_nothing(failing_app, world,
                                            monkeypatch):  # type: ignore[no-untyped-def]
    def send() -> Any:
        return world.reviewer.post(f"/assertions/{world.assertion_id}/evidence",
                                   json={"url": "https://example.org/more", "stance": "refutes"})

    assert_untouched_then_recovers(failing_app, monkeypatch, fail_audit, send, 201,
                                   grew("evidence"))


def test_api_delete_evidence_is_all_or_nothing(failing_app, world,
                                               monkeypatch):  # type: ignore[no-untyped-def]
    def send() -> Any:
        return world.reviewer.delete(f"/evidence/{world.evidence_id}")

    assert_untouched_then_recovers(failing_app, monkeypatch, fail_audit, send, 204,
                                   grew("evidence", -1))


def test_api_create_article_is_all_or_nothing(failing_app, world,
                                              monkeypatch):  # type: ignore[no-untyped-def]
    def send() -> Any:
        return world.supervisor.post("/articles", json={"title": "New", "body": "Fresh text.\n"})

    assert_untouched_then_recovers(failing_app, monkeypatch, fail_audit, send, 201,
                                   grew("articles"))


def test_api_assign_is_all_or_nothing(failing_app, world,
                                      monkeypatch):  # type: ignore[no-untyped-def]
    def send() -> Any:
        return world.supervisor.post(f"/articles/{world.article_id}/assignments",
                                     json={"reviewer": "otto"})

    assert_untouched_then_recovers(failing_app, monkeypatch, fail_audit, send, 201,
                                   grew("assignments"))


def test_api_submit_is_all_or_nothing(failing_app, world,
                                      monkeypatch):  # type: ignore[no-untyped-def]
    def send() -> Any:
        return world.reviewer.post(f"/articles/{world.article_id}/submit")

    assert_untouched_then_recovers(
        failing_app, monkeypatch, fail_audit, send, 200,
        lambda before, after: after["assignments"][0][1] == "submitted")


def test_propagated_exception_also_writes_nothing(app, factory, monkeypatch):  # type: ignore[no-untyped-def]
    """With TESTING the exception reaches the caller; the request's rows are still gone."""
    article_id = factory.article(body=BODY, title="Propagated")
    factory.user("rita")
    factory.assign(article_id, "rita")
    client = ApiClient(app.test_client(), factory.token("rita"))
    before = snapshot(app)
    fail_on_second_evidence(monkeypatch)
    with pytest.raises(Boom):
        client.post(f"/articles/{article_id}/assertions", json={
            "start": 0, "end": len(CLAIM), "quote": CLAIM, "tag": "sourced",
            "evidence": THREE_LINKS})
    assert snapshot(app) == before


# -- The htmx pages --------------------------------------------------------------------------------

@pytest.fixture
def rita_page(failing_app: Flask, world: World) -> PageClient:
    page = PageClient(failing_app.test_client())
    response = page.login("rita")
    assert response.status_code == 302, response.get_data(as_text=True)
    page.refresh_csrf(f"/articles/{world.article_id}")
    return page


def test_page_create_assertion_is_all_or_nothing(failing_app, world, rita_page,
                                                 monkeypatch):  # type: ignore[no-untyped-def]
    start = BODY.index("The minister")

    def send() -> Any:
        return rita_page.post(f"/articles/{world.article_id}/assertions", htmx=True, data={
            "start": str(start), "end": str(start + len("The minister")),
            "quote": "The minister", "tag": "opinion", "note": "from the page"})

    assert_untouched_then_recovers(failing_app, monkeypatch, fail_audit, send, 200,
                                   grew("assertions"))


def test_page_edit_assertion_is_all_or_nothing(failing_app, world, rita_page,
                                               monkeypatch):  # type: ignore[no-untyped-def]
    def send() -> Any:
        return rita_page.post(f"/assertions/{world.assertion_id}/edit", htmx=True,
                              data={"tag": "sourced", "note": "edited on the page",
                                    "version": "1"})

    assert_untouched_then_recovers(
        failing_app, monkeypatch, fail_audit, send, 200,
        lambda before, after: after["assertions"][0][1:4] == (2, "sourced",
                                                              "edited on the page"))


def test_page_add_evidence_is_all_or_nothing(failing_app, world, rita_page,
                                             monkeypatch):  # type: ignore[no-untyped-def]
    def send() -> Any:
        return rita_page.post(f"/assertions/{world.assertion_id}/evidence", htmx=True,
                              data={"url": "https://example.org/page", "title": "From the page",
                                    "stance": "context"})

    assert_untouched_then_recovers(failing_app, monkeypatch, fail_audit, send, 200,
                                   grew("evidence"))


def test_page_delete_assertion_is_all_or_nothing(failing_app, world, rita_page,
                                                 monkeypatch):  # type: ignore[no-untyped-def]
    def send() -> Any:
        return rita_page.post(f"/assertions/{world.assertion_id}/delete", htmx=True)

    assert_untouched_then_recovers(
        failing_app, monkeypatch, fail_audit, send, 200,
        lambda before, after: after["assertions"] == [] and after["evidence"] == [])
