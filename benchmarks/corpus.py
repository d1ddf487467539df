"""Deterministic corpus generator: articles, assignments, assertions and evidence links.

Every article is a function of the seed and its serial number alone, so growing a corpus from
1,000 to 10,000 to 100,000 articles gives the same first 1,000 as making 1,000. Rows go straight
in through SQLAlchemy Core bulk inserts (one transaction per batch) into a database that
``workbench.migrate.upgrade`` made: the app's own schema, triggers and search indexes.

Article 1 is the *heavy article*: a long text holding 1,000 assertions by 3 reviewers.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, func, insert, select, text

from workbench.models import Article, Assertion, Assignment, Evidence
from workbench.text import canonicalize, check_span, content_hash

from . import corpus_text
from .progress import ProgressLine, bar

HEAVY_ARTICLE_ID = 1
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class CorpusSpec:
    """The knobs of the synthetic newsroom."""

    seed: int = 20261123
    sentences_per_article: tuple[int, int] = (10, 30)
    sentences_per_paragraph: tuple[int, int] = (2, 5)
    non_ascii_share: float = 0.2  # of the sentence pool
    reviewed_share: float = 0.3  # articles assigned to at least one reviewer
    reviewers_per_article: tuple[int, int] = (1, 3)
    assertions_per_review: tuple[int, int] = (0, 12)
    submitted_share: float = 0.3  # of assignments
    evidence_share: float = 0.3  # of assertions, one link each
    heavy_assertions: int = 1000
    heavy_reviewers: int = 3
    heavy_sentences: int = 300
    batch_size: int = 2500


@dataclass(slots=True)
class Rows:
    """Rows for one batch, per table."""

    articles: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    assertions: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class CorpusCounts:
    articles: int = 0
    assignments: int = 0
    assertions: int = 0
    evidence: int = 0
    non_ascii_articles: int = 0
    body_characters: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Body:
    text: str
    sentences: list[tuple[int, int]]  # (start, end) code-point offsets of each sentence


class CorpusGenerator:
    """Grows the corpus of one database; ``reviewer_ids`` are real users (see accounts.py)."""

    def __init__(self, engine: Engine, reviewer_ids: list[int], supervisor_id: int,
                 spec: CorpusSpec = CorpusSpec()) -> None:
        self.engine = engine
        self.reviewer_ids = reviewer_ids
        self.supervisor_id = supervisor_id
        self.spec = spec
        self.pool = corpus_text.build_sentence_pool(spec.seed, non_ascii_share=spec.non_ascii_share)
        self.counts = CorpusCounts()
        self._next_assertion_id = 1

    # -- public -----------------------------------------------------------------------------

    def grow_to(self, target: int, label: str = "corpus") -> CorpusCounts:
        """Insert articles until the database holds ``target`` of them."""
        started = time.monotonic()
        current = self._article_count()
        if current >= target:
            return self.counts
        self._next_assertion_id = self._max_assertion_id() + 1
        progress = ProgressLine(label)
        serial = current + 1
        while serial <= target:
            last = min(target, serial + self.spec.batch_size - 1)
            self._insert(self._rows_for(range(serial, last + 1)))
            self._report(progress, last, current, target, started)
            serial = last + 1
        self._after_bulk_load()
        self.counts.seconds += time.monotonic() - started
        progress.done(f"{target:,} articles, {self.counts.assertions:,} assertions, "
                      f"{self.counts.evidence:,} evidence links made in "
                      f"{time.monotonic() - started:.1f} s")
        return self.counts

    # -- rows -------------------------------------------------------------------------------

    def _rows_for(self, serials: range) -> Rows:
        rows = Rows()
        for serial in serials:
            if serial == HEAVY_ARTICLE_ID:
                self._heavy_article(rows)
            else:
                self._ordinary_article(serial, rows)
        return rows

    def _rng(self, serial: int) -> random.Random:
        return random.Random(self.spec.seed * 1_000_003 + serial)

    def _ordinary_article(self, serial: int, rows: Rows) -> None:
        rng = self._rng(serial)
        count = rng.randint(*self.spec.sentences_per_article)
        body = self._compose_body(rng, serial, count)
        rows.articles.append(self._article_row(rng, serial, body))
        if rng.random() >= self.spec.reviewed_share:
            return
        reviewers = rng.sample(self.reviewer_ids, rng.randint(*self.spec.reviewers_per_article))
        for reviewer_id in reviewers:
            submitted = rng.random() < self.spec.submitted_share
            rows.assignments.append(self._assignment_row(serial, reviewer_id, submitted))
            for _ in range(rng.randint(*self.spec.assertions_per_review)):
                self._add_assertion(rng, serial, reviewer_id, body, rows)

    def _heavy_article(self, rows: Rows) -> None:
        rng = self._rng(HEAVY_ARTICLE_ID)
        body = self._compose_body(rng, HEAVY_ARTICLE_ID, self.spec.heavy_sentences)
        rows.articles.append(self._article_row(rng, HEAVY_ARTICLE_ID, body))
        reviewers = self.reviewer_ids[:self.spec.heavy_reviewers]
        for reviewer_id in reviewers:
            rows.assignments.append(self._assignment_row(HEAVY_ARTICLE_ID, reviewer_id, False))
        for index in range(self.spec.heavy_assertions):
            self._add_assertion(rng, HEAVY_ARTICLE_ID, reviewers[index % len(reviewers)], body,
                                rows)

    def _compose_body(self, rng: random.Random, serial: int, sentence_count: int) -> Body:
        """Paragraphs of pooled sentences; the dateline makes every body (and hash) unique."""
        sentences = [f"{rng.choice(corpus_text.PLACES)}, dispatch {serial}."]
        sentences += rng.choices(self.pool, k=sentence_count)
        for word, share in ((corpus_text.COMMON_SEARCH_WORD, corpus_text.COMMON_WORD_SHARE),
                            (corpus_text.RARE_SEARCH_WORD, corpus_text.RARE_WORD_SHARE)):
            if rng.random() < share:
                sentences.insert(rng.randint(1, len(sentences)),
                                 corpus_text.planted_sentence(word, rng))
        return _join_paragraphs(rng, sentences, self.spec.sentences_per_paragraph)

    def _article_row(self, rng: random.Random, serial: int, body: Body) -> dict[str, Any]:
        self.counts.articles += 1
        self.counts.body_characters += len(body.text)
        if not body.text.isascii():
            self.counts.non_ascii_articles += 1
        return {
            "id": serial, "title": corpus_text.make_title(rng, serial), "body": body.text,
            "source_url": f"https://news.example/{serial}", "publisher": rng.choice(
                corpus_text.PUBLISHERS),
            "published_at": date(2024, 1, 1) + timedelta(days=serial % 900),
            "language": "en", "content_hash": content_hash(body.text),
            "created_at": EPOCH + timedelta(minutes=serial),
        }

    def _assignment_row(self, serial: int, reviewer_id: int, submitted: bool) -> dict[str, Any]:
        self.counts.assignments += 1
        at = EPOCH + timedelta(minutes=serial, seconds=1)
        return {"article_id": serial, "reviewer_id": reviewer_id,
                "assigned_by_id": self.supervisor_id,
                "status": "submitted" if submitted else "assigned", "assigned_at": at,
                "submitted_at": at + timedelta(hours=2) if submitted else None}

    def _add_assertion(self, rng: random.Random, serial: int, reviewer_id: int, body: Body,
                       rows: Rows) -> None:
        start, end = pick_span(rng, body)
        assertion_id = self._next_assertion_id
        self._next_assertion_id += 1
        self.counts.assertions += 1
        at = EPOCH + timedelta(minutes=serial, seconds=2)
        # The same span check as every other writer (the corpus bypasses the services only to
        # insert in bulk).
        prefix, suffix = check_span(body.text, start, end, body.text[start:end])
        rows.assertions.append({
            "id": assertion_id, "article_id": serial, "reviewer_id": reviewer_id,
            "start_offset": start, "end_offset": end, "quote": body.text[start:end],
            "prefix": prefix, "suffix": suffix,
            "tag": rng.choice(("sourced", "unsourced", "opinion")),
            "note": "" if rng.random() < 0.7 else "Checked against the wire copy.",
            "created_at": at, "updated_at": at, "version": 1,
        })
        if rng.random() < self.spec.evidence_share:
            self.counts.evidence += 1
            rows.evidence.append({
                "assertion_id": assertion_id, "url": f"https://evidence.example/{assertion_id}",
                "title": "Official statistics", "note": "",
                "stance": rng.choice(("supports", "refutes", "context")),
                "added_by_id": reviewer_id, "created_at": at})

    # -- database ---------------------------------------------------------------------------

    def _insert(self, rows: Rows) -> None:
        with self.engine.begin() as connection:
            for table, batch in ((Article.__table__, rows.articles),
                                 (Assignment.__table__, rows.assignments),
                                 (Assertion.__table__, rows.assertions),
                                 (Evidence.__table__, rows.evidence)):
                if batch:
                    connection.execute(insert(table), batch)

    def _article_count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Article)) or 0)

    def _max_assertion_id(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.max(Assertion.id))) or 0)

    def _after_bulk_load(self) -> None:
        """Leave the database as a settled server would be, not mid-way through digesting a
        bulk load: the load's writes flushed (a checkpoint), so that they do not slow the
        measured commits. PostgreSQL also gets its id sequences moved past the explicit ids and
        its statistics refreshed, as autovacuum would after a load this size. SQLite gets no
        ANALYZE: the app never runs one."""
        if self.engine.dialect.name != "postgresql":
            raw = self.engine.raw_connection()  # no transaction: a checkpoint runs outside one
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cursor.close()
            finally:
                raw.close()
            return
        with self.engine.begin() as connection:
            for table in ("articles", "assertions", "assignments", "evidence"):
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"))
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
            connection.execute(text("CHECKPOINT"))  # needs a superuser, as PG_ADMIN_URL is

    def _report(self, progress: ProgressLine, done: int, start: int, target: int,
                started: float) -> None:
        rate = (done - start) / max(time.monotonic() - started, 1e-9)
        progress.update(f"{bar((done - start) / max(target - start, 1))} {done:,}/{target:,} "
                        f"articles, {self.counts.assertions:,} assertions, {rate:,.0f} articles/s",
                        force=done == target)


def _join_paragraphs(rng: random.Random, sentences: list[str],
                     per_paragraph: tuple[int, int]) -> Body:
    """Sentences joined by spaces, paragraphs by blank lines, with each sentence's offsets."""
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    position = 0
    left_in_paragraph = rng.randint(*per_paragraph)
    for index, sentence in enumerate(sentences):
        if index:
            separator = " " if left_in_paragraph else "\n\n"
            if not left_in_paragraph:
                left_in_paragraph = rng.randint(*per_paragraph)
            pieces.append(separator)
            position += len(separator)
        pieces.append(sentence)
        spans.append((position, position + len(sentence)))
        position += len(sentence)
        left_in_paragraph -= 1
    body = "".join(pieces)
    if canonicalize(body) != body:  # offsets above would be wrong; the pool is canonical
        raise ValueError("the composed body is not canonical")
    return Body(body, spans)


def pick_span(rng: random.Random, body: Body) -> tuple[int, int]:
    """A whole sentence, or a run of whole words inside one (code-point offsets)."""
    start, end = rng.choice(body.sentences)
    if rng.random() < 0.5:
        return start, end
    sentence = body.text[start:end]
    word_starts = [0] + [i + 1 for i, ch in enumerate(sentence) if ch == " "]
    word_ends = [i for i, ch in enumerate(sentence) if ch == " "] + [len(sentence)]
    first = rng.randrange(len(word_starts))
    last = rng.randrange(first, len(word_ends))
    return start + word_starts[first], start + word_ends[last]
