"""The heavy article page in process: the supervisor's page of the article holding 1,000
assertions by 3 reviewers (``corpus.HEAVY_ARTICLE_ID``), through the app's own test client.

Reports SQL statements per page (counted with SQLAlchemy's ``before_cursor_execute``), the HTML
size, and median / p95 ms over ``--runs`` renders; ``--profile`` writes a pyinstrument text
profile of those renders to ``benchmarks/profiles/article-page-<label>.txt``.

    .venv/bin/python -m benchmarks.article_page --database /tmp/heavy.sqlite3 --profile before
    .venv/bin/python -m benchmarks.article_page --database postgresql+psycopg://postgres@127.0.0.1/heavy

A SQLite file that does not exist is made (migrated, accounts, the heavy article only); a
PostgreSQL database must exist and be empty (or hold this corpus already).
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

from workbench import create_app
from workbench.db import db, make_engine
from workbench.migrate import upgrade
from workbench.models import Article

from .accounts import SUPERVISOR, create_accounts, reviewer_name
from .corpus import HEAVY_ARTICLE_ID, CorpusGenerator, CorpusSpec
from .list_filters import BASE, CSRF, logged_in
from .paths import PROFILES_DIR


def ensure_heavy_article(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        have = connection.scalar(select(func.count()).select_from(Article))
    if not have:
        accounts = create_accounts(url, 3)
        CorpusGenerator(engine, accounts.reviewer_ids, accounts.supervisor.id,
                        CorpusSpec()).grow_to(1, "heavy article")
    engine.dispose()


class StatementCounter:
    """Counts the statements sent to the database while it is on (the kinds by first words)."""

    def __init__(self, engine: Any) -> None:
        self.kinds: Counter[str] = Counter()
        self.on = False
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.on:
            self.kinds[" ".join(statement.split()[:4])[:80]] += 1


def measure(client: Any, counter: StatementCounter, path: str, runs: int,
            profile_to: Path | None) -> dict[str, Any]:
    client.get(path, base_url=BASE)  # warm
    counter.kinds.clear()
    counter.on = True
    response = client.get(path, base_url=BASE)
    counter.on = False
    assert response.status_code == 200, response.status_code
    body = response.get_data()
    statements = sum(counter.kinds.values())
    kinds = counter.kinds.most_common()
    seconds, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, base_url=BASE)
        response.get_data()
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)  # less moved by other work on the machine
    if profile_to is not None:  # a second round, so the profiler's overhead is not timed
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(runs):
            client.get(path, base_url=BASE).get_data()
        profiler.stop()
        profile_to.parent.mkdir(parents=True, exist_ok=True)
        profile_to.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    seconds.sort()
    return {"statements": statements, "kinds": kinds, "bytes": len(body),
            "p50": statistics.median(seconds) * 1000,
            "p95": seconds[max(0, round(0.95 * len(seconds)) - 1)] * 1000,
            "cpu": statistics.median(cpu) * 1000,
            "html": body}


def measure_saves(client: Any, article_id: int, body: str, saves: int) -> dict[str, Any]:
    """``saves`` htmx saves of new spans near the start of the text (so that the new card is on
    the first page of cards the reviewer is looking at): median bytes and ms of the answers."""
    rng = random.Random(13)
    page = client.get(f"/articles/{article_id}", base_url=BASE).get_data(as_text=True)
    token = CSRF.search(page).group(1)  # type: ignore[union-attr]
    sizes, seconds, kinds = [], [], Counter()
    for _ in range(5 * saves):
        if len(sizes) == saves:
            break
        start = body.find(" ", rng.randrange(1500)) + 1
        end = body.find(" ", start + rng.randint(5, 40))
        started = time.perf_counter()
        response = client.post(
            f"/articles/{article_id}/assertions", base_url=BASE,
            data={"csrf_token": token, "start": start, "end": end, "quote": body[start:end],
                  "tag": rng.choice(("sourced", "unsourced", "opinion"))},
            headers={"HX-Request": "true", "HX-Current-URL": f"{BASE}/articles/{article_id}",
                     "Referer": f"{BASE}/articles/{article_id}"})
        data = response.get_data()
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            kinds[f"refused {response.status_code}"] += 1  # 409: a span and tag saved before
            continue
        sizes.append(len(data))
        seconds.append(elapsed)
        kinds[response.headers.get("HX-Reswap", "workspace")] += 1
    if not sizes:
        raise RuntimeError(f"no save was accepted: {dict(kinds)}")
    return {"bytes": statistics.median(sizes), "ms": statistics.median(seconds) * 1000,
            "kinds": dict(kinds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="/tmp/workbench-heavy-article.sqlite3")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--profile", metavar="LABEL",
                        help="write benchmarks/profiles/article-page-LABEL.txt")
    parser.add_argument("--as", dest="who", default=SUPERVISOR,
                        help=f"who opens the page (default {SUPERVISOR}; e.g. {reviewer_name(1)})")
    parser.add_argument("--path", default=f"/articles/{HEAVY_ARTICLE_ID}")
    parser.add_argument("--save-html", metavar="FILE")
    parser.add_argument("--saves", type=int, default=0,
                        help=f"then as many htmx saves by {reviewer_name(1)} (writes them!)")
    args = parser.parse_args()
    url = args.database if "://" in args.database else f"sqlite:///{Path(args.database)}"
    if "://" in args.database or not Path(args.database).exists():
        upgrade(url)
    ensure_heavy_article(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "benchmark", "ENV_NAME": "production",
                      "LOGIN_RATE_LIMIT": "1000 per minute", "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        counter = StatementCounter(db.engine)
    client = logged_in(app, args.who)
    profile_to = PROFILES_DIR / f"article-page-{args.profile}.txt" if args.profile else None
    result = measure(client, counter, args.path, args.runs, profile_to)
    print(f"{url.split(':')[0]}: {args.path} as {args.who}, {args.runs} renders in process")
    print(f"  statements per page  {result['statements']}")
    for kind, n in result["kinds"]:
        print(f"    {n:5}  {kind}")
    print(f"  HTML                 {result['bytes'] / 1024:.1f} KiB")
    print(f"  ms per page          median {result['p50']:.1f}, p95 {result['p95']:.1f} "
          f"(CPU median {result['cpu']:.1f})")
    if profile_to:
        print(f"  profile              {profile_to}")
    if args.save_html:
        Path(args.save_html).write_bytes(result["html"])
    if args.saves:
        with app.app_context():
            body = db.session.scalar(select(Article.body).where(Article.id == HEAVY_ARTICLE_ID))
        saved = measure_saves(logged_in(app, reviewer_name(1)), HEAVY_ARTICLE_ID, body,
                              args.saves)
        print(f"  htmx save answer     median {saved['bytes'] / 1024:.1f} KiB, "
              f"{saved['ms']:.1f} ms ({saved['kinds']})")
    db.dispose(app)


if __name__ == "__main__":
    main()
