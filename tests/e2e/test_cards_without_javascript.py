"""Without JavaScript a card that is not in focus still unfolds and edits: tag and note, an
evidence link, a delete and its Undo, each a plain form post answered by the page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import PLAIN_ORIGINAL, marked_text

pytestmark = pytest.mark.browser


def test_without_javascript_any_card_unfolds_and_edits(factory, logged_in, api):
    factory.user("alice")
    article_id = factory.article(body=PLAIN_ORIGINAL, title="Growth forecast")
    factory.assign(article_id, "alice")
    alice = api("alice")
    alice.tag(article_id, "Markets rose sharply today.", "sourced")
    target = alice.tag(article_id, "growth would double", "unsourced")
    alice.tag(article_id, "Critics called the forecast reckless.", "opinion")

    page = logged_in("alice", java_script_enabled=False)
    page.goto(f"/articles/{article_id}")
    card = page.locator(f"#assertion-{target['id']}")
    expect(card.locator("form.card-edit")).to_be_hidden()
    card.locator("summary.card-toggle").click()
    card.get_by_label("Opinion", exact=True).check()
    card.locator("form.card-edit").get_by_label("Note").fill("A forecast.")
    card.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/articles/{article_id}\?focus={target['id']}"
                                        rf"#assertion-{target['id']}$"))
    expect(card.locator(".tag-pill")).to_have_text("Opinion")
    assert marked_text(page, target["id"]) == "growth would double"
    stored = alice.get(f"/assertions/{target['id']}")
    assert (stored["tag"], stored["note"]) == ("opinion", "A forecast.")

    # The card in focus comes back unfolded: evidence straight away.
    card.locator("summary", has_text="Add evidence").click()
    card.get_by_label("Link").fill("https://stats.example.org/forecast")
    card.get_by_role("button", name="Add evidence").click()
    expect(card.get_by_role("link", name="https://stats.example.org/forecast")).to_be_visible()

    card.get_by_role("button", name="Delete").click()
    expect(page.locator(f"#assertion-{target['id']}")).to_have_count(0)
    expect(page.locator("#assertion-count")).to_have_text("2 assertions shown")
    page.locator("#undo").get_by_role("button", name="Undo").click()
    expect(page.locator(f"#assertion-{target['id']}")).to_have_count(1)
    assert marked_text(page, target["id"]) == "growth would double"
    expect(page.locator("#assertion-count")).to_have_text("3 assertions shown")
