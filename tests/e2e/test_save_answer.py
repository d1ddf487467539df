"""A save through the tag bar answered with its changes alone (out-of-band swaps): the right
characters are highlighted, the counts and the sentences' state follow, the new card takes its
place in text order and has the focus, and the tag bar (swapped too) saves again."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import PLAIN_ORIGINAL, drag_select, marked_text

pytestmark = pytest.mark.browser


def test_a_save_answered_with_its_changes_highlights_the_phrase_and_updates_the_counts(
        factory, logged_in, api):
    factory.user("alice")
    article_id = factory.article(body=PLAIN_ORIGINAL, title="Growth forecast")
    factory.assign(article_id, "alice")
    alice = api("alice")
    first = alice.tag(article_id, "Markets rose sharply today.", "sourced")

    page = logged_in("alice")
    page.goto(f"/articles/{article_id}")
    expect(page.locator("#assertion-count")).to_have_text("1 assertion shown")
    answers: list[str] = []
    page.on("response", lambda r: answers.append(r.headers.get("hx-reswap", "workspace"))
            if r.request.method == "POST" else None)

    phrase = "growth would double"
    drag_select(page, phrase)
    page.keyboard.press("2")
    expect(page.locator("#article-body mark[data-tag=unsourced]")).to_have_text(phrase)
    assert answers == ["none"]
    saved = {a["quote"]: a for a in alice.assertions(article_id)}[phrase]
    start = PLAIN_ORIGINAL.index(phrase)
    assert (saved["start"], saved["end"]) == (start, start + len(phrase))
    assert marked_text(page, saved["id"]) == phrase
    assert marked_text(page, first["id"]) == "Markets rose sharply today."
    expect(page.locator("#article-body")).to_have_text(PLAIN_ORIGINAL)
    expect(page.locator("#assertion-count")).to_have_text("2 assertions shown")
    expect(page.locator("#cards-title")).to_contain_text("(2)")
    cards = page.locator(".cards article.card")
    expect(cards).to_have_count(2)
    assert [cards.nth(i).get_attribute("id") for i in range(2)] == [
        f"assertion-{first['id']}", f"assertion-{saved['id']}"]
    expect(cards.nth(1)).to_have_class(re.compile(r"\bis-focused\b"))
    expect(page.locator("#sentences li.is-tagged")).to_have_count(2)

    # The tag bar came with the answer: it saves again, still through the short answer.
    drag_select(page, "Critics called")
    page.keyboard.press("3")
    expect(page.locator("#article-body mark[data-tag=opinion]")).to_have_text("Critics called")
    expect(page.locator("#assertion-count")).to_have_text("3 assertions shown")
    expect(cards).to_have_count(3)
    assert answers == ["none", "none"]

    page.reload()
    expect(page.locator("#article-body mark[data-tag=unsourced]")).to_have_text(phrase)
    expect(page.locator("#assertion-count")).to_have_text("3 assertions shown")


def test_in_one_column_the_short_answer_keeps_the_readers_place_and_says_where_the_card_went(
        factory, logged_in, api):
    factory.user("alice")
    article_id = factory.article(body=PLAIN_ORIGINAL, title="Growth forecast")
    factory.assign(article_id, "alice")
    api("alice").tag(article_id, "Markets rose sharply today.", "sourced")
    page = logged_in("alice", viewport={"width": 800, "height": 600})
    page.goto(f"/articles/{article_id}")
    drag_select(page, "Critics called")
    page.keyboard.press("3")
    expect(page.locator("#article-body mark[data-tag=opinion]")).to_have_text("Critics called")
    expect(page.locator("#selection-hint")).to_contain_text(
        "Saved as opinion; its card is in the pane below the text.")
    expect(page.locator(".cards article.card")).to_have_count(2)
