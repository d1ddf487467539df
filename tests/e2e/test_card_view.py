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


def test_each_highlight_names_its_reviewer_by_number_without_changing_the_text(factory,
                                                                                logged_in, api):
    article_id = factory.article(body=BODY, title="Bakers")
    for name, tag in (("omar", "sourced"), ("rita", "unsourced")):
        factory.user(name)
        factory.assign(article_id, name)
        client = api(name)
        client.tag(article_id, "Prices doubled last year.", tag)
        client.request("POST", f"/articles/{article_id}/submit")
    factory.user("sue", role="supervisor")
    page = logged_in("sue")
    page.goto(f"/articles/{article_id}")
    expect(page.locator(".who-legend")).to_have_text(
        "Each highlight starts with its reviewer's number: 1 omar 2 rita")
    badges = page.evaluate("""() => Array.from(document.querySelectorAll('#article-body mark[data-who]'))
        .map(m => [getComputedStyle(m, '::before').content, m.title])""")
    assert badges == [['"1"', "sourced + unsourced: 2 assertions overlap"], ['"2"', "unsourced · rita"]]
    # The numbers are drawn, not written: the text (and every offset into it) is unchanged.
    assert page.locator("#article-body").text_content() == BODY
    # One reviewer at a time: no numbers needed.
    page.goto(f"/articles/{article_id}?reviewer=rita")
    expect(page.locator("#article-body mark[data-who]")).to_have_count(0)
    expect(page.locator(".who-legend")).to_have_count(0)
