"""The article page reads a fixed number of statements whatever the number of assertions and
reviewers on it: one query per kind of row (assertions, evidence, assignments), never one per
card, per reviewer or per evidence link."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from workbench.db import db
from workbench.models import User
from workbench.services.assertions import EvidenceInput, Guard, NewAssertion, insert_assertions

WORDS = [f"word{n:03d}" for n in range(240)]
BODY = " ".join(WORDS) + "\n"
BIG = "Big. " + BODY


@contextmanager
def counted(app) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def annotate(factory, article_id: int, body: str, reviewers: list[str], per_reviewer: int,
             new_users: bool = True) -> None:
    """Overlapping spans by each reviewer, every third with an evidence link."""
    for r, name in enumerate(reviewers):
        if new_users:
            factory.user(name)
        factory.assign(article_id, name)
        items = []
        for n in range(per_reviewer):
            first = (n * 3 + r) % (len(WORDS) - 4)
            start = body.index(WORDS[first])
            end = body.index(WORDS[first + 3]) + len(WORDS[first + 3])
            items.append(NewAssertion(
                start, end, body[start:end], ("sourced", "unsourced", "opinion")[n % 3],
                evidence=(EvidenceInput(url=f"https://example.org/{r}/{n}"),) if n % 3 == 0
                else ()))
        with factory.app.app_context(), db.transaction() as s:
            owner = s.scalar(select(User).where(User.username == name))
            insert_assertions(s, article_id, items, owner=owner, actor=owner, guard=Guard.IMPORT)


def statements_for(app, client, path: str) -> int:  # type: ignore[no-untyped-def]
    client.get(path)  # warm: the session user, the settings
    with counted(app) as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def test_the_supervisors_page_reads_as_many_statements_for_a_hundred_assertions_as_for_three(
        app, factory, page_as):
    small = factory.article(body=BODY, title="Few")
    big = factory.article(body=BIG, title="Many")
    annotate(factory, small, BODY, ["ann"], 3)
    annotate(factory, big, BIG, ["bob", "cy", "di"], 40)
    sue = page_as("sue", "supervisor")
    few = statements_for(app, sue, f"/articles/{small}")
    many = statements_for(app, sue, f"/articles/{big}")
    assert many == few, (few, many)
    # The second page of cards too, and one reviewer's view.
    assert statements_for(app, sue, f"/articles/{big}?cards=2") == few
    assert statements_for(app, sue, f"/articles/{big}?reviewer=cy&evidence=with") == few


def test_a_reviewers_page_reads_as_many_statements_for_sixty_assertions_as_for_three(
        app, factory, page_as):
    small = factory.article(body=BODY, title="Few")
    big = factory.article(body=BIG, title="Many")
    annotate(factory, small, BODY, ["bob"], 3)
    annotate(factory, big, BIG, ["bob"], 60, new_users=False)
    bob = page_as("bob", create=False)
    assert statements_for(app, bob, f"/articles/{big}") == \
        statements_for(app, bob, f"/articles/{small}")
