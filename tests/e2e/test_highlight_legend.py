"""Overlapping highlights stay readable: where assertions overlap the text gets one neutral tint
(not a blend that matches no tag) and one underline per assertion, in its tag's colour and
style; a legend explains it on the article page, the list and the report; evidence stances do
not wear the tag colours."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import check_accessibility

pytestmark = pytest.mark.browser

BODY = "The mayor said crime fell by half. Residents doubt it. Police data are unpublished.\n"

STYLE_JS = """(selector) => Array.from(document.querySelectorAll(selector)).map(e => {
    const s = getComputedStyle(e);
    return {bg: s.backgroundColor, line: s.textDecorationStyle, colour: s.textDecorationColor,
            text: e.textContent};
})"""


def test_overlaps_are_one_neutral_tint_with_an_underline_per_tag_and_a_legend(factory,
                                                                               logged_in, api):
    factory.user("sam")
    factory.user("supervisor-sue", role="supervisor")
    article_id = factory.article(body=BODY, title="Crime figures")
    factory.assign(article_id, "sam")
    sam = api("sam")
    sam.tag(article_id, "The mayor said crime fell by half.", "sourced")
    sam.tag(article_id, "crime fell by half", "unsourced")
    link = sam.post(f"/articles/{article_id}/assertions", {
        "start": BODY.index("Residents"), "end": BODY.index("Residents") + 19,
        "quote": "Residents doubt it.", "tag": "opinion"})
    for stance in ("supports", "refutes", "context"):
        sam.post(f"/assertions/{link['id']}/evidence",
                 {"url": f"https://example.org/{stance}", "stance": stance})

    page = logged_in("sam")
    page.goto(f"/articles/{article_id}")
    alone = page.evaluate(STYLE_JS, "#article-body > mark.hl-sourced:not(.hl-multi)")
    multi = page.evaluate(STYLE_JS, "#article-body mark.hl-multi")
    inner = page.evaluate(STYLE_JS, "#article-body mark.hl-multi mark.hl")
    assert [m["text"] for m in multi] == ["crime fell by half"]
    overlap_tint = multi[0]["bg"]
    # The overlap's tint is opaque and neutral (r = g = b within a few units), the inner mark
    # adds none (no blending), and the single-tag pieces keep their tag's tint.
    r, g, b = (int(x) for x in overlap_tint.removeprefix("rgb(").rstrip(")").split(",")[:3])
    assert max(r, g, b) - min(r, g, b) < 12 and "rgba" not in overlap_tint
    assert inner[0]["bg"] == "rgba(0, 0, 0, 0)"
    assert alone[0]["bg"] not in (overlap_tint, "rgba(0, 0, 0, 0)")
    # Each tag's underline differs by style as well as colour (WCAG 1.4.1).
    assert (multi[0]["line"], inner[0]["line"]) == ("solid", "wavy")
    assert multi[0]["colour"] != inner[0]["colour"]
    assert page.locator("#article-body mark.hl-multi").get_attribute("title") == \
        "sourced + unsourced: 2 assertions overlap"
    legend = page.locator(".article-column .tag-legend")
    for words in ("Sourced solid green underline", "Unsourced wavy red underline",
                  "Opinion dashed purple underline", "Overlap grey, one underline per assertion"):
        expect(legend).to_contain_text(words)

    # Evidence stances have their own colours, none of them a tag's.
    tag_colours = {m["colour"] for m in multi + inner} | {
        page.evaluate("getComputedStyle(document.querySelector('#article-body mark.hl-opinion'))"
                      ".textDecorationColor")}
    stance_colours = page.evaluate("""() => Array.from(document.querySelectorAll('.stance'))
        .map(e => getComputedStyle(e).color)""")
    assert len(stance_colours) == 3 and not set(stance_colours) & tag_colours, stance_colours
    check_accessibility(page, "article page with overlapping highlights")

    page.goto("/articles")
    expect(page.locator(".tag-legend")).to_contain_text("Unsourced wavy red underline")
    pill_lines = page.evaluate(STYLE_JS, ".list-page tbody .count")
    assert [p["line"] for p in pill_lines[:3]] == ["solid", "wavy", "dashed"]
    check_accessibility(page, "article list with the legend")

    boss = logged_in("supervisor-sue")
    boss.goto(f"/articles/{article_id}/report")
    expect(boss.locator(".tag-legend")).to_contain_text("Overlap grey, one underline per assertion")
    check_accessibility(boss, "report with the legend")
