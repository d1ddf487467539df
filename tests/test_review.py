"""Assignments, blind review, submitting, and the "reveal after submit" setting."""
from __future__ import annotations

import pytest


@pytest.fixture
def two_reviewers(api_as, factory):
    boss = api_as("sue", "supervisor")
    rita, omar = api_as("rita"), api_as("omar")
    article_id = factory.article(body="Prices doubled in 2024, the minister said.", title="T")
    for name in ("rita", "omar"):
        assert boss.post(f"/articles/{article_id}/assignments",
                         json={"reviewer": name}).status_code == 201
    for api, (start, end, quote) in ((rita, (0, 6, "Prices")), (omar, (7, 14, "doubled"))):
        assert api.post(f"/articles/{article_id}/assertions", json={
            "start": start, "end": end, "quote": quote, "tag": "unsourced"}).status_code == 201
    return boss, rita, omar, article_id


def reviewers_seen(api, article_id):
    return sorted({a["reviewer"] for a in
                   api.get(f"/articles/{article_id}/assertions").json["items"]})


def test_reviewers_see_only_their_own_work_supervisor_sees_all(two_reviewers):
    boss, rita, omar, article_id = two_reviewers
    assert reviewers_seen(rita, article_id) == ["rita"]
    assert reviewers_seen(omar, article_id) == ["omar"]
    assert reviewers_seen(boss, article_id) == ["omar", "rita"]
    omars = omar.get(f"/articles/{article_id}/assertions").json["items"][0]["id"]
    assert rita.get(f"/assertions/{omars}").status_code == 404
    assert rita.patch(f"/assertions/{omars}", json={"tag": "opinion", "version": 1}
                      ).status_code == 404


def test_assignment_refusals(two_reviewers, api_as):
    boss, _, _, article_id = two_reviewers
    again = boss.post(f"/articles/{article_id}/assignments", json={"reviewer": "rita"})
    assert again.status_code == 409
    assert boss.post(f"/articles/{article_id}/assignments",
                     json={"reviewer": "sue"}).json["error"]["field"] == "reviewer"
    assert boss.post(f"/articles/{article_id}/assignments",
                     json={"reviewer": "nobody"}).status_code == 422
    assert boss.post("/articles/99999/assignments", json={"reviewer": "rita"}).status_code == 404
    listed = boss.get(f"/articles/{article_id}/assignments").json["items"]
    assert [(a["reviewer"], a["status"]) for a in listed] == [("rita", "assigned"),
                                                              ("omar", "assigned")]


def test_submit_freezes_work_and_reveal_setting_decides_visibility(two_reviewers, page_as):
    boss, rita, omar, article_id = two_reviewers
    submitted = rita.post(f"/articles/{article_id}/submit")
    assert submitted.status_code == 200 and submitted.json["status"] == "submitted"
    assert rita.post(f"/articles/{article_id}/submit").status_code == 409
    frozen = rita.post(f"/articles/{article_id}/assertions",
                       json={"start": 16, "end": 20, "quote": "2024", "tag": "sourced"})
    assert frozen.status_code == 403 and frozen.json["error"]["code"] == "submitted"
    assert reviewers_seen(rita, article_id) == ["rita"]  # reveal is off by default

    admin = page_as("ada", "admin")
    admin.refresh_csrf("/admin/settings")
    assert admin.post("/admin/settings", {"reveal_after_submit": "on"}).status_code == 200
    # Reveal shows only work its reviewer has submitted: omar's is still in progress.
    assert reviewers_seen(rita, article_id) == ["rita"]
    assert reviewers_seen(omar, article_id) == ["omar"]
    omars = omar.get(f"/articles/{article_id}/assertions").json["items"][0]["id"]
    assert rita.get(f"/assertions/{omars}").status_code == 404
    assert omar.post(f"/articles/{article_id}/submit").status_code == 200
    assert reviewers_seen(rita, article_id) == ["omar", "rita"]
    assert reviewers_seen(omar, article_id) == ["omar", "rita"]
    assert rita.patch(f"/assertions/{omars}", json={"tag": "opinion", "version": 1}
                      ).status_code == 403


def test_supervisor_assigns_from_the_article_page(page_as, factory):
    factory.user("rita")
    boss = page_as("sue", "supervisor")
    article_id = factory.article(body="Some text.", title="T")
    boss.refresh_csrf(f"/articles/{article_id}")
    response = boss.post(f"/articles/{article_id}/assignments", {"reviewer": "rita"}, htmx=True)
    assert response.status_code == 200
    assert "rita" in response.get_data(as_text=True)
    again = boss.post(f"/articles/{article_id}/assignments", {"reviewer": "rita"}, htmx=True)
    assert again.status_code == 409
    assert 'id="assign-error"' in again.get_data(as_text=True)


def test_reviewer_submits_from_the_article_page(page_as, factory):
    rita = page_as("rita")
    article_id = factory.article(body="Some text.", title="T")
    factory.assign(article_id, "rita")
    rita.refresh_csrf(f"/articles/{article_id}")
    page = rita.get(f"/articles/{article_id}").get_data(as_text=True)
    # The submit sits at the end of the pane, after the cards and the sentence list.
    assert page.index('id="submit-review"') > page.index('id="cards-title"')
    assert page.index('id="submit-review"') > page.index('id="sentences"')
    asked = rita.post(f"/articles/{article_id}/submit", htmx=True)
    assert asked.status_code == 200
    question = asked.get_data(as_text=True)
    assert "Submitting freezes your 0 assertions" in question
    assert factory.assignment_status(article_id, "rita") == "assigned"  # only asked
    response = rita.post(f"/articles/{article_id}/submit", {"confirm": "yes", "count": "0"},
                         htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "You submitted this review" in html
    assert 'id="new-assertion"' not in html


def test_the_submit_question_counts_the_assertions_and_asks_again_if_they_changed(page_as,
                                                                                 factory):
    rita = page_as("rita")
    article_id = factory.article(body="Prices doubled. Taxes fell.", title="T")
    factory.assign(article_id, "rita")
    rita.refresh_csrf(f"/articles/{article_id}")
    for start, end, quote in ((0, 6, "Prices"), (16, 21, "Taxes")):
        rita.post(f"/articles/{article_id}/assertions",
                  {"start": start, "end": end, "quote": quote, "tag": "sourced"})
    question = rita.post(f"/articles/{article_id}/submit").get_data(as_text=True)
    assert "Submitting freezes your 2 assertions" in question
    assert 'name="count" value="2"' in question
    # Another tab saved a third meanwhile: the old answer does not submit.
    rita.post(f"/articles/{article_id}/assertions",
              {"start": 7, "end": 14, "quote": "doubled", "tag": "opinion"})
    again = rita.post(f"/articles/{article_id}/submit", {"confirm": "yes", "count": "2"})
    assert again.status_code == 200
    assert "Your assertions changed meanwhile" in again.get_data(as_text=True)
    assert "freezes your 3 assertions" in again.get_data(as_text=True)
    assert factory.assignment_status(article_id, "rita") == "assigned"
    for bad in ("", "x", "２", "-1", str(2**40)):
        assert rita.post(f"/articles/{article_id}/submit",
                         {"confirm": "yes", "count": bad}).status_code == 200
        assert factory.assignment_status(article_id, "rita") == "assigned"
    done = rita.post(f"/articles/{article_id}/submit", {"confirm": "yes", "count": "3"})
    assert done.status_code == 302
    assert factory.assignment_status(article_id, "rita") == "submitted"
