"""Assertions and evidence through the JSON API: exact code-point spans, refusals, locking."""
from __future__ import annotations

import pytest

from workbench.models import Assertion, Evidence

TRICKY = ("Emoji 😀 then a nurse 👩‍⚕️, cafe\u0301 and "
          "\u200fقال الوزير\u200e\r\nThe claim: prices doubled in 2024.")


@pytest.fixture
def reviewer_api(api_as, factory):
    api = api_as("rita")
    article_id = factory.article(body=TRICKY, title="Tricky text")
    factory.assign(article_id, "rita")
    api.article_id = article_id
    return api


def phrase_offsets(api, phrase):
    body = api.get(f"/articles/{api.article_id}").json["body"]
    start = body.index(phrase)  # Python indexes code points
    return body, start, start + len(phrase)


def test_offsets_after_astral_characters_are_code_points(reviewer_api):
    api = reviewer_api
    body, start, end = phrase_offsets(api, "prices doubled")
    # UTF-16 would count the emoji and the nurse sequence as more units; we count code points.
    assert len(body[:start].encode("utf-16-le")) // 2 > start
    response = api.post(f"/articles/{api.article_id}/assertions",
                        json={"start": start, "end": end, "quote": "prices doubled",
                              "tag": "unsourced", "note": "No source given."})
    assert response.status_code == 201, response.json
    data = response.json
    assert (data["start"], data["end"], data["quote"]) == (start, end, "prices doubled")
    assert data["prefix"] == body[max(start - 32, 0):start]
    assert data["suffix"] == body[end:end + 32]
    assert data["reviewer"] == "rita"
    assert data["version"] == 1
    listed = api.get(f"/articles/{api.article_id}/assertions").json
    assert listed["items"][0]["id"] == data["id"]
    assert listed["next"] is None


def test_span_over_emoji_and_arabic(reviewer_api):
    api = reviewer_api
    for phrase in ("😀", "👩‍⚕️", "café", "قال الوزير"):
        _, start, end = phrase_offsets(api, phrase)
        response = api.post(f"/articles/{api.article_id}/assertions",
                            json={"start": start, "end": end, "quote": phrase, "tag": "opinion"})
        assert response.status_code == 201, (phrase, response.json)
        assert response.json["quote"] == phrase


def test_assertion_with_evidence_in_one_request(reviewer_api, factory):
    api = reviewer_api
    _, start, end = phrase_offsets(api, "The claim")
    response = api.post(f"/articles/{api.article_id}/assertions", json={
        "start": start, "end": end, "quote": "The claim", "tag": "sourced",
        "evidence": [{"url": "https://stats.example.org/prices", "stance": "refutes",
                      "title": "Price index"}]})
    assert response.status_code == 201
    evidence = response.json["evidence"]
    assert [(e["url"], e["stance"], e["added_by"]) for e in evidence] == [
        ("https://stats.example.org/prices", "refutes", "rita")]
    assert factory.count(Evidence) == 1


@pytest.mark.parametrize("change, field", [
    ({"start": 5, "end": 5}, "end"),
    ({"start": 9, "end": 3}, "end"),
    ({"start": 0, "end": 10_000}, "end"),
    ({"start": -1}, "start"),
    ({"quote": "not the text"}, "quote"),
    ({"tag": "false"}, "tag"),
    ({"tag": None}, "tag"),
    ({"evidence": [{"url": "javascript:alert(1)"}]}, "evidence[0].url"),
    ({"evidence": [{"url": "ftp://example.org/file"}]}, "evidence[0].url"),
    ({"evidence": [{"url": "https://example.org/" + "a" * 2048}]}, "evidence[0].url"),
    ({"evidence": [{"url": "https://example.org", "stance": "maybe"}]}, "evidence[0].stance"),
    ({"reviewer": "someone-else"}, "reviewer"),
    ({"start": "0"}, "start"),
])
def test_bad_assertion_input_is_422_and_nothing_written(reviewer_api, factory, change, field):
    api = reviewer_api
    payload = {"start": 0, "end": 5, "quote": "Emoji", "tag": "sourced"}
    payload.update(change)
    response = api.post(f"/articles/{api.article_id}/assertions", json=payload)
    assert response.status_code == 422, response.json
    assert response.json["error"]["field"] == field
    assert response.json["error"]["message"]
    assert factory.count(Assertion) == 0
    assert factory.count(Evidence) == 0
    assert factory.audited("assertion.") == factory.audited("evidence.") == 0


@pytest.mark.parametrize("missing", ["start", "end", "quote", "tag"])
def test_missing_field_is_422(reviewer_api, factory, missing):
    api = reviewer_api
    payload = {"start": 0, "end": 5, "quote": "Emoji", "tag": "sourced"}
    del payload[missing]
    response = api.post(f"/articles/{api.article_id}/assertions", json=payload)
    assert response.status_code == 422
    assert response.json["error"] == {"code": "missing", "field": missing,
                                      "message": f"{missing} is required."}
    assert factory.count(Assertion) == 0


def test_unknown_article_is_404(reviewer_api):
    response = reviewer_api.post("/articles/424242/assertions",
                                 json={"start": 0, "end": 1, "quote": "E", "tag": "sourced"})
    assert response.status_code == 404


def create(api, tag="sourced", end=5):
    """An assertion over the text's first ``end`` characters (a new ``end`` each time when
    several are wanted: the same span and tag twice is refused)."""
    body = api.get(f"/articles/{api.article_id}").json["body"]
    response = api.post(f"/articles/{api.article_id}/assertions",
                        json={"start": 0, "end": end, "quote": body[:end], "tag": tag})
    assert response.status_code == 201, response.json
    return response.json


def test_patch_changes_tag_and_note_and_bumps_version(reviewer_api):
    api = reviewer_api
    created = create(api)
    response = api.patch(f"/assertions/{created['id']}",
                         json={"tag": "opinion", "note": "Reads as commentary.", "version": 1})
    assert response.status_code == 200
    assert (response.json["tag"], response.json["note"], response.json["version"]) == (
        "opinion", "Reads as commentary.", 2)


def test_stale_patch_is_409_with_current_record_and_changes_nothing(reviewer_api):
    api = reviewer_api
    created = create(api)
    assert api.patch(f"/assertions/{created['id']}",
                     json={"note": "first", "version": 1}).status_code == 200
    stale = api.patch(f"/assertions/{created['id']}", json={"tag": "opinion", "version": 1})
    assert stale.status_code == 409
    assert stale.json["current"]["note"] == "first"
    assert stale.json["current"]["version"] == 2
    assert api.get(f"/assertions/{created['id']}").json["tag"] == "sourced"


@pytest.mark.parametrize("payload, field", [
    ({"tag": "opinion"}, "version"),
    ({"tag": "wrong", "version": 1}, "tag"),
    ({"article_id": 7, "version": 1}, "article_id"),
    ({"reviewer": "x", "version": 1}, "reviewer"),
])
def test_bad_patch_is_422(reviewer_api, payload, field):
    api = reviewer_api
    created = create(api)
    response = api.patch(f"/assertions/{created['id']}", json=payload)
    assert response.status_code == 422
    assert response.json["error"]["field"] == field
    assert api.get(f"/assertions/{created['id']}").json["version"] == 1


def test_delete_removes_assertion_and_its_evidence(reviewer_api, factory):
    api = reviewer_api
    created = create(api)
    evidence = api.post(f"/assertions/{created['id']}/evidence",
                        json={"url": "http://example.org/source", "stance": "supports"})
    assert evidence.status_code == 201
    assert api.delete(f"/assertions/{created['id']}").status_code == 204
    assert api.get(f"/assertions/{created['id']}").status_code == 404
    assert factory.count(Evidence) == 0
    assert api.delete(f"/assertions/{created['id']}").status_code == 404


def test_evidence_add_and_remove(reviewer_api, factory):
    api = reviewer_api
    created = create(api)
    response = api.post(f"/assertions/{created['id']}/evidence",
                        json={"url": "https://example.org/report", "title": "Report",
                              "note": "Table 3", "stance": "context"})
    assert response.status_code == 201
    assert response.json["added_by"] == "rita"
    assert api.get(f"/assertions/{created['id']}").json["evidence"][0]["title"] == "Report"
    assert api.delete(f"/evidence/{response.json['id']}").status_code == 204
    assert factory.count(Evidence) == 0
    assert api.delete(f"/evidence/{response.json['id']}").status_code == 404


@pytest.mark.parametrize("payload, field", [
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "data:text/html,hi"}, "url"),
    ({"url": "https://example.org/" + "x" * 2100}, "url"),
    ({"url": "https://exa mple.org"}, "url"),
    ({"title": "no url"}, "url"),
    ({"url": "https://example.org", "stance": "agrees"}, "stance"),
])
def test_bad_evidence_is_422_and_not_saved(reviewer_api, factory, payload, field):
    api = reviewer_api
    created = create(api)
    response = api.post(f"/assertions/{created['id']}/evidence", json=payload)
    assert response.status_code == 422
    assert response.json["error"]["field"] == field
    assert factory.count(Evidence) == 0


def test_list_of_assertions_paginates(reviewer_api):
    api = reviewer_api
    ids = [create(api, end=end)["id"] for end in (3, 4, 5)]
    first = api.get(f"/articles/{api.article_id}/assertions?limit=2").json
    assert [a["id"] for a in first["items"]] == ids[:2]
    second = api.get(f"/articles/{api.article_id}/assertions?limit=2&cursor={first['next']}").json
    assert [a["id"] for a in second["items"]] == ids[2:]
    assert second["next"] is None


def test_the_same_span_with_the_same_tag_twice_is_409_with_the_existing_id(reviewer_api, factory):
    api = reviewer_api
    _, start, end = phrase_offsets(api, "prices doubled")
    span = {"start": start, "end": end, "quote": "prices doubled", "tag": "unsourced"}
    first = api.post(f"/articles/{api.article_id}/assertions", json=span)
    assert first.status_code == 201
    count, events = factory.count(Assertion), factory.audited("assertion.create")
    again = api.post(f"/articles/{api.article_id}/assertions", json={**span, "note": "again"})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "duplicate"
    assert again.json["current"] == {"id": first.json["id"]}
    assert factory.count(Assertion) == count and factory.audited("assertion.create") == events
    # Another tag over the same characters, or another extent, is a different assertion.
    assert api.post(f"/articles/{api.article_id}/assertions",
                    json={**span, "tag": "opinion"}).status_code == 201
    assert api.post(f"/articles/{api.article_id}/assertions",
                    json={**span, "end": end - 1, "quote": "prices double"}).status_code == 201
    # Once deleted, the span may be saved again.
    assert api.delete(f"/assertions/{first.json['id']}").status_code == 204
    assert api.post(f"/articles/{api.article_id}/assertions", json=span).status_code == 201


def test_another_reviewer_may_save_the_same_span(reviewer_api, api_as, factory):
    api = reviewer_api
    _, start, end = phrase_offsets(api, "The claim")
    span = {"start": start, "end": end, "quote": "The claim", "tag": "sourced"}
    assert api.post(f"/articles/{api.article_id}/assertions", json=span).status_code == 201
    other = api_as("otto")
    factory.assign(api.article_id, "otto")
    assert other.post(f"/articles/{api.article_id}/assertions", json=span).status_code == 201
