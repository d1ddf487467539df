"""The article page's view filters: one reviewer's work (marks and cards) or everyone's, cards
of one tag, with or without evidence; compact cards; bad values refused beside the field."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BODY = "Prices doubled last year. Wages stayed flat. Nobody asked the bakers.\n"


def span(phrase: str) -> dict[str, object]:
    start = BODY.index(phrase)
    return {"start": start, "end": start + len(phrase), "quote": phrase}


@pytest.fixture
def reviewed(factory, api_as, page_as):
    """Two reviewers who submitted, and a supervisor who sees both."""
    article = factory.article(body=BODY, title="Bakers")
    made = {}
    for name, tags in (("rita", [("Prices doubled", "unsourced"), ("Wages stayed flat", "sourced")]),
                       ("omar", [("Prices doubled last year", "opinion")])):
        client = api_as(name)
        factory.assign(article, name)
        for phrase, tag in tags:
            answer = client.post(f"/articles/{article}/assertions", json={**span(phrase), "tag": tag})
            assert answer.status_code == 201
            made[(name, phrase)] = answer.get_json()["id"]
        client.post(f"/articles/{article}/submit")
    rita_wages = made[("rita", "Wages stayed flat")]
    factory.user("sue", "supervisor")
    sue = page_as("sue", "supervisor", create=False)
    # Evidence on one of rita's, written straight through the service as an arrangement.
    from workbench.db import db
    from workbench.models import Evidence
    with factory.app.app_context(), db.transaction() as s:
        s.add(Evidence(assertion_id=rita_wages, url="https://stats.example.org/wages",
                       title="Wage index", stance="supports"))
    return article, made, sue


def cards(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<article class="card [^"]*" id="assertion-(\d+)"', html)]


def marked(html: str) -> set[int]:
    return {int(x) for x in re.findall(r'<mark data-assertion-id="(\d+)"', html)}


def test_one_reviewer_at_a_time_filters_marks_and_cards(reviewed):
    article, made, sue = reviewed
    everyone = sue.get(f"/articles/{article}").get_data(as_text=True)
    assert marked(everyone) == set(made.values()) and sorted(cards(everyone)) == sorted(made.values())
    assert '<option value="omar">omar</option>' in everyone

    page = sue.get(f"/articles/{article}?reviewer=omar").get_data(as_text=True)
    assert marked(page) == {made[("omar", "Prices doubled last year")]}
    assert cards(page) == [made[("omar", "Prices doubled last year")]]
    assert '<option value="omar" selected>omar</option>' in page


def test_cards_by_tag_and_by_evidence_and_the_pager_keeps_them(reviewed):
    article, made, sue = reviewed
    by_tag = sue.get(f"/articles/{article}?tag=unsourced").get_data(as_text=True)
    assert cards(by_tag) == [made[("rita", "Prices doubled")]]
    assert marked(by_tag) == set(made.values())  # the text still shows everyone's marks
    with_evidence = sue.get(f"/articles/{article}?evidence=with").get_data(as_text=True)
    assert cards(with_evidence) == [made[("rita", "Wages stayed flat")]]
    without = sue.get(f"/articles/{article}?evidence=without&reviewer=rita").get_data(as_text=True)
    assert cards(without) == [made[("rita", "Prices doubled")]]
    assert "(1 of 2)" in without
    nothing = sue.get(f"/articles/{article}?tag=opinion&reviewer=rita").get_data(as_text=True)
    assert cards(nothing) == [] and "No assertion matches these filters." in nothing


def test_cards_are_compact_until_unfolded_except_the_one_in_focus(reviewed):
    article, made, sue = reviewed
    page = sue.get(f"/articles/{article}").get_data(as_text=True)
    assert page.count('<details class="card-more">') == 3
    assert "Details <span class=\"muted\">· evidence (1)</span>" in page
    focused = made[("rita", "Wages stayed flat")]
    page = sue.get(f"/articles/{article}?focus={focused}").get_data(as_text=True)
    assert page.count('<details class="card-more" open>') == 1
    assert page.index('<details class="card-more" open>') > page.index(f'id="assertion-{focused}"')


def test_a_save_through_htmx_keeps_the_filters_of_the_page_it_was_made_on(factory, page_as):
    article = factory.article(body=BODY, title="Bakers")
    rita = page_as("rita")
    factory.assign(article, "rita")
    rita.refresh_csrf(f"/articles/{article}")
    answer = rita.client.post(f"/articles/{article}/assertions", data={
        "csrf_token": rita.csrf, **span("Wages stayed flat"), "tag": "sourced"}, headers={
        "HX-Request": "true",
        "HX-Current-URL": f"http://localhost/articles/{article}?tag=opinion"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert '<option value="opinion" selected>Opinion</option>' in html
    assert cards(html) == [] and "No assertion matches these filters." in html


def test_blind_review_a_reviewer_cannot_probe_another_reviewers_name(factory, page_as, api_as):
    article = factory.article(body=BODY, title="Bakers")
    omar = api_as("omar")
    factory.assign(article, "omar")
    assert omar.post(f"/articles/{article}/assertions",
                     json={**span("Prices doubled"), "tag": "opinion"}).status_code == 201
    rita = page_as("rita")
    factory.assign(article, "rita")
    for name in ("omar", "nobody"):  # the same answer whether the reviewer exists or not
        answer = rita.get(f"/articles/{article}?reviewer={name}")
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422
        assert "No work of a reviewer by that name is shown here." in html
        assert marked(html) == set() and "omar" not in html


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["tag", "evidence", "reviewer"]),
       value=st.one_of(st.text(min_size=1, max_size=30),
                       st.sampled_from(["１", "٣", "SOURCED", "with ", "9" * 40, "a\u200bb"])))
def test_bad_filter_values_get_their_message_beside_the_field_and_no_cards(reviewed, field, value):
    article, made, sue = reviewed
    if value.strip() in ({"tag": ["sourced", "unsourced", "opinion"], "evidence": ["with", "without"],
                          "reviewer": ["rita", "omar"]}[field] + [""]):
        return
    answer = sue.get(f"/articles/{article}", query_string={field: value})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert cards(html) == []
    if "\x00" not in value:  # NUL is refused before any page (web._refuse_nul_characters)
        assert f'id="filter-{field}-error"' in html


def test_the_sentence_list_marks_only_the_viewers_own_tagged_sentences(factory, page_as, api_as):
    article = factory.article(body=BODY, title="Bakers")
    omar = api_as("omar")
    factory.assign(article, "omar")
    omar.post(f"/articles/{article}/assertions", json={**span("Prices doubled"), "tag": "opinion"})
    rita_api = api_as("rita")
    factory.assign(article, "rita")
    rita_api.post(f"/articles/{article}/assertions", json={**span("Wages stayed"), "tag": "sourced"})
    rita = page_as("rita", create=False)
    html = rita.get(f"/articles/{article}").get_data(as_text=True)
    tagged = re.findall(r'<li data-sentence="(\d+)" class="is-tagged">', html)
    assert tagged == ["2"]  # omar's sentence 1 is not marked for rita (blind review)
    assert "✓ You tagged it sourced" in html and 'data-tagged="2:sourced"' in html
