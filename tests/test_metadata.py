"""Editing an article's metadata (title, source URL, publisher, published date, language) on the
article page and through the API: supervisors only, checked as at creation, audited with the
values before and after, refused when stale, the body never touched."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from tests.test_bad_input import snapshot
from workbench.db import db
from workbench.models import Article, AuditEvent

BODY = "Prices doubled in 2024, the minister said.\n"
VERSION = re.compile(r'name="version" value="([0-9a-f]+)"')


@pytest.fixture
def article_id(factory):  # type: ignore[no-untyped-def]
    return factory.article(body=BODY, title="this MaliFacing a threat", publisher="Old Press",
                           published_at=date(2026, 1, 5), language="en")


def stored(app, article_id):  # type: ignore[no-untyped-def]
    with app.app_context():
        article = db.session.get(Article, article_id)
        return {"title": article.title, "source_url": article.source_url,
                "publisher": article.publisher, "published_at": article.published_at,
                "language": article.language, "body": article.body}


def form_of(page, article_id):  # type: ignore[no-untyped-def]
    html = page.get(f"/articles/{article_id}").get_data(as_text=True)
    return html, VERSION.search(html).group(1)


NEW = {"title": "Facing a persistent threat", "source_url": "https://example.org/mali",
       "publisher": "Le Monde", "published_at": "2026-02-01", "language": "fr"}


@pytest.mark.parametrize("htmx", [False, True])
def test_a_supervisor_edits_the_details_and_the_audit_keeps_before_and_after(
        app, page_as, factory, article_id, htmx):
    page = page_as("sue", "supervisor")
    page.refresh_csrf(f"/articles/{article_id}")
    html, version = form_of(page, article_id)
    assert "Edit details" in html and 'name="published_at" type="date" value="2026-01-05"' in html
    response = page.post(f"/articles/{article_id}/metadata", {**NEW, "version": version},
                         htmx=htmx)
    if htmx:
        assert response.status_code == 200
        fragment = response.get_data(as_text=True)
        assert fragment.lstrip().startswith('<div id="workspace"')
        assert "Details saved." in fragment and "Facing a persistent threat" in fragment
    else:
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/articles/{article_id}#article-details")
    assert stored(app, article_id) == {**NEW, "published_at": date(2026, 2, 1), "body": BODY}
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "article.update"))
    assert event.article_id == article_id and event.actor == "sue"
    assert event.before == {"title": "this MaliFacing a threat", "source_url": None,
                            "publisher": "Old Press", "published_at": "2026-01-05",
                            "language": "en"}
    assert event.after == NEW
    from workbench.services.audit import describe

    assert describe(event) == "article “Facing a persistent threat”"
    # Emptying the optional fields clears them.
    _, version = form_of(page, article_id)
    cleared = {"title": "Kept", "source_url": "", "publisher": "", "published_at": "",
               "language": ""}
    assert page.post(f"/articles/{article_id}/metadata",
                     {**cleared, "version": version}).status_code == 302
    assert stored(app, article_id) == {"title": "Kept", "source_url": None, "publisher": None,
                                       "published_at": None, "language": None, "body": BODY}


@pytest.mark.parametrize("field, value, message", [
    ("title", "", "A title is required."),
    ("title", "Two\nlines", "A title is one line."),
    ("source_url", "javascript:alert(1)", "Only http:// and https:// links are accepted."),
    ("publisher", "P" * 201, "A publisher may have at most 200 characters."),
    ("published_at", "2026-02-30", "A date is written 2026-11-30"),
    ("published_at", "２０２６-01-01", "A date is written 2026-11-30"),
    ("language", "fr_FR", "Language must be a language tag"),
])
def test_a_bad_value_gets_its_message_beside_the_field_and_writes_nothing(
        app, page_as, article_id, field, value, message):
    page = page_as("sue", "supervisor")
    page.refresh_csrf(f"/articles/{article_id}")
    _, version = form_of(page, article_id)
    before = snapshot(app)
    for htmx in (False, True):
        response = page.post(f"/articles/{article_id}/metadata",
                             {**NEW, field: value, "version": version}, htmx=htmx)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        error = re.search(rf'<span class="field-error" id="meta-{field}-error">([^<]+)</span>',
                          html)
        assert error and error.group(1).startswith(message), html[-3000:]
        assert f'aria-describedby="meta-{field}-error"' in html
        assert "<details id=\"article-details\" class=\"article-details\" tabindex=\"-1\" open>" \
            in html
    assert snapshot(app) == before


def test_a_stale_form_is_refused_with_the_current_values(app, page_as, article_id):
    sue, sam = page_as("sue", "supervisor"), page_as("sam", "supervisor")
    for page in (sue, sam):
        page.refresh_csrf(f"/articles/{article_id}")
    _, version = form_of(sue, article_id)
    assert sam.post(f"/articles/{article_id}/metadata",
                    {**NEW, "title": "Sam's title", "version": version}).status_code == 302
    before = snapshot(app)
    response = sue.post(f"/articles/{article_id}/metadata", {**NEW, "version": version})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone changed this article&#39;s details since you opened them" in html
    assert 'name="title" value="Sam&#39;s title"' in html
    assert snapshot(app) == before


def test_reviewers_may_not_edit_details(app, page_as, factory, article_id):
    rita = page_as("rita")
    factory.assign(article_id, "rita")
    rita.refresh_csrf(f"/articles/{article_id}")
    assert "Edit details" not in rita.get(f"/articles/{article_id}").get_data(as_text=True)
    before = snapshot(app)
    assert rita.post(f"/articles/{article_id}/metadata",
                     {**NEW, "version": "x"}).status_code == 403
    assert snapshot(app) == before


def test_the_api_patches_metadata_with_the_version_it_read(app, api_as, factory, article_id):
    sue = api_as("sue", "supervisor")
    current = sue.get(f"/articles/{article_id}").json
    patched = sue.patch(f"/articles/{article_id}", json={
        "version": current["version"], "publisher": "Le Monde", "published_at": "2026-02-01"})
    assert patched.status_code == 200, patched.json
    assert patched.json["publisher"] == "Le Monde" and patched.json["published_at"] == "2026-02-01"
    assert patched.json["title"] == current["title"] and patched.json["body"] == BODY
    assert patched.json["version"] != current["version"]
    before = snapshot(app)
    stale = sue.patch(f"/articles/{article_id}", json={"version": current["version"],
                                                       "title": "Late"})
    assert stale.status_code == 409
    assert stale.json["current"]["publisher"] == "Le Monde"
    assert stale.json["current"]["version"] == patched.json["version"]
    bad = sue.patch(f"/articles/{article_id}", json={"version": patched.json["version"],
                                                     "language": "fr_FR"})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "language"
    body = sue.patch(f"/articles/{article_id}", json={"version": patched.json["version"],
                                                      "body": "New text"})
    assert body.status_code == 422
    assert snapshot(app) == before
    rita = api_as("rita")
    assert rita.patch(f"/articles/{article_id}", json={
        "version": patched.json["version"], "title": "Mine"}).status_code == 404
    factory.assign(article_id, "rita")
    assert rita.patch(f"/articles/{article_id}", json={
        "version": patched.json["version"], "title": "Mine"}).status_code == 403
