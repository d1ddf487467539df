"""Work for many: bulk assignment balanced by load, unassigning, reopening, queues, progress."""
from __future__ import annotations

import pytest

from tests.conftest import ApiClient
from workbench.models import Assertion, Assignment, AuditEvent


@pytest.fixture
def team(factory):  # type: ignore[no-untyped-def]
    for name in ("ann", "bob", "cyd"):
        factory.user(name)
    factory.user("sue", "supervisor")
    articles = [factory.article(body=f"Article number {i}. It says things.\n", title=f"A{i}")
                for i in range(6)]
    sue = ApiClient(factory.app.test_client(), factory.token("sue"))
    return articles, sue


def by_reviewer(items):  # type: ignore[no-untyped-def]
    counts: dict[str, int] = {}
    for item in items:
        counts[item["reviewer"]] = counts.get(item["reviewer"], 0) + 1
    return counts


def test_bulk_assignment_balances_load_and_skips_who_is_already_there(team, factory):  # type: ignore[no-untyped-def]
    articles, sue = team
    factory.assign(articles[0], "ann")  # ann already carries one open article
    response = sue.post("/assignments", json={"articles": articles, "reviewers": ["ann", "bob",
                                                                                  "cyd"],
                                              "per_article": 2})
    assert response.status_code == 201, response.json
    made = response.json["items"]
    assert len(made) == 11  # 6 × 2, minus ann already on article 0
    counts = by_reviewer(made)
    # Loads after: ann 1 + her new ones; everyone ends within one of each other.
    totals = {"ann": counts.get("ann", 0) + 1, "bob": counts.get("bob", 0),
              "cyd": counts.get("cyd", 0)}
    assert max(totals.values()) - min(totals.values()) <= 1, totals
    assert sum(totals.values()) == 12
    # Running it again makes nothing new.
    again = sue.post("/assignments", json={"articles": articles, "reviewers": ["ann", "bob",
                                                                               "cyd"],
                                           "per_article": 2})
    assert again.status_code == 201 and again.json["items"] == []
    assert factory.audited("assignment.create") == 12


@pytest.mark.parametrize("payload, field", [
    ({"reviewers": ["ann", "nobody"], "per_article": 1}, "reviewers"),
    ({"reviewers": ["ann", "sue"], "per_article": 1}, "reviewers"),  # sue does not review
    ({"reviewers": ["ann"], "per_article": 2}, "per_article"),
    ({"reviewers": [], "per_article": 1}, "reviewers"),
])
def test_bad_bulk_assignment_is_422_and_assigns_nothing(team, factory, payload, field):  # type: ignore[no-untyped-def]
    articles, sue = team
    response = sue.post("/assignments", json={"articles": articles, **payload})
    assert response.status_code == 422
    assert response.json["error"]["field"] == field
    assert factory.count(Assignment) == 0


def test_bulk_assignment_of_an_unknown_article_names_it(team, factory):  # type: ignore[no-untyped-def]
    articles, sue = team
    response = sue.post("/assignments", json={"articles": [articles[0], 99999],
                                              "reviewers": ["ann"], "per_article": 1})
    assert response.status_code == 422 and "99999" in response.json["error"]["message"]
    assert factory.count(Assignment) == 0


def test_unassign_keeps_the_work_and_audits_the_reason(team, factory, app):  # type: ignore[no-untyped-def]
    articles, sue = team
    factory.assign(articles[0], "ann")
    ann = ApiClient(app.test_client(), factory.token("ann"))
    saved = ann.post(f"/articles/{articles[0]}/assertions",
                     json={"start": 0, "end": 7, "quote": "Article", "tag": "opinion"})
    assert saved.status_code == 201
    missing_reason = sue.post(f"/articles/{articles[0]}/assignments/ann/unassign", json={
        "reason": "   "})
    assert missing_reason.status_code == 422
    assert missing_reason.json["error"]["field"] == "reason"
    done = sue.post(f"/articles/{articles[0]}/assignments/ann/unassign",
                    json={"reason": "Out sick"})
    assert done.status_code == 204
    assert factory.count(Assertion) == 1  # the work stays
    assert ann.get(f"/articles/{articles[0]}").status_code == 404  # no longer hers to see
    assert sue.get(f"/assertions/{saved.json['id']}").status_code == 200
    events = sue.get("/audit", query_string={"action": "assignment.delete"}).json["items"]
    assert events[0]["after"] == {"reason": "Out sick"}
    assert sue.post(f"/articles/{articles[0]}/assignments/ann/unassign",
                    json={"reason": "again"}).status_code == 404


def test_a_submitted_review_is_reopened_not_unassigned(team, factory, app):  # type: ignore[no-untyped-def]
    articles, sue = team
    factory.assign(articles[0], "ann")
    ann = ApiClient(app.test_client(), factory.token("ann"))
    assert ann.post(f"/articles/{articles[0]}/submit").status_code == 200
    refused = sue.post(f"/articles/{articles[0]}/assignments/ann/unassign",
                       json={"reason": "x"})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "submitted"
    frozen = ann.post(f"/articles/{articles[0]}/assertions",
                      json={"start": 0, "end": 7, "quote": "Article", "tag": "opinion"})
    assert frozen.status_code == 403
    reopened = sue.post(f"/articles/{articles[0]}/assignments/ann/reopen",
                        json={"reason": "Missed the second claim"})
    assert reopened.status_code == 200 and reopened.json["status"] == "assigned"
    assert ann.post(f"/articles/{articles[0]}/assertions",
                    json={"start": 0, "end": 7, "quote": "Article", "tag": "opinion"}
                    ).status_code == 201
    events = sue.get("/audit", query_string={"action": "assignment.reopen"}).json["items"]
    assert events[0]["after"]["reason"] == "Missed the second claim"
    assert sue.post(f"/articles/{articles[0]}/assignments/ann/reopen",
                    json={"reason": "x"}).status_code == 409


def test_the_queue_sorts_work_and_points_at_the_next_article(team, factory, app):  # type: ignore[no-untyped-def]
    articles, sue = team
    for article_id in articles[:3]:
        factory.assign(article_id, "bob")
    bob = ApiClient(app.test_client(), factory.token("bob"))
    assert bob.post(f"/articles/{articles[1]}/assertions",
                    json={"start": 0, "end": 7, "quote": "Article", "tag": "sourced"}
                    ).status_code == 201
    assert bob.post(f"/articles/{articles[2]}/submit").status_code == 200
    queue = bob.get("/queue").json
    assert [i["article_id"] for i in queue["to_do"]] == [articles[0]]
    assert [i["article_id"] for i in queue["in_progress"]] == [articles[1]]
    assert [i["article_id"] for i in queue["submitted"]] == [articles[2]]
    assert queue["next"] == articles[1]
    assert queue["in_progress"][0]["assertions"] == 1
    progress = {r["reviewer"]: r for r in sue.get("/progress").json["reviewers"]}
    assert progress["bob"] == {"reviewer": "bob", "assigned": 3, "to_do": 1, "in_progress": 1,
                               "submitted": 1}
    assert progress["ann"]["assigned"] == 0
    assert bob.get("/progress").status_code == 404


def test_the_list_filters_by_review_status(team, factory, app):  # type: ignore[no-untyped-def]
    articles, sue = team
    factory.assign(articles[0], "ann")
    factory.assign(articles[1], "ann")
    ann = ApiClient(app.test_client(), factory.token("ann"))
    assert ann.post(f"/articles/{articles[1]}/submit").status_code == 200

    def ids(client, status):  # type: ignore[no-untyped-def]
        response = client.get("/articles", query_string={"status": status})
        assert response.status_code == 200
        return sorted(a["id"] for a in response.json["items"])

    assert ids(sue, "unassigned") == sorted(articles[2:])
    assert ids(sue, "open") == [articles[0]]
    assert ids(sue, "submitted") == [articles[1]]
    assert ids(ann, "open") == [articles[0]]
    assert ids(ann, "submitted") == [articles[1]]
    assert ids(ann, "unassigned") == []
    bad = sue.get("/articles", query_string={"status": "done"})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "status"


def test_bulk_form_on_the_list_page(team, page_as, factory):  # type: ignore[no-untyped-def]
    articles, _ = team
    sue = page_as("sue", "supervisor", create=False)
    html = sue.get("/articles").get_data(as_text=True)
    assert 'name="article"' in html and 'name="per_article"' in html
    sue.refresh_csrf("/articles")
    refused = sue.post("/assignments", {"article": [str(articles[0])], "per_article": "1"})
    assert refused.status_code == 422
    assert "Pick at least one reviewer." in refused.get_data(as_text=True)
    assert factory.count(Assignment) == 0
    done = sue.post("/assignments", {"article": [str(a) for a in articles[:2]],
                                     "reviewer": ["ann", "bob"], "per_article": "2"})
    assert done.status_code == 200
    assert "4 assignments made." in done.get_data(as_text=True)
    assert factory.count(Assignment) == 4
    queue = page_as("ann", create=False).get("/queue").get_data(as_text=True)
    assert "Next article" in queue and "A0" in queue


def test_unassign_form_needs_a_reason_beside_the_field(team, page_as, factory):  # type: ignore[no-untyped-def]
    articles, _ = team
    factory.assign(articles[0], "ann")
    sue = page_as("sue", "supervisor", create=False)
    sue.refresh_csrf(f"/articles/{articles[0]}")
    refused = sue.post(f"/articles/{articles[0]}/assignments/ann/unassign", {"reason": ""},
                       htmx=True)
    assert refused.status_code == 422
    assert "Say why" in refused.get_data(as_text=True)
    assert factory.count(Assignment) == 1
    done = sue.post(f"/articles/{articles[0]}/assignments/ann/unassign", {"reason": "Sick"},
                    htmx=True)
    assert done.status_code == 200 and factory.count(Assignment) == 0
    assert factory.audited("assignment.delete") == 1
    assert factory.count(AuditEvent) > 0


def test_an_unassigned_reviewers_assignment_id_is_never_given_again(factory, app):
    """The audit trail names assignments by id: one id must never stand for two of them."""
    from sqlalchemy import select

    from workbench.db import db
    from workbench.models import Assignment
    from workbench.services import assignments as assignments_service
    from workbench.services import users as users_service

    article = factory.article()
    factory.user("rita")
    factory.assign(article, "rita")
    with app.app_context(), db.transaction() as s:
        first = s.scalar(select(Assignment.id))
        boss = users_service.get_user_by_name(s, "fixture-supervisor")
        assignments_service.unassign(s, boss, article, "rita", reason="wrong desk")
    factory.assign(article, "rita")
    with app.app_context(), db.transaction() as s:
        again = s.scalar(select(Assignment.id))
    assert again is not None and again > first
