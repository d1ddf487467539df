"""The unit of work: services compose inside the caller's transaction and never end it.

A script that creates an article, assigns it, saves assertions and then fails inside one
``db.transaction()`` must leave nothing behind, on SQLite (whose save path reads in a short read
phase before taking the write lock) as on PostgreSQL. The one writer of assertions,
``insert_assertions``, takes an explicit owner, actor and guard.
"""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from workbench.db import db
from workbench.models import Article, Assertion, Assignment, AuditEvent, Evidence, User
from workbench.services import assertions as assertions_service
from workbench.services import assignments as assignments_service
from workbench.services import users as users_service
from workbench.services.articles import create_article
from workbench.services.assertions import EvidenceInput, Guard, NewAssertion, insert_assertions
from workbench.services.errors import Forbidden, NotFound, ValidationFailed

BODY = "Prices doubled in 2024. The minister said so. 👨‍👩‍👧 families paid.\n"
PASSWORD = "a long enough password"


class Boom(RuntimeError):
    pass


def counts(app: Flask) -> dict[str, int]:
    with app.app_context(), db.transaction() as s:
        return {model.__name__: s.scalar(select(func.count()).select_from(model)) or 0
                for model in (Article, Assignment, Assertion, Evidence, AuditEvent, User)}


def span(text: str, tag: str = "sourced", **extra: object) -> NewAssertion:
    start = BODY.index(text)
    return NewAssertion(start=start, end=start + len(text), quote=text, tag=tag, **extra)


def test_a_failure_after_composed_writes_leaves_nothing(app: Flask) -> None:
    before = counts(app)
    with app.app_context(), pytest.raises(Boom):
        with db.transaction() as s:
            boss = users_service.create_user(s, "boss", "supervisor", PASSWORD)
            rita = users_service.create_user(s, "rita", "reviewer", PASSWORD)
            article = create_article(s, title="Composed", body=BODY, actor=boss)
            assignments_service.assign(s, boss, article.id, "rita")
            saved = assertions_service.create_assertion(
                s, rita, article.id, start=0, end=14, quote="Prices doubled", tag="sourced",
                evidence=[EvidenceInput(url="https://stats.example/cpi", stance="supports")])
            assert saved["prefix"] == "" and saved["suffix"].startswith(" in 2024")
            insert_assertions(s, article.id, [span("The minister said so."), span("families")],
                              owner=rita, actor=rita, guard=Guard.OPEN_ASSIGNMENT)
            # Everything so far is visible inside the transaction...
            assert s.scalar(select(func.count()).select_from(Assertion)) == 3
            raise Boom("the script fails after its writes")
    # ...and none of it outside, once it failed.
    assert counts(app) == before


def test_composed_writes_commit_together(app: Flask) -> None:
    before = counts(app)
    with app.app_context(), db.transaction() as s:
        boss = users_service.create_user(s, "boss", "supervisor", PASSWORD)
        rita = users_service.create_user(s, "rita", "reviewer", PASSWORD)
        article = create_article(s, title="Composed", body=BODY, actor=boss)
        assignments_service.assign(s, boss, article.id, "rita")
        assertions_service.create_assertion(s, rita, article.id, start=0, end=14,
                                            quote="Prices doubled", tag="sourced")
    after = counts(app)
    assert after["Article"] == before["Article"] + 1
    assert after["Assertion"] == before["Assertion"] + 1
    assert after["AuditEvent"] == before["AuditEvent"] + 5  # 2 users, article, assignment, span


@pytest.fixture
def arranged(app: Flask, factory):  # type: ignore[no-untyped-def]
    article_id = factory.article(body=BODY, title="Batch")
    factory.user("rita")
    factory.user("sam", "supervisor")
    factory.assign(article_id, "rita")
    return article_id


def _user(s, name: str) -> User:  # type: ignore[no-untyped-def]
    return users_service.get_user_by_name(s, name)


def test_a_batch_is_all_or_nothing_and_names_the_bad_item(app: Flask, arranged: int) -> None:
    before = counts(app)
    with app.app_context(), pytest.raises(ValidationFailed) as caught:
        with db.transaction() as s:
            sam = _user(s, "sam")
            bad = NewAssertion(start=0, end=14, quote="prices doubled", tag="sourced")
            insert_assertions(s, arranged, [span("Prices doubled"), span("2024"), bad],
                              owner=sam, actor=sam, guard=Guard.IMPORT)
    assert caught.value.field == "items[2].quote"
    assert counts(app) == before


def test_an_import_writes_many_with_prefix_and_suffix(app: Flask, arranged: int) -> None:
    with app.app_context(), db.transaction() as s:
        sam = _user(s, "sam")
        records = insert_assertions(
            s, arranged, [span("Prices doubled"), span("👨‍👩‍👧", "opinion"), span("2024")],
            owner=sam, actor=None, guard=Guard.IMPORT)
    assert [r["quote"] for r in records] == ["Prices doubled", "👨‍👩‍👧", "2024"]
    with app.app_context(), db.transaction() as s:
        stored = list(s.scalars(select(Assertion).order_by(Assertion.id)))
        for row in stored:
            assert BODY[row.start:row.end] == row.quote
            assert row.prefix == BODY[max(row.start - 32, 0):row.start]
            assert row.suffix == BODY[row.end:row.end + 32]
        actors = set(s.scalars(select(AuditEvent.actor).where(
            AuditEvent.action == "assertion.create")))
    assert actors == {"system"}


def test_open_assignment_guard_refuses_someone_elses_work(app: Flask, arranged: int) -> None:
    before = counts(app)
    with app.app_context(), db.transaction() as s:
        rita, sam = _user(s, "rita"), _user(s, "sam")
        with pytest.raises(Forbidden) as caught:
            insert_assertions(s, arranged, [span("2024")], owner=rita, actor=sam,
                              guard=Guard.OPEN_ASSIGNMENT)
        assert caught.value.code == "not_owner"
        # A supervisor is not assigned: the open-assignment guard does not let them annotate.
        with pytest.raises(Forbidden) as caught:
            insert_assertions(s, arranged, [span("2024")], owner=sam, actor=sam,
                              guard=Guard.OPEN_ASSIGNMENT)
        assert caught.value.code == "not_assigned"
    assert counts(app) == before


def test_adjudication_guard_asks_the_policy(app: Flask, arranged: int) -> None:
    before = counts(app)
    with app.app_context(), db.transaction() as s:
        rita, sam = _user(s, "rita"), _user(s, "sam")
        with pytest.raises(NotFound):  # a reviewer is not shown the consensus at all
            insert_assertions(s, arranged, [span("2024")], owner=rita, actor=rita,
                              guard=Guard.ADJUDICATION)
        with pytest.raises(NotFound):
            insert_assertions(s, arranged + 999, [span("2024")], owner=sam, actor=sam,
                              guard=Guard.ADJUDICATION)
    assert counts(app) == before
    with app.app_context(), db.transaction() as s:
        sam = _user(s, "sam")
        (record,) = insert_assertions(s, arranged, [span("2024")], owner=sam, actor=sam,
                                      guard=Guard.ADJUDICATION)
    assert record["reviewer"] == "sam" and record["quote"] == "2024"


def test_a_stale_update_keeps_the_callers_transaction(app: Flask, arranged: int) -> None:
    """A version conflict leaves the caller's transaction open: earlier writes of the same
    transaction stay, and the caller decides."""
    with app.app_context(), db.transaction() as s:
        rita = _user(s, "rita")
        first = assertions_service.create_assertion(s, rita, arranged, start=0, end=14,
                                                    quote="Prices doubled", tag="sourced")
    with app.app_context(), db.transaction() as s:
        rita = _user(s, "rita")
        kept = assertions_service.create_assertion(s, rita, arranged, start=18, end=22,
                                                   quote="2024", tag="sourced")
        assertion, _ = assertions_service.get_assertion_for(s, rita, first["id"])
        # The stored row changes behind the loaded object's back (as another writer would).
        s.execute(Assertion.__table__.update().where(
            Assertion.__table__.c.id == first["id"]).values(version=2, note="theirs"))
        from workbench.services.errors import Conflict
        with pytest.raises(Conflict) as caught:
            assertions_service.update_assertion(s, rita, first["id"], version=1, tag="opinion")
        assert caught.value.current["note"] == "theirs"
        assert s.get(Assertion, kept["id"]) is not None  # still in this transaction
    with app.app_context(), db.transaction() as s:
        assert s.get(Assertion, kept["id"]) is not None
        assert s.get(Assertion, first["id"]).tag == "sourced"
        assert s.get(Assertion, first["id"]).note == "theirs"
