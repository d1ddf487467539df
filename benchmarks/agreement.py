"""Agreement at scale: the supervisor's pooled figures for 10,000 articles × 3 reviewers.

    python -m benchmarks.agreement                      # both databases, 10,000 articles
    python -m benchmarks.agreement --articles 1000 --databases sqlite
    python -m benchmarks.agreement --update-results     # also into results.json and RESULTS.md

Part of ``make bench`` (``benchmarks.run`` calls :func:`measure_all`). For each database a fresh
one gets a corpus in which every article has 3 reviewers who all submitted (the corpus
generator's articles, 5 to 15 assertions per review), then a separate process (so that its
peak RSS is the measure's own) times ``supervision.project_agreement`` over all of it:

- cold: the agreement cache is empty, so every article's contribution is computed (matching,
  sentence labels, unitizing parts) and stored, then pooled with the bootstrap;
- warm: the same request again, every contribution read from the cache, pooled again;
- one article's figures (``article_agreement``, the heavy article: 1,000 assertions by 3
  reviewers) cold and warm.

And, with no database, the pure measure on seeded synthetic work (``--pure``), what the
pooling itself costs. Figures, not timed tests.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workbench.models import TAGS
from workbench.services.supervision import ArticleWork, Mark, measure_project

from .progress import ProgressLine

ARTICLES = 10_000
TARGET_SECONDS = 5.0
LENGTH = 3000
SENTENCES = [(k * 100, k * 100 + 95) for k in range(30)]


def synthetic_work(article_id: int, rng: random.Random,
                   reviewers: tuple[str, ...] = ("r1", "r2", "r3")) -> ArticleWork:
    """One article: shared claims that each reviewer keeps, shifts, retags or misses."""
    claims = [(rng.randrange(0, LENGTH - 60), rng.randrange(10, 50), rng.choice(TAGS))
              for _ in range(10)]
    marks: dict[str, list[Mark]] = {}
    next_id = article_id * 100
    for reviewer in reviewers:
        own = []
        for start, length, tag in claims:
            if rng.random() < 0.15:
                continue
            start = max(0, start + rng.choice((0, 0, 0, -3, 4)))
            tag = tag if rng.random() < 0.8 else rng.choice(TAGS)
            next_id += 1
            own.append(Mark(next_id, reviewer, start, min(LENGTH, start + length), tag))
        marks[reviewer] = own
    return ArticleWork(article_id, f"Article {article_id}", LENGTH, SENTENCES, list(reviewers),
                       marks)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_pure(articles: int, resamples: int = 1000) -> dict[str, Any]:
    """The pooled figures of seeded synthetic work, no database (run in its own process)."""
    rng = random.Random(20261202)
    works = [synthetic_work(i, rng) for i in range(1, articles + 1)]
    started = time.perf_counter()
    result = measure_project(works, resamples=resamples)
    seconds = time.perf_counter() - started
    overall = result["measures"]["alpha_unitizing"]["overall"]
    return {"database": "none (synthetic work)", "articles": articles, "cold_seconds": seconds,
            "peak_rss_mib": _peak_rss_mib(), "alpha": overall["value"], "ci95": overall["ci95"]}


def measure_database(url: str) -> dict[str, Any]:
    """Cold and warm pooled figures over the whole corpus at ``url`` (run in its own process)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from workbench.db import make_engine
    from workbench.models import Article
    from workbench.services import supervision

    from .corpus import HEAVY_ARTICLE_ID

    engine = make_engine(url)
    out: dict[str, Any] = {}
    with Session(engine) as session:
        out["articles"] = len(session.scalars(select(Article.id)).all())
    for moment in ("cold", "warm"):
        with Session(engine) as session:
            started = time.perf_counter()
            result = supervision.project_agreement(session)
            session.commit()
            out[f"{moment}_seconds"] = time.perf_counter() - started
        out[f"peak_rss_mib_after_{moment}"] = _peak_rss_mib()
    out["compared"] = result["articles"]
    out["alpha"] = result["measures"]["alpha_unitizing"]["overall"]["value"]
    for moment in ("cold", "warm"):
        with Session(engine) as session:
            started = time.perf_counter()
            supervision.article_agreement(session, HEAVY_ARTICLE_ID)
            session.commit()
            out[f"heavy_article_{moment}_ms"] = (time.perf_counter() - started) * 1000
    engine.dispose()
    return out


def _child(*args: str) -> dict[str, Any]:
    """Run this module in a fresh process and read the JSON line it prints."""
    output = subprocess.run([sys.executable, "-m", "benchmarks.agreement", *args],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def build_corpus(url: str, articles: int, label: str) -> dict[str, Any]:
    """Migrate, make a supervisor and 3 reviewers, and grow a corpus all three reviewed."""
    from sqlalchemy import update

    from workbench.db import make_engine
    from workbench.migrate import upgrade
    from workbench.models import Assignment

    from .accounts import create_accounts
    from .corpus import HEAVY_ARTICLE_ID, CorpusGenerator, CorpusSpec

    upgrade(url)
    accounts = create_accounts(url, 3)
    engine = make_engine(url)
    spec = replace(CorpusSpec(), reviewed_share=1.0, reviewers_per_article=(3, 3),
                   submitted_share=1.0, assertions_per_review=(5, 15), evidence_share=0.0)
    generator = CorpusGenerator(engine, accounts.reviewer_ids, accounts.supervisor.id, spec)
    counts = generator.grow_to(articles, f"{label} corpus for agreement")
    with engine.begin() as connection:  # the heavy article's reviews are left open for the pages
        connection.execute(update(Assignment).where(Assignment.article_id == HEAVY_ARTICLE_ID)
                           .values(status="submitted", submitted_at=datetime.now(timezone.utc)))
    engine.dispose()
    return {"assertions": counts.assertions, "assignments": counts.assignments}


def measure_all(kinds: tuple[str, ...], scratch: Path, articles: int = ARTICLES) -> list[dict]:
    """The agreement figures on each database (and the pure measure), for ``make bench``."""
    from .databases import DATABASE_LABELS, fresh_database, postgres_available

    rows = []
    progress = ProgressLine("agreement, pure measure")
    pure = _child("--pure", "--articles", str(articles))
    rows.append(pure)
    progress.done(f"{articles:,} synthetic articles pooled in {pure['cold_seconds']:.2f} s, "
                  f"peak RSS {pure['peak_rss_mib']:.0f} MiB")
    for kind in kinds:
        label = DATABASE_LABELS[kind]
        if kind == "postgresql" and (reason := postgres_available()) is not None:
            print(f"  agreement on PostgreSQL skipped: {reason}")
            continue
        with fresh_database(kind, scratch) as url:
            corpus = build_corpus(url, articles, label)
            progress = ProgressLine(f"agreement, {label}")
            progress.update("cold and warm runs in a separate process")
            row = {"database": label, **corpus, **_child("--database-url", url)}
            rows.append(row)
            progress.done(f"{row['compared']:,} articles compared: cold "
                          f"{row['cold_seconds']:.2f} s, warm {row['warm_seconds']:.2f} s, "
                          f"peak RSS {row['peak_rss_mib_after_cold']:.0f} MiB; heavy article "
                          f"{row['heavy_article_cold_ms']:.0f} → "
                          f"{row['heavy_article_warm_ms']:.1f} ms")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.agreement",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=ARTICLES)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--update-results", action="store_true",
                        help="store the figures in results.json and rewrite RESULTS.md")
    parser.add_argument("--pure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pure:
        print(json.dumps(measure_pure(args.articles)))
        return 0
    if args.database_url:
        print(json.dumps(measure_database(args.database_url)))
        return 0
    from . import report
    from .paths import OUT_DIR

    scratch = OUT_DIR / "agreement"
    rows = measure_all(tuple(args.databases.split(",")), scratch, args.articles)
    if args.update_results:
        report.update_results("agreement", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
