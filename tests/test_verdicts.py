"""Verdicts, ratings, the report page and the public page with ClaimReview JSON-LD."""
from __future__ import annotations

import json
import re

import pytest
from pyld import jsonld

from tests.conftest import ApiClient
from workbench.models import AssertionRating, Verdict

BODY = ("The river is cleaner than ever, officials claimed. Nobody published the "
        "measurements. قال الوزير إن الأسعار تضاعفت 👨‍👩‍👧.\n")


@pytest.fixture
def reviewed(factory, app):  # type: ignore[no-untyped-def]
    article_id = factory.article(body=BODY, title="River report", publisher="Daily Example",
                                 source_url="https://news.example.com/river")
    factory.user("sue", "supervisor")
    factory.user("ann")
    factory.assign(article_id, "ann")
    ann = ApiClient(app.test_client(), factory.token("ann"))
    sue = ApiClient(app.test_client(), factory.token("sue"))
    ids = {}
    for phrase, tag in (("The river is cleaner than ever", "unsourced"),
                        ("officials claimed", "sourced"),
                        ("Nobody published the measurements.", "sourced"),
                        ("قال الوزير", "opinion")):
        start = BODY.index(phrase)
        response = ann.post(f"/articles/{article_id}/assertions", json={
            "start": start, "end": start + len(phrase), "quote": phrase, "tag": tag})
        assert response.status_code == 201
        ids[phrase] = response.json["id"]
    return article_id, sue, ann, ids


def test_verdict_paths(reviewed, factory):  # type: ignore[no-untyped-def]
    article_id, sue, ann, _ = reviewed
    url = f"/articles/{article_id}/verdict"
    assert sue.get(url).status_code == 404  # none yet
    unknown = sue.put(url, json={"rating": "excellent", "summary": "x"})
    assert unknown.status_code == 422
    assert "well sourced, partly sourced, poorly sourced, opinion piece" in \
        unknown.json["error"]["message"]
    assert factory.count(Verdict) == 0
    made = sue.put(url, json={"rating": "poorly sourced", "summary": "No data behind it."})
    assert made.status_code == 200, made.json
    assert made.json["state"] == "draft" and made.json["version"] == 1
    assert made.json["public_url"] is None
    assert ann.get(url).status_code == 404  # a draft is not shown to reviewers
    assert ann.put(url, json={"rating": "well sourced"}).status_code == 404
    stale = sue.put(url, json={"rating": "partly sourced", "version": 7})
    assert stale.status_code == 409 and stale.json["current"]["rating"] == "poorly sourced"
    missing_version = sue.put(url, json={"rating": "partly sourced"})
    assert missing_version.status_code == 409
    published = sue.put(url, json={"rating": "partly sourced", "summary": "Half of it.",
                                   "state": "published", "version": 1})
    assert published.status_code == 200 and published.json["version"] == 2
    assert published.json["public_url"].startswith("http://localhost/r/")
    assert ann.get(url).json["rating"] == "partly sourced"
    assert factory.audited("verdict.") == 2


def test_rating_paths(reviewed, factory):  # type: ignore[no-untyped-def]
    article_id, sue, ann, ids = reviewed
    target = ids["The river is cleaner than ever"]
    url = f"/assertions/{target}/rating"
    bad = sue.put(url, json={"rating": "sort of"})
    assert bad.status_code == 422 and "accurate, misleading, false, unverifiable" in \
        bad.json["error"]["message"]
    assert ann.put(url, json={"rating": "false"}).status_code == 404
    assert factory.count(AssertionRating) == 0
    rated = sue.put(url, json={"rating": "false", "explanation": "Tests show pollution."})
    assert rated.status_code == 200 and rated.json["version"] == 1
    assert sue.put(url, json={"rating": "misleading", "version": 5}).status_code == 409
    again = sue.put(url, json={"rating": "misleading", "version": 1})
    assert again.status_code == 200 and again.json["version"] == 2
    assert sue.get(url).json["rating"] == "misleading"
    assert sue.put("/assertions/999999/rating", json={"rating": "false"}).status_code == 404


def _ld_blocks(html: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]


def _offline_loader(url, options=None):  # type: ignore[no-untyped-def]
    # No network here: schema.org's context amounts to its vocabulary.
    assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": {"@context": {"@vocab": "https://schema.org/"}}}


def test_report_numbers_and_the_public_page(reviewed, app, page_as, factory):  # type: ignore[no-untyped-def]
    article_id, sue, _, ids = reviewed
    sue.put(f"/assertions/{ids['The river is cleaner than ever']}/rating",
            json={"rating": "false", "explanation": "Tests show pollution."})
    sue.put(f"/assertions/{ids['officials claimed']}/rating", json={"rating": "accurate"})
    page = page_as("sue", create=False)
    html = page.get(f"/articles/{article_id}/report").get_data(as_text=True)
    assert "One reviewer&#39;s work; not adjudicated." in html or \
        "One reviewer's work; not adjudicated." in html
    # 1 unsourced of 3 factual (2 sourced + 1 unsourced): 33%.
    assert "<strong>33%</strong>" in html
    assert "Rating: false" in html and "قال الوزير" in html
    assert page_as("ann", create=False).get(f"/articles/{article_id}/report").status_code == 404
    published = sue.put(f"/articles/{article_id}/verdict", json={
        "rating": "poorly sourced", "summary": "Claims without data.", "state": "published"})
    public_path = published.json["public_url"].removeprefix("http://localhost")
    anonymous = app.test_client()
    public = anonymous.get(public_path)
    assert public.status_code == 200
    text = public.get_data(as_text=True)
    assert "Claims without data." in text and "ann" not in text.split("<footer")[1]
    reviews = _ld_blocks(text)
    assert len(reviews) == 2
    for review in reviews:
        expanded = jsonld.expand(review, {"documentLoader": _offline_loader})[0]
        s = "https://schema.org/"
        assert expanded["@type"] == [s + "ClaimReview"]
        for key in ("claimReviewed", "reviewRating", "author", "datePublished", "url",
                    "itemReviewed"):
            assert s + key in expanded, key
        rating = expanded[s + "reviewRating"][0]
        for key in ("ratingValue", "bestRating", "worstRating", "alternateName"):
            assert s + key in rating, key
        author = expanded[s + "author"][0]
        assert author["@type"] == [s + "Organization"] and s + "url" in author
        claim = expanded[s + "itemReviewed"][0]
        assert claim["@type"] == [s + "Claim"]
        appearance = claim[s + "appearance"][0]
        assert appearance[s + "url"][0]["@value"] == "https://news.example.com/river"
    by_claim = {r["claimReviewed"]: r["reviewRating"] for r in reviews}
    assert by_claim["The river is cleaner than ever"] == {
        "@type": "Rating", "ratingValue": 2, "bestRating": 4, "worstRating": 1,
        "alternateName": "false"}
    # Unpublishing takes it down at once.
    version = published.json["version"]
    sue.put(f"/articles/{article_id}/verdict", json={"rating": "poorly sourced",
                                                     "state": "draft", "version": version})
    assert anonymous.get(public_path).status_code == 404
    assert anonymous.get("/r/not-a-real-slug").status_code == 404


def test_verdict_form_errors_beside_the_field(reviewed, page_as, factory):  # type: ignore[no-untyped-def]
    article_id, _, _, _ = reviewed
    page = page_as("sue", create=False)
    page.refresh_csrf(f"/articles/{article_id}/report")
    refused = page.post(f"/articles/{article_id}/verdict", {"rating": "great", "summary": "x"})
    assert refused.status_code == 422
    assert 'id="rating-error"' in refused.get_data(as_text=True)
    assert factory.count(Verdict) == 0
    done = page.post(f"/articles/{article_id}/verdict",
                     {"rating": "partly sourced", "summary": "Some of it.", "state": "draft"})
    assert done.status_code == 302 and factory.count(Verdict) == 1


def test_the_scales_are_settings(reviewed, page_as, factory):  # type: ignore[no-untyped-def]
    article_id, sue, _, _ = reviewed
    admin = page_as("ada", "admin")
    admin.refresh_csrf("/admin/settings")
    bad = admin.post("/admin/settings", {"verdict_scale": "only one", "rating_scale": "a\nb"})
    assert bad.status_code == 422 and "2 to 12 ratings" in bad.get_data(as_text=True)
    ok = admin.post("/admin/settings", {"verdict_scale": "solid\nshaky\nhollow",
                                        "rating_scale": "true\nfalse"})
    assert ok.status_code == 200
    assert sue.put(f"/articles/{article_id}/verdict",
                   json={"rating": "shaky"}).status_code == 200


def test_the_pdf_holds_the_title_the_verdict_and_the_quotes(reviewed, page_as, app):  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    article_id, sue, _, ids = reviewed
    published = sue.put(f"/articles/{article_id}/verdict", json={
        "rating": "poorly sourced", "summary": "Claims without data.", "state": "published"})
    page = page_as("sue", create=False)
    response = page.get(f"/articles/{article_id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    text = " ".join(p.extract_text() for p in reader.pages)
    flat = " ".join(text.split())
    assert "River report" in flat and "poorly sourced" in flat
    assert "Nobody published the measurements." in flat
    assert "Page 1 of" in flat
    links = [a.get_object().get("/A", {}).get("/URI") for p in reader.pages
             for a in p.get("/Annots", []) or []]
    assert "https://news.example.com/river" in links
    public = published.json["public_url"].removeprefix("http://localhost")
    anonymous = app.test_client().get(public + ".pdf")
    assert anonymous.status_code == 200 and anonymous.get_data().startswith(b"%PDF")
    assert page_as("ann", create=False).get(
        f"/articles/{article_id}/report.pdf").status_code == 404


def test_project_report_and_its_downloads(reviewed, page_as, factory):  # type: ignore[no-untyped-def]
    import csv
    import io

    from openpyxl import load_workbook

    article_id, sue, _, _ = reviewed
    other = factory.article(body="=HYPERLINK(\"http://evil.example\") text.\n",
                            title="=HYPERLINK(\"http://evil.example\")")
    sue.put(f"/articles/{article_id}/verdict", json={"rating": "poorly sourced"})
    page = page_as("sue", create=False)
    html = page.get("/reports").get_data(as_text=True)
    assert "River report" in html and "poorly sourced" in html and "33%" in html
    rows = list(csv.reader(io.StringIO(page.get("/reports/export.csv").get_data(as_text=True))))
    assert rows[0][:3] == ["article_id", "title", "publisher"]
    by_id = {int(r[0]): r for r in rows[1:]}
    assert by_id[article_id][3:8] == ["", "2", "1", "1", "0.3333"]
    assert by_id[article_id][10:] == ["poorly sourced", "draft"]
    # The formula is neutralised, and its text survives the round trip.
    assert by_id[other][1] == "'=HYPERLINK(\"http://evil.example\")"
    book = load_workbook(io.BytesIO(page.get("/reports/export.xlsx").get_data()))
    cells = [[c.value for c in row] for row in book.active.iter_rows()]
    assert cells[0] == rows[0]
    titles = {row[0]: row[1] for row in cells[1:]}
    assert titles[other] == "'=HYPERLINK(\"http://evil.example\")"
    assert titles[article_id] == "River report"
    filtered = page.get("/reports/export.csv", query_string={"q": "river"}).get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(filtered)))) == 2
    assert page_as("ann", create=False).get("/reports").status_code == 404


def test_the_report_shows_how_reviewers_agreed(reviewed, factory, app, page_as):  # type: ignore[no-untyped-def]
    article_id, sue, ann, _ = reviewed
    factory.user("bob")
    factory.assign(article_id, "bob")
    bob = ApiClient(app.test_client(), factory.token("bob"))
    phrase = "officials claimed"
    start = BODY.index(phrase)
    assert bob.post(f"/articles/{article_id}/assertions", json={
        "start": start, "end": start + len(phrase), "quote": phrase,
        "tag": "sourced"}).status_code == 201
    page = page_as("sue", create=False)
    html = page.get(f"/articles/{article_id}/report").get_data(as_text=True)
    assert "How the" not in html  # nobody has submitted yet: no figures to show
    for client in (ann, bob):
        assert client.post(f"/articles/{article_id}/submit").status_code == 200
    html = page.get(f"/articles/{article_id}/report").get_data(as_text=True)
    assert "How the 2 reviewers agreed" in html
    figures = sue.get(f"/articles/{article_id}/agreement").json["measures"]
    f1 = figures["span_f1"]["overlap"]["f1"]["value"]
    assert f"{f1:.2f}" in html  # the same figure as the agreement API


def test_claimreview_export_holds_the_public_reports_claims(reviewed, app):  # type: ignore[no-untyped-def]
    article_id, sue, _, ids = reviewed
    sue.put(f"/assertions/{ids['The river is cleaner than ever']}/rating", json={"rating": "false"})
    empty = sue.get("/export/claimreview")
    assert empty.status_code == 200 and empty.get_data(as_text=True) == ""  # nothing published
    published = sue.put(f"/articles/{article_id}/verdict",
                        json={"rating": "poorly sourced", "state": "published"}).json
    lines = sue.get("/export/claimreview").get_data(as_text=True).splitlines()
    [review] = [json.loads(line) for line in lines]
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == "The river is cleaner than ever"
    assert review["url"].startswith(published["public_url"] + "#assertion-")
    assert review["reviewRating"]["alternateName"] == "false"
    single = sue.get(f"/articles/{article_id}/export/claimreview").get_data(as_text=True)
    assert single.splitlines() == lines


def test_the_verdict_beside_the_text(reviewed, page_as, factory):  # type: ignore[no-untyped-def]
    article_id, sue_api, _, _ = reviewed
    sue, ann = page_as("sue", create=False), page_as("ann", create=False)
    url = f"/articles/{article_id}"
    html = sue.get(url).get_data(as_text=True)
    assert 'id="verdict-heading"' in html and "No verdict yet." in html
    assert '<input type="hidden" name="back" value="article">' in html
    assert 'id="verdict-heading"' not in ann.get(url).get_data(as_text=True)
    # A refusal comes back on the article page, beside the field, and writes nothing.
    refused = sue.post(f"{url}/verdict", {"rating": "excellent", "summary": "x", "back": "article"})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'id="article-body"' in body and 'aria-describedby="rating-error"' in body
    assert factory.count(Verdict) == 0
    saved = sue.post(f"{url}/verdict", {"rating": "poorly sourced", "summary": "No data.",
                                       "state": "draft", "back": "article"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{url}#verdict")
    html = sue.get(url).get_data(as_text=True)
    assert "<strong>poorly sourced</strong>" in html and ">No data.</textarea>" in html
    # A reviewer does not see a draft, nor may write one.
    draft_view = ann.get(url).get_data(as_text=True)
    assert "poorly sourced" not in draft_view and "No data." not in draft_view
    assert ann.post(f"{url}/verdict", {"rating": "well sourced", "back": "article"}).status_code == 404
    # Once it is published, the reviewer reads it beside the text (without the form).
    assert sue.post(f"{url}/verdict", {"rating": "poorly sourced", "summary": "No data.",
                                       "state": "published", "version": "1",
                                       "back": "article"}).status_code == 302
    published = ann.get(url).get_data(as_text=True)
    assert "<strong>poorly sourced</strong>" in published and '<p dir="auto">No data.</p>' in published
    assert 'action="/articles/%d/verdict"' % article_id not in published
    # Unpublished again: gone from the reviewer's page at once.
    sue_api.put(f"/articles/{article_id}/verdict", json={"rating": "poorly sourced",
                                                         "state": "draft", "version": 2})
    assert "poorly sourced" not in ann.get(url).get_data(as_text=True)
