"""The HTML workbench, as a person using it without a browser engine would notice it."""
from __future__ import annotations

import re

import pytest

from workbench.models import Assertion, Evidence

BODY = "The minister said prices doubled. Critics call it absurd!\nIt was 3.5 times worse 😀."


@pytest.fixture
def article_id(factory):
    return factory.article(body=BODY, title="Prices <b>doubled</b>")


@pytest.fixture
def rita(page_as, factory, article_id):
    client = page_as("rita")
    factory.assign(article_id, "rita")
    client.refresh_csrf(f"/articles/{article_id}")
    return client


def marks(html):
    return re.findall(r'<mark data-assertion-id="(\d+)" data-tag="(\w+)"', html)


def test_anonymous_is_sent_to_login(app):
    response = app.test_client().get("/articles")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_form_and_wrong_password_message(app, factory):
    factory.user("rita")
    from tests.conftest import PageClient

    client = PageClient(app.test_client())
    response = client.login("rita", "wrong password")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert 'id="password-error"' in html and "Wrong username or password." in html
    assert client.login("rita").status_code == 302


def test_list_shows_titles_escaped_with_counts(rita, article_id):
    html = rita.get("/articles").get_data(as_text=True)
    assert "Prices &lt;b&gt;doubled&lt;/b&gt;" in html
    assert "<b>doubled</b>" not in html
    assert f'/articles/{article_id}"' in html


def test_reviewer_sees_only_assigned_articles(rita, factory, article_id):
    other = factory.article(body="Unassigned text.", title="Someone else's")
    html = rita.get("/articles").get_data(as_text=True)
    assert "Someone else" not in html
    assert rita.get(f"/articles/{other}").status_code == 404
    assert rita.get("/articles/987654").status_code == 404


def test_list_search_and_htmx_fragment(page_as, factory):
    boss = page_as("sue", "supervisor")
    factory.article(body="Drones were delivered.", title="Drones")
    factory.article(body="Rain is expected.", title="Weather")
    html = boss.get("/articles?q=drones").get_data(as_text=True)
    assert "Drones" in html and "Weather" not in html
    fragment = boss.get("/articles?q=rain", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="results">')
    assert "Weather" in text and "<html" not in text
    assert "HX-Request" in fragment.headers["Vary"]


def test_list_pages_with_a_next_link(page_as, factory):
    boss = page_as("sue", "supervisor")
    ids = [factory.article(body=f"Text {i}.", title=f"Article {i:02d}") for i in range(55)]
    html = boss.get("/articles").get_data(as_text=True)
    assert "Article 54" in html and "Article 04" not in html
    match = re.search(r'href="(/articles\?after=[\w-]+)"[^>]*rel="next"', html)
    assert match, "no next-page link"
    second = boss.get(match.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Article 04" in second and "Article 05" not in second
    assert ids


def test_article_page_has_body_pane_and_sentences(rita, article_id):
    html = rita.get(f"/articles/{article_id}").get_data(as_text=True)
    assert 'id="article-body"' in html
    assert 'id="new-assertion"' in html
    assert "Tag a whole sentence" in html
    assert "The minister said prices doubled." in html
    # 3.5 is not a sentence end
    assert "It was 3.5 times worse 😀." in html


def test_tag_a_sentence_without_javascript(rita, factory, article_id):
    start = BODY.index("Critics")
    end = BODY.index("!") + 1
    response = rita.post(f"/articles/{article_id}/assertions",
                         {"start": start, "end": end, "quote": BODY[start:end], "tag": "opinion"})
    assert response.status_code == 302
    assert re.search(r"/articles/\d+\?focus=\d+#assertion-\d+$", response.headers["Location"])
    html = rita.get(f"/articles/{article_id}").get_data(as_text=True)
    assert marks(html) == [(re.search(r"#assertion-(\d+)", response.headers["Location"]).group(1),
                            "opinion")]
    assert factory.count(Assertion) == 1


def test_htmx_save_returns_the_workspace_with_the_highlight(rita, article_id):
    start = BODY.index("prices doubled")
    response = rita.post(f"/articles/{article_id}/assertions",
                         {"start": start, "end": start + 14, "quote": "prices doubled",
                          "tag": "unsourced"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="workspace"')
    assert "<html" not in html
    assert [tag for _, tag in marks(html)] == ["unsourced"]
    assert 'data-focus="assertion-' in html


def test_bad_span_gets_a_message_and_nothing_is_saved(rita, factory, article_id):
    response = rita.post(f"/articles/{article_id}/assertions",
                         {"start": 0, "end": 3, "quote": "not it", "tag": "sourced"}, htmx=True)
    assert response.status_code == 422
    assert "quote differs from the article text" in response.get_data(as_text=True)
    response = rita.post(f"/articles/{article_id}/assertions",
                         {"start": "", "end": "", "quote": "", "tag": "sourced"}, htmx=True)
    assert response.status_code == 422
    assert "Select a phrase in the article first" in response.get_data(as_text=True)
    assert factory.count(Assertion) == 0


def save(rita, article_id, phrase="prices doubled", tag="unsourced"):
    start = BODY.index(phrase)
    rita.post(f"/articles/{article_id}/assertions",
              {"start": start, "end": start + len(phrase), "quote": phrase, "tag": tag})
    html = rita.get(f"/articles/{article_id}").get_data(as_text=True)
    return int(marks(html)[-1][0])


def test_overlapping_assertions_both_stay_highlighted(rita, article_id):
    first = save(rita, article_id, "minister said prices", "sourced")
    second = save(rita, article_id, "prices doubled", "unsourced")
    html = rita.get(f"/articles/{article_id}").get_data(as_text=True)
    ids = {int(i) for i, _ in marks(html)}
    assert ids == {first, second}
    # The overlap "prices" sits inside both marks.
    assert re.search(rf'data-assertion-id="{first}"[^>]*><mark data-assertion-id="{second}"'
                     rf'[^>]*>prices</mark></mark>', html)


def test_edit_tag_and_note_in_the_card(rita, article_id):
    assertion_id = save(rita, article_id)
    response = rita.post(f"/assertions/{assertion_id}/edit",
                         {"tag": "opinion", "note": "Loaded <word>", "version": 1}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert [tag for _, tag in marks(html)] == ["opinion"]
    assert "Loaded &lt;word&gt;" in html


def test_stale_edit_shows_the_conflict_and_overwrites_nothing(rita, article_id):
    assertion_id = save(rita, article_id)
    assert rita.post(f"/assertions/{assertion_id}/edit",
                     {"tag": "sourced", "note": "first tab", "version": 1}).status_code == 302
    response = rita.post(f"/assertions/{assertion_id}/edit",
                         {"tag": "opinion", "note": "second tab", "version": 1}, htmx=True)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone changed this assertion after you opened it." in html
    assert "second tab" in html  # the reviewer's own text is shown, not lost
    assert 'name="version" value="2"' in html
    api_view = rita.get(f"/articles/{article_id}").get_data(as_text=True)
    assert [tag for _, tag in marks(api_view)] == ["sourced"]


def test_evidence_javascript_url_gets_message_beside_field(rita, factory, article_id):
    assertion_id = save(rita, article_id)
    response = rita.post(f"/assertions/{assertion_id}/evidence",
                         {"url": "javascript:alert(1)", "title": "x", "stance": "supports"},
                         htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="evidence-url-error-{assertion_id}"' in html
    assert "Only http:// and https:// links are accepted." in html
    assert 'value="javascript:alert(1)"' in html  # what was typed is kept for correction
    assert factory.count(Evidence) == 0


def test_evidence_link_is_added_and_opens_safely(rita, factory, article_id):
    assertion_id = save(rita, article_id)
    response = rita.post(f"/assertions/{assertion_id}/evidence",
                         {"url": "https://stats.example.org/cpi", "title": "CPI <2024>",
                          "stance": "refutes"})
    assert response.status_code == 302
    html = rita.get(f"/articles/{article_id}").get_data(as_text=True)
    assert ('<a href="https://stats.example.org/cpi" rel="noopener noreferrer nofollow"'
            in html)
    assert "CPI &lt;2024&gt;" in html
    evidence_id = int(re.search(r"/evidence/(\d+)/delete", html).group(1))
    assert rita.post(f"/evidence/{evidence_id}/delete").status_code == 302
    assert factory.count(Evidence) == 0


def test_delete_assertion_from_the_card(rita, factory, article_id):
    assertion_id = save(rita, article_id)
    response = rita.post(f"/assertions/{assertion_id}/delete", htmx=True)
    assert response.status_code == 200
    assert marks(response.get_data(as_text=True)) == []
    assert factory.count(Assertion) == 0


def test_blind_review_hides_other_reviewers_work(rita, page_as, factory, article_id):
    save(rita, article_id)
    other = page_as("omar")
    factory.assign(article_id, "omar")
    assert marks(other.get(f"/articles/{article_id}").get_data(as_text=True)) == []
    boss = page_as("sue", "supervisor")
    assert len(marks(boss.get(f"/articles/{article_id}").get_data(as_text=True))) == 1


def test_vendor_files_come_from_node_modules(app):
    client = app.test_client()
    with client.get("/vendor/htmx.min.js") as response:
        assert response.status_code == 200
        assert b"htmx" in response.data[:2000]
    assert client.get("/vendor/../package.json").status_code == 404
    assert client.get("/vendor/other.js").status_code == 404


@pytest.mark.parametrize("path", ["/articles/{other}", "/articles/987654", "/no/such/page",
                                  "/articles/{other}/report", "/agreement"])
def test_what_a_reviewer_may_not_see_gets_the_workbench_404_page(rita, factory, path):
    other = factory.article(body="Unassigned text.", title="Someone else's")
    response = rita.get(path.format(other=other))
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<h1>Not found</h1>" in html
    assert "spelling" not in html  # not Werkzeug's stock text
    assert "Someone else" not in html
    assert ("There is nothing to see at this address" in html or "No such article" in html)
    assert 'href="/articles"' in html  # a way back


@pytest.mark.parametrize("htmx", [False, True])
def test_saving_the_same_span_and_tag_again_points_at_the_existing_card(rita, factory,
                                                                        article_id, htmx):
    start = BODY.index("prices doubled")
    span = {"start": start, "end": start + 14, "quote": "prices doubled", "tag": "unsourced"}
    assert rita.post(f"/articles/{article_id}/assertions", span).status_code == 302
    (existing,) = [i for i, _ in marks(rita.get(f"/articles/{article_id}").get_data(as_text=True))]
    events = factory.audited("assertion.create")
    again = rita.post(f"/articles/{article_id}/assertions", {**span, "note": "twice"}, htmx=htmx)
    assert again.status_code == 409
    html = again.get_data(as_text=True)
    assert "You already saved this span with this tag" in html
    assert f'href="#assertion-{existing}">Go to that assertion</a>' in html
    assert f'data-focus="assertion-{existing}"' in html
    assert factory.count(Assertion) == 1 and factory.audited("assertion.create") == events
