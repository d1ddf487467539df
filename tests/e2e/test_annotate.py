"""Annotating as a person does: the mouse, the keyboard, the card, and without JavaScript."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from workbench.text import canonicalize, codepoint_to_utf16

from tests.conftest import PASSWORD

from .helpers import (PLAIN_ORIGINAL, TRICKY_ORIGINAL, TRICKY_PHRASE, check_accessibility,
                      click_phrase, drag_select, log_in, marked_text, select_at_line_start,
                      selected_text, tab_to)

pytestmark = pytest.mark.browser


def test_mouse_selection_after_emoji_zwj_accent_arabic_crlf_saves_exact_code_points(
        factory, logged_in, api):
    factory.user("alice")
    article_id = factory.article(body=TRICKY_ORIGINAL, title="Health desk")
    factory.assign(article_id, "alice")
    alice = api("alice")
    body = alice.body(article_id)
    # Stored canonical: LF line ends, NFC (e + U+0301 became é); the rest is kept as written.
    assert "\r\n" in TRICKY_ORIGINAL and "e\u0301" in TRICKY_ORIGINAL
    assert body == canonicalize(TRICKY_ORIGINAL) and "\r" not in body and "Caf\u00e9" in body
    start = body.index(TRICKY_PHRASE)
    for tricky in ("\U0001F600", "\U0001F469\u200D\u2695\uFE0F", "Caf\u00e9", "\u200F", "\u200E"):
        assert body.index(tricky) < start, f"{tricky!r} should come before the phrase"
    # Astral characters before the phrase: the browser's UTF-16 offset is not the stored one.
    assert codepoint_to_utf16(body, start) > start

    page = logged_in("alice")
    page.get_by_role("link", name="Health desk").click()
    expect(page).to_have_url(re.compile(rf"/articles/{article_id}$"))
    expect(page.locator("#article-body")).to_have_text(body)

    drag_select(page, TRICKY_PHRASE)
    assert selected_text(page) == TRICKY_PHRASE
    expect(page.locator("#selection-hint")).to_contain_text(
        f"Selected {len(TRICKY_PHRASE)} characters")
    page.keyboard.press("2")

    mark = page.locator("#article-body mark[data-tag=unsourced]")
    expect(mark).to_have_text(TRICKY_PHRASE)
    [saved] = alice.assertions(article_id)
    assert (saved["start"], saved["end"], saved["quote"], saved["tag"]) == (
        start, start + len(TRICKY_PHRASE), TRICKY_PHRASE, "unsourced")
    card = page.locator(f"#assertion-{saved['id']}")
    expect(card).to_have_class(re.compile(r"\bis-focused\b"))
    expect(card.locator(".tag-pill")).to_have_text("Unsourced")

    page.reload()
    expect(page.locator("#article-body mark[data-tag=unsourced]")).to_have_text(TRICKY_PHRASE)
    assert marked_text(page, saved["id"]) == TRICKY_PHRASE
    expect(page.locator(f"#assertion-{saved['id']} blockquote")).to_have_text(TRICKY_PHRASE)


def plain_article(factory, *reviewers: str, title: str = "Growth forecast") -> int:
    for name in reviewers:
        factory.user(name)
    article_id = factory.article(body=PLAIN_ORIGINAL, title=title)
    for name in reviewers:
        factory.assign(article_id, name)
    return int(article_id)


def test_keyboard_only_shift_arrows_then_1_and_3(factory, logged_in, api):
    article_id = plain_article(factory, "alice")
    alice = api("alice")
    body = alice.body(article_id)
    page = logged_in("alice")
    page.goto(f"/articles/{article_id}")

    # Tab from the top of the page to the article text, put the caret on line 2, select 12
    # characters with shift+right arrow, press 1.
    assert select_at_line_start(page, 1, len("The minister")) == "The minister"
    page.keyboard.press("1")
    mark = page.locator("#article-body mark[data-tag=sourced]")
    expect(mark).to_have_text("The minister")
    # The keyboard focus moves to the new card (after htmx settles the swap).
    expect(page.locator(f"#assertion-{mark.get_attribute('data-assertion-id')}")).to_be_focused()

    # Shift+Tab back to the text, then select two words on line 3 (ctrl+shift+right moves by
    # word) and press 3.
    tab_to(page, "#article-body", backwards=True)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Home")
    page.keyboard.press("Control+Shift+ArrowRight")
    page.keyboard.press("Control+Shift+ArrowRight")
    assert selected_text(page).strip() == "Critics called"
    page.keyboard.press("3")
    expect(page.locator("#article-body mark[data-tag=opinion]")).to_have_text("Critics called")

    saved = {a["quote"]: a for a in alice.assertions(article_id)}
    assert set(saved) == {"The minister", "Critics called"}
    for quote, tag in (("The minister", "sourced"), ("Critics called", "opinion")):
        start = body.index(quote)
        assert (saved[quote]["start"], saved[quote]["end"], saved[quote]["tag"]) == (
            start, start + len(quote), tag)


def test_keyboard_selection_over_a_zwj_emoji_counts_code_points(factory, logged_in, api):
    """Shift+arrow steps over "👩‍⚕️" (4 code points, 5 UTF-16 units) as one character."""
    factory.user("alice")
    article_id = factory.article(body=TRICKY_ORIGINAL, title="Health desk")
    factory.assign(article_id, "alice")
    alice = api("alice")
    body = alice.body(article_id)
    phrase = "\U0001F469\u200D\u2695\uFE0F team"
    page = logged_in("alice")
    page.goto(f"/articles/{article_id}")

    tab_to(page, "#article-body")
    page.keyboard.press("ArrowDown")  # line 2: "The 👩‍⚕️ team met at Café Nord on Monday."
    page.keyboard.press("Home")
    for _ in range(len("The ")):
        page.keyboard.press("ArrowRight")
    for _ in range(1 + len(" team")):
        page.keyboard.press("Shift+ArrowRight")
    assert selected_text(page) == phrase
    expect(page.locator("#selection-hint")).to_contain_text(
        f"Selected {len(phrase)} characters: “{phrase}”")
    page.keyboard.press("2")
    expect(page.locator("#article-body mark[data-tag=unsourced]")).to_have_text(phrase)
    [saved] = alice.assertions(article_id)
    start = body.index(phrase)
    assert (saved["start"], saved["end"], saved["quote"]) == (start, start + len(phrase), phrase)


def test_long_selection_preview_never_cuts_an_emoji_in_half(factory, logged_in):
    """The hint previews a long selection in 57 characters + "…"; when the cut falls on an emoji,
    the preview must not end in half of it (a lone surrogate, drawn as �)."""
    factory.user("alice")
    line = "The mayor said the bridge will open in May, with a fee x\U0001F600 today."
    assert len(line[:line.index("\U0001F600")]) == 56  # the emoji spans UTF-16 units 56 and 57
    article_id = factory.article(body="Intro.\n" + line + "\n", title="Bridge")
    factory.assign(article_id, "alice")
    page = logged_in("alice")
    page.goto(f"/articles/{article_id}")
    drag_select(page, line)
    hint = page.locator("#selection-hint")
    expect(hint).to_contain_text(f"Selected {len(line)} characters")
    preview = hint.evaluate("""el => {
        const text = el.textContent;
        const lone = /[\\ud800-\\udbff](?![\\udc00-\\udfff])|(^|[^\\ud800-\\udbff])[\\udc00-\\udfff]/;
        return {text: text.replace(/[\\ud800-\\udfff]/g, c => "\\\\u" + c.charCodeAt(0).toString(16)),
                broken: lone.test(text)};
    }""")
    assert not preview["broken"], f"the selection hint shows half an emoji: {preview['text']!r}"


def test_without_javascript_the_phrase_tag_bar_does_not_strand_the_user(factory, logged_in):
    """Selecting a phrase needs JavaScript; without it the sentence list is the way. The phrase
    tag bar must then either not be offered at all, or, when a person presses its button, say
    what to do instead (tag a whole sentence), not "start is required."."""
    article_id = plain_article(factory, "alice")
    page = logged_in("alice", java_script_enabled=False)
    page.goto(f"/articles/{article_id}")
    tagbar = page.locator("#new-assertion")
    if not tagbar.is_visible():
        return
    tagbar.get_by_role("button", name="1 Sourced", exact=True).click()
    message = page.locator("#new-assertion .field-error")
    expect(message).to_be_visible()
    text = message.inner_text()
    assert "sentence" in text.lower(), (
        f"with JavaScript off, the visible tag bar answers its own button with {text!r}, which "
        "does not tell the person to use \"Tag a whole sentence\"")


def test_whole_sentence_from_the_sentence_list_without_javascript(factory, logged_in, api):
    article_id = plain_article(factory, "alice")
    alice = api("alice")
    body = alice.body(article_id)
    page = logged_in("alice", java_script_enabled=False)
    page.goto(f"/articles/{article_id}")

    sentences = page.locator("details.sentences")
    expect(sentences).to_have_attribute("open", "")  # open while there is nothing yet
    second = "The minister said growth would double next year."
    third = "Critics called the forecast reckless."
    # A sighted mouse user: the "Sourced" button on the line of the second sentence.
    item = sentences.locator("li").filter(has_text=second)
    item.get_by_role("button").filter(has_text=re.compile(r"^Sourced$")).click()
    expect(page).to_have_url(re.compile(rf"/articles/{article_id}\?focus=\d+#assertion-\d+$"))
    expect(page.locator("#article-body mark[data-tag=sourced]")).to_have_text(second)

    # Now the list is folded away: open it with its summary, tag another sentence.
    expect(sentences).not_to_have_attribute("open", "")
    sentences.locator("summary").click()
    # The sentence already tagged says so, and can be hidden (CSS alone, no script).
    tagged = sentences.locator("li.is-tagged")
    expect(tagged).to_have_count(1)
    expect(tagged).to_contain_text("✓ You tagged it sourced")
    sentences.get_by_label("Hide the sentences I tagged").check()
    expect(tagged).to_be_hidden()
    expect(sentences.locator("li")).to_have_count(3)
    item = sentences.locator("li").filter(has_text=third)
    item.get_by_role("button").filter(has_text=re.compile(r"^Opinion$")).click()
    expect(page.locator("#article-body mark[data-tag=opinion]")).to_have_text(third)

    saved = {a["quote"]: a for a in alice.assertions(article_id)}
    assert set(saved) == {second, third}
    for quote, tag in ((second, "sourced"), (third, "opinion")):
        start = body.index(quote)
        assert (saved[quote]["start"], saved[quote]["end"], saved[quote]["tag"]) == (
            start, start + len(quote), tag)


def test_sentence_buttons_are_named_after_their_own_sentence(factory, logged_in):
    """A screen reader announces each sentence's S/U/O buttons by name: "Tag sentence 2 as
    sourced" must be the sourced button of the second sentence."""
    article_id = plain_article(factory, "alice")
    page = logged_in("alice", java_script_enabled=False)
    page.goto(f"/articles/{article_id}")
    items = page.locator("details.sentences li")
    expect(items).to_have_count(3)
    names = items.evaluate_all(
        """items => items.map(li => Array.from(li.querySelectorAll("button"),
                                             b => b.getAttribute("aria-label")))""")
    expected = [[f"Tag sentence {n} as {tag}" for tag in ("sourced", "unsourced", "opinion")]
                for n in (1, 2, 3)]
    assert names == expected, "the sentence buttons' names (aria-label) do not match their sentence"


def test_card_add_evidence_change_tag_and_note_then_delete(factory, logged_in, api):
    article_id = plain_article(factory, "alice")
    alice = api("alice")
    sentence = "The minister said growth would double next year."
    created = alice.tag(article_id, sentence, "unsourced")
    page = logged_in("alice")
    page.goto(f"/articles/{article_id}")
    card = page.locator(f"#assertion-{created['id']}")

    # The card is compact (tag, quote, evidence count) until it is unfolded to edit.
    expect(card.locator("form.card-edit")).to_be_hidden()
    expect(card.locator("summary.card-toggle")).to_have_text("Edit · evidence (0)")
    card.locator("summary.card-toggle").click()
    # Evidence, through the folded "Add evidence" form in the card.
    card.locator("summary", has_text="Add evidence").click()
    url = "https://stats.example.org/growth-2025?table=3"
    card.get_by_label("Link").fill(url)
    card.get_by_label("Title").fill("Official growth figures")
    card.get_by_label("Stance").select_option("refutes")
    card.get_by_role("button", name="Add evidence").click()
    link = card.get_by_role("link", name="Official growth figures")
    expect(link).to_have_attribute("href", url)
    expect(card.locator(".evidence-item .stance")).to_have_text("refutes")
    [evidence] = alice.get(f"/assertions/{created['id']}")["evidence"]
    assert (evidence["url"], evidence["title"], evidence["stance"]) == (
        url, "Official growth figures", "refutes")

    # Tag and note: a radio button, the textarea, Save.
    card.get_by_label("Opinion", exact=True).check()
    card.locator("form.card-edit").get_by_label("Note").fill("Forecast, not a fact.")
    card.get_by_role("button", name="Save").click()
    expect(card).to_have_class(re.compile(r"\bcard-opinion\b"))
    expect(card.locator(".tag-pill")).to_have_text("Opinion")
    expect(page.locator("#article-body mark[data-tag=opinion]")).to_have_text(sentence)
    expect(page.locator("#article-body mark[data-tag=unsourced]")).to_have_count(0)
    stored = alice.get(f"/assertions/{created['id']}")
    assert (stored["tag"], stored["note"], stored["version"]) == (
        "opinion", "Forecast, not a fact.", created["version"] + 1)
    assert len(stored["evidence"]) == 1

    # Delete: the card and its highlight go, and so does the stored assertion.
    card.get_by_role("button", name="Delete").click()
    expect(card).to_have_count(0)
    expect(page.locator("#article-body mark")).to_have_count(0)
    expect(page.locator(".cards .empty")).to_have_text("No assertions yet.")
    assert alice.assertions(article_id) == []


def test_overlapping_assertions_both_visible_each_opens_its_own_card(factory, logged_in, api):
    article_id = plain_article(factory, "alice")
    alice = api("alice")
    first = alice.tag(article_id, "The minister said growth", "sourced")
    second = alice.tag(article_id, "said growth would double", "opinion")
    page = logged_in("alice")
    page.goto(f"/articles/{article_id}")

    assert marked_text(page, first["id"]) == "The minister said growth"
    assert marked_text(page, second["id"]) == "said growth would double"
    # The overlap is a mark inside a mark: both tints show there.
    expect(page.locator(f'mark[data-assertion-id="{first["id"]}"] '
                        f'mark[data-assertion-id="{second["id"]}"]')).to_have_text("said growth")

    cards = {a["id"]: page.locator(f"#assertion-{a['id']}") for a in (first, second)}
    focused = re.compile(r"\bis-focused\b")
    for phrase, opens, other in (("minister", first, second), ("would double", second, first),
                                 ("The", first, second), ("growth", second, first)):
        click_phrase(page, phrase)
        expect(cards[opens["id"]]).to_have_class(focused)
        expect(cards[opens["id"]]).to_be_focused()
        expect(cards[other["id"]]).not_to_have_class(focused)
        expect(page.locator(f'mark.is-active[data-assertion-id="{opens["id"]}"]').first
               ).to_be_visible()
        expect(page.locator(f'mark.is-active[data-assertion-id="{other["id"]}"]')).to_have_count(0)


def test_stale_edit_in_a_second_tab_shows_the_conflict_and_overwrites_nothing(
        factory, new_context, api):
    article_id = plain_article(factory, "alice")
    alice = api("alice")
    created = alice.tag(article_id, "Markets rose sharply today.", "sourced", note="as read")
    context = new_context()
    first_tab = context.new_page()
    log_in(first_tab, "alice", PASSWORD)
    second_tab = context.new_page()
    for tab in (first_tab, second_tab):
        tab.goto(f"/articles/{article_id}")
    card_in = {tab: tab.locator(f"#assertion-{created['id']}") for tab in (first_tab, second_tab)}

    for card in card_in.values():
        card.locator("summary.card-toggle").click()
    card = card_in[first_tab]
    card.get_by_label("Unsourced", exact=True).check()
    card.locator("form.card-edit").get_by_label("Note").fill("first tab wins")
    card.get_by_role("button", name="Save").click()
    expect(card.locator(".tag-pill")).to_have_text("Unsourced")

    card = card_in[second_tab]  # still shows version 1
    card.get_by_label("Opinion", exact=True).check()
    card.locator("form.card-edit").get_by_label("Note").fill("second tab, stale")
    card.get_by_role("button", name="Save").click()
    conflict = card.locator(".conflict")
    expect(conflict).to_contain_text("Someone changed this assertion after you opened it.")
    expect(conflict).to_contain_text("Nothing was overwritten.")
    expect(card.locator("form.card-edit").get_by_label("Note")).to_have_value("first tab wins")
    expect(card.get_by_label("Unsourced", exact=True)).to_be_checked()

    stored = alice.get(f"/assertions/{created['id']}")
    assert (stored["tag"], stored["note"], stored["version"]) == (
        "unsourced", "first tab wins", created["version"] + 1)


def test_javascript_evidence_url_is_refused_beside_the_field(factory, logged_in, api):
    article_id = plain_article(factory, "alice")
    alice = api("alice")
    created = alice.tag(article_id, "Critics called the forecast reckless.", "opinion")
    page = logged_in("alice")
    page.goto(f"/articles/{article_id}")
    card = page.locator(f"#assertion-{created['id']}")

    card.locator("summary.card-toggle").click()
    card.locator("summary", has_text="Add evidence").click()
    card.get_by_label("Link").fill("javascript:alert(1)")
    card.get_by_label("Title").fill("Click me")
    card.get_by_role("button", name="Add evidence").click()

    error = page.locator(f"#evidence-url-error-{created['id']}")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    field = card.get_by_label("Link")
    expect(field).to_be_visible()  # the form stays open, with what was typed
    expect(field).to_have_value("javascript:alert(1)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", f"evidence-url-error-{created['id']}")
    expect(page.locator('a[href^="javascript:"]')).to_have_count(0)
    assert alice.get(f"/assertions/{created['id']}")["evidence"] == []
    check_accessibility(page, "article (evidence refused)")


def test_with_htmx_the_kept_sentence_list_marks_what_you_tagged_and_unmarks_a_delete(factory,
                                                                                    logged_in):
    article_id = plain_article(factory, "alice")
    page = logged_in("alice")
    page.goto(f"/articles/{article_id}")
    sentences = page.locator("details.sentences")
    item = sentences.locator("li").filter(has_text="Critics called the forecast reckless.")
    item.get_by_role("button", name="Tag sentence 3 as unsourced").click()
    expect(page.locator("#article-body mark[data-tag=unsourced]")).to_have_count(1)
    expect(item).to_have_class(re.compile(r"\bis-tagged\b"))
    expect(item.locator(".sentence-mine")).to_have_text("✓ You tagged it unsourced")
    expect(sentences.locator("li.is-tagged")).to_have_count(1)
    # Deleting the assertion (through its card) unmarks the sentence without a reload.
    card = page.locator(".card").first
    card.get_by_role("button", name="Delete").click()
    expect(page.locator("#article-body mark")).to_have_count(0)
    expect(sentences.locator("li.is-tagged")).to_have_count(0)
