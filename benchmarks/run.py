"""`make bench`: measure the workbench under gunicorn against a bare Flask floor.

    python -m benchmarks.run                 # the full run (about 15 minutes on 2 cores,
                                             # then benchmarks/exchange.py, about 8 more)
    python -m benchmarks.run --quick         # a smoke run: small corpus, short loads
    python -m benchmarks.report              # rewrite RESULTS.md from the last results.json

It installs no Python package (they come from the ``bench`` extra); wrk comes from Debian when
missing (see loadgen.py). Every server binds to 127.0.0.1 and every load run stops by itself.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine

from workbench.db import make_engine
from workbench.migrate import upgrade

from . import agreement, cluster, exchange, machine, report
from .accounts import PASSWORD, SUPERVISOR, Accounts, create_accounts
from .corpus import CorpusGenerator, CorpusSpec
from .databases import DATABASE_LABELS, PG_ADMIN_URL, fresh_database, postgres_available
from .loadgen import HttpRequest, LoadClient, choose_client
from .paths import OUT_DIR, RESULTS_PATH
from .profiling import profile_run
from .progress import ProgressLine
from .results import FLOOR, Figure, MemoryFigure, RunRecord, floor_before_saves
from .scenarios import (LIST_SCENARIOS, SAVE_BY_SIZE, SaveTargets, api_save_requests,
                        article_page_request, htmx_save_requests, load_save_targets)
from .server import Server, start_gunicorn
from .sessions import BrowserSession, log_in

READY_PATH = "/static/css/workbench.css"


@dataclass(frozen=True, slots=True)
class Plan:
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    seconds: float = 5.0  # saves, and twice this for the article page
    list_seconds: float = 3.0  # each of the 48 list runs per database
    warmup_seconds: float = 1.0
    save_clients: tuple[int, ...] = (1, 8, 32)
    read_clients: tuple[int, ...] = (1, 8)
    reviewers: int = 16
    save_targets_per_channel: int = 40_000  # more than a database's save runs send
    profile_clients: int = 4
    client: str = "wrk"
    results_path: Path = RESULTS_PATH
    agreement_articles: int = 10_000


def parse_plan(argv: Sequence[str] | None) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small corpus (1,000 and 3,000), 2 s loads, results under out/")
    parser.add_argument("--sizes", help="corpus sizes, comma separated (default 1000,10000,100000)")
    parser.add_argument("--databases", help="sqlite,postgresql (default both)")
    parser.add_argument("--seconds", type=float, help="length of each load run (default 5)")
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk")
    parser.add_argument("--results", type=Path, help="where to write RESULTS.md")
    args = parser.parse_args(argv)
    plan = Plan(client=args.client)
    if args.quick:
        plan = Plan(sizes=(1_000, 3_000), seconds=2.0, list_seconds=1.0, warmup_seconds=1.0,
                    save_targets_per_channel=1_000, client=args.client, agreement_articles=1_000,
                    results_path=OUT_DIR / "RESULTS-quick.md")
    changes: dict[str, object] = {}
    if args.sizes:
        changes["sizes"] = tuple(int(s) for s in args.sizes.split(","))
    if args.databases:
        changes["databases"] = tuple(args.databases.split(","))
    if args.seconds:
        changes["seconds"] = args.seconds
    if args.results:
        changes["results_path"] = args.results
    return Plan(**{**asdict(plan), **changes})


#: Distinct API saves the one-client run at each corpus size can send.
SAVES_BY_SIZE_TARGETS = 10_000


class Bench:
    """One benchmark run: the floor, then each database in turn, then the report."""

    def __init__(self, plan: Plan, client: LoadClient, record: RunRecord, scratch: Path) -> None:
        self.plan = plan
        self.client = client
        self.record = record
        self.scratch = scratch
        self.secret_key = secrets.token_hex(32)

    # -- the floor ----------------------------------------------------------------------------

    def probe_background(self, moment: str) -> None:
        cores = machine.background_busy_cores()
        self.record.background_cores[moment] = cores
        print(f"  other processes keep {cores:.2f} of {os.cpu_count()} cores busy ({moment})")

    def measure_floor(self, scenario: str = FLOOR, clients: Sequence[int] = ()) -> None:
        print(f"==> Floor: a bare Flask endpoint under the same gunicorn settings ({scenario})")
        if scenario == FLOOR:
            self.probe_background(scenario)
        server = start_gunicorn("floor", "benchmarks.floor_app:app", {}, "/ping", self.scratch)
        try:
            idle = server.worker_rss_mib()
            counts = clients or sorted(set(self.plan.save_clients) | set(self.plan.read_clients))
            self.measure(server, FLOOR, scenario, [HttpRequest("GET", "/ping")], counts, None)
            if scenario == "floor":
                self.record.memory.append(MemoryFigure("floor", idle, server.worker_rss_mib()))
        finally:
            server.stop()

    # -- one database -------------------------------------------------------------------------

    def measure_database(self, kind: str, url: str) -> None:
        label = DATABASE_LABELS[kind]
        print(f"==> {label}: migrate, make accounts and the corpus, serve under gunicorn")
        upgrade(url)
        accounts = create_accounts(url, self.plan.reviewers)
        engine = make_engine(url)
        generator = CorpusGenerator(engine, accounts.reviewer_ids, accounts.supervisor.id,
                                    CorpusSpec())
        generator.grow_to(self.plan.sizes[0], f"{label} corpus")
        env = self.app_env(url)
        server = start_gunicorn(kind, "workbench:create_app()", env, READY_PATH, self.scratch)
        try:
            idle = server.worker_rss_mib()
            supervisor = log_in(server.base_url, SUPERVISOR, PASSWORD, "/articles")
            for size in self.plan.sizes:
                generator.grow_to(size, f"{label} corpus")
                self.measure_lists(server, label, size, accounts, supervisor)
                # More distinct saves than one client sends in a run (about 1,000/s): a replayed
                # one is refused with 409, an error.
                self.measure(server, label, SAVE_BY_SIZE, api_save_requests(
                    load_save_targets(engine, SAVES_BY_SIZE_TARGETS, seed=size).api, accounts),
                    (1,), size)
            self.measure(server, label, "article page", [article_page_request(supervisor)],
                         self.plan.read_clients, self.plan.sizes[-1],
                         seconds=2 * self.plan.seconds)  # slow pages: more samples
            targets = load_save_targets(engine, self.plan.save_targets_per_channel, seed=7)
            self.probe_background(f"{label}, before the saves")
            self.measure_floor(floor_before_saves(label), self.plan.save_clients)
            browsers = self.log_in_reviewers(server, accounts)
            self.measure_saves(server, label, accounts, targets, browsers)
            self.record.memory.append(MemoryFigure(label, idle, server.worker_rss_mib()))
        finally:
            server.stop()
        self.record.corpus[label] = {**asdict(generator.counts),
                                     "htmx_targets_mean_existing":
                                         SaveTargets.mean_existing(targets.htmx),
                                     "save_targets_per_channel": len(targets.api)}
        self.profile_saves(kind, label, env, accounts, targets, browsers)
        engine.dispose()

    def app_env(self, url: str) -> dict[str, str]:
        # The login limit is raised so that the run's own 17 logins are not refused. The same
        # key serves the profiling server, so the reviewers' cookies stay valid there.
        return {"DATABASE_URL": url, "SECRET_KEY": self.secret_key,
                "WORKBENCH_ENV": "production", "LOGIN_RATE_LIMIT": "1000 per minute"}

    def measure_lists(self, server: Server, label: str, size: int, accounts: Accounts,
                      supervisor: BrowserSession) -> None:
        for scenario in LIST_SCENARIOS:
            request = scenario.request(size, accounts.supervisor, supervisor)
            self.measure(server, label, scenario.label, [request], self.plan.read_clients, size,
                         seconds=self.plan.list_seconds)

    def log_in_reviewers(self, server: Server, accounts: Accounts) -> dict[int, BrowserSession]:
        progress = ProgressLine("log in reviewers")
        browsers = {}
        for index, reviewer in enumerate(accounts.reviewers, start=1):
            browsers[reviewer.id] = log_in(server.base_url, reviewer.username, PASSWORD,
                                           "/articles")
            progress.update(f"{index}/{len(accounts.reviewers)}")
        progress.done(f"{len(browsers)} reviewers logged in through the form")
        return browsers

    def measure_saves(self, server: Server, label: str, accounts: Accounts, targets: SaveTargets,
                      browsers: dict[int, BrowserSession]) -> None:
        self.measure(server, label, "save (API)", api_save_requests(targets.api, accounts),
                     self.plan.save_clients, self.plan.sizes[-1])
        self.measure(server, label, "save (htmx)", htmx_save_requests(targets.htmx, browsers),
                     self.plan.save_clients, self.plan.sizes[-1])

    def profile_saves(self, kind: str, label: str, env: dict[str, str], accounts: Accounts,
                      targets: SaveTargets, browsers: dict[int, BrowserSession]) -> None:
        print(f"==> {label}: profile of the save path (pyinstrument, one worker)")
        for slug, name, requests in (
                (f"save-api-{kind}", f"save (API), {label}",
                 api_save_requests(targets.api[::-1], accounts)),
                (f"save-htmx-{kind}", f"save (htmx), {label}",
                 htmx_save_requests(targets.htmx[::-1], browsers))):
            summary = profile_run(slug, name, env, requests, self.client,
                                  self.plan.profile_clients, self.plan.seconds, self.scratch,
                                  self.plan.results_path.parent / "profiles")
            self.record.profiles.append(summary)
            ProgressLine(f"profile {name}").done(
                f"{summary.requests} requests, {summary.ms_in_app_per_request:.2f} ms in the "
                f"app per request; profile in {summary.text_file}")

    # -- one measurement ----------------------------------------------------------------------

    def measure(self, server: Server, database: str, scenario: str,
                requests: Sequence[HttpRequest], client_counts: Sequence[int],
                corpus_size: int | None, seconds: float | None = None) -> None:
        """A short warm-up, then one bounded load run per client count."""
        size = f" @ {corpus_size:,}" if corpus_size else ""
        if self.plan.warmup_seconds:
            self.client.run(server.base_url, requests, max(client_counts),
                            self.plan.warmup_seconds, f"{database} {scenario}{size} warm-up",
                            self.scratch)
        for clients in client_counts:
            label = f"{database} {scenario}{size}, {clients} client{'s' * (clients > 1)}"
            result = self.client.run(server.base_url, requests, clients,
                                     seconds or self.plan.seconds, label, self.scratch)
            self.record.figures.append(Figure(database, scenario, clients, corpus_size, result,
                                              machine.load_average()))
            floor = self.record.floor_for(clients, database, scenario)
            ratio = f" ({result.rps / floor.rps:.0%} of the floor)" if floor and \
                database != FLOOR else ""
            ProgressLine(label).done(result.summary() + ratio)


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_plan(argv)
    started = time.monotonic()
    scratch = OUT_DIR / datetime.now().strftime("run-%Y%m%d-%H%M%S")
    scratch.mkdir(parents=True, exist_ok=True)
    client = choose_client(plan.client)
    client_name = getattr(client, "version", lambda: client.name)()
    record = RunRecord(
        started_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        command=_command_line(argv), machine=machine.describe(client_name, PG_ADMIN_URL),
        settings={**{k: (list(v) if isinstance(v, tuple) else str(v) if isinstance(v, Path)
                         else v) for k, v in asdict(plan).items()},
                  "corpus": asdict(CorpusSpec()), "secret_key_note": "random per run",
                  "gunicorn": "--workers 2 --worker-class sync (defaults otherwise)"})
    bench = Bench(plan, client, record, scratch)
    bench.measure_floor()
    for kind in plan.databases:
        if kind == "postgresql" and (reason := postgres_available()) is not None:
            record.notes["postgresql"] = f"PostgreSQL was skipped: {reason}"
            print("!" * 78 + f"\nPOSTGRESQL SKIPPED: {reason}\n" + "!" * 78)
            continue
        with fresh_database(kind, scratch) as url:
            bench.measure_database(kind, url)
    bench.measure_floor("floor (end of run)", clients=(8,))
    print("==> Agreement at scale (benchmarks/agreement.py)")
    record.agreement = agreement.measure_all(plan.databases, scratch, plan.agreement_articles)
    record.exchange = exchange.record_dict(exchange.measure(plan.sizes[-1] < 100_000, scratch))
    print("==> Several servers behind nginx (benchmarks/cluster.py)")
    record.cluster = cluster.measure(client, scratch, plan.seconds)
    record.minutes = (time.monotonic() - started) / 60
    record.finished_at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    written = report.write_all(record, plan.results_path)
    print(f"==> Wrote {', '.join(str(p) for p in written)} in {record.minutes:.1f} minutes")
    return 0


def _command_line(argv: Sequence[str] | None) -> str:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        return "make bench (python -m benchmarks.run)"
    return "python -m benchmarks.run " + shlex.join(args)


if __name__ == "__main__":
    sys.exit(main())
