"""The audit trail: written with every change, browsed and exported by supervisors, never edited."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import text

from workbench.db import make_engine


@pytest.fixture
def busy_article(api_as, factory):
    """An article where rita created, edited and deleted work; returns (article id, rita api)."""
    rita = api_as("rita")
    article_id = factory.article(body="Prices doubled in 2024.", title="Prices")
    factory.assign(article_id, "rita")
    created = rita.post(f"/articles/{article_id}/assertions",
                        json={"start": 0, "end": 6, "quote": "Prices", "tag": "sourced"}).json
    rita.patch(f"/assertions/{created['id']}", json={"note": "checked", "version": 1})
    evidence = rita.post(f"/assertions/{created['id']}/evidence",
                         json={"url": "https://example.org/x"}).json
    rita.delete(f"/evidence/{evidence['id']}")
    rita.delete(f"/assertions/{created['id']}")
    return article_id, rita


def test_every_change_writes_one_event_with_before_and_after(busy_article, api_as):
    article_id, _ = busy_article
    boss = api_as("sue", "supervisor")
    events = boss.get(f"/audit?article={article_id}&limit=100").json["items"]
    actions = [e["action"] for e in reversed(events)]
    assert actions == ["article.create", "assignment.create", "assertion.create",
                       "assertion.update", "evidence.create", "evidence.delete",
                       "assertion.delete"]
    update = next(e for e in events if e["action"] == "assertion.update")
    assert update["actor"] == "rita"
    assert update["before"]["note"] == "" and update["after"]["note"] == "checked"
    assert update["before"]["version"] == 1 and update["after"]["version"] == 2
    deleted = next(e for e in events if e["action"] == "assertion.delete")
    assert deleted["before"]["quote"] == "Prices" and deleted["after"] is None


def test_filters_and_keyset_pages(busy_article, api_as):
    _, _ = busy_article
    boss = api_as("sue", "supervisor")
    only_rita = boss.get("/audit?user=rita&limit=100").json["items"]
    assert only_rita and {e["actor"] for e in only_rita} == {"rita"}
    assertion_events = boss.get("/audit?action=assertion&limit=100").json["items"]
    assert {e["action"] for e in assertion_events} == {"assertion.create", "assertion.update",
                                                       "assertion.delete"}
    first = boss.get("/audit?limit=3").json
    second = boss.get(f"/audit?limit=3&cursor={first['next']}").json
    assert first["items"][-1]["id"] > second["items"][0]["id"]
    assert boss.get("/audit?since=2999-01-01").json["items"] == []
    assert boss.get("/audit?since=yesterday").status_code == 422
    assert boss.get("/audit?article=abc").json["error"]["field"] == "article"


def test_audit_page_and_exports(busy_article, page_as):
    article_id, _ = busy_article
    boss = page_as("sue", "supervisor")
    html = boss.get(f"/audit?article={article_id}").get_data(as_text=True)
    assert "assertion.update" in html and "rita" in html
    bad = boss.get("/audit?since=notadate")
    assert bad.status_code == 422
    assert 'id="since-error"' in bad.get_data(as_text=True)
    with boss.get(f"/audit/export.csv?article={article_id}") as response:
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["action"] for r in rows][:3] == ["article.create", "assignment.create",
                                               "assertion.create"]
    assert json.loads(rows[2]["after"])["quote"] == "Prices"
    with boss.get("/audit/export.jsonl?action=evidence") as response:
        lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [e["action"] for e in lines] == ["evidence.create", "evidence.delete"]


@pytest.mark.parametrize("query, field", [("article=abc", "article"), ("article=%EF%BC%91", "article"),
                                          ("since=2024-13-01", "since"), ("until=tomorrow", "until")])
def test_a_bad_filter_shows_its_error_and_no_events(busy_article, page_as, query, field):
    boss = page_as("sue", "supervisor")
    response = boss.get(f"/audit?{query}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and 'aria-invalid="true"' in html
    assert "<tbody>" not in html and "<code>assertion.update</code>" not in html  # no events
    assert "Correct the filter above to see events." in html


def test_audit_rows_name_users_and_show_the_quote_and_tag(busy_article, page_as, factory):
    article_id, _ = busy_article
    boss = page_as("sue", "supervisor")
    factory.user("newcomer")
    html = boss.get("/audit").get_data(as_text=True)
    assert "assertion “Prices” (" in html
    assert "user newcomer (reviewer)" in html
    assert "assignment of rita" in html
    assert not re.search(r">\s*user \d+", html)  # never "user 4"


def test_nobody_can_change_the_trail_through_the_app(busy_article, api_as, app):
    boss = api_as("ada", "admin")
    event_id = boss.get("/audit?limit=1").json["items"][0]["id"]
    for method in ("patch", "delete", "put"):
        response = getattr(boss.client, method)(f"/api/v1/audit/{event_id}",
                                                headers={"Authorization": f"Bearer {boss.token}"})
        assert response.status_code in (404, 405)
    assert boss.client.delete("/api/v1/audit",
                              headers={"Authorization": f"Bearer {boss.token}"}).status_code == 405


def test_the_database_refuses_to_update_or_delete_events(busy_article, database_url):
    engine = make_engine(database_url)
    try:
        for statement in ("UPDATE audit_events SET actor = 'someone else'",
                          "DELETE FROM audit_events"):
            with pytest.raises(Exception, match="append-only"):
                with engine.begin() as connection:
                    connection.execute(text(statement))
        with engine.connect() as connection:
            assert connection.execute(text(
                "SELECT count(*) FROM audit_events WHERE actor = 'rita'")).scalar() > 0
    finally:
        engine.dispose()


def test_refused_change_writes_no_event(api_as, factory):
    rita = api_as("rita")
    article_id = factory.article(body="Some text.", title="T")
    factory.assign(article_id, "rita")
    before = factory.audited("")
    response = rita.post(f"/articles/{article_id}/assertions",
                         json={"start": 0, "end": 4, "quote": "Nope", "tag": "sourced"})
    assert response.status_code == 422
    assert factory.audited("") == before


def test_user_and_token_changes_are_audited(page_as, api_as, factory):
    admin = page_as("ada", "admin")
    admin.refresh_csrf("/admin/users")
    response = admin.post("/admin/users", {"username": "newbie", "role": "reviewer"})
    assert response.status_code == 200
    assert "shown only now" in response.get_data(as_text=True)
    assert factory.audited("user.create") == 2  # ada herself, then newbie
    tokens_before = factory.audited("token.")
    rita = api_as("rita")
    token_id = rita.get("/tokens").json["items"][0]["id"]
    assert rita.delete(f"/tokens/{token_id}").status_code == 204
    assert factory.audited("token.") == tokens_before + 2  # created, revoked
    assert rita.get("/tokens").status_code == 401  # the revoked token no longer works


def test_the_htmx_filter_answers_with_the_fields_errors_too(busy_article, page_as):
    boss = page_as("sue", "supervisor")
    bad = boss.get("/audit?article=abc", headers={"HX-Request": "true"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "<html" not in html  # a fragment, and with it the form swapped out of band
    assert 'id="audit-filters"' in html and 'hx-swap-oob="true"' in html
    assert 'id="article-error"' in html
    good = boss.get("/audit?article=1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-swap-oob="true"' in good and 'id="article-error"' not in good
