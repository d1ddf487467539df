"""The admin's import page: the same all-or-nothing import as `workbench import`."""
from __future__ import annotations

import io
import json

from workbench.models import Article, Assertion

TEXT = "Prices doubled 😀 in 2024, the minister said. قال الوزير.\n"


def labelstudio_file(text: str, start: int, end: int, label: str = "Claim") -> bytes:
    return json.dumps([{"id": 1, "data": {"text": text}, "annotations": [{"result": [{
        "id": "r1", "from_name": "label", "to_name": "text", "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end],
                  "labels": [label]}}]}]}]).encode()


def post_files(page, files, **fields):  # type: ignore[no-untyped-def]
    data = {"csrf_token": page.csrf, **fields,
            "files": [(io.BytesIO(content), name) for name, content in files]}
    return page.client.post("/admin/import", data=data, content_type="multipart/form-data")


def test_a_label_studio_upload_imports_exact_spans(page_as, factory, api_as):  # type: ignore[no-untyped-def]
    admin = page_as("ada", "admin")
    admin.refresh_csrf("/admin/import")
    start = TEXT.index("in 2024")
    response = post_files(admin, [("tasks.json", labelstudio_file(TEXT, start, start + 7))],
                          map="Claim=unsourced")
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    assert "assertions: 1 created" in response.get_data(as_text=True)
    boss = api_as("boss", "supervisor")
    article_id = boss.get("/articles").json["items"][0]["id"]
    [span] = boss.get(f"/articles/{article_id}/assertions").json["items"]
    assert (span["quote"], span["tag"], span["reviewer"]) == ("in 2024", "unsourced", "ada")
    again = post_files(admin, [("tasks.json", labelstudio_file(TEXT, start, start + 7))],
                       map="Claim=unsourced")
    assert "Nothing new" in again.get_data(as_text=True)
    assert factory.count(Assertion) == 1


def test_a_bad_file_writes_nothing_and_lists_the_line(page_as, factory):  # type: ignore[no-untyped-def]
    admin = page_as("ada", "admin")
    admin.refresh_csrf("/admin/import")
    start = TEXT.index("in 2024")
    bad = json.loads(labelstudio_file(TEXT, start, start + 7))
    bad[0]["annotations"][0]["result"][0]["value"]["text"] = "in 2025"  # not the text there
    good = ("articles.jsonl", json.dumps({"title": "Fine", "body": "A fine text."}).encode())
    response = post_files(admin, [good, ("tasks.json", json.dumps(bad).encode())],
                          map="Claim=unsourced")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was imported" in html and "tasks.json:1" in html
    assert factory.count(Article) == 0
    unknown = post_files(admin, [("tasks.json", labelstudio_file(TEXT, start, start + 7,
                                                               "Rumour"))])
    assert unknown.status_code == 422 and "Rumour" in unknown.get_data(as_text=True)
    assert page_as("sue", "supervisor").get("/admin/import").status_code == 404


def test_articles_uploaded_are_found_by_search_once_the_page_answers(page_as, api_as, monkeypatch):  # type: ignore[no-untyped-def]
    from workbench.services import articles as articles_service

    monkeypatch.setattr(articles_service, "SEARCH_INDEX_BATCH", 2)  # several transactions
    admin = page_as("ada", "admin")
    admin.refresh_csrf("/admin/import")
    lines = "".join(json.dumps({"title": f"Story {n}", "body": f"Zeppelins, report {n}."}) + "\n"
                    for n in range(5))
    response = post_files(admin, [("articles.jsonl", lines.encode())])
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    boss = api_as("boss", "supervisor")
    found = sorted(a["title"] for a in boss.get("/articles?q=zeppelins").json["items"])
    assert found == [f"Story {n}" for n in range(5)]
