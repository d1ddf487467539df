"""The supervisor's agreement pages in a real browser: the dashboard and the side-by-side view,
each checked with axe-core and saved as a screenshot under tests/e2e/artifacts/."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import PLAIN_ORIGINAL, check_accessibility, screenshot

pytestmark = pytest.mark.browser

BUDGET = (
    "The city council approved a budget of 4.2 billion euros on Monday.\n"
    "The mayor said it was the most generous budget in a decade.\n"
    "According to the finance office, spending on schools rises by 12 percent.\n"
    "Critics called the plan reckless and unaffordable.\n"
    "Nobody has explained how the new tram line will be paid for.\n"
)
# (phrase, tag) per reviewer, with agreements and each kind of disagreement.
WORK = {
    "alice": [("approved a budget of 4.2 billion euros", "sourced"),
              ("the most generous budget in a decade", "opinion"),
              ("spending on schools rises by 12 percent", "sourced"),
              ("Critics called the plan reckless and unaffordable", "opinion"),
              ("Nobody has explained how the new tram line will be paid for", "unsourced")],
    "bob": [("approved a budget of 4.2 billion euros", "sourced"),
            ("it was the most generous budget in a decade", "opinion"),
            ("spending on schools rises by 12 percent", "unsourced"),
            ("Critics called the plan reckless", "unsourced")],
    "carol": [("approved a budget of 4.2 billion euros", "sourced"),
              ("the most generous budget in a decade", "opinion"),
              ("spending on schools rises by 12 percent", "sourced"),
              ("Nobody has explained how the new tram line will be paid for", "opinion")],
}
FORECAST = {
    "alice": [("Markets rose sharply today.", "sourced"),
              ("growth would double next year", "unsourced"),
              ("Critics called the forecast reckless.", "opinion")],
    "bob": [("Markets rose sharply today.", "sourced"),
            ("growth would double next year", "unsourced"),
            ("called the forecast reckless", "opinion")],
}


@pytest.fixture
def compared(factory, api):  # type: ignore[no-untyped-def]
    """Supervisor sam; alice, bob and carol annotated the budget article, alice and bob the
    forecast, and all submitted; returns the budget article's id."""
    factory.user("sam", "supervisor")
    budget = factory.article(body=BUDGET, title="Council approves the city budget",
                             publisher="Example Gazette")
    forecast = factory.article(body=PLAIN_ORIGINAL, title="Growth forecast")
    factory.article(body="Rain is expected on Tuesday.\n", title="Weather outlook")
    for name in WORK:
        factory.user(name)
    for article, work in ((budget, WORK), (forecast, FORECAST)):
        for name, spans in work.items():
            factory.assign(article, name, supervisor="sam")
            client = api(name)
            for phrase, tag in spans:
                client.tag(article, phrase, tag)
            status, body = client.request("POST", f"/articles/{article}/submit")
            assert status == 200, body
    return budget


def test_dashboard_and_side_by_side_view(compared, logged_in, api):
    page = logged_in("sam")
    page.get_by_role("link", name="Agreement").click()
    expect(page.get_by_role("heading", name="Reviewer agreement")).to_be_visible()
    pooled = api("sam").get("/agreement")
    overall = pooled["measures"]["alpha_unitizing"]["overall"]["value"]
    expect(page.locator("#project-figures tr[data-measure='alpha_unitizing.overall'] .fig-value")
           ).to_have_text(f"{overall:.3f}")
    expect(page.locator("svg.heatmap")).to_be_visible()
    screenshot(page, "agreement-dashboard", full_page=True)
    check_accessibility(page, "agreement dashboard")

    page.get_by_role("link", name="Council approves the city budget").click()
    expect(page.get_by_role("heading", name="Council approves the city budget")).to_be_visible()
    expect(page.locator(".compare-column")).to_have_count(3)
    for kind in ("agree", "boundary", "label", "missing"):
        expect(page.locator(f"mark[data-kind='{kind}']")).not_to_have_count(0)
    article = api("sam").get(f"/articles/{compared}/agreement")
    f1 = article["measures"]["span_f1"]["overlap"]["f1"]["value"]
    expect(page.locator("#article-figures tr[data-measure='span_f1.overlap.f1'] .fig-value")
           ).to_have_text(f"{f1:.3f}")
    screenshot(page, "agreement-article", full_page=True)
    check_accessibility(page, "agreement side by side")


def test_reviewer_has_no_agreement_pages(compared, logged_in):
    page = logged_in("alice")
    expect(page.get_by_role("link", name="Agreement")).to_have_count(0)
    response = page.goto("/agreement")
    assert response is not None and response.status == 404
