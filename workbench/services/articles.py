"""Articles: creation from text, the paginated and searchable list, and loading one for a user."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, false, func, insert, literal_column, select, text, update
from sqlalchemy.orm import Session

from ..config import MAX_ARTICLE_BODY_BYTES
from ..models import TAGS, Article, Assertion, Assignment, User, utcnow
from ..text import canonicalize, content_hash
from ..values import MAX_LANGUAGE_LENGTH, parse_date, parse_http_url, parse_language, parse_line
from . import audit, keyset
from .errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed, WorkbenchError
from .policy import ArticleAccess, article_access, listed_assertions, project_access, require

MAX_TITLE_LENGTH = 500
MAX_PUBLISHER_LENGTH = 200


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


def _metadata_row(title: Any, source_url: Any, publisher: Any, published_at: Any,
                  language: Any) -> dict[str, Any]:
    """The checked columns of an article's metadata (every writer's, creation and editing);
    ValidationFailed naming the field otherwise."""
    title = parse_line(canonicalize(title) if isinstance(title, str) else title,
                       "title", maximum=MAX_TITLE_LENGTH, what="A title")
    publisher = parse_line(publisher, "publisher", maximum=MAX_PUBLISHER_LENGTH,
                           required=False, what="A publisher") or None
    source_url = parse_http_url(source_url, "source_url") if source_url else None
    if published_at is not None and not isinstance(published_at, date):
        published_at = parse_date(published_at, "published_at")
    return {"title": title, "source_url": source_url, "publisher": publisher,
            "published_at": published_at, "language": parse_language(language, "language")}


def _article_row(draft: ArticleDraft) -> dict[str, Any]:
    """The checked, canonical columns of a new article (the one set of checks of every
    article writer); ValidationFailed or PayloadTooLarge naming the field otherwise."""
    row = _metadata_row(draft.title, draft.source_url, draft.publisher, draft.published_at,
                        draft.language)
    if not isinstance(draft.body, str):
        raise ValidationFailed("The article body must be text.", "body")
    body = canonicalize(draft.body or "")
    if not body.strip():
        raise ValidationFailed("The article body is empty.", "body")
    if len(body.encode("utf-8")) > MAX_ARTICLE_BODY_BYTES:
        raise PayloadTooLarge("An article body may be at most 2 MB of UTF-8 text.", "body")
    return {**row, "body": body, "content_hash": content_hash(body)}


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
                    actor: User | None, defer_search: bool = False) -> list[int]:
    """Store many new articles at once (one executemany, one for their audit events), with
    the checks of ``create_article``; returns their ids in order. All or nothing: the first
    bad draft raises (field ``items[i].field``) before anything is written, and so does a
    text already stored (Conflict). Never commits.

    ``defer_search``: on SQLite, leave the articles out of the search index for
    ``index_deferred_search`` to add once the caller has committed (indexing is most of the
    cost of storing an article, and a long import should not hold the write lock for it)."""
    return insert_article_rows(session, article_rows(drafts), actor=actor,
                               defer_search=defer_search)


def article_rows(drafts: Sequence[ArticleDraft]) -> list[dict[str, Any]]:
    """The checked, canonical rows of new articles (no database: a bulk writer prepares them
    before it takes the write lock); the first bad draft raises, naming ``items[i].field``."""
    rows = []
    for index, draft in enumerate(drafts):
        try:
            rows.append(_article_row(draft))
        except WorkbenchError as error:
            error.field = f"items[{index}].{error.field}"
            raise
    return rows


def insert_article_rows(session: Session, rows: Sequence[dict[str, Any]], *,
                        actor: User | None, defer_search: bool = False) -> list[int]:
    """``insert_articles`` for rows ``article_rows`` made."""
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
    indexed = not (defer_search and session.get_bind().dialect.name == "sqlite")
    # A plain executemany, then the ids by content hash (unique): RETURNING in a given order
    # makes SQLAlchemy send SQLite one INSERT per row, several times slower.
    session.connection().execute(_INSERT_ARTICLES, [
        {**row, "created_at": now, "search_indexed": indexed} for row in rows])
    stored = stored_articles(session, digests)
    ids = [stored[digest] for digest in digests]
    audit.record_many(session, actor, [
        ("article.create", "article", article_id, article_id,
         {key: article_id if key == "id" else row[key] for key in _SNAPSHOT_KEYS})
        for article_id, row in zip(ids, rows)])
    return ids


#: Articles put into the search index per transaction by ``index_deferred_search``: about
#: 0.1 s of SQLite's write lock for articles of a few thousand characters.
SEARCH_INDEX_BATCH = 300


def deferred_search_count(session: Session) -> int:
    """How many articles wait for ``index_deferred_search``."""
    table = Article.__table__
    return int(session.scalar(select(func.count()).select_from(table)
                              .where(~table.c.search_indexed)) or 0)


def index_deferred_search(session: Session, limit: int = SEARCH_INDEX_BATCH) -> int:
    """Put up to ``limit`` of the articles left out of the search index (``insert_articles``
    with ``defer_search``) into it, oldest first; returns how many. Call it in a transaction
    of its own until it returns 0: each call holds SQLite's write lock briefly. Articles an
    interrupted import left out are found by the next call (``workbench import`` makes it after
    every import, and so does the upload page)."""
    table = Article.__table__
    waiting = list(session.scalars(select(table.c.id).where(~table.c.search_indexed)
                                   .order_by(table.c.id).limit(limit)))
    if waiting:
        # The update trigger adds each row to the index as its flag turns true (0010).
        session.execute(update(table).where(table.c.id.in_(waiting))
                        .values(search_indexed=True))
    return len(waiting)


def get_article_for(session: Session, user: User, article_id: int) -> tuple[Article, ArticleAccess]:
    """The article and the caller's rights on it; NotFound when it is missing or not theirs to see."""
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    access = article_access(session, user, article_id)
    if not access.can_see:
        raise NotFound("No such article.")
    return article, access


def _stale(article: Article) -> Conflict:
    return Conflict("Someone changed this article's details since you opened them; the form "
                    "now shows the current values.",
                    current={**metadata_dict(article), "version": metadata_version(article)},
                    code="stale")


# -- Metadata ------------------------------------------------------------------------------------

#: What a supervisor may edit of an article; the body changes only through revisions.
METADATA_FIELDS = ("title", "source_url", "publisher", "published_at", "language")


def metadata_dict(article: Article) -> dict[str, Any]:
    """An article's metadata as the audit trail and the edit form keep it (dates as ISO text)."""
    return {"title": article.title, "source_url": article.source_url,
            "publisher": article.publisher,
            "published_at": article.published_at.isoformat() if article.published_at else None,
            "language": article.language}


def metadata_version(article: Article) -> str:
    """The version of an article's metadata a form or a script read: a digest of the values
    themselves (articles have no version column), so any change by anyone makes it stale."""
    raw = json.dumps(metadata_dict(article), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]


def update_metadata(session: Session, actor: User, article_id: int, *, version: object,
                    **fields: Any) -> Article:
    """Change an article's title, source URL, publisher, published date and language (each
    checked as at creation), if ``version`` is still the metadata's version; audited with the
    values before and after. Nothing is written when nothing changes. NotFound for an article
    the actor may not see, Forbidden unless they may edit it, ValidationFailed naming the
    field, Conflict (with the current values and version) when someone changed it since."""
    article, access = get_article_for(session, actor, article_id)
    require(access, "can_edit_metadata")
    unknown = set(fields) - set(METADATA_FIELDS)
    if unknown:
        raise ValidationFailed(f"Only {', '.join(METADATA_FIELDS)} can be edited.",
                               sorted(unknown)[0])
    before = metadata_dict(article)
    row = _metadata_row(*(fields.get(name, before[name]) for name in METADATA_FIELDS))
    if version != metadata_version(article):
        raise _stale(article)
    after = {**row, "published_at": row["published_at"].isoformat() if row["published_at"]
             else None}
    if after == before:
        return article
    # The UPDATE re-checks the values it read, so a change that landed in between is not lost.
    columns = Article.__table__.c
    unchanged = [columns[name].is_not_distinct_from(getattr(article, name))
                 for name in METADATA_FIELDS]
    result = session.execute(update(Article.__table__).where(columns.id == article_id, *unchanged)
                             .values(**row))
    session.expire(article)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _stale(article)
    audit.record(session, actor, "article.update", "article", article_id, article_id=article_id,
                 before=before, after=after)
    return article


def summary_dict(summary: "ArticleSummary") -> dict[str, Any]:
    """An article as the list shows it (no body; counts limited to what the caller sees)."""
    return {"id": summary.id, "title": summary.title, "publisher": summary.publisher,
            "source_url": summary.source_url, "language": summary.language,
            "published_at": summary.published_at.isoformat() if summary.published_at else None,
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
    published_at: date | None = None


@dataclass(slots=True)
class ArticlePage:
    items: list[ArticleSummary]
    next_cursor: Any  # an id (newest first, the API's), or an opaque ``keyset`` token


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
MAX_SEARCH_LENGTH = 500


@dataclass(frozen=True, slots=True)
class ArticleFilters:
    """What the article list (and the project report) narrows the visible articles to."""

    search: str | None = None
    status: str | None = None
    publisher: str | None = None
    language: str | None = None
    published_from: date | None = None
    published_to: date | None = None
    tag: str | None = None  # has at least one assertion with this tag that the list counts


# Query parameter → filter; the one naming of the list's filters (page, API, project report).
FILTER_PARAMETERS = {"q": "search", "status": "status", "publisher": "publisher",
                     "language": "language", "published_from": "published_from",
                     "published_to": "published_to", "tag": "tag"}


def parse_filters(args: Mapping[str, Any]) -> tuple[ArticleFilters, dict[str, str]]:
    """The list's filters from query parameters, and a message per bad parameter (by its
    name); a caller with any message shows it beside its field and no articles."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    def take(name: str, parse):  # type: ignore[no-untyped-def]
        raw = args.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return
        try:
            values[FILTER_PARAMETERS[name]] = parse(raw)
        except ValidationFailed as problem:
            errors[name] = problem.message

    def search(raw: Any) -> str:
        text = raw.strip() if isinstance(raw, str) else ""
        if len(text) > MAX_SEARCH_LENGTH or "\x00" in text:
            raise ValidationFailed(f"A search may have at most {MAX_SEARCH_LENGTH} characters.",
                                   "q")
        return text

    def one_of(name: str, choices: Sequence[str], what: str):  # type: ignore[no-untyped-def]
        def parse(raw: Any) -> str:
            if raw not in choices:
                raise ValidationFailed(f"{what} must be one of: {', '.join(choices)}.", name)
            return str(raw)
        return parse

    take("q", search)
    take("status", one_of("status", LIST_STATUSES, "The status"))
    take("publisher", lambda raw: parse_line(raw, "publisher", maximum=MAX_PUBLISHER_LENGTH,
                                             what="A publisher"))
    take("language", parse_language)
    take("published_from", lambda raw: parse_date(raw, "published_from"))
    take("published_to", lambda raw: parse_date(raw, "published_to"))
    take("tag", one_of("tag", TAGS, "The tag"))
    start, end = values.get("published_from"), values.get("published_to")
    if start and end and start > end:
        errors["published_to"] = "The end of the date range comes before its start."
    return ArticleFilters(**values), errors


# The list's orders and the kind of key each cursor carries (``keyset``).
LIST_SORTS = {"added": "id", "title": "text", "published": "date"}
DEFAULT_LIST_SORT = ("added", "desc")
NO_DATE = date(1, 1, 1)
# The published date's sort key as literal SQL, so the expression index of migration 0007
# (``ix_articles_published_key``) serves it; a bound parameter would not match the index.
_NO_DATE_SQL = {"sqlite": "'0001-01-01'", "postgresql": "DATE '0001-01-01'"}


def parse_order(args: Mapping[str, Any]) -> tuple[keyset.Order, dict[str, str]]:
    """The list's order (``sort``, ``order``) and, past the first page, its cursor
    (``after``); a message per unknown sort or direction. A cursor that belongs to another
    order, or is no cursor, means the first page."""
    errors: dict[str, str] = {}
    sort, direction = args.get("sort") or None, args.get("order") or None
    if sort is not None and sort not in LIST_SORTS:
        errors["sort"] = f"Sort by one of: {', '.join(LIST_SORTS)}."
        sort = None
    if direction is not None and direction not in ("asc", "desc"):
        errors["order"] = "The order is asc or desc."
        direction = None
    sort, direction = keyset.pick_order(sort, direction, sorts=LIST_SORTS,
                                        default=DEFAULT_LIST_SORT)
    after = keyset.decode(args.get("after"), sort, direction, LIST_SORTS[sort])
    return keyset.Order(sort, direction, after), errors


def published_key(session: Session):  # type: ignore[no-untyped-def]
    """The published date's sort key: never NULL (a missing date sorts lowest)."""
    dialect = session.get_bind().dialect.name
    return func.coalesce(Article.published_at, literal_column(_NO_DATE_SQL[dialect]))


def _list_sort_key(session: Session, sort: str, id_column):  # type: ignore[no-untyped-def]
    if sort == "title":
        return Article.title
    if sort == "published":
        return published_key(session)
    return id_column


def list_articles(session: Session, user: User, *,
                  filters: ArticleFilters = ArticleFilters(), order: keyset.Order | None = None,
                  before_id: int | None = None, limit: int = 50) -> ArticlePage:
    """One page of the articles the user may see with ``filters``: in ``order`` with an
    opaque next cursor, or (no order: the API's) newest first after ``before_id``, the next
    cursor an id."""
    stmt = select(Article.id, Article.title, Article.publisher, Article.source_url,
                  Article.language, Article.created_at, Article.published_at)
    sees_all = project_access(user).can_see_all_articles
    stmt = visible_articles(session, user, stmt, filters)
    if stmt is None:
        return ArticlePage([], None)
    if not sees_all:
        stmt = stmt.add_columns(Assignment.status)
    if order is None:
        if before_id is not None:
            stmt = stmt.where(Article.id < before_id)
        stmt = stmt.order_by(Article.id.desc())
    else:
        # A reviewer's list walks their assignments (ix_assignments_reviewer_article) in
        # article order: ordering on the joined id itself needs no sort.
        id_column = Article.id if sees_all else Assignment.article_id
        stmt = keyset.apply(stmt, order, _list_sort_key(session, order.sort, id_column),
                            id_column)
    rows = session.execute(stmt.limit(limit + 1)).all()
    has_more = len(rows) > limit
    items = [ArticleSummary(id=r.id, title=r.title, publisher=r.publisher, source_url=r.source_url,
                            language=r.language, created_at=r.created_at,
                            published_at=r.published_at,
                            assignment_status=getattr(r, "status", None))
             for r in rows[:limit]]
    fill_counts(session, user, items)
    if not (has_more and items):
        return ArticlePage(items, None)
    last = items[-1]
    if order is None:
        return ArticlePage(items, last.id)
    key = {"title": last.title, "published": last.published_at or NO_DATE}.get(order.sort, last.id)
    return ArticlePage(items, order.token(key, last.id))


def visible_articles(session: Session, user: User, stmt,  # type: ignore[no-untyped-def]
                     filters: ArticleFilters):
    """``stmt`` (a select over articles) narrowed to what the list shows ``user``: the articles
    they may see, with ``filters``; None when the search can match nothing. The article list
    and the project report share it. For a user who sees only their own articles it joins
    their ``Assignment``."""
    sees_all = project_access(user).can_see_all_articles
    if not sees_all:
        stmt = stmt.join(Assignment, and_(Assignment.article_id == Article.id,
                                          Assignment.reviewer_id == user.id))
    if filters.status is not None:
        stmt = _with_status(stmt, filters.status, sees_all)
    if filters.publisher is not None:
        stmt = stmt.where(Article.publisher == filters.publisher)
    if filters.language is not None:
        stmt = stmt.where(Article.language == filters.language)
    if filters.published_from is not None or filters.published_to is not None:
        # On the published order's key, so that its index (0007) serves the range too.
        key = published_key(session)
        stmt = stmt.where(Article.published_at.is_not(None))
        if filters.published_from is not None:
            stmt = stmt.where(key >= filters.published_from)
        if filters.published_to is not None:
            stmt = stmt.where(key <= filters.published_to)
    if filters.tag is not None:
        if filters.tag not in TAGS:
            raise ValidationFailed(f"The tag must be one of: {', '.join(TAGS)}.", "tag")
        # Only the assertions the list counts for this user (the policy: blind review). A
        # correlated EXISTS (ix_assertions_tag_article): the page stops at its 51st match,
        # where IN would first gather every article holding the tag.
        stmt = stmt.where(select(Assertion.id).where(
            Assertion.tag == filters.tag, Assertion.article_id == Article.id,
            listed_assertions(user)).exists())
    if filters.search and filters.search.strip():
        stmt = with_search(session, stmt, filters.search.strip())
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
    # Core selects over the tables' columns: their rows skip the ORM's loading. One row per
    # article gives both figures, counts per tag and how many reviewers have any (grouped by
    # reviewer and tag too, a page read some 500 rows; the covering index serves either).
    assertions = Assertion.__table__.c
    counts = (select(assertions.article_id, func.count(assertions.reviewer_id.distinct()),
                     *(func.count().filter(assertions.tag == tag) for tag in TAGS))
              .where(assertions.article_id.in_(by_id), listed_assertions(user))
              .group_by(assertions.article_id))
    for article_id, reviewers, *tag_counts in session.execute(counts):
        item = by_id[article_id]
        item.reviewers = reviewers
        item.tag_counts = dict(zip(TAGS, tag_counts))
    if sees_all:
        assignments = Assignment.__table__.c
        assigned_stmt = (select(assignments.article_id, func.count())
                         .where(assignments.article_id.in_(by_id))
                         .group_by(assignments.article_id))
        for article_id, count in session.execute(assigned_stmt):
            by_id[article_id].assigned = count
