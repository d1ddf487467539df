"""The article list's columns, filters and orders, on the page (with and without htmx) and in
the API: what a person filtering the list would notice, blind review included."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import ApiClient
from workbench.db import db
from workbench.models import User
from workbench.services import articles as articles_service
from workbench.services import keyset
from workbench.services import settings as settings_service
from workbench.services.policy import REVEAL_AFTER_SUBMIT

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
BODY = "Prices doubled in 2024, the minister said.\n"


def titles(html: str) -> list[str]:
    return re.findall(r'class="title-cell"><a href="/articles/\d+" dir="auto">([^<]*)</a>', html)


@pytest.fixture
def shelf(factory):  # type: ignore[no-untyped-def]
    """Four articles with publishers, dates and languages (one with none of them)."""
    made = {
        "Drones for Mali": dict(publisher="Le Monde", published_at=date(2026, 3, 1),
                                language="fr"),
        "Bamako talks": dict(publisher="Reuters", published_at=date(2026, 5, 20),
                             language="en"),
        "Arabic desk": dict(publisher="Reuters", published_at=date(2025, 12, 31),
                            language="ar"),
        "No metadata": {},
    }
    return {title: factory.article(body=f"{title}. {BODY}", title=title, **fields)
            for title, fields in made.items()}


def test_the_list_shows_publisher_published_date_and_language(page_as, shelf):
    html = page_as("sue", "supervisor").get("/articles").get_data(as_text=True)
    row = re.search(r"<tr>(?:(?!</tr>).)*?Drones for Mali.*?</tr>", html, re.S)
    assert row, html[:2000]
    cells = row.group(0)
    assert "Le Monde" in cells and '<time datetime="2026-03-01">2026-03-01</time>' in cells
    assert '<span lang="fr">fr</span>' in cells
    for header in ("Publisher", "Published", "Language", "Added"):
        assert f">{header}" in html


@pytest.mark.parametrize("query, expected", [
    ("publisher=Reuters", {"Bamako talks", "Arabic desk"}),
    ("language=fr", {"Drones for Mali"}),
    ("published_from=2026-01-01", {"Drones for Mali", "Bamako talks"}),
    ("published_to=2026-03-01", {"Drones for Mali", "Arabic desk"}),
    ("published_from=2026-03-01&published_to=2026-03-01", {"Drones for Mali"}),
    ("publisher=Reuters&published_from=2026-01-01", {"Bamako talks"}),
    ("publisher=Nobody", set()),
])
def test_each_filter_narrows_the_page_and_the_api(page_as, api_as, shelf, query, expected):
    page = page_as("sue", "supervisor")
    response = page.get(f"/articles?{query}")
    assert response.status_code == 200
    assert set(titles(response.get_data(as_text=True))) == expected
    api = api_as("sam", "supervisor")
    items = api.get(f"/articles?{query}").json["items"]
    assert {a["title"] for a in items} == expected
    if expected:
        assert all("published_at" in a for a in items)


def _tag(api: ApiClient, article_id: int, tag: str) -> None:
    assert api.post(f"/articles/{article_id}/assertions", json={
        "start": 0, "end": 6, "quote": "Prices", "tag": tag}).status_code == 201


def test_the_tag_filter_sees_only_what_the_viewer_may_see(api_as, page_as, factory, app):
    """Blind review: a reviewer's tag filter matches their own assertions only, even where
    "reveal after submit" shows them the others' work on the article page."""
    sue = api_as("sue", "supervisor")
    rita, omar = api_as("rita"), api_as("omar")
    shared = factory.article(body=BODY, title="Shared")
    other = factory.article(body=BODY.replace(".", "!"), title="Other")
    for name in ("rita", "omar"):
        factory.assign(shared, name)
        factory.assign(other, name)
    _tag(rita, shared, "opinion")
    _tag(omar, other, "sourced")

    def ids(client: ApiClient, tag: str) -> set[int]:
        response = client.get(f"/articles?tag={tag}")
        assert response.status_code == 200
        return {a["id"] for a in response.json["items"]}

    assert ids(sue, "opinion") == {shared} and ids(sue, "sourced") == {other}
    assert ids(sue, "unsourced") == set()
    assert ids(rita, "opinion") == {shared} and ids(rita, "sourced") == set()
    assert ids(omar, "opinion") == set() and ids(omar, "sourced") == {other}
    # Both submit with "reveal after submit" on: the article page now shows omar rita's
    # work, the list (its counts and its filter) still only his own.
    with app.app_context(), db.transaction() as s:
        admin = s.scalar(select(User).where(User.username == "sue"))
        settings_service.set_setting(s, admin, REVEAL_AFTER_SUBMIT, True)
    for client in (rita, omar):
        assert client.post(f"/articles/{shared}/submit").status_code == 200
    assert ids(omar, "opinion") == set()
    html = page_as("omar", create=False).get("/articles?tag=opinion").get_data(as_text=True)
    assert "Shared" not in html and "No article matches these filters." in html


def test_the_status_filter_names_submitted_work_for_supervisors(page_as, factory):
    html = page_as("sue", "supervisor").get("/articles").get_data(as_text=True)
    assert '<option value="submitted">All submitted</option>' in html
    assert '<option value="unassigned">Unassigned</option>' in html


# -- Orders and keyset pages -------------------------------------------------------------------

def walk(app: Any, username: str, order: keyset.Order, limit: int = 2,
         filters: articles_service.ArticleFilters = articles_service.ArticleFilters()
         ) -> list[int]:
    """Every id of the list in ``order``, page by page through the cursors."""
    seen: list[int] = []
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        while True:
            page = articles_service.list_articles(db.session, user, filters=filters,
                                                  order=order, limit=limit)
            seen += [item.id for item in page.items]
            if page.next_cursor is None:
                return seen
            parsed, errors = articles_service.parse_order(
                {"sort": order.sort, "order": order.direction, "after": page.next_cursor})
            assert not errors and parsed.after is not None
            order = parsed


@pytest.mark.parametrize("sort", ["added", "title", "published"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_every_order_pages_exactly_through_every_article(app, factory, sort, direction):
    factory.user("sue", "supervisor")
    days = [date(2026, 1, 2), None, date(2025, 7, 1), date(2026, 1, 2), None, date(2024, 2, 29)]
    names = ["beta", "Alpha", "gamma", "beta", "delta", "alpha"]  # ties on both keys
    made = [(factory.article(body=f"Text {i}. {BODY}", title=name, published_at=day), name, day)
            for i, (name, day) in enumerate(zip(names, days))]
    key = {"added": lambda m: m[0], "title": lambda m: (m[1], m[0]),
           "published": lambda m: (m[2] or articles_service.NO_DATE, m[0])}[sort]
    expected = [m[0] for m in sorted(made, key=key, reverse=direction == "desc")]
    got = walk(app, "sue", keyset.Order(sort, direction))
    if sort == "title":  # collations differ in case order; the pages still cover every row once
        assert sorted(got) == sorted(expected) and len(set(got)) == len(got)
        with app.app_context():
            order_of = {m[0]: m[1] for m in made}
            folded = [order_of[i].lower() for i in got]
            assert folded == sorted(folded, reverse=direction == "desc")
    else:
        assert got == expected


def test_sort_links_and_next_page_keep_the_filters(page_as, factory):
    page = page_as("sue", "supervisor")
    for i in range(55):
        factory.article(body=f"Text {i}. {BODY}", title=f"Article {i:02d}", publisher="AP",
                        published_at=date(2026, 1, 1 + i % 28))
    factory.article(body="Elsewhere. " + BODY, title="Not AP", publisher="AFP")
    html = page.get("/articles?publisher=AP&sort=title&order=asc").get_data(as_text=True)
    assert titles(html)[:2] == ["Article 00", "Article 01"] and "Not AP" not in html
    assert 'aria-sort="ascending"' in html
    link = re.search(r'href="([^"]*after=[^"]*)"[^>]*rel="next"', html)
    assert link, "no next-page link"
    url = link.group(1).replace("&amp;", "&")
    assert "publisher=AP" in url and "sort=title" in url
    second = page.get(url).get_data(as_text=True)
    assert titles(second) == [f"Article {i}" for i in range(50, 55)]
    assert "First page" in second
    # A cursor made for another order is not one: the first page of this order.
    other = page.get(url.replace("order=asc", "order=desc")).get_data(as_text=True)
    assert titles(other)[0] == "Article 54"


def test_the_htmx_filter_swaps_the_results_and_each_fields_message(page_as, shelf):
    page = page_as("sue", "supervisor")
    fragment = page.get("/articles?language=fr", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text
    assert text.lstrip().startswith('<div id="results">')
    assert titles(text) == ["Drones for Mali"]
    # Every field's message slot comes out of band, so an old message is cleared too.
    assert '<span id="language-problem" class="problem" hx-swap-oob="true"></span>' in text
    bad = page.get("/articles?language=fr_FR", headers={"HX-Request": "true"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert re.search(r'id="language-problem" class="problem" hx-swap-oob="true">'
                     r'<span class="field-error">Language must be', body)
    assert titles(body) == []


# -- Bad values: a message beside the field, no results, never a 500 ------------------------------

BAD_DATES = st.one_of(
    st.sampled_from(["2026-02-30", "2026-13-01", "20260101", "2026-W01-1", "２０２６-01-01",
                     "2026-01-0١", "yesterday", "0000-01-01", "99999-01-01", "2026-1-1",
                     "2026-01-01T00:00", "1e9", "9" * 40, str(2 ** 64)]),
    st.text(alphabet=st.characters(categories=["Nd"]), min_size=8, max_size=10)
    .filter(lambda t: not t.isascii()).map(lambda d: f"{d[:4]}-{d[4:6]}-{d[6:8]}"),
    st.integers(min_value=10_000, max_value=2 ** 128).map(lambda n: f"{n}-01-01"),
)
BAD_VALUES = {
    "published_from": BAD_DATES,
    "published_to": BAD_DATES,
    "tag": st.one_of(st.sampled_from(["Sourced", "opinions", "sourced ", "0", "١"]),
                     st.text(max_size=20).filter(lambda t: t.strip() and t not in
                                                 ("sourced", "unsourced", "opinion"))),
    "sort": st.one_of(st.sampled_from(["share", "id", "TITLE", "1", "published desc"]),
                      st.text(min_size=1, max_size=20).filter(
                          lambda t: t not in ("added", "title", "published"))),
    "order": st.text(min_size=1, max_size=10).filter(lambda t: t not in ("asc", "desc")),
    "language": st.one_of(st.sampled_from(["fr_FR", "e", "english-language-tag-way-too-long-x",
                                           "ﬀ", "日本", "en-", "1234"]),
                          st.text(alphabet=st.characters(categories=["Nd", "Lo"]), min_size=1,
                                  max_size=8).filter(lambda t: not t.isascii())),
    "status": st.text(min_size=1, max_size=20).filter(
        lambda t: t.strip() and t not in ("unassigned", "open", "submitted")),
    "publisher": st.sampled_from(["line\nbreak", "A" * 201, "x\u2028y"]),
}
_UNSENDABLE = re.compile(r"[\x00\ud800-\udfff]")


@pytest.mark.parametrize("field", sorted(BAD_VALUES))
def test_a_bad_filter_gets_its_message_and_no_results(app, factory, field):
    factory.user("sue", "supervisor")
    factory.article(body=BODY, title="Visible", publisher="AP", published_at=date(2026, 1, 1))
    token = factory.token("sue")
    from tests.conftest import PageClient

    page = PageClient(app.test_client())
    assert page.login("sue").status_code == 302
    api = ApiClient(app.test_client(), token)

    @SETTINGS
    @given(raw=BAD_VALUES[field])
    @example(raw={"published_from": "2026-02-30", "published_to": "2026-13-01",
                  "tag": "Sourced", "sort": "share", "order": "up", "language": "fr_FR",
                  "status": "done", "publisher": "A" * 201}[field])
    def check(raw: str) -> None:
        if _UNSENDABLE.search(raw) or not raw.strip():
            return
        response = page.get("/articles", query_string={field: raw})
        assert response.status_code == 422, raw
        html = response.get_data(as_text=True)
        assert re.search(rf'id="{field}-problem" class="problem"><span class="field-error">'
                         rf'[^<]+</span>', html), raw
        assert titles(html) == [] and "Correct the filters above" in html
        if field not in ("sort", "order"):  # the API keeps its order; sorting is the page's
            answer = api.get("/articles", query_string={field: raw})
            assert answer.status_code == 422, raw
            assert answer.json["error"]["field"] == field

    check()


def test_a_date_range_backwards_is_refused_beside_its_end(page_as, shelf):
    response = page_as("sue", "supervisor").get(
        "/articles?published_from=2026-05-01&published_to=2026-04-01")
    assert response.status_code == 422
    assert "The end of the date range comes before its start." in response.get_data(as_text=True)


def _list_statements(app: Any, client: Any, path: str) -> tuple[int, str]:
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    client.get(path)  # warm: the session user, the settings
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["supervisor", "reviewer"])
def test_the_list_reads_as_many_statements_for_fifty_rows_as_for_one(app, factory, page_as,
                                                                      api_as, role):
    bob = api_as("bob")
    client = page_as("sue", "supervisor") if role == "supervisor" else page_as("bob", create=False)
    reviewer = "bob"
    first = factory.article(body=BODY, title="Only one")
    factory.assign(first, reviewer)
    _tag(bob, first, "sourced")
    one, html = _list_statements(app, client, "/articles")
    assert len(titles(html)) == 1
    for n in range(59):
        article = factory.article(body=f"{BODY}Number {n}.\n", title=f"Article {n}")
        factory.assign(article, reviewer)
        _tag(bob, article, ("sourced", "unsourced", "opinion")[n % 3])
    fifty, html = _list_statements(app, client, "/articles")
    assert len(titles(html)) == 50
    assert fifty == one, (one, fifty)
    # Search and a filter with an order too.
    for path in ("/articles?q=minister", "/articles?tag=opinion&sort=title&order=asc"):
        assert _list_statements(app, client, path)[0] == one


def test_a_rows_text_is_escaped_and_its_counts_drawn(page_as, api_as, factory):
    sue = page_as("sue", "supervisor")
    article = factory.article(body=BODY, title='<b>Bold</b> & "quoted"',
                              publisher="<i>Press</i>", language="en")
    ann = api_as("ann")
    factory.assign(article, "ann")
    for start, end, tag in ((0, 6, "sourced"), (7, 14, "sourced"), (0, 6, "opinion")):
        assert ann.post(f"/articles/{article}/assertions", json={
            "start": start, "end": end, "quote": BODY[start:end], "tag": tag}).status_code == 201
    html = sue.get("/articles").get_data(as_text=True)
    assert "<b>Bold</b>" not in html and "<i>Press</i>" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &#34;quoted&#34;" in html
    assert 'aria-label="Pick “&lt;b&gt;Bold&lt;/b&gt; &amp; &#34;quoted&#34;”"' in html
    assert "&lt;i&gt;Press&lt;/i&gt;" in html
    assert 'aria-label="2 sourced, 0 unsourced, 1 opinion"' in html
    assert ('<span class="count count-sourced" title="sourced">2</span>'
            '<span class="count count-unsourced" title="unsourced">0</span>'
            '<span class="count count-opinion" title="opinion">1</span>') in html
    assert '<span class="bar-sourced w13"></span><span class="bar-opinion w7"></span>' in html
    assert f'<a href="/articles/{article}" dir="auto">' in html
    assert '<span class="done">1 of 1</span>' in html
