"""Blind review in the browser: reviewers see only their own work; the supervisor sees all."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import PLAIN_ORIGINAL, marked_text

pytestmark = pytest.mark.browser


def test_second_reviewer_does_not_see_the_first_ones_assertions_supervisor_sees_both(
        factory, logged_in, api):
    for name in ("alice", "bob"):
        factory.user(name)
    factory.user("sam", "supervisor")
    article_id = factory.article(body=PLAIN_ORIGINAL, title="Growth forecast")
    for name in ("alice", "bob"):
        factory.assign(article_id, name, supervisor="sam")
    alices = api("alice").tag(article_id, "Markets rose sharply today.", "sourced",
                              note="alice's private note")
    bobs = api("bob").tag(article_id, "Critics called the forecast reckless.", "opinion")

    for me, mine, theirs in (("bob", bobs, alices), ("alice", alices, bobs)):
        page = logged_in(me)
        page.goto(f"/articles/{article_id}")
        body = page.locator("#article-body")
        expect(body.locator("mark")).to_have_count(1)
        assert marked_text(page, mine["id"]) == mine["quote"]
        expect(body.locator(f'mark[data-assertion-id="{theirs["id"]}"]')).to_have_count(0)
        expect(page.locator(".cards .card")).to_have_count(1)
        expect(page.locator(f"#assertion-{mine['id']}")).to_contain_text(me)
        expect(page.locator(f"#assertion-{theirs['id']}")).to_have_count(0)
        expect(page.locator("main")).not_to_contain_text(theirs["reviewer"])
        if me == "bob":
            expect(page.locator("main")).not_to_contain_text("alice's private note")
        assert [a["id"] for a in api(me).assertions(article_id)] == [mine["id"]]
        page.context.close()

    page = logged_in("sam")
    page.goto(f"/articles/{article_id}")
    for record in (alices, bobs):
        assert marked_text(page, record["id"]) == record["quote"]
        card = page.locator(f"#assertion-{record['id']}")
        expect(card).to_contain_text(record["reviewer"])
        expect(card.locator(".tag-pill")).to_have_text(record["tag"].capitalize())
    expect(page.locator(f"#assertion-{alices['id']} .note")).to_have_text("alice's private note")
    expect(page.locator(".cards .card")).to_have_count(2)
    assert {a["id"] for a in api("sam").assertions(article_id)} == {alices["id"], bobs["id"]}
