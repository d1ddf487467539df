"""Undo after deleting an assertion or an evidence link: the same row comes back, audited, under
the delete's own rules; and ids are never reused, so the row can come back under its own id."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from workbench.db import db
from workbench.models import Assertion, AuditEvent, Evidence, utcnow

# The article page's own fixtures: an article, and rita assigned to it on its page.
from tests.test_pages import BODY, article_id, rita  # noqa: F401

PHRASE = "prices doubled"


def save(client, article_id, phrase=PHRASE, tag="unsourced", note="My note"):
    start = BODY.index(phrase)
    response = client.post(f"/articles/{article_id}/assertions", {
        "start": start, "end": start + len(phrase), "quote": phrase, "tag": tag, "note": note})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(re.search(r"focus=(\d+)", response.headers["Location"]).group(1))


def add_evidence(client, assertion_id, url="https://stats.example.org/cpi"):
    assert client.post(f"/assertions/{assertion_id}/evidence",
                       {"url": url, "title": "CPI", "stance": "refutes",
                        "note": "table 3"}).status_code == 302


def rows(app, model):
    with app.app_context(), db.transaction() as s:
        table = model.__table__
        return [dict(r._mapping) for r in s.execute(select(table).order_by(table.c.id))]


def test_undo_after_a_plain_delete_brings_back_the_same_row_with_its_evidence(app, rita,
                                                                              factory,
                                                                              article_id):
    assertion_id = save(rita, article_id)
    add_evidence(rita, assertion_id)
    before = rows(app, Assertion), rows(app, Evidence)
    # Without JavaScript: the delete redirects to the page, which offers the Undo.
    response = rita.post(f"/assertions/{assertion_id}/delete")
    assert response.status_code == 302
    assert f"undo=assertion-{assertion_id}" in response.headers["Location"]
    assert factory.count(Assertion) == 0 and factory.count(Evidence) == 0
    html = rita.get(response.headers["Location"]).get_data(as_text=True)
    assert f'action="/assertions/{assertion_id}/restore"' in html
    assert "Deleted the assertion “<bdi>prices doubled</bdi>”." in html
    undone = rita.post(f"/assertions/{assertion_id}/restore")
    assert undone.status_code == 302
    assert (rows(app, Assertion), rows(app, Evidence)) == before  # same ids, content, times
    assert factory.audited("assertion.restore") == 1
    html = rita.get(undone.headers["Location"]).get_data(as_text=True)
    assert f'id="assertion-{assertion_id}"' in html and "Undo</button>" not in html


def test_undo_with_htmx_answers_the_workspace_and_focuses_the_undo(rita, factory, article_id):
    assertion_id = save(rita, article_id)
    response = rita.post(f"/assertions/{assertion_id}/delete", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-focus="undo"' in html
    assert f'hx-post="/assertions/{assertion_id}/restore"' in html
    response = rita.post(f"/assertions/{assertion_id}/restore", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-focus="assertion-{assertion_id}"' in html
    assert f'<mark data-assertion-id="{assertion_id}"' in html


def test_the_restore_is_audited_with_the_record_and_the_trail_names_it(app, rita, factory,
                                                                       article_id):
    assertion_id = save(rita, article_id)
    rita.post(f"/assertions/{assertion_id}/delete")
    rita.post(f"/assertions/{assertion_id}/restore")
    with app.app_context(), db.transaction() as s:
        deleted, restored = s.scalars(select(AuditEvent).where(
            AuditEvent.entity_id == assertion_id, AuditEvent.action.in_(
                ["assertion.delete", "assertion.restore"])).order_by(AuditEvent.id)).all()
    assert restored.actor == "rita" and restored.article_id == article_id
    assert restored.after == deleted.before


def test_undo_twice_restores_once(rita, factory, article_id):
    assertion_id = save(rita, article_id)
    rita.post(f"/assertions/{assertion_id}/delete")
    assert rita.post(f"/assertions/{assertion_id}/restore").status_code == 302
    again = rita.post(f"/assertions/{assertion_id}/restore", htmx=True)
    assert again.status_code == 409
    assert "This assertion is back already." in again.get_data(as_text=True)
    assert factory.count(Assertion) == 1 and factory.audited("assertion.restore") == 1


def test_undo_never_makes_a_twin_of_the_same_span_and_tag_saved_meanwhile(rita, factory,
                                                                          article_id):
    assertion_id = save(rita, article_id)
    rita.post(f"/assertions/{assertion_id}/delete")
    twin = save(rita, article_id, note="saved again")
    response = rita.post(f"/assertions/{assertion_id}/restore", htmx=True)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "You saved this span with this tag again since the delete" in html
    assert f'href="#assertion-{twin}">Go to that assertion</a>' in html
    assert factory.count(Assertion) == 1 and factory.audited("assertion.restore") == 0


def test_only_the_reviewer_who_deleted_may_undo(rita, page_as, factory, article_id):
    assertion_id = save(rita, article_id)
    rita.post(f"/assertions/{assertion_id}/delete")
    omar = page_as("omar")
    factory.assign(article_id, "omar")
    omar.refresh_csrf(f"/articles/{article_id}")
    assert omar.post(f"/assertions/{assertion_id}/restore").status_code == 404  # blind review
    sue = page_as("sue", "supervisor")
    sue.refresh_csrf(f"/articles/{article_id}")
    assert sue.post(f"/assertions/{assertion_id}/restore").status_code == 403
    # Nor does anyone else's page offer it.
    assert "/restore" not in sue.get(
        f"/articles/{article_id}?undo=assertion-{assertion_id}").get_data(as_text=True)
    assert factory.count(Assertion) == 0 and factory.audited("assertion.restore") == 0


def test_no_undo_after_the_review_was_submitted(rita, factory, article_id):
    assertion_id = save(rita, article_id)
    save(rita, article_id, "Critics call it absurd", "opinion")
    rita.post(f"/assertions/{assertion_id}/delete")
    assert rita.post(f"/articles/{article_id}/submit",
                     {"confirm": "yes", "count": 1}).status_code == 302
    assert factory.assignment_status(article_id, "rita") == "submitted"
    assert rita.post(f"/assertions/{assertion_id}/restore").status_code == 403
    assert factory.count(Assertion) == 1 and factory.audited("assertion.restore") == 0


def test_no_undo_after_the_window(app, rita, factory, article_id):
    from workbench.services.undo import UNDO_SECONDS

    assertion_id = save(rita, article_id)
    rita.post(f"/assertions/{assertion_id}/delete")
    with app.app_context(), db.transaction() as s:
        from tests.conftest import audit_guard_lifted

        with audit_guard_lifted(s.connection()):
            s.execute(update(AuditEvent).where(AuditEvent.action == "assertion.delete")
                      .values(at=utcnow() - timedelta(seconds=UNDO_SECONDS + 1)))
    assert "/restore" not in rita.get(
        f"/articles/{article_id}?undo=assertion-{assertion_id}").get_data(as_text=True)
    response = rita.post(f"/assertions/{assertion_id}/restore", htmx=True)
    assert response.status_code == 409
    assert "Too late to undo" in response.get_data(as_text=True)
    assert factory.count(Assertion) == 0


def test_nothing_to_undo(rita, page_as, factory, article_id):
    assertion_id = save(rita, article_id)
    response = rita.post(f"/assertions/{assertion_id}/restore", htmx=True)
    assert response.status_code == 409
    assert "This assertion is not deleted" in response.get_data(as_text=True)
    assert rita.post("/assertions/987654/restore").status_code == 404
    assert rita.post("/evidence/987654/restore").status_code == 404
    omar = page_as("omar")  # blind review: another reviewer does not learn it exists
    omar.refresh_csrf("/tokens")
    assert omar.post(f"/assertions/{assertion_id}/restore").status_code == 404
    assert factory.audited("assertion.restore") == 0


def test_the_api_undoes_a_delete_too(api_as, factory):
    from tests.conftest import ApiClient

    rita = api_as("rita")
    article_id = factory.article(body=BODY, title="Prices")
    factory.assign(article_id, "rita")
    start = BODY.index(PHRASE)
    created = rita.post(f"/articles/{article_id}/assertions", json={
        "start": start, "end": start + len(PHRASE), "quote": PHRASE, "tag": "opinion",
        "evidence": [{"url": "https://example.org/a", "stance": "supports"},
                     {"url": "https://example.org/b", "stance": "context"}]}).json
    first, second = created["evidence"]
    assert rita.delete(f"/evidence/{first['id']}").status_code == 204
    assert rita.delete(f"/assertions/{created['id']}").status_code == 204
    assert rita.get(f"/assertions/{created['id']}").status_code == 404
    omar = ApiClient(factory.app.test_client(), factory.token(factory.user("omar")))
    assert omar.post(f"/assertions/{created['id']}/restore").status_code == 404
    back = rita.post(f"/assertions/{created['id']}/restore")
    assert back.status_code == 201
    assert back.json == {**created, "evidence": [second]}
    assert rita.get(f"/assertions/{created['id']}").json == back.json
    again = rita.post(f"/assertions/{created['id']}/restore")
    assert again.status_code == 409 and again.json["error"]["code"] == "restored"
    link = rita.post(f"/evidence/{first['id']}/restore")
    assert link.status_code == 201 and link.json == first
    assert rita.get(f"/assertions/{created['id']}").json == {**created,
                                                             "evidence": [first, second]}


def test_undo_after_removing_an_evidence_link(app, rita, factory, article_id):
    assertion_id = save(rita, article_id)
    add_evidence(rita, assertion_id)
    before = rows(app, Evidence)
    evidence_id = before[0]["id"]
    response = rita.post(f"/evidence/{evidence_id}/delete", htmx=True)
    html = response.get_data(as_text=True)
    assert "Removed the evidence link “<bdi>CPI</bdi>”." in html
    assert f'hx-post="/evidence/{evidence_id}/restore"' in html
    assert factory.count(Evidence) == 0
    assert rita.post(f"/evidence/{evidence_id}/restore").status_code == 302
    assert rows(app, Evidence) == before
    assert factory.audited("evidence.restore") == 1
    again = rita.post(f"/evidence/{evidence_id}/restore", htmx=True)
    assert again.status_code == 409 and "This evidence link is back already." in \
        again.get_data(as_text=True)


def test_an_evidence_link_of_a_deleted_assertion_cannot_come_back_alone(rita, factory,
                                                                        article_id):
    assertion_id = save(rita, article_id)
    add_evidence(rita, assertion_id)
    evidence_id = rows(factory.app, Evidence)[0]["id"]
    rita.post(f"/evidence/{evidence_id}/delete")
    rita.post(f"/assertions/{assertion_id}/delete")
    assert rita.post(f"/evidence/{evidence_id}/restore").status_code == 404
    assert factory.count(Evidence) == 0


def test_ids_are_never_reused(rita, factory, article_id):
    """The newest assertion deleted: the next one saved gets a new id, on both engines."""
    first = save(rita, article_id)
    add_evidence(rita, first)
    evidence_id = rows(factory.app, Evidence)[0]["id"]
    rita.post(f"/assertions/{first}/delete")
    second = save(rita, article_id, tag="opinion")
    add_evidence(rita, second)
    assert second > first
    assert rows(factory.app, Evidence)[0]["id"] > evidence_id
