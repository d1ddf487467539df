"""The article endpoints of the JSON API: canonical storage, listing, search and refusals."""
from __future__ import annotations

import hashlib

import pytest

from workbench.models import Article


def test_supervisor_stores_article_with_canonical_body(api_as, factory):
    api = api_as("sue", "supervisor")
    body = "Cafe\u0301 line one\r\nline two\rline three 😀"
    response = api.post("/articles", json={"title": "Canonical", "body": body,
                                           "source_url": "https://example.org/a",
                                           "published_at": "2026-11-20", "language": "fr"})
    assert response.status_code == 201, response.json
    data = response.json
    assert data["body"] == "Café line one\nline two\nline three 😀"
    assert data["content_hash"] == hashlib.sha256(data["body"].encode()).hexdigest()
    assert data["published_at"] == "2026-11-20"
    assert response.headers["Location"].endswith(f"/api/v1/articles/{data['id']}")
    assert api.get(f"/articles/{data['id']}").json["body"] == data["body"]
    assert factory.audited("article.") == 1


def test_reviewer_cannot_store_articles(api_as, factory):
    api = api_as("rita")
    response = api.post("/articles", json={"title": "x", "body": "y"})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert factory.count(Article) == 0


@pytest.mark.parametrize("payload, field", [
    ({"body": "text"}, "title"),
    ({"title": "t"}, "body"),
    ({"title": "t", "body": "   \n "}, "body"),
    ({"title": "t", "body": "b", "source_url": "ftp://example.org/x"}, "source_url"),
    ({"title": "t", "body": "b", "source_url": "javascript:alert(1)"}, "source_url"),
    ({"title": "t", "body": "b", "published_at": "yesterday"}, "published_at"),
    ({"title": "t", "body": "b", "language": "not a language"}, "language"),
    ({"title": "t", "body": "b", "id": 5}, "id"),
    ({"title": 5, "body": "b"}, "title"),
])
def test_bad_article_input_is_refused_and_nothing_written(api_as, factory, payload, field):
    api = api_as("sue", "supervisor")
    response = api.post("/articles", json=payload)
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["field"] == field
    assert error["message"]
    assert factory.count(Article) == 0
    assert factory.audited("article.") == 0


def test_body_over_two_megabytes_is_413(api_as, factory):
    api = api_as("sue", "supervisor")
    response = api.post("/articles", json={"title": "Big", "body": "é" * (1024 * 1024 + 1)})
    assert response.status_code == 413
    assert response.json["error"]["field"] == "body"
    assert factory.count(Article) == 0


def test_invalid_utf8_is_400(api_as, factory):
    api = api_as("sue", "supervisor")
    response = api.raw("POST", "/articles", b'{"title": "t", "body": "\xff\xfe"}')
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_utf8"
    assert factory.count(Article) == 0


def test_malformed_json_is_400(api_as):
    api = api_as("sue", "supervisor")
    response = api.raw("POST", "/articles", b'{"title": ')
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_duplicate_text_is_a_conflict(api_as, factory):
    api = api_as("sue", "supervisor")
    first = api.post("/articles", json={"title": "One", "body": "Same\ntext."})
    second = api.post("/articles", json={"title": "Two", "body": "Same\r\ntext."})
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json["current"]["id"] == first.json["id"]
    assert factory.count(Article) == 1


def test_unknown_article_is_404(api_as):
    api = api_as("sue", "supervisor")
    assert api.get("/articles/999999").status_code == 404


def test_missing_or_bad_token_is_401(app):
    client = app.test_client()
    assert client.get("/api/v1/articles").status_code == 401
    response = client.get("/api/v1/articles", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_list_is_keyset_paginated_newest_first(api_as, factory):
    api = api_as("sue", "supervisor")
    ids = [factory.article(body=f"Article number {i}.", title=f"Title {i}") for i in range(5)]
    first = api.get("/articles?limit=2").json
    assert [a["id"] for a in first["items"]] == ids[::-1][:2]
    second = api.get(f"/articles?limit=2&cursor={first['next']}").json
    assert [a["id"] for a in second["items"]] == ids[::-1][2:4]
    third = api.get(f"/articles?limit=2&cursor={second['next']}").json
    assert [a["id"] for a in third["items"]] == ids[:1]
    assert third["next"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=abc", "cursor=xyz"])
def test_bad_paging_is_422(api_as, query):
    api = api_as("sue", "supervisor")
    response = api.get(f"/articles?{query}")
    assert response.status_code == 422
    assert response.json["error"]["field"] in ("limit", "cursor")


def test_search_matches_words_in_title_and_body(api_as, factory):
    api = api_as("sue", "supervisor")
    drones = factory.article(title="Drones for Mali", body="A partnership was signed.")
    bamako = factory.article(title="Another", body="Bamako accused its neighbour of interference.")
    factory.article(title="Weather", body="Rain tomorrow.")
    assert [a["id"] for a in api.get("/articles?q=drones").json["items"]] == [drones]
    assert [a["id"] for a in api.get("/articles?q=interference").json["items"]] == [bamako]
    assert api.get("/articles?q=nothing-like-this").json["items"] == []


def test_search_finds_arabic_text(api_as, factory):
    api = api_as("sue", "supervisor")
    arabic = factory.article(title="خبر", body="قال الوزير إن الاتفاق سيوقع غدا.")
    factory.article(title="Other", body="Nothing here.")
    assert [a["id"] for a in api.get("/articles?q=الوزير").json["items"]] == [arabic]


def test_list_counts_tags_and_reviewers_as_the_caller_may_see_them(api_as, factory):
    boss = api_as("sue", "supervisor")
    rita, omar = api_as("rita"), api_as("omar")
    article_id = factory.article(body="Prices doubled in 2024, the minister said.", title="T")
    factory.assign(article_id, "rita")
    factory.assign(article_id, "omar")
    for api, tag in ((rita, "sourced"), (rita, "opinion"), (omar, "sourced")):
        assert api.post(f"/articles/{article_id}/assertions", json={
            "start": 0, "end": 6, "quote": "Prices", "tag": tag}).status_code == 201
    everyone = boss.get("/articles").json["items"][0]
    assert everyone["tag_counts"] == {"sourced": 2, "unsourced": 0, "opinion": 1}
    assert everyone["reviewers"] == 2
    own = rita.get("/articles").json["items"][0]
    assert own["tag_counts"] == {"sourced": 1, "unsourced": 0, "opinion": 1}
    assert own["reviewers"] == 1
