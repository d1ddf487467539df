"""What an article's verdict report shows, gathered once for the page, the public page and
exports: the verdict, the assertions it rests on (the consensus set, or, where there is none,
the reviewers' work, said so), their ratings and evidence, and the figures a reader wants."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, case, cast, extract, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from ..claimreview import RatedClaim, claim_reviews
from ..models import (TAGS, Article, Assertion, AssertionRating, Assignment, User, Verdict,
                      utcnow)
from . import keyset
from .policy import (PUBLISHER_NAME, PUBLISHER_URL, RATING_SCALE, SHOW_REVIEWER_NAMES,
                     get_setting)


@dataclass
class Report:
    article: Article
    verdict: Verdict | None
    basis: str  # "consensus", "reviewer" (one reviewer, no consensus) or "reviewers"
    assertions: list[Assertion]
    ratings: dict[int, AssertionRating]
    reviewers: list[str]
    made_at: datetime
    by_tag: dict[str, list[Assertion]] = field(default_factory=dict)

    @property
    def share_unsourced(self) -> float | None:
        """Of the factual assertions (sourced + unsourced), the share that is unsourced."""
        return share_of_unsourced(len(self.by_tag["sourced"]), len(self.by_tag["unsourced"]))


def report_assertions() -> ColumnElement[bool]:
    """The one rule for which assertions a report rests on, as a condition on ``Assertion``:
    its article's consensus set where it has one, else its reviewers' work as they left it.
    The report page, the project rows, their sorting and the charts all count through it."""
    settled = aliased(Assertion)
    has_consensus = select(settled.id).where(settled.article_id == Assertion.article_id,
                                             settled.consensus.is_(True)).exists()
    return or_(Assertion.consensus.is_(True), ~has_consensus)


def article_report(session: Session, article: Article, *, public: bool) -> Report:
    shown = list(session.scalars(
        select(Assertion).where(Assertion.article_id == article.id, report_assertions())
        .options(selectinload(Assertion.evidence), selectinload(Assertion.reviewer))
        .order_by(Assertion.start, Assertion.end.desc(), Assertion.id)))
    if any(a.consensus for a in shown):
        basis = "consensus"
    else:
        basis = "reviewer" if len({a.reviewer_id for a in shown}) == 1 else "reviewers"
    reviewed = session.scalars(select(User.username).join(
        Assertion, Assertion.reviewer_id == User.id).where(
            Assertion.article_id == article.id, Assertion.consensus.is_(False)))
    ratings = {r.assertion_id: r for r in session.scalars(select(AssertionRating).where(
        AssertionRating.assertion_id.in_([a.id for a in shown])))} if shown else {}
    assigned = session.scalars(select(User.username).join(
        Assignment, Assignment.reviewer_id == User.id).where(Assignment.article_id == article.id))
    reviewers = sorted(set(reviewed) | set(assigned))
    if public and not get_setting(session, SHOW_REVIEWER_NAMES):
        reviewers = []
    verdict = session.scalar(select(Verdict).where(Verdict.article_id == article.id))
    report = Report(article, verdict, basis, shown, ratings, reviewers, utcnow())
    report.by_tag = {tag: [a for a in shown if a.tag == tag] for tag in TAGS}
    return report


def claim_reviews_of(session: Session, report: Report, report_url: str) -> list[dict[str, Any]]:
    """The ClaimReview of each rated assertion of a published report (none otherwise), as its
    public page at ``report_url`` carries them and the ``claimreview`` export writes them."""
    verdict = report.verdict
    if verdict is None or verdict.published_at is None:
        return []
    article = report.article
    return claim_reviews(
        [RatedClaim(f"assertion-{a.id}", a.quote, report.ratings[a.id].rating,
                    report.ratings[a.id].explanation)
         for a in report.assertions if a.id in report.ratings],
        scale=list(get_setting(session, RATING_SCALE)),  # type: ignore[call-overload]
        report_url=report_url, published=verdict.published_at,
        publisher_name=str(get_setting(session, PUBLISHER_NAME)),
        publisher_url=str(get_setting(session, PUBLISHER_URL)),
        source_url=article.source_url, source_publisher=article.publisher,
        source_date=article.published_at.isoformat() if article.published_at else None)


# -- The project report: one row per article ---------------------------------------------------

PROJECT_COLUMNS = ["article_id", "title", "publisher", "published_at", "sourced", "unsourced",
                   "opinion", "share_unsourced", "reviewers", "assigned", "verdict", "state"]


def share_of_unsourced(sourced: int, unsourced: int) -> float | None:
    """Of the factual assertions (sourced + unsourced), the share that is unsourced."""
    factual = sourced + unsourced
    return unsourced / factual if factual else None


def report_counts(article_ids: list[int] | None = None) -> Any:
    """Per article (of ``article_ids``, or all), its report's assertions counted by tag (a
    subquery: article_id, one column per tag)."""
    stmt = (select(Assertion.article_id,
                   *[func.sum(case((Assertion.tag == tag, 1), else_=0)).label(tag)
                     for tag in TAGS])
            .where(report_assertions()).group_by(Assertion.article_id))
    if article_ids is not None:
        stmt = stmt.where(Assertion.article_id.in_(article_ids))
    return stmt.subquery("report_counts")


@dataclass(frozen=True, slots=True)
class ProjectRow:
    id: int
    title: str
    publisher: str | None
    published_at: date | None
    tag_counts: dict[str, int]
    verdict: str | None
    state: str | None
    reviewers: int = 0
    assigned: int = 0

    @property
    def share_unsourced(self) -> float | None:
        return share_of_unsourced(self.tag_counts["sourced"], self.tag_counts["unsourced"])

    def cells(self) -> list[Any]:
        share = self.share_unsourced
        return [self.id, self.title, self.publisher or "",
                self.published_at.isoformat() if self.published_at else "",
                *(self.tag_counts[t] for t in TAGS),
                "" if share is None else round(share, 4), self.reviewers, self.assigned,
                self.verdict or "", self.state or ""]


# The orders the project report offers, each with the kind of key its cursor carries
# (``keyset``: keys never NULL, the article id breaking ties).
SORT_KINDS = {"added": "id", "title": "text", "published": "date", "share": "share",
              "verdict": "text", "state": "text"}
SORTS = tuple(SORT_KINDS)
DEFAULT_SORT = ("added", "desc")
NO_DATE = date(1, 1, 1)


@dataclass(frozen=True)
class ProjectOrder(keyset.Order):
    """A sort of the project report and, past the first page, where the last one ended."""

    sort: str = DEFAULT_SORT[0]
    direction: str = DEFAULT_SORT[1]

    def cursor(self, row: ProjectRow) -> str:
        """An opaque token for the page after ``row``."""
        return self.token(_sort_value(self.sort, row), row.id)


def project_order(sort: object, direction: object, cursor: object) -> ProjectOrder:
    """The order a request asks for; anything unknown falls back to the default, and a cursor
    that does not belong to this order (or is not one) starts from the first page."""
    sort, direction = keyset.pick_order(sort, direction, sorts=SORT_KINDS, default=DEFAULT_SORT)
    return ProjectOrder(sort, direction, keyset.decode(cursor, sort, direction,
                                                       SORT_KINDS[sort]))


def _sort_value(sort: str, row: ProjectRow) -> Any:
    if sort == "added":
        return row.id
    if sort == "share":
        share = row.share_unsourced
        return -1.0 if share is None else share
    if sort == "published":
        return row.published_at or NO_DATE
    if sort == "title":
        return row.title
    return (row.verdict if sort == "verdict" else row.state) or ""


def _sort_key(sort: str, counts: Any) -> Any:
    """The SQL of a sort's key, NULL-free like ``_sort_value``."""
    if sort == "added":
        return Article.id
    if sort == "title":
        return Article.title
    if sort == "published":
        return func.coalesce(Article.published_at, NO_DATE)
    if sort == "verdict":
        return func.coalesce(Verdict.rating, "")
    if sort == "state":
        return func.coalesce(Verdict.state, "")
    sourced = func.coalesce(counts.c.sourced, 0)
    unsourced = func.coalesce(counts.c.unsourced, 0)
    return case((sourced + unsourced > 0, cast(unsourced, Float) / (sourced + unsourced)),
                else_=-1.0)


def project_page(session: Session, user: Any, *, search: str | None, status: str | None,
                 order: ProjectOrder = ProjectOrder(), limit: int) -> tuple[list[ProjectRow], str | None]:
    """One keyset page of the project report in ``order``, with the article list's search and
    filters; and the cursor of the next page (None on the last)."""
    from .articles import ArticleFilters, ArticleSummary, fill_counts, visible_articles

    # Only the share sort needs every article's counts; the others count the page's alone.
    by_share = order.sort == "share"
    counts = report_counts()
    stmt = select(Article.id, Article.title, Article.publisher, Article.published_at,
                  Verdict.rating, Verdict.state)
    if by_share:
        stmt = stmt.outerjoin(counts, counts.c.article_id == Article.id)
    stmt = stmt.outerjoin(Verdict, Verdict.article_id == Article.id)
    stmt = visible_articles(session, user, stmt, ArticleFilters(search=search, status=status))
    if stmt is None:
        return [], None
    stmt = keyset.apply(stmt, order, _sort_key(order.sort, counts), Article.id)
    found = session.execute(stmt.limit(limit + 1)).all()
    page_counts = {r.article_id: r for r in session.execute(
        select(report_counts([r.id for r in found[:limit]])))} if found else {}
    summaries = [ArticleSummary(id=r.id, title=r.title, publisher=r.publisher, source_url=None,
                                language=None, created_at=utcnow()) for r in found[:limit]]
    fill_counts(session, user, summaries)  # reviewers at work, and assigned
    rows = [ProjectRow(r.id, r.title, r.publisher, r.published_at,
                       {t: int(getattr(page_counts[r.id], t)) if r.id in page_counts else 0
                        for t in TAGS}, r.rating, r.state,
                       s.reviewers, s.assigned) for r, s in zip(found, summaries)]
    return rows, order.cursor(rows[-1]) if len(found) > limit and rows else None


def project_rows(session: Session, user: Any, *, search: str | None, status: str | None,
                 order: ProjectOrder = ProjectOrder(), batch: int = 500) -> Any:
    """Every row of the project report in ``order``, page by page (the streamed downloads)."""
    order = ProjectOrder(order.sort, order.direction)
    while True:
        rows, cursor = project_page(session, user, search=search, status=status, order=order,
                                    limit=batch)
        yield from rows
        if cursor is None:
            return
        order = project_order(order.sort, order.direction, cursor)


# -- The share unsourced over time, by publisher ---------------------------------------------

TOP_PUBLISHERS = 6
NO_PUBLISHER = "No publisher"
OTHER_PUBLISHERS = "Other publishers"


@dataclass(frozen=True, slots=True)
class ShareOverTime:
    """Per publisher and month of publication: (unsourced, factual) assertions of the
    articles' reports, with how many articles each series holds and how many had no date."""

    months: list[str]  # "YYYY-MM", every month from the first to the last
    series: list[tuple[str, dict[str, tuple[int, int]]]]
    articles: dict[str, int]  # per series
    undated: int
    merged: int  # publishers folded into OTHER_PUBLISHERS


def unsourced_by_publisher(session: Session, user: Any, *, search: str | None,
                           status: str | None, top: int = TOP_PUBLISHERS) -> ShareOverTime:
    """The share of factual assertions that are unsourced, by month of publication
    (``Article.published_at``), one series for each of the ``top`` publishers with most dated
    articles and one for the rest; over the articles the project report's search and filters
    pick, counting the same assertions as its rows (``report_counts``)."""
    from .articles import ArticleFilters, visible_articles

    counts = report_counts()
    year = extract("year", Article.published_at)
    month = extract("month", Article.published_at)
    stmt = (select(Article.publisher, year.label("year"), month.label("month"),
                   func.count(Article.id).label("articles"),
                   func.sum(func.coalesce(counts.c.sourced, 0)).label("sourced"),
                   func.sum(func.coalesce(counts.c.unsourced, 0)).label("unsourced"))
            .outerjoin(counts, counts.c.article_id == Article.id)
            .where(Article.published_at.is_not(None))
            .group_by(Article.publisher, year, month))
    stmt = visible_articles(session, user, stmt, ArticleFilters(search=search, status=status))
    undated_stmt = visible_articles(
        session, user, select(func.count(Article.id)).where(Article.published_at.is_(None)),
        ArticleFilters(search=search, status=status))
    if stmt is None or undated_stmt is None:
        return ShareOverTime([], [], {}, 0, 0)
    cells: dict[str, dict[str, list[int]]] = {}
    articles: dict[str, int] = {}
    for row in session.execute(stmt):
        name = row.publisher or NO_PUBLISHER
        key = f"{int(row.year):04d}-{int(row.month):02d}"
        cell = cells.setdefault(name, {}).setdefault(key, [0, 0])
        cell[0] += int(row.unsourced)
        cell[1] += int(row.sourced) + int(row.unsourced)
        articles[name] = articles.get(name, 0) + int(row.articles)
    ranked = sorted(articles, key=lambda name: (-articles[name], name))
    kept, rest = ranked[:top], ranked[top:]
    series = [(name, {m: (u, f) for m, (u, f) in cells[name].items()}) for name in kept]
    if rest:
        other: dict[str, tuple[int, int]] = {}
        for name in rest:
            for m, (u, f) in cells[name].items():
                before = other.get(m, (0, 0))
                other[m] = (before[0] + u, before[1] + f)
        series.append((OTHER_PUBLISHERS, other))
        articles = {**{n: articles[n] for n in kept},
                    OTHER_PUBLISHERS: sum(articles[n] for n in rest)}
    return ShareOverTime(_month_run([m for c in cells.values() for m in c]), series,
                         articles, int(session.scalar(undated_stmt) or 0), len(rest))


def _month_run(months: list[str]) -> list[str]:
    """Every month from the earliest to the latest of ``months`` ("YYYY-MM")."""
    if not months:
        return []
    first, last = min(months), max(months)
    year, month = int(first[:4]), int(first[5:])
    run = []
    while f"{year:04d}-{month:02d}" <= last:
        run.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return run
