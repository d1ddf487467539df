"""Each main page as a person sees it: a screenshot under tests/e2e/artifacts/ (git-ignored;
look at them) and an axe-core check with no violation of serious or critical impact."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import (PLAIN_ORIGINAL, TRICKY_ORIGINAL, TRICKY_PHRASE, check_accessibility,
                      screenshot)

pytestmark = pytest.mark.browser


@pytest.fixture
def newsroom(factory, api):  # type: ignore[no-untyped-def]
    """A supervisor, two reviewers, three articles, and assertions of every tag (overlapping,
    with evidence) on the tricky one; returns the tricky article's id."""
    factory.user("sam", "supervisor")
    for name in ("alice", "bob"):
        factory.user(name)
    tricky = factory.article(body=TRICKY_ORIGINAL, title="Health desk: river report",
                             publisher="The Daily Example", source_url="https://news.example.com/river")
    plain = factory.article(body=PLAIN_ORIGINAL, title="Growth forecast", publisher="Example Times")
    factory.article(body="Rain is expected on Tuesday.\n", title="Weather outlook")
    for article_id in (tricky, plain):
        for name in ("alice", "bob"):
            factory.assign(article_id, name, supervisor="sam")
    alice = api("alice")
    claim = alice.tag(tricky, TRICKY_PHRASE, "unsourced", note="No measurement is cited.")
    alice.post(f"/assertions/{claim['id']}/evidence",
               {"url": "https://data.example.org/river-quality", "title": "River quality data",
                "stance": "refutes"})
    alice.tag(tricky, "Officials claimed", "sourced")
    alice.tag(tricky, "cleaner than ever before", "opinion")
    alice.tag(plain, "Markets rose sharply today.", "sourced")
    api("bob").tag(tricky, "Nobody published the measurements.", "sourced")
    return tricky


def test_login_page(new_context):
    page = new_context().new_page()
    page.goto("/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(page, "login")
    check_accessibility(page, "login")
    page.get_by_label("Username").fill("nobody")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#password-error")).to_be_visible()
    screenshot(page, "login-error")
    check_accessibility(page, "login (with an error)")


def test_article_list(newsroom, logged_in):
    page = logged_in("sam")
    expect(page.get_by_role("heading", name="Articles")).to_be_visible()
    expect(page.locator("table.articles tbody tr")).to_have_count(3)
    screenshot(page, "list")
    check_accessibility(page, "article list (supervisor)")
    page = logged_in("alice")
    expect(page.locator("table.articles tbody tr")).to_have_count(2)
    check_accessibility(page, "article list (reviewer)")


def test_article_with_highlights(newsroom, logged_in):
    page = logged_in("alice")
    page.goto(f"/articles/{newsroom}")
    expect(page.locator("#article-body mark")).not_to_have_count(0)
    expect(page.locator(".cards .card")).to_have_count(3)
    screenshot(page, "article", full_page=True)
    check_accessibility(page, "article (reviewer)")
    page = logged_in("sam")
    page.goto(f"/articles/{newsroom}")
    expect(page.locator(".cards .card")).to_have_count(4)
    screenshot(page, "article-supervisor", full_page=True)
    check_accessibility(page, "article (supervisor)")


def test_audit_trail(newsroom, logged_in):
    page = logged_in("sam")
    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    expect(page.locator("table.audit tbody tr")).not_to_have_count(0)
    screenshot(page, "audit")
    check_accessibility(page, "audit")


def test_queue_progress_and_bulk_assignment(newsroom, logged_in, factory):
    page = logged_in("sam")
    page.get_by_role("link", name="Progress").click()
    expect(page.get_by_role("heading", name="Progress")).to_be_visible()
    expect(page.locator("table.progress tbody tr")).to_have_count(2)
    screenshot(page, "progress")
    check_accessibility(page, "progress (supervisor)")
    # Bulk: the unassigned weather article to one of the two reviewers.
    page.goto("/articles?status=unassigned")
    expect(page.locator("table.articles tbody tr")).to_have_count(1)
    page.get_by_label("Pick “Weather outlook”").check()
    page.locator(".reviewer-choices").get_by_label("bob").check()
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("1 assignment made.")
    screenshot(page, "list-bulk")
    check_accessibility(page, "article list with the bulk form")
    page = logged_in("bob")
    page.get_by_role("link", name="My queue").click()
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    expect(page.locator("ul.queue li")).to_have_count(3)
    screenshot(page, "queue")
    check_accessibility(page, "queue (reviewer)")
    page.get_by_role("link", name="Next article →").click()
    expect(page.locator("#article-body")).to_be_visible()


def test_adjudication_page(newsroom, logged_in, api):
    for name in ("alice", "bob"):
        status, _ = api(name).request("POST", f"/articles/{newsroom}/submit")
        assert status == 200
    page = logged_in("sam")
    page.goto(f"/articles/{newsroom}")
    page.get_by_role("link", name="Settle the consensus →").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consensus version 0")
    rows = page.locator("table.reviewed tbody tr")
    expect(rows).to_have_count(4)
    first = rows.filter(has_text="Nobody published the measurements.")
    first.get_by_label("Reason").fill("The report is attributed")
    first.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_have_text("Decision 1 saved.")
    expect(page.locator(".consensus-list li")).to_have_count(1)
    expect(page.locator(".history li")).to_contain_text("1. accept by sam")
    screenshot(page, "consensus", full_page=True)
    check_accessibility(page, "adjudication")


def test_verdict_report_and_public_page(newsroom, logged_in, new_context):
    page = logged_in("sam")
    page.goto(f"/articles/{newsroom}")
    page.get_by_role("link", name="Verdict and report →").click()
    # The article page has a verdict form too: wait for the report page itself.
    expect(page).to_have_url(re.compile(rf"/articles/{newsroom}/report$"))
    expect(page.get_by_role("heading", name="Health desk: river report")).to_be_visible()
    page.get_by_label("Rating", exact=True).select_option("poorly sourced")
    page.get_by_label("Summary").fill("The central claim cites no measurement.")
    page.get_by_label("Published (public at an unguessable address)").check()
    page.get_by_role("button", name="Save the verdict").click()
    expect(page.locator(".verdict-rating")).to_contain_text("published")  # the page came back
    claim = page.locator("li[id^='assertion-']", has_text="the river was cleaner than ever")
    claim.get_by_label("Rating of this assertion").select_option(label="false")
    claim.get_by_label("Explanation").fill("Sampling shows more pollution.")
    claim.get_by_role("button", name="Rate").click()
    expect(page.get_by_text("Rating: false")).to_be_visible()
    screenshot(page, "report", full_page=True)
    check_accessibility(page, "report (supervisor)")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    public_url = page.locator("a[href^='/r/']").first.get_attribute("href")
    reader = new_context().new_page()  # no session
    reader.goto(public_url)
    expect(reader.get_by_text("The central claim cites no measurement.")).to_be_visible()
    assert reader.locator("script[type='application/ld+json']").count() == 1
    expect(reader.get_by_role("link", name="Log out")).to_have_count(0)
    screenshot(reader, "public-report", full_page=True)
    check_accessibility(reader, "public report")


def test_add_an_article_by_paste_and_by_html_upload(factory, logged_in, tmp_path):
    factory.user("sam", "supervisor")
    page = logged_in("sam")
    page.get_by_role("link", name="Add an article").click()
    expect(page.get_by_role("heading", name="Add an article")).to_be_visible()
    page.locator("#title").fill("Pasted report")
    page.get_by_label("Text").fill("Cafe\u0301 owners said prices doubled.\nNobody checked.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview .article-body")).to_have_text(
        "Caf\u00e9 owners said prices doubled.\nNobody checked.")
    check_accessibility(page, "add an article (preview)")
    page.get_by_role("button", name="Save the article").click()
    expect(page.locator("#article-body")).to_contain_text("owners said prices doubled")

    saved = tmp_path / "river.html"
    saved.write_text(
        "<!doctype html><html lang='en'><head><title>River report</title>"
        "<meta property='og:site_name' content='Daily Example'></head><body><nav>Home</nav>"
        "<article><h1>River report</h1><p>The river is cleaner than ever, officials claimed "
        "on Monday in a statement to the press.</p><p>Nobody published the measurements that "
        "would support the claim.</p></article><footer>Subscribe</footer></body></html>",
        encoding="utf-8")
    page.goto("/articles/new")
    page.get_by_label("File (.txt, .md, .html)").set_input_files(str(saved))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_label("Title")).to_have_value("River report")
    expect(page.get_by_label("Publisher")).to_have_value("Daily Example")
    expect(page.locator(".preview .article-body")).to_contain_text("officials claimed")
    screenshot(page, "new-article", full_page=True)
    page.get_by_role("button", name="Save the article").click()
    expect(page.get_by_role("heading", name="River report")).to_be_visible()
    expect(page.locator("#article-body")).not_to_contain_text("Subscribe")


def test_import_a_label_studio_file_and_see_its_spans(factory, logged_in, tmp_path):
    import json

    factory.user("ada", "admin")
    text = "Officials said 👩‍⚕️ nurses quit; قال الوزير إن الأسعار تضاعفت.\nNobody checked."
    phrase, arabic = "nurses quit", "قال الوزير"
    tasks = [{"id": 7, "data": {"text": text}, "annotations": [{"result": [
        {"id": "a", "from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": text.index(phrase), "end": text.index(phrase) + len(phrase),
                   "text": phrase, "labels": ["Claim"]}},
        {"id": "b", "from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": text.index(arabic), "end": text.index(arabic) + len(arabic),
                   "text": arabic, "labels": ["Opinion"]}}]}]}]
    upload = tmp_path / "labelstudio.json"
    upload.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    page = logged_in("ada")
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name="Import")).to_be_visible()
    page.get_by_label("Files").set_input_files(str(upload))
    page.get_by_label("Label names to tags").fill("Claim=unsourced Opinion=opinion")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("assertions: 2 created")
    check_accessibility(page, "import")
    page.goto("/articles")
    page.get_by_role("link", name="Officials said").click()
    expect(page.locator("#article-body mark[data-tag=unsourced]")).to_have_text(phrase)
    expect(page.locator("#article-body mark[data-tag=opinion]")).to_have_text(arabic)


def test_project_report_with_its_chart_and_sorting(newsroom, factory, api, logged_in):
    from datetime import date

    alice = api("alice")
    for n, (publisher, day, tags) in enumerate([
            ("The Daily Example", date(2026, 9, 3), ["unsourced", "sourced"]),
            ("The Daily Example", date(2026, 10, 14), ["unsourced", "unsourced", "sourced"]),
            ("Example Times", date(2026, 9, 20), ["sourced", "sourced", "sourced", "unsourced"]),
            ("Example Times", date(2026, 11, 2), ["unsourced"]),
            ("Evening Post", date(2026, 10, 30), ["sourced"])]):
        words = [f"Claim {n}-{i} was made." for i in range(len(tags))]
        article = factory.article(body=" ".join(words) + "\n", title=f"Dated story {n + 1}",
                                  publisher=publisher, published_at=day)
        factory.assign(article, "alice", supervisor="sam")
        for phrase, tag in zip(words, tags):
            alice.tag(article, phrase, tag)
    page = logged_in("sam")
    page.goto("/reports")
    chart = page.locator("svg#share-chart")
    expect(chart).to_be_visible()
    expect(page.locator(".chart-legend li")).to_have_count(3)
    expect(page.get_by_text("3 articles have no publication date")).to_be_visible()
    page.get_by_role("link", name="Unsourced share").click()
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Unsourced share")
    expect(page.locator("table.report-table tbody tr").first).to_contain_text("100%")
    screenshot(page, "reports", full_page=True)
    check_accessibility(page, "project report")
    page.goto(f"/articles/{newsroom}/report")
    expect(page.locator("svg#tag-chart")).to_be_visible()
    check_accessibility(page, "article report with its chart")


def test_verdict_beside_the_text(newsroom, logged_in):
    page = logged_in("sam")
    page.goto(f"/articles/{newsroom}")
    verdict = page.locator("#verdict")
    verdict.get_by_label("Rating", exact=True).select_option("partly sourced")
    verdict.get_by_label("Summary").fill("Half of it rests on named sources.")
    verdict.get_by_role("button", name="Save the verdict").click()
    expect(page.locator("#verdict .verdict-rating")).to_contain_text("draft")
    check_accessibility(page, "article with the verdict form (supervisor)")
    reviewer = logged_in("alice")
    reviewer.goto(f"/articles/{newsroom}")
    expect(reviewer.locator("#verdict")).to_have_count(0)  # a draft is not shown
    page.locator("#verdict").get_by_label("Published (public at an unguessable address)").check()
    page.locator("#verdict").get_by_role("button", name="Save the verdict").click()
    expect(page.locator("#verdict .verdict-rating")).to_contain_text("published")
    reviewer.reload()
    expect(reviewer.locator("#verdict")).to_contain_text("Half of it rests on named sources.")
    screenshot(reviewer, "article-verdict-reviewer", full_page=True)
    check_accessibility(reviewer, "article with the published verdict (reviewer)")
