"""Adjudication: the supervisor settles reviewers' assertions into a versioned consensus set."""
from __future__ import annotations

import pytest

from tests.conftest import ApiClient
from workbench.models import Adjudication, Assertion

BODY = "Prices doubled in 2024. The minister said so. 👨‍👩‍👧 families paid more.\n"


@pytest.fixture
def disputed(factory, app):  # type: ignore[no-untyped-def]
    article_id = factory.article(body=BODY, title="Disputed")
    factory.user("sue", "supervisor")
    for name in ("ann", "bob"):
        factory.user(name)
        factory.assign(article_id, name)
    ann = ApiClient(app.test_client(), factory.token("ann"))
    bob = ApiClient(app.test_client(), factory.token("bob"))
    sue = ApiClient(app.test_client(), factory.token("sue"))

    def tag(client, phrase, tag_name, **extra):  # type: ignore[no-untyped-def]
        start = BODY.index(phrase)
        response = client.post(f"/articles/{article_id}/assertions", json={
            "start": start, "end": start + len(phrase), "quote": phrase, "tag": tag_name,
            **extra})
        assert response.status_code == 201, response.json
        return response.json["id"]

    ids = {"ann_prices": tag(ann, "Prices doubled", "unsourced",
                             evidence=[{"url": "https://stats.example/cpi",
                                        "stance": "refutes"}]),
           "bob_prices": tag(bob, "Prices doubled in 2024", "sourced"),
           "bob_minister": tag(bob, "The minister said so.", "opinion")}
    for client in (ann, bob):
        assert client.post(f"/articles/{article_id}/submit").status_code == 200
    return article_id, sue, ann, ids


def test_decisions_build_a_versioned_consensus(disputed, factory):  # type: ignore[no-untyped-def]
    article_id, sue, ann, ids = disputed
    url = f"/articles/{article_id}/consensus"
    assert sue.get(url).json == {"article_id": article_id, "version": 0, "items": [],
                                 "decisions": []}
    accepted = sue.post(url, json={"action": "accept", "assertions": [ids["ann_prices"]],
                                   "reason": "The figure has no source."})
    assert accepted.status_code == 201, accepted.json
    assert accepted.json["version"] == 1
    result = accepted.json["result"]
    assert (result["quote"], result["tag"], result["reviewer"]) == ("Prices doubled",
                                                                     "unsourced", "sue")
    assert [e["url"] for e in result["evidence"]] == ["https://stats.example/cpi"]
    merged = sue.post(url, json={"action": "merge", "reason": "Same claim, wider extent",
                                 "assertions": [ids["ann_prices"], ids["bob_prices"]],
                                 "tag": "unsourced"})
    assert merged.status_code == 201
    assert merged.json["result"]["quote"] == "Prices doubled in 2024"
    rejected = sue.post(url, json={"action": "reject", "assertions": [ids["bob_minister"]],
                                   "reason": "Attributed, not an opinion."})
    assert rejected.status_code == 201 and rejected.json["result"] is None
    family = BODY.index("👨‍👩‍👧")
    new = sue.post(url, json={"action": "new", "start": family,
                              "end": family + len("👨‍👩‍👧 famil"),
                              "quote": "👨‍👩‍👧 famil", "tag": "opinion", "reason": "missed"})
    assert new.status_code == 201
    edited = sue.post(url, json={"action": "edit", "assertions": [accepted.json["result_id"]],
                                 "version": 1, "tag": "opinion", "reason": "On reflection"})
    assert edited.status_code == 201 and edited.json["result"]["tag"] == "opinion"
    removed = sue.post(url, json={"action": "remove", "assertions": [merged.json["result_id"]],
                                  "reason": "Duplicate of the accepted one"})
    assert removed.status_code == 201
    current = sue.get(url).json
    assert current["version"] == 6
    assert [d["action"] for d in current["decisions"]] == ["accept", "merge", "reject", "new",
                                                           "edit", "remove"]
    assert sorted(i["quote"] for i in current["items"]) == ["Prices doubled", "👨‍👩‍👧 famil"]
    assert factory.audited("consensus.") == 6
    # Consensus assertions are nobody's review: not in the reviewers' lists or counts.
    listed = sue.get(f"/articles/{article_id}/assertions").json["items"]
    assert {a["reviewer"] for a in listed} == {"ann", "bob"}
    assert ann.get(url).status_code == 404


@pytest.mark.parametrize("payload, field", [
    ({"action": "new", "start": 0, "end": 14, "quote": "prices doubled", "tag": "opinion"},
     "quote"),
    ({"action": "new", "start": 0, "end": 15, "quote": "Prices doubled ", "tag": "bogus"},
     "tag"),
    ({"action": "new", "start": 1, "end": 0, "quote": "", "tag": "opinion"}, None),
    ({"action": "merge", "assertions": [1], "tag": "opinion"}, "assertions"),
    ({"action": "accept", "assertions": []}, "assertions"),
    ({"action": "accept", "assertions": [999999]}, "assertions"),
    ({"action": "new", "start": 0, "end": 14, "tag": "opinion"}, "quote"),
])
def test_bad_decisions_are_422_and_change_nothing(disputed, factory, payload, field):  # type: ignore[no-untyped-def]
    article_id, sue, _, ids = disputed
    before = (factory.count(Assertion), factory.count(Adjudication))
    response = sue.post(f"/articles/{article_id}/consensus",
                        json={"reason": "because", **payload})
    assert response.status_code == 422, response.json
    if field:
        assert response.json["error"]["field"] == field
    assert (factory.count(Assertion), factory.count(Adjudication)) == before


def test_a_decision_needs_a_reason(disputed, factory):  # type: ignore[no-untyped-def]
    article_id, sue, _, ids = disputed
    response = sue.post(f"/articles/{article_id}/consensus",
                        json={"action": "reject", "assertions": [ids["bob_minister"]],
                              "reason": "  "})
    assert response.status_code == 422 and response.json["error"]["field"] == "reason"
    assert factory.count(Adjudication) == 0


def test_the_consensus_span_must_not_split_a_character(disputed):  # type: ignore[no-untyped-def]
    article_id, sue, _, _ = disputed
    family = BODY.index("👨‍👩‍👧")
    response = sue.post(f"/articles/{article_id}/consensus", json={
        "action": "new", "start": family, "end": family + 2, "quote": BODY[family:family + 2],
        "tag": "opinion", "reason": "x"})
    assert response.status_code == 422 and response.json["error"]["field"] == "end"


def test_the_adjudication_page(disputed, page_as, factory):  # type: ignore[no-untyped-def]
    article_id, _, _, ids = disputed
    page = page_as("sue", create=False)
    html = page.get(f"/articles/{article_id}/consensus").get_data(as_text=True)
    assert "Prices doubled in 2024" in html and "Merge the ticked assertions" in html
    page.refresh_csrf(f"/articles/{article_id}/consensus")
    fid = f"a{ids['bob_minister']}"
    refused = page.post(f"/articles/{article_id}/consensus", {
        "action": "reject", "assertion": str(ids["bob_minister"]), "reason": "",
        "form_id": fid})
    assert refused.status_code == 422
    assert f'id="error-{fid}"' in refused.get_data(as_text=True)
    done = page.post(f"/articles/{article_id}/consensus", {
        "action": "accept", "assertion": str(ids["bob_minister"]), "tag": "sourced",
        "reason": "Attributed to the minister", "form_id": fid})
    assert done.status_code == 302
    html = page.get(done.headers["Location"]).get_data(as_text=True)
    assert "1. accept" in html and "Attributed to the minister" in html
    assert page_as("ann", create=False).get(f"/articles/{article_id}/consensus").status_code == 404
