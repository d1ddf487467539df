"""The HTML article list's cost per request, in deterministic proxies a shared machine does not
blur: Python function calls (cProfile), SQL statements, bytes, and CPU time (process_time over
``--runs`` requests, best of 3), for the first page, the next page and a search, as a supervisor.

    .venv/bin/python -m benchmarks.list_page --database /tmp/list.sqlite3
    .venv/bin/python -m benchmarks.list_page --database postgresql+psycopg://postgres@127.0.0.1/db

The database must hold a corpus already (``benchmarks.list_filters`` builds one) and is only read.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from typing import Any

from sqlalchemy import event

from workbench import create_app
from workbench.db import db

from .accounts import SUPERVISOR
from .list_filters import BASE, NEXT, logged_in

PAGES = [("first page", "/articles"), ("next page", None), ("search 'ceasefire'",
                                                             "/articles?q=ceasefire")]


def measure(app: Any, client: Any, path: str, runs: int) -> dict[str, float]:
    statements = []
    client.get(path, base_url=BASE)  # warm
    engine = app.extensions["workbench_db"].engine

    def count(*_: Any) -> None:
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    response = client.get(path, base_url=BASE)
    event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, (path, response.status_code)
    size = len(response.get_data())
    profile = cProfile.Profile()
    profile.enable()
    client.get(path, base_url=BASE)
    profile.disable()
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(runs):
            client.get(path, base_url=BASE)
        best = min(best, (time.process_time() - started) / runs)
    return {"calls": calls, "statements": len(statements), "bytes": size, "cpu_ms": best * 1000,
            "rows": response.get_data(as_text=True).count('class="title-cell"')}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    url = args.database if "://" in args.database else f"sqlite:///{args.database}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "benchmark", "ENV_NAME": "production",
                      "LOGIN_RATE_LIMIT": "1000 per minute", "RATELIMIT_STORAGE_URI": "memory://"})
    client = logged_in(app, SUPERVISOR)
    first = client.get("/articles", base_url=BASE).get_data(as_text=True)
    following = NEXT.search(first)
    assert following, "the first page has no next page"
    print(f"{url.split(':')[0]}, {args.runs} requests each, in-process, as {SUPERVISOR}")
    print(f"{'page':22} {'calls':>7} {'stmts':>5} {'bytes':>7} {'rows':>4} {'CPU ms':>7}")
    for label, path in PAGES:
        path = path or following.group(1).replace("&amp;", "&")
        m = measure(app, client, path, args.runs)
        print(f"{label:22} {m['calls']:7} {m['statements']:5} {m['bytes']:7} {m['rows']:4} "
              f"{m['cpu_ms']:7.2f}", flush=True)
    db.dispose(app)


if __name__ == "__main__":
    main()
