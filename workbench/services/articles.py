"""Articles: creation from text, the paginated and searchable list, and loading one for a user."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, false, func, insert, select, text
from sqlalchemy.orm import Session

from ..config import MAX_ARTICLE_BODY_BYTES
from ..models import TAGS, Article, Assertion, Assignment, User, utcnow
from ..text import canonicalize, content_hash
from ..values import parse_http_url, parse_line
from . import audit
from .errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed, WorkbenchError
from .policy import ArticleAccess, article_access, project_access

MAX_TITLE_LENGTH = 500
MAX_PUBLISHER_LENGTH = 200
MAX_LANGUAGE_LENGTH = 35
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


def article_dict(article: Article) -> dict[str, Any]:
    """The one shape of an article with its body (the API's, the exports')."""
    return {
        "id": article.id, "title": article.title, "body": article.body,
        "source_url": article.source_url, "publisher": article.publisher,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "language": article.language, "content_hash": article.content_hash,
        "created_at": article.created_at.isoformat(),
    }


# What the audit trail keeps of an article: ``article_dict`` without the body and dates.
_SNAPSHOT_KEYS = ("id", "title", "source_url", "publisher", "content_hash")


def article_snapshot(article: Article) -> dict[str, Any]:
    """``article_dict`` without the body: what the audit trail keeps of an article."""
    record = article_dict(article)
    return {key: record[key] for key in _SNAPSHOT_KEYS}


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    """An article's fields as given, before the checks of ``create_article``."""

    title: Any
    body: Any
    source_url: Any = None
    publisher: Any = None
    published_at: date | None = None
    language: Any = None


def _article_row(draft: ArticleDraft) -> dict[str, Any]:
    """The checked, canonical columns of a new article (the one set of checks of every
    article writer); ValidationFailed or PayloadTooLarge naming the field otherwise."""
    title = parse_line(canonicalize(draft.title) if isinstance(draft.title, str) else draft.title,
                       "title", maximum=MAX_TITLE_LENGTH, what="A title")
    publisher = parse_line(draft.publisher, "publisher", maximum=MAX_PUBLISHER_LENGTH,
                           required=False, what="A publisher") or None
    if not isinstance(draft.body, str):
        raise ValidationFailed("The article body must be text.", "body")
    body = canonicalize(draft.body or "")
    if not body.strip():
        raise ValidationFailed("The article body is empty.", "body")
    if len(body.encode("utf-8")) > MAX_ARTICLE_BODY_BYTES:
        raise PayloadTooLarge("An article body may be at most 2 MB of UTF-8 text.", "body")
    source_url = parse_http_url(draft.source_url, "source_url") if draft.source_url else None
    language = draft.language
    if language is not None and (not isinstance(language, str)
                                 or len(language) > MAX_LANGUAGE_LENGTH
                                 or not LANGUAGE_TAG.fullmatch(language)):
        raise ValidationFailed("Language must be a language tag such as 'en' or 'ar-MA'.",
                               "language")
    return {"title": title, "body": body, "source_url": source_url, "publisher": publisher,
            "published_at": draft.published_at, "language": language,
            "content_hash": content_hash(body)}


def create_article(session: Session, *, title: str, body: str, actor: User | None,
                   source_url: str | None = None, publisher: str | None = None,
                   published_at: date | None = None, language: str | None = None) -> Article:
    """Store an article with its body made canonical (NFC, ``\\n`` line ends)."""
    row = _article_row(ArticleDraft(title, body, source_url, publisher, published_at, language))
    existing = session.scalar(select(Article.id).where(Article.content_hash == row["content_hash"]))
    if existing is not None:
        raise Conflict(f"This text is already stored as article {existing}.",
                       current={"id": existing}, field="body", code="duplicate")
    article = Article(**row)
    session.add(article)
    session.flush()
    audit.record(session, actor, "article.create", "article", article.id, article_id=article.id,
                 after=article_snapshot(article))
    return article


#: Content hashes looked up per query by ``stored_articles``.
_HASHES_PER_QUERY = 500


def stored_articles(session: Session, digests: Sequence[str]) -> dict[str, int]:
    """The ids of the stored articles among these content hashes, by hash."""
    found: dict[str, int] = {}
    for i in range(0, len(digests), _HASHES_PER_QUERY):
        found.update(session.execute(select(Article.content_hash, Article.id).where(
            Article.content_hash.in_(digests[i:i + _HASHES_PER_QUERY]))).all())
    return found


_INSERT_ARTICLES = insert(Article.__table__)


def insert_articles(session: Session, drafts: Sequence[ArticleDraft], *,
                    actor: User | None) -> list[int]:
    """Store many new articles at once (one executemany, one for their audit events), with
    the checks of ``create_article``; returns their ids in order. All or nothing: the first
    bad draft raises (field ``items[i].field``) before anything is written, and so does a
    text already stored (Conflict). Never commits."""
    rows = []
    for index, draft in enumerate(drafts):
        try:
            rows.append(_article_row(draft))
        except WorkbenchError as error:
            error.field = f"items[{index}].{error.field}"
            raise
    if not rows:
        return []
    digests = [row["content_hash"] for row in rows]
    stored = stored_articles(session, digests)
    if stored or len(set(digests)) != len(digests):
        index = next(i for i, d in enumerate(digests) if d in stored or digests.index(d) != i)
        raise Conflict(f"This text is already stored as article {stored.get(digests[index])}."
                       if digests[index] in stored else "The same text is given twice.",
                       current={"id": stored.get(digests[index])},
                       field=f"items[{index}].body", code="duplicate")
    now = utcnow()
    # A plain executemany, then the ids by content hash (unique): RETURNING in a given order
    # makes SQLAlchemy send SQLite one INSERT per row, several times slower.
    session.connection().execute(_INSERT_ARTICLES, [{**row, "created_at": now} for row in rows])
    stored = stored_articles(session, digests)
    ids = [stored[digest] for digest in digests]
    audit.record_many(session, actor, [
        ("article.create", "article", article_id, article_id,
         {key: article_id if key == "id" else row[key] for key in _SNAPSHOT_KEYS})
        for article_id, row in zip(ids, rows)])
    return ids


def get_article_for(session: Session, user: User, article_id: int) -> tuple[Article, ArticleAccess]:
    """The article and the caller's rights on it; NotFound when it is missing or not theirs to see."""
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    access = article_access(session, user, article_id)
    if not access.can_see:
        raise NotFound("No such article.")
    return article, access


def summary_dict(summary: "ArticleSummary") -> dict[str, Any]:
    """An article as the list shows it (no body; counts limited to what the caller sees)."""
    return {"id": summary.id, "title": summary.title, "publisher": summary.publisher,
            "source_url": summary.source_url, "language": summary.language,
            "created_at": summary.created_at.isoformat(), "tag_counts": summary.tag_counts,
            "reviewers": summary.reviewers}


@dataclass(slots=True)
class ArticleSummary:
    id: int
    title: str
    publisher: str | None
    source_url: str | None
    language: str | None
    created_at: datetime
    tag_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TAGS, 0))
    reviewers: int = 0
    assigned: int = 0
    assignment_status: str | None = None


@dataclass(slots=True)
class ArticlePage:
    items: list[ArticleSummary]
    next_cursor: int | None


def fts5_query(search: str) -> str | None:
    """User text as a safe FTS5 query: every word quoted, the last one also matched as a prefix."""
    words = re.findall(r"\w+", search)
    if not words:
        return None
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


# Assignment filters of the list: a reviewer's own status, or (for those who see all articles)
# unassigned, open (a reviewer is still at work) and submitted (everyone assigned has submitted).
LIST_STATUSES = ("unassigned", "open", "submitted")


def list_articles(session: Session, user: User, *, search: str | None = None,
                  before_id: int | None = None, limit: int = 50,
                  status: str | None = None) -> ArticlePage:
    """One page of the articles the user may see, newest first (keyset pagination on id)."""
    stmt = select(Article.id, Article.title, Article.publisher, Article.source_url,
                  Article.language, Article.created_at)
    sees_all = project_access(user).can_see_all_articles
    stmt = visible_articles(session, user, stmt, search=search, status=status)
    if stmt is None:
        return ArticlePage([], None)
    if not sees_all:
        stmt = stmt.add_columns(Assignment.status)
    if before_id is not None:
        stmt = stmt.where(Article.id < before_id)
    rows = session.execute(stmt.order_by(Article.id.desc()).limit(limit + 1)).all()
    has_more = len(rows) > limit
    items = [ArticleSummary(id=r.id, title=r.title, publisher=r.publisher, source_url=r.source_url,
                            language=r.language, created_at=r.created_at,
                            assignment_status=getattr(r, "status", None))
             for r in rows[:limit]]
    fill_counts(session, user, items)
    return ArticlePage(items, items[-1].id if has_more and items else None)


def visible_articles(session: Session, user: User, stmt, *, search: str | None,  # type: ignore[no-untyped-def]
                     status: str | None):
    """``stmt`` (a select over articles) narrowed to what the list shows ``user``: the articles
    they may see, the status filter and the search; None when the search can match nothing.
    The article list and the project report share it. For a user who sees only their own
    articles it joins their ``Assignment``."""
    sees_all = project_access(user).can_see_all_articles
    if not sees_all:
        stmt = stmt.join(Assignment, and_(Assignment.article_id == Article.id,
                                          Assignment.reviewer_id == user.id))
    if status is not None:
        stmt = _with_status(stmt, status, sees_all)
    if search and search.strip():
        stmt = with_search(session, stmt, search.strip())
    return stmt


def _with_status(stmt, status: str, sees_all: bool):  # type: ignore[no-untyped-def]
    if status not in LIST_STATUSES:
        raise ValidationFailed(f"status must be one of: {', '.join(LIST_STATUSES)}.", "status")
    if not sees_all:  # the caller's own assignment, already joined
        if status == "unassigned":
            return stmt.where(false())
        wanted = "assigned" if status == "open" else "submitted"
        return stmt.where(Assignment.status == wanted)
    open_work = select(Assignment.id).where(Assignment.article_id == Article.id,
                                            Assignment.status == "assigned").exists()
    any_work = select(Assignment.id).where(Assignment.article_id == Article.id).exists()
    if status == "unassigned":
        return stmt.where(~any_work)
    if status == "open":
        return stmt.where(open_work)
    return stmt.where(any_work, ~open_work)


def with_search(session: Session, stmt, search: str):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "sqlite":
        query = fts5_query(search)
        if query is None:
            return None
        matches = text("SELECT rowid FROM article_search WHERE article_search MATCH :q")
        return stmt.where(Article.id.in_(matches.bindparams(q=query)))
    # articles.search_vector: a stored generated column (migration 0003), GIN-indexed.
    return stmt.where(text(
        "articles.search_vector @@ websearch_to_tsquery('simple'::regconfig, :q)"
    ).bindparams(q=search))


def fill_counts(session: Session, user: User, items: list[ArticleSummary]) -> None:
    """Per-tag counts and reviewer numbers for one page: every reviewer's for those who see all
    articles, else the user's own ("your review"; the list never shows others' work, whatever
    the article page would reveal)."""
    if not items:
        return
    sees_all = project_access(user).can_see_all_articles
    by_id = {item.id: item for item in items}
    # One grouped query gives both figures: counts per tag, and which reviewers have any.
    counts = (select(Assertion.article_id, Assertion.reviewer_id, Assertion.tag, func.count())
              .where(Assertion.article_id.in_(by_id), Assertion.consensus.is_(False))
              .group_by(Assertion.article_id, Assertion.reviewer_id, Assertion.tag))
    if not sees_all:
        counts = counts.where(Assertion.reviewer_id == user.id)
    reviewers: dict[int, set[int]] = {}
    for article_id, reviewer_id, tag, count in session.execute(counts):
        by_id[article_id].tag_counts[tag] += count
        reviewers.setdefault(article_id, set()).add(reviewer_id)
    for article_id, names in reviewers.items():
        by_id[article_id].reviewers = len(names)
    if sees_all:
        assigned_stmt = (select(Assignment.article_id, func.count())
                         .where(Assignment.article_id.in_(by_id))
                         .group_by(Assignment.article_id))
        for article_id, count in session.execute(assigned_stmt):
            by_id[article_id].assigned = count
