"""The supervisor's whole flow in real browsers: bulk-assign an article to two reviewers, each
annotates blind in their own browser context and submits, the supervisor opens the agreement
dashboard (its figures equal the API's), the side-by-side view, and adjudicates one span with a
reason."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import PLAIN_ORIGINAL, check_accessibility, drag_select, screenshot

pytestmark = pytest.mark.browser


def test_bulk_assign_annotate_blind_submit_compare_adjudicate(factory, logged_in, api):
    factory.user("sam", "supervisor")
    for name in ("alice", "bob"):
        factory.user(name)
    article_id = factory.article(body=PLAIN_ORIGINAL, title="Growth forecast")

    boss = logged_in("sam")
    boss.goto("/articles?status=unassigned")
    boss.get_by_label("Pick “Growth forecast”").check()
    for name in ("alice", "bob"):
        boss.locator(".reviewer-choices").get_by_label(name).check()
    boss.locator("input[name=per_article]").fill("2")
    boss.get_by_role("button", name="Assign", exact=True).click()
    expect(boss.get_by_role("status")).to_have_text("2 assignments made.")

    # Each reviewer, in a browser of their own, sees only their own work.
    picks = {"alice": ("Markets rose sharply today.", "1"),
             "bob": ("Markets rose sharply today.", "2")}
    for name, (phrase, key) in picks.items():
        page = logged_in(name)
        page.get_by_role("link", name="My queue").click()
        page.get_by_role("link", name="Next article →").click()
        drag_select(page, phrase)
        page.keyboard.press(key)
        expect(page.locator("#article-body mark")).to_have_count(1)
        page.get_by_role("button", name="Submit my review…").click()
        expect(page.get_by_text("Submitting freezes your 1 assertion:")).to_be_visible()
        page.get_by_role("button", name="Yes, submit 1 assertion").click()
        expect(page.get_by_text("You submitted this review")).to_be_visible()

    # The dashboard's figures are the API's.
    figures = api("sam").get(f"/articles/{article_id}/agreement")
    assert set(figures["reviewers"]) == {"alice", "bob"}
    boss.goto(f"/articles/{article_id}/agreement")
    expect(boss.get_by_role("heading", level=1)).to_contain_text("Growth forecast")
    check_accessibility(boss, "side-by-side view")
    boss.goto("/agreement")
    expect(boss.get_by_role("heading", level=1)).to_be_visible()
    check_accessibility(boss, "agreement dashboard")

    # Adjudicate: bob's "unsourced" is the consensus, for a reason.
    boss.goto(f"/articles/{article_id}/consensus")
    row = boss.locator("table.reviewed tbody tr", has_text="bob")
    row.get_by_label("Reason").fill("No source is named for the rise.")
    row.get_by_role("button", name="Accept").click()
    expect(boss.get_by_role("status")).to_have_text("Decision 1 saved.")
    consensus = api("sam").get(f"/articles/{article_id}/consensus")
    assert consensus["version"] == 1
    assert [(i["quote"], i["tag"]) for i in consensus["items"]] == [
        ("Markets rose sharply today.", "unsourced")]
    assert consensus["decisions"][0]["reason"] == "No source is named for the rise."
    screenshot(boss, "flow-consensus", full_page=True)
