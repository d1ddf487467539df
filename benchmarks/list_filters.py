"""The article list's filters and orders at scale: p50/p95 of the HTML list page (the first
page, the next page, search, each filter and sort) at 100,000 articles, in-process through the
app's own test client (no network, one client), as a supervisor and as a reviewer.

    .venv/bin/python -m benchmarks.list_filters --articles 100000 --database /tmp/list.sqlite3

The database is kept (``--database``), so the same corpus can be measured before and after a
migration (``--upgrade`` brings it to head first). PostgreSQL: ``--database postgresql+psycopg://…``
of an empty database you made.
"""
from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from workbench import create_app
from workbench.db import db, make_engine
from workbench.migrate import upgrade
from workbench.models import Article

from .accounts import PASSWORD, SUPERVISOR, create_accounts, reviewer_name
from .corpus import CorpusGenerator, CorpusSpec

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NEXT = re.compile(r'href="([^"]*after=[^"]*)"[^>]*rel="next"')
BASE = "https://localhost"


def ensure_corpus(url: str, articles: int, reviewers: int) -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        have = connection.scalar(select(func.count()).select_from(Article))
    if have and have >= articles:
        engine.dispose()
        return
    accounts = create_accounts(url, reviewers)
    CorpusGenerator(engine, accounts.reviewer_ids, accounts.supervisor.id,
                    CorpusSpec()).grow_to(articles, "list corpus")
    engine.dispose()


def logged_in(app: Any, username: str) -> Any:
    client = app.test_client()
    html = client.get("/login", base_url=BASE).get_data(as_text=True)
    token = CSRF.search(html).group(1)  # type: ignore[union-attr]
    response = client.post("/login", base_url=BASE, data={
        "username": username, "password": PASSWORD, "csrf_token": token},
        headers={"Referer": BASE + "/login"})
    assert response.status_code == 302, response.status_code
    return client


def timed(client: Any, path: str, runs: int) -> tuple[float, float, int, str]:
    client.get(path, base_url=BASE)  # warm
    seconds = []
    html = ""
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, base_url=BASE)
        html = response.get_data(as_text=True)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    seconds.sort()
    p95 = seconds[max(0, round(0.95 * len(seconds)) - 1)]
    rows = html.count('class="title-cell"')
    return statistics.median(seconds) * 1000, p95 * 1000, rows, html


SUPERVISOR_PAGES = [
    ("list", "/articles"),
    ("search 'minister'", "/articles?q=minister"),
    ("sort title asc", "/articles?sort=title&order=asc"),
    ("sort published desc", "/articles?sort=published&order=desc"),
    ("sort published asc", "/articles?sort=published&order=asc"),
    ("publisher", "/articles?publisher={publisher}"),
    ("publisher, by title", "/articles?publisher={publisher}&sort=title&order=asc"),
    ("language (none match)", "/articles?language=fr"),
    ("published in one month", "/articles?published_from=2025-03-01&published_to=2025-03-31"),
    ("one month, by date", "/articles?published_from=2025-03-01&published_to=2025-03-31"
                           "&sort=published&order=asc"),
    ("tag opinion", "/articles?tag=opinion"),
    ("tag opinion, by title", "/articles?tag=opinion&sort=title&order=asc"),
    ("status unassigned", "/articles?status=unassigned"),
    ("status submitted", "/articles?status=submitted"),
]
REVIEWER_PAGES = [
    ("reviewer: list", "/articles"),
    ("reviewer: tag sourced", "/articles?tag=sourced"),
    ("reviewer: submitted, by title", "/articles?status=submitted&sort=title&order=asc"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--reviewers", type=int, default=8)
    parser.add_argument("--database", default="/tmp/workbench-list-bench.sqlite3")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--upgrade", action="store_true", help="migrate to head before measuring")
    args = parser.parse_args()
    url = args.database if "://" in args.database else f"sqlite:///{Path(args.database)}"
    if args.upgrade or url.startswith("sqlite") and not Path(args.database).exists():
        upgrade(url)
    ensure_corpus(url, args.articles, args.reviewers)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "benchmark", "ENV_NAME": "production",
                      "LOGIN_RATE_LIMIT": "1000 per minute", "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        publisher = db.session.scalar(select(Article.publisher).where(Article.id == 2))
        count = db.session.scalar(select(func.count()).select_from(Article))
    print(f"{count:,} articles, {url.split(':')[0]}; {args.runs} requests each, in-process")
    print(f"{'page':34} {'p50 ms':>7} {'p95 ms':>7} {'rows':>5}   next page p50/p95 ms")
    for who, pages in ((SUPERVISOR, SUPERVISOR_PAGES), (reviewer_name(1), REVIEWER_PAGES)):
        client = logged_in(app, who)
        for label, path in pages:
            path = path.format(publisher=publisher)
            p50, p95, rows, html = timed(client, path, args.runs)
            line = f"{label:34} {p50:7.1f} {p95:7.1f} {rows:5}"
            following = NEXT.search(html)
            if following:
                n50, n95, _, _ = timed(client, following.group(1).replace("&amp;", "&"),
                                       args.runs)
                line += f"   {n50:6.1f} / {n95:6.1f}"
            print(line, flush=True)
    db.dispose(app)


if __name__ == "__main__":
    main()
