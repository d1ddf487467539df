"""Room to work at every width: at 800 px the tag bar stays within reach of a selection and a
save keeps the reader's place; at 1920 px the page uses the width instead of stretching the box."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import ARTIFACTS, check_accessibility, drag_select, phrase_rects

pytestmark = pytest.mark.browser

# Long enough that the pane, below the text in one column, starts far below the first screen.
LONG_BODY = "\n\n".join(
    f"Paragraph {n}: the council said the new bridge would open on time and under budget, "
    "while engineers warned of delays that nobody has yet explained in public." for n in range(1, 31)
) + "\n"
PHRASE = "Paragraph 12: the council said"  # in the middle of the text


def article_for(factory, reviewer: str) -> int:
    factory.user(reviewer)
    article_id = factory.article(body=LONG_BODY, title="Bridge on time")
    factory.assign(article_id, reviewer)
    return int(article_id)


def in_viewport(page, selector: str) -> bool:
    return bool(page.evaluate("""(selector) => {
        const box = document.querySelector(selector).getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0;
    }""", selector))


def test_at_800px_the_tag_bar_stays_in_reach_and_a_save_keeps_the_readers_place(factory,
                                                                                logged_in, api):
    article_id = article_for(factory, "nadia")
    page = logged_in("nadia", viewport={"width": 800, "height": 900})
    page.goto(f"/articles/{article_id}")
    # The pane is below the whole text, yet the tag buttons are on screen, before and after
    # scrolling into the text.
    pane_top = page.evaluate("document.querySelector('.pane').getBoundingClientRect().top")
    assert pane_top > 2 * 900, pane_top
    assert in_viewport(page, "#new-assertion .tag-buttons")
    page.mouse.wheel(0, 1200)
    page.wait_for_function("window.scrollY > 1000")
    assert in_viewport(page, "#new-assertion .tag-buttons")
    assert in_viewport(page, "#selection-hint")

    [line] = phrase_rects(page, PHRASE)
    page.evaluate(f"window.scrollBy(0, {line['y'] - 300})")  # read down to it
    drag_select(page, PHRASE)
    before = page.evaluate("window.scrollY")
    page.keyboard.press("1")
    expect(page.locator("#article-body mark[data-tag=sourced]").first).to_be_visible()
    [saved] = api("nadia").assertions(article_id)
    assert saved["quote"] == PHRASE
    expect(page.locator("#selection-hint")).to_contain_text("Saved as sourced")
    page.screenshot(path=str(ARTIFACTS / "article-800px-after-save.png"))
    after = page.evaluate("window.scrollY")
    assert abs(after - before) < 40, (before, after)  # no jump down to the new card
    # The new card is focused for keyboard users, who reach it with Tab as before.
    expect(page.locator(f"#assertion-{saved['id']}")).to_be_focused()
    # The bar never hides the end of the page: the last card can be scrolled clear of it.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    overlap = page.evaluate("""() => {
        const bar = document.querySelector('#new-assertion').getBoundingClientRect();
        const last = Array.from(document.querySelectorAll('.pane > *:not(#new-assertion)')).pop()
            .getBoundingClientRect();
        return last.bottom - bar.top;
    }""")
    assert overlap <= 0, overlap
    check_accessibility(page, "article page at 800 px")


def test_at_1920px_the_text_keeps_its_measure_and_the_pane_takes_the_room(factory, logged_in):
    article_id = article_for(factory, "nadia")
    page = logged_in("nadia", viewport={"width": 1920, "height": 1000})
    page.goto(f"/articles/{article_id}")
    boxes = page.evaluate("""() => {
        const box = (s) => document.querySelector(s).getBoundingClientRect();
        const [column, body, pane] = [box('.article-column'), box('#article-body'), box('.pane')];
        return {column, body, pane, width: document.documentElement.clientWidth};
    }""")
    column, body, pane = boxes["column"], boxes["body"], boxes["pane"]
    # The box no longer stretches far past its text (it did by about 700 px)...
    assert column["width"] - body["width"] < 120, (column, body)
    # ...the pane is wider than the 480 px it had, and the whole is centred.
    assert pane["width"] > 520, pane
    left, right = column["left"], boxes["width"] - pane["right"]
    assert abs(left - right) < 30, (left, right)
    check_accessibility(page, "article page at 1920 px")
