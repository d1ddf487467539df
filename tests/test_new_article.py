"""Adding an article from the browser: paste, upload text/Markdown/HTML, preview, duplicates."""
from __future__ import annotations

import io

from workbench.models import Article

PAGE = b"""<!doctype html><html lang="en"><head><title>River report</title>
<meta name="author" content="Ann Lee"><meta property="og:site_name" content="Daily Example">
<meta property="article:published_time" content="2026-11-30">
<link rel="canonical" href="https://news.example.com/river"></head>
<body><nav>Home | World | Sport</nav><article><h1>River report</h1>
<p>The river is cleaner than ever, officials claimed on Monday in a statement to the press.</p>
<p>Nobody published the measurements that would support the claim, said the opposition.</p>
</article><footer>Subscribe now</footer></body></html>"""


def test_paste_preview_then_save(page_as, factory):  # type: ignore[no-untyped-def]
    sue = page_as("sue", "supervisor")
    sue.refresh_csrf("/articles/new")
    preview = sue.post("/articles/new", {"title": "Pasted", "body": "Cafe\u0301 line.\r\nNext.",
                                         "action": "preview"})
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "Caf\u00e9 line.\nNext." in html  # canonical: NFC and \n
    assert factory.count(Article) == 0
    saved = sue.post("/articles/new", {"title": "Pasted", "body": "Cafe\u0301 line.\r\nNext.",
                                       "action": "save"})
    assert saved.status_code == 302 and factory.count(Article) == 1
    again = sue.post("/articles/new", {"title": "Again", "body": "Café line.\nNext.",
                                       "action": "save"})
    assert again.status_code == 409
    assert "already stored" in again.get_data(as_text=True)
    assert saved.headers["Location"] in again.get_data(as_text=True)
    assert factory.count(Article) == 1


def test_html_upload_extracts_text_title_and_metadata(page_as, factory, api_as):  # type: ignore[no-untyped-def]
    sue = page_as("sue", "supervisor")
    sue.refresh_csrf("/articles/new")
    response = sue.client.post("/articles/new", data={
        "csrf_token": sue.csrf, "action": "save", "title": "", "body": "",
        "file": (io.BytesIO(PAGE), "river.html")}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    article_id = int(response.headers["Location"].rsplit("/", 1)[1])
    article = api_as("boss", "supervisor").get(f"/articles/{article_id}").json
    assert article["title"] == "River report"
    assert article["publisher"] == "Daily Example"
    assert article["published_at"] == "2026-11-30"
    assert article["source_url"] == "https://news.example.com/river"
    assert "officials claimed" in article["body"] and "Subscribe" not in article["body"]
    assert "Home | World" not in article["body"]


def test_bad_input_gets_a_message_beside_the_field(page_as, factory):  # type: ignore[no-untyped-def]
    sue = page_as("sue", "supervisor")
    sue.refresh_csrf("/articles/new")
    for data, field in (({"title": "", "body": "Text."}, "title"),
                        ({"title": "T", "body": "   "}, "body"),
                        ({"title": "T", "body": "Text.", "published_at": "30/11/2026"},
                         "published_at"),
                        ({"title": "T", "body": "Text.", "source_url": "ftp://x"}, "source_url"),
                        ({"title": "A\u2028B", "body": "Text."}, "title")):
        response = sue.post("/articles/new", {**data, "action": "save"})
        assert response.status_code == 422, data
        assert f'id="{field}-error"' in response.get_data(as_text=True), data
    bad = sue.client.post("/articles/new", data={
        "csrf_token": sue.csrf, "action": "save", "title": "", "body": "",
        "file": (io.BytesIO(b"\xff\xfe\x00bad"), "x.txt")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and 'id="file-error"' in bad.get_data(as_text=True)
    assert factory.count(Article) == 0
