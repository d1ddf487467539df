"""Exchange benchmarks: the JSONL export of 100,000 and 1,000,000 assertions from the CLI and
over HTTP, and an import of 10,000 articles while a reviewer keeps saving.

    python -m benchmarks.exchange             # SQLite, the full sizes (about 8 minutes)
    python -m benchmarks.exchange --quick     # 20,000 and 60,000 assertions, 1,000 articles

Each export runs in its own process (``workbench export jsonl`` as a subprocess; a one-worker
gunicorn for ``GET /api/v1/export/jsonl``), so its peak RSS is that process's alone (the CLI's
from ``wait4``, the worker's VmHWM). Every step stops by itself: the exports end with their
data, the saver thread with the import. ``make bench`` runs it after the load benchmarks
(``benchmarks/run.py``) and its figures go to RESULTS.md (``section``).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from workbench.db import make_engine
from workbench.migrate import upgrade
from workbench.models import Assertion

from .accounts import Account, create_accounts
from .corpus import CorpusGenerator, CorpusSpec
from .databases import fresh_database
from .paths import OUT_DIR, PROJECT_ROOT
from .progress import ProgressLine
from .server import GunicornSettings, start_gunicorn

#: Export targets (the issue's): assertions per second, peak RSS of the exporting process.
EXPORT_RATE_TARGET = 100_000
EXPORT_RSS_TARGET_MIB = 200
#: Import target: 10,000 articles in 30 s, no save blocked for more than a second.
IMPORT_SECONDS_TARGET = 30.0
SAVE_MAX_TARGET_MS = 1000.0
#: A corpus where every article is reviewed by three reviewers (about 33 assertions each), so a
#: million assertions need some 30,000 articles, not 280,000.
EXPORT_SPEC = CorpusSpec(reviewed_share=1.0, reviewers_per_article=(3, 3),
                         assertions_per_review=(10, 12), batch_size=1000)
READY_PATH = "/static/css/workbench.css"


@dataclass(slots=True)
class ExportFigure:
    channel: str  # "CLI" or "HTTP"
    assertions: int
    seconds: float
    peak_rss_mib: float
    megabytes: float
    cpu_seconds: float = 0.0  # of the exporting process (the machine is shared)
    load_average: float = 0.0  # of the machine, at the end

    @property
    def rate(self) -> float:
        return self.assertions / self.seconds if self.seconds else 0.0


@dataclass(slots=True)
class ImportFigure:
    articles: int
    seconds: float
    saves: int
    save_p50_ms: float
    save_p99_ms: float
    save_max_ms: float
    save_errors: int
    lock_seconds: float | None = None  # how long the import's write transaction held the lock


@dataclass(slots=True)
class ExchangeRecord:
    database: str = "SQLite"
    minutes: float = 0.0
    exports: list[ExportFigure] = field(default_factory=list)
    imports: list[ImportFigure] = field(default_factory=list)


# -- the corpus ---------------------------------------------------------------------------------

def grow_assertions(generator: CorpusGenerator, url: str, target: int) -> int:
    """Grow the corpus until it holds at least ``target`` assertions; returns how many."""
    engine = make_engine(url)
    try:
        while True:
            with engine.connect() as connection:
                have = int(connection.scalar(select(func.count()).select_from(Assertion)) or 0)
            if have >= target:
                return have
            articles = generator.counts.articles + max(100, (target - have) // 33 + 1)
            generator.grow_to(articles, f"export corpus → {target:,} assertions")
    finally:
        engine.dispose()


def app_env(url: str) -> dict[str, str]:
    return {"DATABASE_URL": url, "SECRET_KEY": "bench-exchange", "WORKBENCH_ENV": "production",
            "LOGIN_RATE_LIMIT": "1000 per minute"}


# -- exports ------------------------------------------------------------------------------------

def export_cli(url: str, assertions: int, out: Path) -> ExportFigure:
    """``workbench export jsonl --out FILE`` in a process of its own: wall time, peak RSS."""
    command = [sys.executable, "-c", "from workbench.cli import main; main()", "export", "jsonl",
               "--out", str(out)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **app_env(url)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # VmHWM, read until the process ends (wait4's ru_maxrss also counts the benchmark's own
    # memory, which the child shares between fork and exec).
    peak = PeakWatcher(process.pid)
    peak.start()
    _, errors = process.communicate()
    seconds = time.perf_counter() - started
    peak.join()
    if process.returncode:
        raise RuntimeError(f"export failed: {errors.decode()[-2000:]}")
    return ExportFigure("CLI", assertions, seconds, peak.kib / 1024, out.stat().st_size / 1e6,
                        peak.cpu_seconds, os.getloadavg()[0])


class PeakWatcher(threading.Thread):
    """The highest VmHWM (peak RSS) of a process, read every 20 ms until it is gone."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.kib, self.cpu_seconds = pid, 0, 0.0

    def run(self) -> None:
        while True:
            try:
                self.kib = max(self.kib, _status_kib(self.pid, "VmHWM:"))
                state, self.cpu_seconds = _state_and_cpu(self.pid)
            except (OSError, ValueError, IndexError):
                return
            if state == "Z":
                return  # exited, not yet reaped: its memory is gone, its CPU time final
            time.sleep(0.02)


def _state_and_cpu(pid: int) -> tuple[str, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return fields[0], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def export_http(url: str, assertions: int, token: str, scratch: Path) -> ExportFigure:
    """``GET /api/v1/export/jsonl`` from a one-worker gunicorn, read to the end."""
    settings = GunicornSettings(workers=1, timeout_s=900)
    server = start_gunicorn("exchange-export", "workbench:create_app()", app_env(url),
                            READY_PATH, scratch, settings)
    try:
        (worker,) = server.worker_pids()
        cpu_before = _state_and_cpu(worker)[1]
        request = urllib.request.Request(server.base_url + "/api/v1/export/jsonl",
                                         headers={"Authorization": f"Bearer {token}"})
        size = 0
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=900) as response:
            while chunk := response.read(1 << 20):
                size += len(chunk)
        seconds = time.perf_counter() - started
        peak = _status_kib(worker, "VmHWM:") / 1024
        cpu = _state_and_cpu(worker)[1] - cpu_before
    finally:
        server.stop()
    return ExportFigure("HTTP", assertions, seconds, peak, size / 1e6, cpu, os.getloadavg()[0])


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def measure_exports(record: ExchangeRecord, sizes: tuple[int, ...], scratch: Path) -> None:
    with fresh_database("sqlite", scratch) as url:
        upgrade(url)
        accounts = create_accounts(url, 3)
        engine = make_engine(url)
        generator = CorpusGenerator(engine, accounts.reviewer_ids, accounts.supervisor.id,
                                    EXPORT_SPEC)
        try:
            for size in sizes:
                have = grow_assertions(generator, url, size)
                # A database at rest, as a project's is: the corpus's writes moved from the
                # write-ahead log into the file (reads through a large WAL are slower).
                raw = engine.raw_connection()  # outside a transaction (none is begun on it)
                try:
                    raw.dbapi_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    raw.close()
                out = scratch / "export.jsonl"
                for figure in (export_cli(url, have, out),
                               export_http(url, have, accounts.supervisor.token, scratch)):
                    record.exports.append(figure)
                    ProgressLine(f"export {figure.channel} @ {have:,}").done(
                        f"{figure.rate:,.0f} assertions/s ({figure.seconds:.1f} s, "
                        f"{figure.megabytes:,.0f} MB), {figure.assertions / figure.cpu_seconds:,.0f}"
                        f" per CPU second, peak RSS {figure.peak_rss_mib:.0f} MiB, load "
                        f"{figure.load_average:.1f}")
                out.unlink(missing_ok=True)
        finally:
            engine.dispose()


# -- the import while a reviewer saves ----------------------------------------------------------

def import_file(path: Path, articles: int) -> None:
    """A JSONL of ``articles`` articles, each unique (about 2,000 characters)."""
    spec = CorpusSpec()
    from . import corpus_text
    import random

    pool = corpus_text.build_sentence_pool(spec.seed, non_ascii_share=spec.non_ascii_share)
    rng = random.Random(11)
    with path.open("w", encoding="utf-8") as handle:
        for n in range(1, articles + 1):
            body = f"Import dispatch {n}. " + " ".join(rng.choices(pool, k=15))
            handle.write(json.dumps({"title": f"Imported article {n}", "body": body,
                                     "publisher": "Wire", "language": "en",
                                     "published_at": "2026-03-01"}, ensure_ascii=False) + "\n")


class Saver(threading.Thread):
    """One reviewer saving assertions over the API, back to back, until told to stop."""

    def __init__(self, base_url: str, reviewer: Account, article_id: int, body: str) -> None:
        super().__init__(daemon=True)
        self.base_url, self.reviewer, self.article_id = base_url, reviewer, article_id
        # Whole words: a space never splits a character, so every span passes the check.
        self.words = [(m.start(), m.end()) for m in re.finditer(r"[^ \n]+", body)]
        self.body = body
        self.stop_event = threading.Event()
        self.timings: list[tuple[float, float]] = []  # (when it began, milliseconds)
        self.failures: list[tuple[float, str]] = []  # (when it began, status or error)

    def span(self, n: int) -> tuple[int, int, str]:
        """The n-th save's span and tag, all different (a repeat would be refused with 409):
        each run of one to four words with each tag, then again from the start (never
        reached in an import's time: some thousands of saves)."""
        count = len(self.words)
        for width in range(4):
            runs = (count - width) * 3
            if n < runs:
                first, tag = divmod(n, 3)
                return (self.words[first][0], self.words[first + width][1],
                        ("sourced", "unsourced", "opinion")[tag])
            n -= runs
        return self.span(n)

    def run(self) -> None:
        n = 0
        while not self.stop_event.is_set():
            start, end, tag = self.span(n)
            n += 1
            payload = json.dumps({"start": start, "end": end, "quote": self.body[start:end],
                                  "tag": tag}).encode()
            request = urllib.request.Request(
                f"{self.base_url}/api/v1/articles/{self.article_id}/assertions", data=payload,
                headers={"Authorization": f"Bearer {self.reviewer.token}",
                         "Content-Type": "application/json"})
            began = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()
            except urllib.error.HTTPError as error:
                self.failures.append((began, f"{error.code} {error.read()[:200]!r}"))
            except OSError as error:
                self.failures.append((began, type(error).__name__))
            self.timings.append((began, (time.perf_counter() - began) * 1000))

    def failed_between(self, began: float, ended: float) -> list[str]:
        return [what for at, what in self.failures if began <= at <= ended]


def measure_import(record: ExchangeRecord, articles: int, scratch: Path) -> None:
    with fresh_database("sqlite", scratch) as url:
        upgrade(url)
        accounts = create_accounts(url, 3)
        engine = make_engine(url)
        generator = CorpusGenerator(engine, accounts.reviewer_ids, accounts.supervisor.id,
                                    CorpusSpec(heavy_assertions=0))
        generator.grow_to(1000, "import: the project before")
        reviewer = accounts.reviewers[0]
        with engine.begin() as connection:
            from workbench.models import Article, Assignment

            article_id, body = connection.execute(select(Article.id, Article.body).where(
                Article.id == 2)).one()
            if connection.scalar(select(Assignment.id).where(
                    Assignment.article_id == article_id,
                    Assignment.reviewer_id == reviewer.id)) is None:
                connection.execute(Assignment.__table__.insert(), {
                    "article_id": article_id, "reviewer_id": reviewer.id, "status": "assigned"})
        engine.dispose()
        path = scratch / "import.jsonl"
        import_file(path, articles)
        server = start_gunicorn("exchange-import", "workbench:create_app()", app_env(url),
                                READY_PATH, scratch, GunicornSettings(workers=2))
        saver = Saver(server.base_url, reviewer, article_id, body)
        try:
            saver.start()
            time.sleep(2.0)  # saves before the import, for comparison
            command = [sys.executable, "-m", "benchmarks.exchange", "--import-child", str(path)]
            began = time.perf_counter()
            done = subprocess.run(command, cwd=PROJECT_ROOT, env={**os.environ, **app_env(url)},
                                  capture_output=True, text=True, timeout=600)
            ended = time.perf_counter()
            time.sleep(1.0)
        finally:
            saver.stop_event.set()
            saver.join(timeout=70)
            server.stop()
        if done.returncode:
            raise RuntimeError(f"import failed: {done.stderr[-2000:]}")
        during = sorted(ms for at, ms in saver.timings if began <= at <= ended)
        lock = _lock_seconds(done.stdout)
        failed = saver.failed_between(began, ended)
        for what in sorted(set(failed)):
            print(f"    a save during the import failed: {what}", file=sys.stderr)
        figure = ImportFigure(articles, ended - began, len(during),
                              statistics.median(during) if during else 0.0,
                              _percentile(during, 0.99), max(during, default=0.0),
                              len(failed), lock)
        record.imports.append(figure)
        ProgressLine(f"import {articles:,} articles").done(
            f"{figure.seconds:.1f} s; {figure.saves} saves meanwhile, p50 "
            f"{figure.save_p50_ms:.0f} ms, p99 {figure.save_p99_ms:.0f} ms, max "
            f"{figure.save_max_ms:.0f} ms, {figure.save_errors} errors"
            + (f"; write lock held {lock:.2f} s" if lock is not None else ""))


def import_child(path: Path) -> None:
    """``workbench import PATH`` in this process, timing how long each transaction held its
    connection from BEGIN (IMMEDIATE, on SQLite: the write lock) to COMMIT."""
    from sqlalchemy import event

    from workbench import create_app
    from workbench.db import db

    app = create_app()
    with app.app_context():
        engine = db.engine
    began: dict[int, float] = {}
    held: list[float] = []

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:  # after the app's own listener: once BEGIN is done
        began[id(connection)] = time.perf_counter()

    @event.listens_for(engine, "commit")
    def _commit(connection: Any) -> None:
        held.append(time.perf_counter() - began.pop(id(connection), time.perf_counter()))

    result = app.test_cli_runner().invoke(args=["import", str(path)])
    print(result.output)
    if result.exit_code:
        raise SystemExit(result.exit_code)
    print(f"write transaction held {max(held, default=0.0):.3f} s")


def _lock_seconds(stdout: str) -> float | None:
    for line in stdout.splitlines():
        if "write transaction held" in line:
            return float(line.rsplit(" ", 2)[-2])
    return None


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(share * len(values)))]


# -- running and reporting ----------------------------------------------------------------------

def measure(quick: bool = False, scratch: Path | None = None) -> ExchangeRecord:
    """Every exchange figure, in a fresh SQLite database per part."""
    scratch = scratch or OUT_DIR / time.strftime("exchange-%Y%m%d-%H%M%S")
    scratch.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    record = ExchangeRecord()
    print("==> Exchange: JSONL export (CLI and HTTP), import while a reviewer saves")
    measure_exports(record, (20_000, 60_000) if quick else (100_000, 1_000_000), scratch)
    measure_import(record, 1_000 if quick else 10_000, scratch)
    record.minutes = (time.monotonic() - started) / 60
    return record


def record_dict(record: ExchangeRecord) -> dict[str, Any]:
    return asdict(record)


def section(data: dict[str, Any] | None, analysis: str = "") -> str:
    """The RESULTS.md section of a run's exchange figures (``results.json``'s ``exchange``),
    with the prose of ``analysis.md``'s ``## exchange``."""
    if not data:
        return ""
    lines = ["## Exchange: JSONL export and import\n",
             f"`python -m benchmarks.exchange` ({data['database']}, {data['minutes']:.1f} "
             f"minutes). Targets: ≥ {EXPORT_RATE_TARGET:,} assertions/s and peak RSS ≤ "
             f"{EXPORT_RSS_TARGET_MIB} MiB, flat from 100,000 to 1,000,000; an import of 10,000 "
             f"articles in ≤ {IMPORT_SECONDS_TARGET:.0f} s with no save blocked for more than "
             f"{SAVE_MAX_TARGET_MS / 1000:.0f} s.\n",
             "Seconds are wall time (the CLI's include starting the app, about a second); "
             "the CPU seconds are the exporting process's own, which tell the code's speed "
             "when other work shares the machine (the load average at the end of each).\n",
             "| export | assertions | seconds | assertions/s | ÷ target | CPU s | assertions per "
             "CPU s | MB written | peak RSS MiB | ÷ target | load avg |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for e in data["exports"]:
        rate = e["assertions"] / e["seconds"]
        cpu = e.get("cpu_seconds") or 0.0
        lines.append(f"| {e['channel']} | {e['assertions']:,} | {e['seconds']:.1f} | "
                     f"{rate:,.0f} | {rate / EXPORT_RATE_TARGET:.2f} | {cpu:.1f} | "
                     f"{e['assertions'] / cpu if cpu else 0:,.0f} | {e['megabytes']:,.0f} | "
                     f"{e['peak_rss_mib']:.0f} | "
                     f"{e['peak_rss_mib'] / EXPORT_RSS_TARGET_MIB:.2f} | "
                     f"{e.get('load_average', 0):.1f} |")
    lines += ["", "| import | seconds | ÷ target | saves during it | save p50 ms | save p99 ms "
              "| save max ms | max ÷ target | errors | write lock held (s) |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for i in data["imports"]:
        lock = f"{i['lock_seconds']:.2f}" if i.get("lock_seconds") is not None else "—"
        lines.append(f"| {i['articles']:,} articles | {i['seconds']:.1f} | "
                     f"{i['seconds'] / IMPORT_SECONDS_TARGET:.2f} | {i['saves']:,} | "
                     f"{i['save_p50_ms']:.0f} | {i['save_p99_ms']:.0f} | "
                     f"{i['save_max_ms']:.0f} | {i['save_max_ms'] / SAVE_MAX_TARGET_MS:.2f} | "
                     f"{i['save_errors']} | {lock} |")
    return "\n".join(lines) + ("\n\n" + analysis if analysis else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.exchange",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--import-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.import_child:
        import_child(args.import_child)
        return 0
    record = measure(quick=args.quick)
    if args.json:
        args.json.write_text(json.dumps(record_dict(record), indent=1) + "\n")
    print(section(record_dict(record)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
