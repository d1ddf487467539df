"""A supervisor filters and sorts the article list (htmx swaps the results; a bad date gets its
message beside the field), then edits an article's details on its page; axe finds nothing
serious on either page."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from .helpers import PLAIN_ORIGINAL, check_accessibility

pytestmark = pytest.mark.browser


def test_filter_the_list_then_edit_an_articles_details(factory, logged_in, api):
    factory.user("sam", "supervisor")
    growth = factory.article(body=PLAIN_ORIGINAL, title="this MaliGrowth forecast",
                             publisher="Reuters", published_at=date(2026, 3, 1), language="en")
    factory.article(body="Rain is expected tomorrow.\n", title="Weather", publisher="AFP",
                    published_at=date(2026, 1, 9), language="fr")
    factory.article(body="Elections next spring.\n", title="Elections", publisher="Reuters",
                    published_at=date(2025, 11, 2), language="en")

    page = logged_in("sam")
    page.goto("/articles")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#results")).to_contain_text("2026-03-01")
    check_accessibility(page, "article list")

    # The publisher filter through htmx: only the results swap, the URL follows.
    page.get_by_label("Publisher").fill("Reuters")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"publisher=Reuters"))
    page.get_by_label("Sort by").select_option("title")
    page.locator("#order-filter").select_option("desc")
    expect(page).to_have_url(re.compile(r"sort=title&order=desc"))
    expect(rows.first).to_contain_text("this MaliGrowth forecast")
    page.locator("#order-filter").select_option("asc")
    expect(page).to_have_url(re.compile(r"sort=title&order=asc"))
    expect(rows.first).to_contain_text("Elections")

    # A date that is not one: its message beside the field, no results.
    page.get_by_label("Published from").fill("2026-03-01")
    page.get_by_label("Published to").fill("2026-01-31")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#published_to-problem")).to_contain_text(
        "The end of the date range comes before its start.")
    expect(page.get_by_text("Correct the filters above to see articles.")).to_be_visible()
    expect(rows).to_have_count(0)
    check_accessibility(page, "article list with an error")
    page.get_by_label("Published to").fill("2026-12-31")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(page.locator("#published_to-problem")).to_be_empty()

    # Edit the details on the article page.
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("this MaliGrowth forecast")
    page.get_by_text("Edit details").click()
    details = page.locator("#article-details")
    details.get_by_label("Title").fill("Growth forecast")
    details.get_by_label("Language").fill("en_GB")
    details.get_by_role("button", name="Save details").click()
    expect(details.locator("#meta-language-error")).to_contain_text("Language must be")
    check_accessibility(page, "article page with a details error")
    assert api("sam").get(f"/articles/{growth}")["title"] == "this MaliGrowth forecast"
    page.locator("#article-details").get_by_label("Language").fill("en-GB")
    page.locator("#article-details").get_by_role("button", name="Save details").click()
    expect(page.get_by_role("status")).to_have_text("Details saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Growth forecast")
    stored = api("sam").get(f"/articles/{growth}")
    assert (stored["title"], stored["language"]) == ("Growth forecast", "en-GB")
    check_accessibility(page, "article page after saving details")
