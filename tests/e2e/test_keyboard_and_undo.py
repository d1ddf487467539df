"""The keyboard reaches every highlight and clears a selection; a delete can be undone."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import check_accessibility, select_at_line_start, selected_text, tab_to
from .test_annotate import plain_article

pytestmark = pytest.mark.browser


def focused_assertion(page) -> str | None:
    return page.evaluate("""() => {
        const el = document.activeElement;
        return el && el.matches("#article-body mark[data-assertion-id]")
            ? el.dataset.assertionId : null; }""")


def test_n_and_p_reach_each_highlight_and_enter_opens_its_card(factory, logged_in, api):
    article_id = plain_article(factory, "alice")
    alice = api("alice")
    # Overlapping, so the second starts inside the first's mark.
    first = alice.tag(article_id, "The minister said growth", "sourced")
    second = alice.tag(article_id, "said growth would double", "opinion")
    third = alice.tag(article_id, "Critics called", "unsourced")
    ids = [str(a["id"]) for a in (first, second, third)]
    page = logged_in("alice")
    page.goto(f"/articles/{article_id}")

    tab_to(page, "#article-body")
    page.keyboard.press("n")
    assert focused_assertion(page) == ids[0]
    expect(page.locator("#selection-hint")).to_contain_text("Highlight 1 of 3")
    page.keyboard.press("n")
    assert focused_assertion(page) == ids[1]
    page.keyboard.press("n")
    assert focused_assertion(page) == ids[2]
    page.keyboard.press("n")  # wraps around
    assert focused_assertion(page) == ids[0]
    page.keyboard.press("p")
    assert focused_assertion(page) == ids[2]
    page.keyboard.press("p")
    assert focused_assertion(page) == ids[1]
    # The focused highlight shows a focus ring.
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    check_accessibility(page, "article (highlight focused)")

    page.keyboard.press("Enter")
    card = page.locator(f"#assertion-{ids[1]}")
    expect(card).to_be_focused()
    expect(card).to_have_class(re.compile(r"\bis-focused\b"))
    # The marks stay out of the Tab order: the text is one Tab stop.
    assert page.locator("#article-body mark[tabindex='0']").count() == 0


def test_escape_clears_the_selection_so_the_tag_keys_do_nothing(factory, logged_in, api):
    article_id = plain_article(factory, "alice")
    alice = api("alice")
    page = logged_in("alice")
    page.goto(f"/articles/{article_id}")
    hint = page.locator("#selection-hint")
    ready = hint.inner_text()

    assert select_at_line_start(page, 1, len("The minister")) == "The minister"
    expect(hint).to_contain_text("Selected 12 characters")

    page.keyboard.press("Escape")
    assert selected_text(page) == ""
    expect(hint).to_have_text(ready)
    for key in ("1", "2", "3"):
        page.keyboard.press(key)
    page.wait_for_timeout(700)  # time enough for a save that should not happen
    expect(page.locator("#article-body mark")).to_have_count(0)
    assert alice.assertions(article_id) == []

    # A selection made after the Escape still tags as before.
    for _ in range(len("The minister")):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("1")
    expect(page.locator("#article-body mark[data-tag=sourced]")).to_have_count(1)


def test_undo_after_a_delete_brings_the_card_back_by_keyboard(factory, logged_in, api):
    article_id = plain_article(factory, "alice")
    alice = api("alice")
    created = alice.tag(article_id, "Critics called the forecast reckless.", "opinion",
                        note="A view")
    page = logged_in("alice")
    page.goto(f"/articles/{article_id}")
    card = page.locator(f"#assertion-{created['id']}")
    card.locator("summary.card-toggle").click()  # the compact card unfolds to edit
    card.get_by_role("button", name="Delete").click()
    expect(card).to_have_count(0)
    assert alice.assertions(article_id) == []

    notice = page.locator("#undo")
    expect(notice).to_be_focused()  # the focus is not lost with the card
    expect(notice).to_contain_text("Deleted the assertion “Critics called the forecast reckless.”")
    check_accessibility(page, "article (after a delete)")
    page.keyboard.press("Tab")
    expect(notice.get_by_role("button", name="Undo")).to_be_focused()
    page.keyboard.press("Enter")

    expect(card).to_be_focused()
    expect(notice).to_have_count(0)
    [restored] = alice.assertions(article_id)
    assert {k: restored[k] for k in ("id", "start", "end", "quote", "tag", "note", "created_at")} \
        == {k: created[k] for k in ("id", "start", "end", "quote", "tag", "note", "created_at")}
    expect(page.locator(f'#article-body mark[data-assertion-id="{created["id"]}"]')
           ).to_have_text("Critics called the forecast reckless.")


def test_revoking_a_token_asks_first_with_the_focus_on_the_answer(factory, logged_in):
    factory.user("alice")
    page = logged_in("alice")
    page.goto("/tokens")
    page.get_by_label("What is it for?").fill("nightly import")
    page.get_by_role("button", name="Create a token").click()
    expect(page.locator(".secret")).to_be_visible()
    page.get_by_role("button", name="Revoke nightly import").click()

    question = page.locator("#confirm-revoke")
    expect(question).to_contain_text("Revoke “nightly import”?")
    expect(question).to_contain_text("cannot be undone")
    yes = question.get_by_role("button", name="Yes, revoke it")
    expect(yes).to_be_focused()
    check_accessibility(page, "tokens (revoke question)")
    expect(page.locator("td", has_text="revoked")).to_have_count(0)  # nothing revoked yet
    page.keyboard.press("Enter")
    expect(page.locator("td", has_text="revoked")).to_have_count(1)
    expect(page.locator("#confirm-revoke")).to_have_count(0)
