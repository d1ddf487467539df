"""The save rate through nginx with one and with two app servers (`deploy/cluster.py`).

    python -m benchmarks.cluster                    # prints the RESULTS.md section
    python -m benchmarks.cluster --update-results   # and stores it in results.json / RESULTS.md

One fresh PostgreSQL database with a 1,000-article corpus; API saves at 8 clients, first straight
to one gunicorn server (no nginx), then through nginx in front of one server, then in front of
two. Each server has 2 workers, as `make run` and `make cluster` start them. On 2 cores two
servers cannot be faster than one: the point is that nothing breaks or slows much.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from workbench.db import make_engine
from workbench.migrate import upgrade

from .accounts import create_accounts
from .corpus import CorpusGenerator, CorpusSpec
from .databases import fresh_database, postgres_available
from .loadgen import LoadClient, choose_client
from .paths import OUT_DIR, PROJECT_ROOT
from .progress import ProgressLine
from .scenarios import api_save_requests, load_save_targets
from .server import free_port

CORPUS = 1_000
CLIENTS = 8
REVIEWERS = 16
TARGETS = 30_000
SETUPS = (("one server, no nginx", 1, True), ("nginx → 1 server", 1, False),
          ("nginx → 2 servers", 2, False))


class RunningCluster:
    """``deploy/cluster.py`` as a child process; its nginx and server addresses once ready."""

    def __init__(self, url: str, servers: int, scratch: Path) -> None:
        runtime = scratch / f"cluster-{servers}"
        runtime.mkdir(parents=True, exist_ok=True)
        self.log = runtime / "cluster.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(PROJECT_ROOT / "deploy" / "cluster.py"), "--port",
                 str(free_port()), "--servers", str(servers), "--workers", "2",
                 "--database-url", url, "--runtime-dir", str(runtime)],
                cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            found = re.search(r"ready: (\S+) .*?\u2192 (.+)", self.log.read_text(errors="replace"))
            if found:
                self.front, self.servers = found.group(1), found.group(2).split()
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"deploy/cluster.py did not start; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def measure(client: LoadClient, scratch: Path, seconds: float = 5.0) -> dict[str, Any]:
    if (reason := postgres_available()) is not None:
        return {"skipped": f"PostgreSQL is not available: {reason}"}
    rows = []
    with fresh_database("postgresql", scratch) as url:
        upgrade(url)
        accounts = create_accounts(url, REVIEWERS)
        engine = make_engine(url)
        CorpusGenerator(engine, accounts.reviewer_ids, accounts.supervisor.id,
                        CorpusSpec()).grow_to(CORPUS, "cluster corpus")
        targets = load_save_targets(engine, TARGETS, seed=11).api
        engine.dispose()
        share = len(targets) // len(SETUPS)  # disjoint spans: a replayed span would get 409
        for index, (label, servers, direct) in enumerate(SETUPS):
            requests = api_save_requests(targets[index * share:(index + 1) * share], accounts)
            progress = ProgressLine(f"cluster: {label}")
            progress.update("starting deploy/cluster.py")
            cluster = RunningCluster(url, servers, scratch)
            try:
                base = cluster.servers[0] if direct else cluster.front
                client.run(base, requests, CLIENTS, 1.0, f"{label} warm-up", scratch)
                result = client.run(base, requests, CLIENTS, seconds, label, scratch)
            finally:
                cluster.stop()
            rows.append({"setup": label, "servers": servers, "nginx": not direct,
                         "clients": CLIENTS, "result": asdict(result)})
            progress.done(result.summary())
    return {"database": "PostgreSQL", "corpus": CORPUS, "rows": rows}


def section(data: dict[str, Any] | None, analysis: str = "") -> str:
    """RESULTS.md's section: the API save rate with and without nginx, one and two servers."""
    if not data:
        return ""
    if "skipped" in data:
        return f"## Several servers behind nginx\n\n_{data['skipped']}_\n"
    def rps(r: dict[str, Any]) -> float:
        return r["requests"] / r["seconds"] if r["seconds"] else 0.0

    base = rps(data["rows"][0]["result"]) if data["rows"] else 0.0
    lines = ["## Several servers behind nginx\n",
             f"`python -m benchmarks.cluster`: API saves at {CLIENTS} clients on "
             f"{data['database']} ({data['corpus']:,} articles), each server gunicorn with 2 "
             "workers, started by `deploy/cluster.py`. On 2 cores two servers cannot be faster "
             "than one; what matters is that nothing breaks or slows much.\n",
             "| set-up | req/s | ÷ one server direct | p50 ms | p95 ms | p99 ms | errors |",
             "|---|---|---|---|---|---|---|"]
    for row in data["rows"]:
        r = row["result"]
        errors = r["errors"]
        lines.append(f"| {row['setup']} | {rps(r):,.0f} | "
                     f"{rps(r) / base if base else 0:.2f} | {r['p50_ms']:.1f} | "
                     f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {errors} |")
    return "\n".join(lines) + ("\n\n" + analysis if analysis else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--update-results", action="store_true",
                        help="store the figures in results.json and rewrite RESULTS.md")
    args = parser.parse_args(argv)
    data = measure(choose_client(), OUT_DIR / "cluster", args.seconds)
    print(section(data))
    if args.update_results:
        from .report import update_results

        update_results("cluster", data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
