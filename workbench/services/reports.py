"""What an article's verdict report shows, gathered once for the page, the public page and
exports: the verdict, the assertions it rests on (the consensus set, or, where there is none,
the reviewers' work, said so), their ratings and evidence, and the figures a reader wants."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..claimreview import RatedClaim, claim_reviews
from ..models import (TAGS, Article, Assertion, AssertionRating, Assignment, User, Verdict,
                      utcnow)
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
        factual = len(self.by_tag["sourced"]) + len(self.by_tag["unsourced"])
        return len(self.by_tag["unsourced"]) / factual if factual else None


def article_report(session: Session, article: Article, *, public: bool) -> Report:
    rows = list(session.scalars(
        select(Assertion).where(Assertion.article_id == article.id)
        .options(selectinload(Assertion.evidence), selectinload(Assertion.reviewer))
        .order_by(Assertion.start, Assertion.end.desc(), Assertion.id)))
    consensus = [a for a in rows if a.consensus]
    reviewed = [a for a in rows if not a.consensus]
    if consensus:
        basis, shown = "consensus", consensus
    else:
        owners = {a.reviewer_id for a in reviewed}
        basis, shown = ("reviewer" if len(owners) == 1 else "reviewers"), reviewed
    ratings = {r.assertion_id: r for r in session.scalars(select(AssertionRating).where(
        AssertionRating.assertion_id.in_([a.id for a in shown])))} if shown else {}
    assigned = session.scalars(select(User.username).join(
        Assignment, Assignment.reviewer_id == User.id).where(Assignment.article_id == article.id))
    reviewers = sorted({a.reviewer.username for a in reviewed} | set(assigned))
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

PROJECT_COLUMNS = ["article_id", "title", "publisher", "sourced", "unsourced", "opinion",
                   "share_unsourced", "reviewers", "assigned", "verdict", "state"]


@dataclass(frozen=True, slots=True)
class ProjectRow:
    summary: Any  # articles.ArticleSummary
    verdict: str | None
    state: str | None

    @property
    def share_unsourced(self) -> float | None:
        counts = self.summary.tag_counts
        factual = counts["sourced"] + counts["unsourced"]
        return counts["unsourced"] / factual if factual else None

    def cells(self) -> list[Any]:
        s = self.summary
        share = self.share_unsourced
        return [s.id, s.title, s.publisher or "", s.tag_counts["sourced"],
                s.tag_counts["unsourced"], s.tag_counts["opinion"],
                "" if share is None else round(share, 4), s.reviewers, s.assigned,
                self.verdict or "", self.state or ""]


def project_page(session: Session, user: Any, *, search: str | None, status: str | None,
                 before_id: int | None, limit: int) -> tuple[list[ProjectRow], int | None]:
    """One keyset page of the project report, with the article list's search and filters."""
    from .articles import list_articles

    page = list_articles(session, user, search=search, before_id=before_id, limit=limit,
                         status=status)
    verdicts = {v.article_id: v for v in session.scalars(select(Verdict).where(
        Verdict.article_id.in_([s.id for s in page.items])))} if page.items else {}
    rows = [ProjectRow(s, verdicts[s.id].rating if s.id in verdicts else None,
                       verdicts[s.id].state if s.id in verdicts else None) for s in page.items]
    return rows, page.next_cursor


def project_rows(session: Session, user: Any, *, search: str | None,
                 status: str | None, batch: int = 500) -> Any:
    """Every row of the project report, page by page (for the streamed downloads)."""
    cursor: int | None = None
    while True:
        rows, cursor = project_page(session, user, search=search, status=status,
                                    before_id=cursor, limit=batch)
        yield from rows
        if cursor is None:
            return
