"""The supervisor's everyday view: one reviewer's work at a time, compact cards that unfold
with the keyboard."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import check_accessibility

pytestmark = pytest.mark.browser

BODY = "Prices doubled last year. Wages stayed flat. Nobody asked the bakers.\n"


def test_reviewer_filter_and_compact_cards_unfold_with_enter(factory, logged_in, api):
    article_id = factory.article(body=BODY, title="Bakers")
    ids = {}
    for name, phrase, tag in (("rita", "Prices doubled", "unsourced"),
                              ("omar", "Wages stayed flat", "sourced")):
        factory.user(name)
        factory.assign(article_id, name)
        client = api(name)
        ids[name] = client.tag(article_id, phrase, tag)["id"]
        client.request("POST", f"/articles/{article_id}/submit")
    factory.user("sue", role="supervisor")
    page = logged_in("sue", viewport={"width": 1366, "height": 900})
    page.goto(f"/articles/{article_id}")
    expect(page.locator("#article-body mark")).to_have_count(2)

    page.locator(".card-filters select[name=reviewer]").select_option("omar")  # htmx swaps on change
    expect(page.locator("#article-body mark")).to_have_count(1)
    expect(page.locator("#article-body mark")).to_have_text("Wages stayed flat")
    expect(page).to_have_url(f"{page.url.split('?')[0]}?reviewer=omar&tag=&evidence=")
    card = page.locator(f"#assertion-{ids['omar']}")
    expect(page.locator(f"#assertion-{ids['rita']}")).to_have_count(0)

    # Compact: no evidence list until unfolded; Enter on the summary unfolds it.
    expect(card.locator(".evidence h3")).to_be_hidden()
    card.locator("summary.card-toggle").focus()
    page.keyboard.press("Enter")
    expect(card.locator(".evidence h3")).to_be_visible()
    check_accessibility(page, "article page filtered to one reviewer")
