"""An htmx save answers with what it changed (out-of-band swaps of the page's own blocks: the
marks of the text, the counts, the tag bar, the sentences' state, the new card beside its
neighbour), not the whole workspace; a save that changes more gets the workspace, and a form
posted without JavaScript is redirected to the page."""
from __future__ import annotations

import re

import pytest

from workbench.views.articles import CARD_PAGE_SIZE

WORDS = [f"w{n:03d}" for n in range(130)]
BODY = " ".join(WORDS) + ".\n"


def form(word: str, tag: str = "sourced", count: int = 1) -> dict[str, object]:
    start = BODY.index(word)
    end = BODY.index(WORDS[WORDS.index(word) + count - 1]) + len(word)
    return {"start": start, "end": end, "quote": BODY[start:end], "tag": tag}


@pytest.fixture
def rita(factory, page_as):
    client = page_as("rita")
    client.article_id = factory.article(body=BODY, title="Words")
    factory.assign(client.article_id, "rita")
    return client


def save(client, word, tag="sourced", count=1, page_url=None):  # type: ignore[no-untyped-def]
    url = page_url or f"/articles/{client.article_id}"
    return client.client.post(f"/articles/{client.article_id}/assertions",
                              data={**form(word, tag, count), "csrf_token": client.csrf},
                              headers={"HX-Request": "true", "HX-Current-URL": url})


def new_id(response) -> str:  # type: ignore[no-untyped-def]
    return re.search(r'"workbench:focus": "assertion-(\d+)"',
                     response.headers["HX-Trigger-After-Swap"]).group(1)


def test_a_second_save_answers_with_its_changes_alone(rita):
    first = save(rita, "w010")
    assert first.get_data(as_text=True).lstrip().startswith('<div id="workspace"')
    rita.post(f"/articles/{rita.article_id}/assertions", form("w050"))  # no JS: a redirect
    response = save(rita, "w030", "opinion", count=3)
    assert response.status_code == 200
    assert response.headers["HX-Reswap"] == "none"
    html = response.get_data(as_text=True)
    assert 'id="workspace"' not in html and "<html" not in html
    for element in ('<div id="article-body" class="article-body" hx-swap-oob="true"',
                    '<span id="assertion-count" class="muted" hx-swap-oob="true">3 assertions',
                    '<h2 id="cards-title" hx-swap-oob="true">',
                    '<form id="new-assertion" class="tagbar" method="post" hx-swap-oob="true"',
                    '<template id="sentence-state" hx-swap-oob="true"'):
        assert html.count(element) == 1, element
    # The marks of the text, exact: the new span covers w030 w031 w032.
    body = html.split('<div id="article-body"', 1)[1].split("</div>", 1)[0]
    card = new_id(response)
    assert re.search(rf'<mark data-assertion-id="{card}" data-tag="opinion" [^>]*>'
                     r'w030 w031 w032</mark>', body)
    assert body.count("<mark") == 3
    # The new card goes before the card that follows it in the text (w050's).
    later = re.search(r'data-assertion-id="(\d+)"[^>]*>w050<', body).group(1)
    assert re.search(rf'<div hx-swap-oob="beforebegin:#assertion-{later}">\s*'
                     rf'<article class="card card-opinion" id="assertion-{card}"', html)
    assert html.count('<article class="card') == 1


def test_a_save_at_the_end_of_the_text_goes_after_the_last_card(rita):
    save(rita, "w010")
    response = save(rita, "w100")
    first = re.search(r'<mark data-assertion-id="(\d+)"[^>]*>w010<', response.get_data(
        as_text=True)).group(1)
    assert f'hx-swap-oob="afterend:#assertion-{first}"' in response.get_data(as_text=True)


def test_a_save_on_a_full_page_of_cards_pushes_its_last_card_off(rita):
    for n in range(CARD_PAGE_SIZE + 1):  # two pages of cards
        rita.post(f"/articles/{rita.article_id}/assertions", form(WORDS[n + 1]))
    html = rita.get(f"/articles/{rita.article_id}").get_data(as_text=True)
    last_on_page = re.findall(r'<article class="card[^"]*" id="assertion-(\d+)"', html)[-1]
    response = save(rita, "w000")
    answer = response.get_data(as_text=True)
    assert response.headers["HX-Reswap"] == "none"
    assert f'<div id="assertion-{last_on_page}" hx-swap-oob="delete"></div>' in answer
    assert "showing 1–50" in answer


@pytest.mark.parametrize("page_url", ["?cards=2", "?tag=opinion"])
def test_a_save_the_shown_cards_do_not_hold_gets_the_whole_workspace(rita, page_url):
    for n in range(CARD_PAGE_SIZE + 1):
        rita.post(f"/articles/{rita.article_id}/assertions", form(WORDS[n + 1]))
    response = save(rita, "w000", page_url=f"/articles/{rita.article_id}{page_url}")
    assert "HX-Reswap" not in response.headers
    assert response.get_data(as_text=True).lstrip().startswith('<div id="workspace"')


def test_without_javascript_a_save_still_redirects_to_the_page(rita):
    save(rita, "w010")
    response = rita.post(f"/articles/{rita.article_id}/assertions", form("w020"))
    assert response.status_code == 302
    assert "#assertion-" in response.headers["Location"]
