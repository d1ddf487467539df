"""The API save in process: N saves through Flask's test client on a fresh database, as the load
runs send them (``scenarios.api_save_requests``), measured in CPU time and statements, with an
optional pyinstrument profile. Not timed through a server, so a shared machine moves it little.

    python -m benchmarks.save_api --databases sqlite postgresql [--saves 3000] [--profile SLUG]

Per database: saves per CPU second (the process's CPU time over the timed saves; the
PostgreSQL server's own CPU is not in it), the statements each save sends (every cursor
execute, BEGIN, COMMIT and pool pre-ping), and, with
``--profile``, the pyinstrument text of the timed loop in ``profiles/save-api-<db>-<SLUG>.txt``.
"""
from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event

from workbench import create_app
from workbench.db import db
from workbench.migrate import upgrade
from workbench.services import assignments as assignments_service
from workbench.services import users as users_service
from workbench.services.articles import create_article

from .corpus_text import build_sentence_pool
from .databases import DATABASE_LABELS, fresh_database
from .paths import OUT_DIR, PROFILES_DIR

TAGS = ("sourced", "unsourced", "opinion")
REVIEWERS = 8
ARTICLES = 40


@dataclass(frozen=True, slots=True)
class Figures:
    database: str
    saves: int
    cpu_s: float
    wall_s: float
    statements_per_save: float

    @property
    def saves_per_cpu_s(self) -> float:
        return self.saves / self.cpu_s


def _arrange(url: str) -> tuple[list[str], list[tuple[int, int, str]]]:
    """Reviewers with tokens, each assigned to every article; the articles' (id, body)."""
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "ENV_NAME": "production"})
    rng = random.Random(7)
    pool = build_sentence_pool(7)
    with app.app_context(), db.transaction() as session:
        boss = users_service.create_user(session, "bench-boss", "supervisor", "bench-password")
        tokens, names = [], []
        for i in range(REVIEWERS):
            user = users_service.create_user(session, f"bench-r{i}", "reviewer", "bench-password")
            tokens.append(users_service.create_token(session, user, "bench")[1])
            names.append(user.username)
        articles = []
        for i in range(ARTICLES):
            body = " ".join(rng.choice(pool) for _ in range(80))
            article = create_article(session, title=f"Article {i}", body=body, actor=None)
            articles.append((article.id, article.body))
            for name in names:
                assignments_service.assign(session, boss, article.id, name)
    db.dispose(app)
    return tokens, [(a, 0, b) for a, b in articles]


def _requests(tokens: list[str], articles: list[tuple[int, int, str]],
              count: int) -> list[tuple[str, dict[str, str], bytes]]:
    """Distinct (reviewer, article, span, tag) saves, as ``scenarios.api_save_requests``."""
    rng = random.Random(11)
    seen: set[tuple[int, int, int, int, str]] = set()
    out = []
    while len(out) < count:
        reviewer = rng.randrange(len(tokens))
        article_id, _, body = articles[rng.randrange(len(articles))]
        start = body.find(" ", rng.randrange(max(1, len(body) - 200))) + 1
        end = body.find(" ", start + rng.randint(10, 80))
        if start <= 0 or end <= start:
            continue
        tag = rng.choice(TAGS)
        key = (reviewer, article_id, start, end, tag)
        if key in seen:
            continue
        seen.add(key)
        out.append((f"/api/v1/articles/{article_id}/assertions",
                    {"Authorization": f"Bearer {tokens[reviewer]}",
                     "Content-Type": "application/json"},
                    json.dumps({"start": start, "end": end, "quote": body[start:end], "tag": tag},
                               ensure_ascii=False).encode()))
    return out


def measure(kind: str, saves: int, profile: str | None,
            show_statements: bool = False) -> Figures:
    with fresh_database(kind, OUT_DIR) as url:
        tokens, articles = _arrange(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "ENV_NAME": "production"})
        warm = 200
        requests = _requests(tokens, articles, saves + warm)
        environs = [_environ(path, headers, body) for path, headers, body in requests]
        statements = 0

        def count(*args: object) -> None:
            nonlocal statements
            # A BEGIN sent through the cursor is counted by the "begin" event already.
            statements += not (len(args) > 2 and args[2] == "BEGIN")

        with app.app_context():
            engine = db.engine
        for environ in environs[:warm]:
            _call(app, environ)
        event.listen(engine, "before_cursor_execute", count)
        event.listen(engine, "commit", count)
        event.listen(engine, "begin", count)
        real_ping = engine.dialect.do_ping

        def ping(connection: object) -> bool:
            count()
            return real_ping(connection)

        engine.dialect.do_ping = ping  # type: ignore[method-assign]
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            profiler.start()
        cpu, wall = time.process_time(), time.perf_counter()
        for environ in environs[warm:]:
            _call(app, environ)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if profiler is not None:
            profiler.stop()
            PROFILES_DIR.mkdir(parents=True, exist_ok=True)
            target = PROFILES_DIR / f"save-api-{kind}-{profile}.txt"
            target.write_text(profiler.output_text(unicode=True, color=False, show_all=False)
                              + _by_library(profiler.last_session, saves))
        if show_statements:
            shown: list[str] = []
            event.listen(engine, "before_cursor_execute",
                         lambda _c, _k, statement, *_a: shown.append(statement))
            event.listen(engine, "commit", lambda _c: shown.append("COMMIT"))
            event.listen(engine, "begin", lambda _c: shown.append("BEGIN (begin event)"))
            _call(app, _environ(*_requests(tokens, articles, saves + warm + 1)[-1]))
            print("\n".join(" ".join(s.split())[:160] for s in shown))
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine, "commit", count)
        event.remove(engine, "begin", count)
        engine.dialect.do_ping = real_ping  # type: ignore[method-assign]
        db.dispose(app)
    return Figures(kind, saves, cpu, wall, statements / saves)


def _by_library(session: object, saves: int) -> str:
    """The profile's own time per library, per save (``profiling.BUCKETS``)."""
    from collections import defaultdict

    from .profiling import OTHER, _attribute

    buckets: dict[str, float] = defaultdict(float)
    _attribute(session.root_frame(), OTHER, buckets)  # type: ignore[attr-defined]
    lines = ["", "Own time per save, by library (profiled, so inflated):"]
    for name, seconds in sorted(buckets.items(), key=lambda item: -item[1]):
        lines.append(f"  {1000 * seconds / saves:7.3f} ms  {name}")
    return "\n".join(lines) + "\n"


def _environ(path: str, headers: dict[str, str], body: bytes) -> dict[str, object]:
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=path, method="POST", headers=headers, data=body)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def _call(app: object, environ: dict[str, object]) -> None:
    """One request straight into the WSGI app (no test client around it), as gunicorn calls it."""
    status: list[str] = []
    chunks = app(environ, lambda s, _h, _e=None: status.append(s))  # type: ignore[operator]
    body = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    if not status[0].startswith("201"):
        raise RuntimeError(f"{status[0]}: {body[:300]!r}")


def served(kind: str, clients: int, seconds: float) -> None:
    """A short bounded load run under gunicorn (2 workers, as the benchmark): the floor, then
    the saves, each ``seconds`` long at ``clients`` clients."""
    from .loadgen import HttpRequest, choose_client
    from .server import start_gunicorn

    client = choose_client()
    scratch = OUT_DIR / "save-api"
    floor = start_gunicorn("floor", "benchmarks.floor_app:app", {}, "/ping", scratch)
    try:
        ping = [HttpRequest("GET", "/ping", (), b"")]
        client.run(floor.base_url, ping, clients, 1, "floor warm-up", scratch)
        floor_result = client.run(floor.base_url, ping, clients, seconds, "floor", scratch)
    finally:
        floor.stop()
    with fresh_database(kind, OUT_DIR) as url:
        tokens, articles = _arrange(url)
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench", "WORKBENCH_ENV": "production"}
        requests = [HttpRequest("POST", path, tuple(headers.items()), body)
                    for path, headers, body in _requests(tokens, articles, 40_000)]
        server = start_gunicorn(kind, "workbench:create_app()", env, "/static/css/workbench.css",
                                scratch)
        try:
            client.run(server.base_url, requests[-2000:], clients, 1, "save warm-up", scratch)
            result = client.run(server.base_url, requests[:-2000], clients, seconds, "save",
                                scratch)
        finally:
            server.stop()
    print(f"floor: {floor_result.summary()}")
    print(f"{DATABASE_LABELS[kind]} save (API), {clients} clients: {result.summary()}: "
          f"{result.rps / floor_result.rps:.0%} of the floor", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", nargs="+", default=["sqlite"],
                        choices=sorted(DATABASE_LABELS))
    parser.add_argument("--saves", type=int, default=3000)
    parser.add_argument("--profile", help="write profiles/save-api-<db>-<PROFILE>.txt")
    parser.add_argument("--show-statements", action="store_true",
                        help="print the statements of one more save")
    parser.add_argument("--served", action="store_true",
                        help="instead: a short load run under gunicorn against the floor")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    if args.served:
        for kind in args.databases:
            served(kind, args.clients, args.seconds)
        return
    for kind in args.databases:
        f = measure(kind, args.saves, args.profile, args.show_statements)
        print(f"{DATABASE_LABELS[kind]}: {f.saves} saves, {f.saves_per_cpu_s:.0f} saves/CPU s "
              f"({1000 * f.cpu_s / f.saves:.3f} ms CPU, {1000 * f.wall_s / f.saves:.3f} ms wall "
              f"per save), {f.statements_per_save:.2f} statements per save", flush=True)


if __name__ == "__main__":
    main()
