"""The project report (/reports): the report's own assertions counted, sorting with keyset
paging that stays exact under ties, and downloads in the same order and filters."""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from workbench.db import db
from workbench.models import User
from workbench.services import reports as reports_service
from workbench.services.assertions import Guard, NewAssertion, insert_assertions
from workbench.services.verdicts import put_verdict

WORDS = [f"w{i}" for i in range(12)]
BODY = " ".join(WORDS) + ".\n"


def tag_article(app: Any, article_id: int, owner: str, tags: list[str], *,
                consensus: bool = False) -> None:
    """Write one assertion per tag on consecutive words of ``BODY``."""
    items = []
    for i, tag in enumerate(tags):
        start = BODY.index(f"w{i} ")
        items.append(NewAssertion(start, start + len(f"w{i}"), f"w{i}", tag))
    with app.app_context(), db.transaction() as s:
        user = s.scalar(select(User).where(User.username == owner))
        insert_assertions(s, article_id, items, owner=user, actor=user,
                          guard=Guard.ADJUDICATION if consensus else Guard.IMPORT)


def give_verdict(app: Any, article_id: int, rating: str, state: str = "draft") -> None:
    with app.app_context(), db.transaction() as s:
        boss = s.scalar(select(User).where(User.username == "sue"))
        put_verdict(s, boss, article_id, rating=rating, state=state)


@pytest.fixture
def project(factory, app):  # type: ignore[no-untyped-def]
    """Six hand-made articles; 'b' has a consensus that overrides its reviewers' work."""
    factory.user("sue", "supervisor")
    factory.user("ann")
    factory.user("bob")
    specs = [  # title, publisher, published, ann's tags, bob's tags
        ("delta", "Daily", date(2026, 1, 5), ["sourced", "unsourced"], []),
        ("bravo", "Daily", date(2026, 2, 9), ["sourced", "sourced"], ["unsourced"]),
        ("alpha", "Weekly", date(2026, 1, 20), ["unsourced", "unsourced", "sourced"], []),
        ("alpha", "Weekly", None, ["opinion"], []),
        ("echo", None, date(2026, 2, 1), [], []),
        ("charlie", "Daily", date(2026, 2, 28), ["unsourced"], ["sourced", "opinion"]),
    ]
    ids = {}
    for n, (title, publisher, published, ann, bob) in enumerate(specs):
        article_id = factory.article(body=f"{BODY}{n}\n", title=title, publisher=publisher,
                                     published_at=published)
        ids[n] = article_id
        for who, tags in (("ann", ann), ("bob", bob)):
            if tags:
                factory.assign(article_id, who)
                tag_article(app, article_id, who, tags)
    # The consensus of 'bravo' keeps one sourced and one unsourced: 50%, not 33%.
    tag_article(app, ids[1], "sue", ["sourced", "unsourced"], consensus=True)
    give_verdict(app, ids[0], "well sourced", "published")
    give_verdict(app, ids[1], "poorly sourced")
    give_verdict(app, ids[2], "partly sourced", "published")
    return ids


def rows_of(app: Any, order: reports_service.ProjectOrder, limit: int = 2, **filters: Any):
    """Every row, page by page through the cursors, as the page would walk them."""
    seen, cursor = [], None
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "sue"))
        while True:
            page_order = reports_service.project_order(order.sort, order.direction, cursor)
            rows, cursor = reports_service.project_page(
                db.session, user, order=page_order, limit=limit,
                search=filters.get("search"), status=filters.get("status"))
            seen.extend(rows)
            if cursor is None:
                return seen


def test_counts_and_share_come_from_the_reports_assertions(project, app):  # type: ignore[no-untyped-def]
    by_id = {r.id: r for r in rows_of(app, reports_service.ProjectOrder(), limit=50)}
    assert by_id[project[1]].tag_counts == {"sourced": 1, "unsourced": 1, "opinion": 0}
    assert by_id[project[1]].share_unsourced == 0.5  # the consensus, not the 3 reviewers' ones
    assert by_id[project[2]].share_unsourced == pytest.approx(2 / 3)
    assert by_id[project[5]].tag_counts == {"sourced": 1, "unsourced": 1, "opinion": 1}
    assert by_id[project[3]].share_unsourced is None and by_id[project[4]].share_unsourced is None
    assert (by_id[project[1]].reviewers, by_id[project[1]].assigned) == (2, 2)
    # The article report counts the same assertions.
    with app.app_context():
        from workbench.models import Article

        report = reports_service.article_report(
            db.session, db.session.get(Article, project[1]), public=False)
        assert report.basis == "consensus" and report.share_unsourced == 0.5


EXPECTED = {  # fixture index order for each sort, ascending, ties by id
    "added": [0, 1, 2, 3, 4, 5],
    "title": [2, 3, 1, 5, 0, 4],
    "published": [3, 0, 2, 4, 1, 5],  # no date first (lowest)
    "share": [3, 4, 0, 1, 5, 2],  # n/a lowest; 0.5 three times, by id
    "verdict": [3, 4, 5, 2, 1, 0],  # none first
    "state": [3, 4, 5, 1, 0, 2],
}


@pytest.mark.parametrize("sort", sorted(EXPECTED))
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_every_sort_pages_exactly_with_ties(project, app, sort, direction):  # type: ignore[no-untyped-def]
    expected = [project[i] for i in EXPECTED[sort]]
    if direction == "desc":
        expected.reverse()
    for limit in (1, 2, 4, 50):
        got = [r.id for r in rows_of(app, reports_service.project_order(sort, direction, None),
                                     limit=limit)]
        assert got == expected, (sort, direction, limit)


def test_the_page_sorts_with_links_in_the_headers(project, page_as):  # type: ignore[no-untyped-def]
    page = page_as("sue", create=False)
    html = page.get("/reports", query_string={"sort": "share", "order": "desc"}).get_data(as_text=True)
    assert re.search(r'<th scope="col" aria-sort="descending">\s*<a href="/reports\?sort=share&amp;order=asc"', html)
    assert html.count("aria-sort=") == 1
    assert 'href="/reports?sort=title&amp;order=asc"' in html
    titles = re.findall(r'/report" dir="auto">([^<]+)</a>', html)
    assert titles == ["alpha", "charlie", "bravo", "delta", "echo", "alpha"]
    # Paging keeps the sort and the filters.
    first = page.get("/reports", query_string={"sort": "title", "q": "w1"})
    assert first.status_code == 200
    html = page.get("/reports", query_string={"sort": "title", "order": "asc",
                                              "status": "open"}).get_data(as_text=True)
    assert re.findall(r'/report" dir="auto">([^<]+)</a>', html) == [
        "alpha", "alpha", "bravo", "charlie", "delta"]


def test_pages_link_to_the_next_in_the_same_order(project, page_as, app, monkeypatch):  # type: ignore[no-untyped-def]
    from workbench.views import reports as views

    monkeypatch.setattr(views, "PROJECT_PAGE_SIZE", 4)
    page = page_as("sue", create=False)
    html = page.get("/reports", query_string={"sort": "share", "order": "asc"}).get_data(as_text=True)
    link = re.search(r'href="(/reports\?[^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "sort=share" in link and "order=asc" in link
    rest = page.get(link).get_data(as_text=True)
    assert re.findall(r'/report" dir="auto">([^<]+)</a>', rest) == ["charlie", "alpha"]
    assert 'rel="next"' not in rest and ">First page</a>" in rest


def test_downloads_follow_the_filters_and_the_sort(project, page_as):  # type: ignore[no-untyped-def]
    page = page_as("sue", create=False)
    text = page.get("/reports/export.csv", query_string={
        "sort": "published", "order": "desc", "status": "open"}).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][3] == "published_at"
    assert [r[3] for r in rows[1:]] == ["2026-02-28", "2026-02-09", "2026-01-20", "2026-01-05", ""]
    assert [r[1] for r in rows[1:]][-1] == "alpha"
    html = page.get("/reports", query_string={"sort": "verdict", "order": "desc"}).get_data(as_text=True)
    assert 'href="/reports/export.csv?sort=verdict&amp;order=desc"' in html


JUNK = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(
    ["title", "share", "published", "added", "asc", "desc", "", "W1siYSJdXQ", "bnVsbA",
     "WyJzaGFyZSIsImFzYyIsIm5hbiIsMV0", "WyJwdWJsaXNoZWQiLCJhc2MiLCIyMDI2LTEzLTAxIiwxXQ",
     "WyJ0aXRsZSIsImFzYyIsWzFdLDFd", "WyJhZGRlZCIsImRlc2MiLDEsLTFd",
     "WyJ0aXRsZSIsImFzYyIsIlx1ZDgwMCIsMV0", "W1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW10"]))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sort=JUNK, order=JUNK, after=JUNK)
def test_junk_sort_and_cursor_fall_back_never_fail(project, page_as, sort, order, after):  # type: ignore[no-untyped-def]
    page = page_as("sue", create=False)
    query = {k: v for k, v in (("sort", sort), ("order", order), ("after", after))
             if v is not None}
    # NUL is refused up front for every request (web.py), with a 422 and not a 500.
    expected = 422 if any("\x00" in v for v in query.values()) else 200
    assert page.get("/reports", query_string=query).status_code == expected
    parsed = reports_service.project_order(sort, order, after)
    assert parsed.sort in reports_service.SORTS and parsed.direction in ("asc", "desc")


def test_a_cursor_from_another_sort_starts_again(project, app):  # type: ignore[no-untyped-def]
    title = reports_service.project_order("title", "asc", None)
    row = rows_of(app, title, limit=50)[2]
    cursor = title.cursor(row)
    assert reports_service.project_order("title", "asc", cursor).after == ("bravo", row.id)
    assert reports_service.project_order("title", "desc", cursor).after is None
    assert reports_service.project_order("share", "asc", cursor).after is None


def over_time(app: Any, **kw: Any) -> reports_service.ShareOverTime:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "sue"))
        return reports_service.unsourced_by_publisher(
            db.session, user, search=kw.pop("search", None), status=kw.pop("status", None), **kw)


def test_share_unsourced_over_time_by_publisher(project, app):  # type: ignore[no-untyped-def]
    data = over_time(app)
    assert data.months == ["2026-01", "2026-02"]
    assert [name for name, _ in data.series] == ["Daily", "No publisher", "Weekly"]
    series = dict(data.series)
    # Daily: delta (1 of 2) in January; bravo's consensus (1 of 2) and charlie (1 of 2) in February.
    assert series["Daily"] == {"2026-01": (1, 2), "2026-02": (2, 4)}
    assert series["Weekly"] == {"2026-01": (2, 3)}  # the undated 'alpha' is left out
    assert series["No publisher"] == {"2026-02": (0, 0)}
    assert data.articles == {"Daily": 3, "Weekly": 1, "No publisher": 1} and data.undated == 1
    capped = over_time(app, top=1)
    assert [name for name, _ in capped.series] == ["Daily", "Other publishers"]
    assert dict(capped.series)["Other publishers"] == {"2026-01": (2, 3), "2026-02": (0, 0)}
    assert capped.merged == 2 and capped.articles["Other publishers"] == 2
    # The project report's filters apply: nothing unassigned is dated with a factual assertion.
    unassigned = over_time(app, status="unassigned")
    assert unassigned.articles == {"No publisher": 1} and unassigned.undated == 0


def test_the_chart_is_on_the_page_with_its_numbers_in_text(project, page_as):  # type: ignore[no-untyped-def]
    page = page_as("sue", create=False)
    html = page.get("/reports").get_data(as_text=True)
    assert '<svg class="chart share-chart" id="share-chart" role="img"' in html
    assert re.findall(r'<li data-series="([^"]+)">', html) == ["Daily", "No publisher", "Weekly"]
    desc = re.search(r'<desc id="share-chart-desc">([^<]+)</desc>', html).group(1)
    assert desc.startswith("Daily: 2026-01 50%, 2026-02 50%; No publisher: no factual "
                           "assertion; Weekly: 2026-01 67%.")
    table = html[html.index('<table class="figures chart-table">'):]
    table = table[:table.index("</table>")]
    assert "<th scope=\"row\">2026-01</th>" in table and "67% <span class=\"muted\">(2 of 3)</span>" in table
    assert "1 article has no publication date and is left out." in html
    # Three series, three markers and three dashes: colour is not the only cue.
    assert len(set(re.findall(r'<polyline points="[^"]+" fill="none" stroke="[^"]+" stroke-width="2"( stroke-dasharray="[^"]+")?', html))) >= 1
    filtered = page.get("/reports", query_string={"status": "unassigned"}).get_data(as_text=True)
    assert "No dated article with a factual assertion." not in filtered  # echo is dated
    assert 'data-series="Weekly"' not in filtered


def test_the_pdfs_carry_the_charts(project, page_as, monkeypatch):  # type: ignore[no-untyped-def]
    from workbench.views import reports as views

    made: list[str] = []
    monkeypatch.setattr(views, "html_to_pdf", lambda html, base: made.append(html) or b"%PDF")
    page = page_as("sue", create=False)
    assert page.get(f"/articles/{project[1]}/report.pdf").status_code == 200
    assert page.get("/reports/report.pdf", query_string={"sort": "title"}).status_code == 200
    article_html, project_html = made
    desc = re.search(r'<desc id="tag-chart-desc">([^<]+)</desc>', article_html).group(1)
    assert desc == "sourced: 1; unsourced: 1; opinion: 0"
    assert 'id="share-chart"' in project_html and 'href="/reports/export.csv' not in project_html
    assert re.findall(r'/report" dir="auto">([^<]+)</a>', project_html)[:2] == ["alpha", "alpha"]


def test_a_real_pdf_of_the_project_report(project, page_as):  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    response = page_as("sue", create=False).get("/reports/report.pdf")
    assert response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.get_data())).pages)
    assert "Share unsourced over time" in text and "2026-01" in text and "charlie" in text
