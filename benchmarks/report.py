"""Write ``RESULTS.md``, the latency plot and ``results.json`` from a run's record.

``python -m benchmarks.report`` rewrites RESULTS.md and the plot from the last results.json,
e.g. after editing the hand-written analysis in ``analysis.md``.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from . import cluster, exchange
from .loadgen import LoadResult
from .paths import ANALYSIS_PATH, BENCH_DIR, PLOT_PATH, RESULTS_PATH
from .results import FLOOR, RunRecord
from .scenarios import LIST_SCENARIOS, SAVE_BY_SIZE

RESULTS_JSON = "results.json"
JUDGED_CLIENTS = 8
SAVE_P95_MS = 25.0
SAVE_FLOOR_SHARE = 0.35
READ_P95_MS = 50.0


@dataclass(frozen=True, slots=True)
class Verdict:
    target: str
    database: str
    met: bool
    detail: str
    analysis_key: str


def update_results(field: str, value: object) -> None:
    """Store one benchmark's figures (``agreement``, ``cluster``) in the last run's results.json
    and rewrite RESULTS.md, leaving the other figures as they were measured."""
    record = RunRecord.load(RESULTS_PATH.parent / "results.json")
    setattr(record, field, value)
    for path in write_all(record, RESULTS_PATH):
        print(f"wrote {path}")


def write_all(record: RunRecord, results_path: Path) -> list[Path]:
    """RESULTS.md beside results.json, and the plot; returns the paths written."""
    json_path = results_path.parent / (RESULTS_JSON if results_path == RESULTS_PATH
                                       else results_path.stem + ".json")
    record.save(json_path)
    plot_path = PLOT_PATH if results_path == RESULTS_PATH else \
        results_path.with_name(results_path.stem + ".png")
    plot_latency(record, plot_path)
    results_path.write_text(render(record, plot_path.relative_to(results_path.parent)))
    return [results_path, plot_path, json_path]


# -- targets ------------------------------------------------------------------------------------

def databases(record: RunRecord) -> list[str]:
    seen: list[str] = []
    for figure in record.figures:
        if figure.database != FLOOR and figure.database not in seen:
            seen.append(figure.database)
    return seen


def sizes(record: RunRecord) -> list[int]:
    return sorted({f.corpus_size for f in record.figures
                   if f.corpus_size and f.scenario.startswith(("list", "next", "search"))})


def verdicts(record: RunRecord) -> list[Verdict]:
    out: list[Verdict] = []
    for database in databases(record):
        for scenario in ("save (API)", "save (htmx)"):
            floor = record.floor_for(JUDGED_CLIENTS, database, scenario)
            result = record.find(database, scenario, JUDGED_CLIENTS)
            if result is None or floor is None:
                continue
            share = result.rps / floor.rps
            met = share >= SAVE_FLOOR_SHARE and result.p95_ms <= SAVE_P95_MS and not result.errors
            out.append(Verdict(f"{scenario}: ≥{SAVE_FLOOR_SHARE:.0%} of floor req/s and "
                               f"p95 ≤ {SAVE_P95_MS:.0f} ms at {JUDGED_CLIENTS} clients",
                               database, met, f"{share:.0%}, p95 {result.p95_ms:.1f} ms"
                               + _errors(result), scenario))
        page = record.find(database, "article page", JUDGED_CLIENTS)
        if page is not None:
            out.append(Verdict(f"article page (1,000 assertions): p95 ≤ {READ_P95_MS:.0f} ms at "
                               f"{JUDGED_CLIENTS} clients", database,
                               page.p95_ms <= READ_P95_MS and not page.errors,
                               f"p95 {page.p95_ms:.1f} ms" + _errors(page), "article page"))
        for scenario in LIST_SCENARIOS:
            worst = max((record.find(database, scenario.label, JUDGED_CLIENTS, size)
                         for size in sizes(record)), key=lambda r: r.p95_ms if r else -1,
                        default=None)
            if worst is None:
                continue
            per_size = ", ".join(
                f"{_short(size)} {r.p95_ms:.1f}" for size in sizes(record)
                if (r := record.find(database, scenario.label, JUDGED_CLIENTS, size)))
            out.append(Verdict(f"{scenario.label}: p95 ≤ {READ_P95_MS:.0f} ms at every size, "
                               f"{JUDGED_CLIENTS} clients", database,
                               worst.p95_ms <= READ_P95_MS and not worst.errors,
                               f"p95 ms: {per_size}", scenario.label))
    return out


def _errors(result: LoadResult) -> str:
    return f", {result.errors:,} errors" if result.errors else ""


# -- markdown -----------------------------------------------------------------------------------

def render(record: RunRecord, plot_file: Path) -> str:
    analysis = load_analysis()
    parts = [
        "# Benchmarks\n",
        "Written by `benchmarks/run.py` (do not edit by hand: the prose comes from "
        "`benchmarks/analysis.md`). Figures, not tests: nothing here fails a build.\n",
        _run_facts(record),
        _targets_table(record),
        "## Floor\n\nA bare Flask endpoint (`benchmarks/floor_app.py`, `GET /ping`) under the "
        "same gunicorn settings. Every other figure is also given as a ratio to the floor at "
        "the same number of clients: saves to the floor measured just before them, the rest "
        "to the floor at the start of the run. The machine's speed drifts during a run (it is "
        "a shared virtual machine), which is why the floor is measured more than once.\n\n"
        + _floor_table(record),
        "## Saving an assertion\n\n" + analysis.get("method: saves", "") + "\n\n"
        + _saves_table(record) + "\n\n" + _save_growth_table(record) + "\n\n"
        + analysis.get("save growth", ""),
        "## Opening an article with 1,000 assertions\n\n" + analysis.get("method: article page",
                                                                         "") + "\n\n"
        + _scenario_table(record, ["article page"]),
        "## Article list, next page and search by corpus size\n\n"
        + analysis.get("method: lists", "") + "\n\n"
        + f"![p95 latency against corpus size]({plot_file})\n\n" + _lists_tables(record),
        "## Memory\n\nResident memory (RSS) of each gunicorn worker, idle (booted, one static "
        "request answered) and after all the load runs of that server.\n\n"
        + _memory_table(record),
        "## Where the save path spends its time\n\n" + analysis.get("method: profile", "")
        + "\n\n" + _profiles(record) + "\n\n" + analysis.get("profile findings", ""),
        "## Changes made because of the profile\n\n"
        + analysis.get("changes made because of the profile", "_None written._"),
        "## Agreement at scale\n\n" + analysis.get("method: agreement", "") + "\n\n"
        + _agreement_table(record) + "\n\n" + analysis.get("agreement findings", ""),
        exchange.section(record.exchange, analysis.get("exchange", "")),
        cluster.section(record.cluster, analysis.get("cluster", "")),
        _missed_targets(record, analysis),
        "## Corpus\n\n" + analysis.get("method: corpus", "") + "\n\n" + _corpus_table(record),
    ]
    return "\n\n".join(p.strip() for p in parts if p.strip()) + "\n"


def _run_facts(record: RunRecord) -> str:
    lines = ["| | |", "|---|---|",
             f"| Date | {record.started_at} (took {record.minutes:.1f} minutes) |",
             f"| Command | `{record.command}` |"]
    lines += [f"| {k} | {v} |" for k, v in record.machine.items()]
    settings = record.settings
    lines.append(f"| Servers | gunicorn {settings.get('gunicorn', '')}, bound to 127.0.0.1, "
                 "`WORKBENCH_ENV=production` |")
    seconds = settings.get("seconds", 0)
    lines.append(f"| Load runs | saves {seconds} s, article page {2 * seconds} s, lists "
                 f"{settings.get('list_seconds', seconds)} s, each scenario after a "
                 f"{settings.get('warmup_seconds')} s warm-up; closed loop (each client sends its "
                 "next request when the last one is answered) |")
    if record.background_cores:
        busy = ", ".join(f"{cores:.2f} ({moment})" for moment, cores in
                         record.background_cores.items())
        lines.append(f"| Other processes | cores kept busy while the benchmark stood idle: "
                     f"{busy} |")
    for note in record.notes.values():
        lines.append(f"| Note | {note} |")
    return "\n".join(lines)


def _targets_table(record: RunRecord) -> str:
    items = verdicts(record)
    dbs = databases(record)
    targets = list(dict.fromkeys(v.target for v in items))
    lines = ["## Targets\n", "| Target | " + " | ".join(dbs) + " |",
             "|---|" + "---|" * len(dbs)]
    for target in targets:
        cells = []
        for database in dbs:
            found = next((v for v in items if v.target == target and v.database == database),
                         None)
            cells.append("—" if found is None else
                         f"{'met' if found.met else '**missed**'} ({found.detail})")
        lines.append(f"| {target} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _ratio(result: LoadResult, floor: LoadResult | None) -> tuple[str, str]:
    if floor is None or not floor.rps:
        return "", ""
    return f"{result.rps / floor.rps:.0%}", f"{result.p95_ms / floor.p95_ms:.1f}×"


def _row(result: LoadResult, floor: LoadResult | None) -> str:
    share, slower = _ratio(result, floor)
    errors = f"{result.errors}" if result.errors else "0"
    return (f"{result.rps:,.0f} | {share} | {result.p50_ms:.1f} | {result.p95_ms:.1f} | "
            f"{slower} | {result.p99_ms:.1f} | {result.bytes_per_response / 1024:.1f} | {errors}")


ROW_HEAD = ("req/s | req/s ÷ floor | p50 ms | p95 ms | p95 ÷ floor p95 | p99 ms | "
            "KiB/response | errors")


def _floor_table(record: RunRecord) -> str:
    lines = ["| when | clients | req/s | p50 ms | p95 ms | p99 ms | load avg |",
             "|---|---|---|---|---|---|---|"]
    for figure in record.figures:
        if figure.database == FLOOR:
            r = figure.result
            when = {FLOOR: "start of run", "floor (end of run)": "end of run (check)"}.get(
                figure.scenario, figure.scenario.removeprefix("floor, "))
            lines.append(f"| {when} | {figure.clients} | {r.rps:,.0f} | {r.p50_ms:.1f} | "
                         f"{r.p95_ms:.1f} | {r.p99_ms:.1f} | {figure.load_average:.1f} |")
    return "\n".join(lines)


def _saves_table(record: RunRecord) -> str:
    return _scenario_table(record, ["save (API)", "save (htmx)"])


def _save_growth_table(record: RunRecord) -> str:
    """One client's API saves at each corpus size, on each database."""
    found = [f for f in record.figures if f.scenario == SAVE_BY_SIZE]
    if not found:
        return ""
    grown = sorted({f.corpus_size for f in found if f.corpus_size})
    lines = ["**The save rate as the corpus grows** (API, 1 client): saves/s (p95 ms); the "
             "last column is the largest corpus's rate ÷ the smallest's (1.00 is flat).\n",
             "| database | " + " | ".join(f"{s:,} articles" for s in grown) + " | ratio |",
             "|---|" + "---|" * (len(grown) + 1)]
    for database in databases(record):
        rates = {f.corpus_size: f.result for f in found if f.database == database}
        if not rates:
            continue
        cells = [f"{rates[s].rps:,.0f} ({rates[s].p95_ms:.1f})" if s in rates else ""
                 for s in grown]
        first, last = rates.get(grown[0]), rates.get(grown[-1])
        ratio = f"{last.rps / first.rps:.2f}" if first and last and first.rps else ""
        lines.append(f"| {database} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)


def _scenario_table(record: RunRecord, scenarios: list[str]) -> str:
    lines = [f"| database | what | clients | {ROW_HEAD} | requests | load avg |",
             "|---|---|---|" + "---|" * 10]
    for database in databases(record):
        for scenario in scenarios:
            for figure in record.figures:
                if (figure.database, figure.scenario) == (database, scenario):
                    floor = record.floor_for(figure.clients, database, scenario)
                    lines.append(f"| {database} | {scenario} | {figure.clients} | "
                                 f"{_row(figure.result, floor)} | "
                                 f"{figure.result.requests:,} | {figure.load_average:.1f} |")
    return "\n".join(lines)


def _lists_tables(record: RunRecord) -> str:
    out = []
    for clients in sorted({f.clients for f in record.figures if f.corpus_size and
                           f.scenario.startswith(("list", "next", "search"))}, reverse=True):
        floor = record.floor_for(clients)
        head = "| database | what | " + " | ".join(_short(s) for s in sizes(record)) + " |"
        lines = [f"**{clients} client{'s' * (clients > 1)}**: p95 ms (req/s, share of the "
                 f"floor's req/s)\n", head, "|---|---|" + "---|" * len(sizes(record))]
        for database in databases(record):
            for scenario in LIST_SCENARIOS:
                cells = []
                for size in sizes(record):
                    r = record.find(database, scenario.label, clients, size)
                    cells.append("" if r is None else
                                 f"{r.p95_ms:.1f} ({r.rps:,.0f}, {_ratio(r, floor)[0]})"
                                 + (f" {r.errors} errors" if r.errors else ""))
                lines.append(f"| {database} | {scenario.label} | " + " | ".join(cells) + " |")
        out.append("\n".join(lines))
    legend = "\n".join(f"- **{s.label}**: {s.description}" for s in LIST_SCENARIOS)
    return legend + "\n\n" + "\n\n".join(out)


def _memory_table(record: RunRecord) -> str:
    lines = ["| server | idle, per worker (MiB) | after the runs (MiB) |", "|---|---|---|"]
    for m in record.memory:
        lines.append(f"| {m.server} | {', '.join(f'{x:.0f}' for x in m.idle_mib)} | "
                     f"{', '.join(f'{x:.0f}' for x in m.after_mib)} |")
    return "\n".join(lines)


def _profiles(record: RunRecord) -> str:
    out = []
    for p in record.profiles:
        total = sum(ms for _, ms in p.buckets) or 1.0
        lines = [f"**{p.label}**: {p.requests:,} requests at {p.load.clients} clients, "
                 f"{p.load.rps:,.0f} req/s with one profiled worker; "
                 f"{p.ms_in_app_per_request:.2f} ms inside the app per request "
                 f"([full profile]({p.text_file})).\n",
                 "| where | ms/request | share |", "|---|---|---|"]
        lines += [f"| {name} | {ms:.2f} | {ms / total:.0%} |" for name, ms in p.buckets if
                  ms / total >= 0.01]
        lines += ["", "| workbench function (inclusive) | ms/request |", "|---|---|"]
        lines += [f"| `{name}` | {ms:.2f} |" for name, ms in p.hot_functions[:10]]
        out.append("\n".join(lines))
    return "\n\n".join(out)


def _missed_targets(record: RunRecord, analysis: dict[str, str]) -> str:
    """Each missed target with what was measured and the analysis section written for it
    (the list scenarios share one section, ``missed: lists``)."""
    missed = [v for v in verdicts(record) if not v.met]
    if not missed:
        return "## Missed targets\n\nNone."
    list_labels = {s.label for s in LIST_SCENARIOS}
    groups: dict[str, list[Verdict]] = {}
    for verdict in missed:
        group = "lists" if verdict.analysis_key in list_labels else verdict.analysis_key
        groups.setdefault(group, []).append(verdict)
    lines = ["## Missed targets: why, and what would fix them\n"]
    for group, verdicts_of_group in groups.items():
        which = "; ".join(f"{v.database} {v.analysis_key if group == 'lists' else ''} "
                          f"{v.detail}".replace("  ", " ") for v in verdicts_of_group)
        lines.append(f"### {group}\n\nMeasured: {which}.\n\n"
                     + analysis.get(f"missed: {group}".lower(),
                                    "_No analysis written for this one yet._"))
    return "\n\n".join(lines)


AGREEMENT_TARGET_SECONDS = 5.0


def _agreement_table(record: RunRecord) -> str:
    """Cold and warm pooled agreement per database, against the 5 s target."""
    if not record.agreement:
        return "_Not measured in this run (`python -m benchmarks.agreement --update-results`)._"
    lines = ["| database | articles compared | assertions | cold | warm (cached) | target 5 s "
             "| peak RSS | one article (1,000 assertions) cold → warm |",
             "|---|---:|---:|---:|---:|---|---:|---:|"]
    for row in record.agreement:
        compared = row.get("compared", row["articles"])
        warm = row.get("warm_seconds")
        judged = warm if warm is not None else row["cold_seconds"]
        ratio = f"{judged / AGREEMENT_TARGET_SECONDS:.2f}× of it"
        met = "met" if judged <= AGREEMENT_TARGET_SECONDS else "missed"
        rss = row.get("peak_rss_mib_after_cold", row.get("peak_rss_mib", 0.0))
        heavy = (f"{row['heavy_article_cold_ms']:,.0f} → {row['heavy_article_warm_ms']:,.1f} ms"
                 if "heavy_article_cold_ms" in row else "")
        lines.append(f"| {row['database']} | {compared:,} | {row.get('assertions', '')} "
                     f"| {row['cold_seconds']:.2f} s | "
                     f"{'' if warm is None else f'{warm:.2f} s'} | {met} ({ratio}) "
                     f"| {rss:.0f} MiB | {heavy} |")
    return "\n".join(lines)


def _corpus_table(record: RunRecord) -> str:
    lines = ["| database | articles | assignments | assertions | evidence | characters of text "
             "| articles with non-ASCII | made in | the reviewer's assertions on an htmx save "
             "target (mean) |", "|---|---|---|---|---|---|---|---|---|"]
    for database, c in record.corpus.items():
        lines.append(f"| {database} | {c['articles']:,} | {c['assignments']:,} | "
                     f"{c['assertions']:,} | {c['evidence']:,} | {c['body_characters']:,} | "
                     f"{c['non_ascii_articles'] / max(c['articles'], 1):.0%} | "
                     f"{c['seconds']:.0f} s | {c.get('htmx_targets_mean_existing', 0):.1f} |")
    return "\n".join(lines)


def _short(size: int) -> str:
    return f"{size // 1000}k" if size >= 1000 and size % 1000 == 0 else str(size)


def load_analysis(path: Path = ANALYSIS_PATH) -> dict[str, str]:
    """The sections of analysis.md, keyed by their ``## heading`` (lower case)."""
    if not path.exists():
        return {}
    sections: dict[str, str] = {}
    for chunk in re.split(r"^## ", path.read_text(), flags=re.MULTILINE)[1:]:
        heading, _, body = chunk.partition("\n")
        sections[heading.strip().lower()] = body.strip()
    return sections


# -- the plot -----------------------------------------------------------------------------------

def plot_latency(record: RunRecord, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dbs = databases(record)
    corpus_sizes = sizes(record)
    if not dbs or not corpus_sizes:
        return
    figure, axes = plt.subplots(1, len(dbs), figsize=(6.5 * len(dbs), 4.8), sharey=True,
                                squeeze=False)
    for axis, database in zip(axes[0], dbs):
        for scenario in LIST_SCENARIOS:
            points = [(s, r.p95_ms) for s in corpus_sizes
                      if (r := record.find(database, scenario.label, JUDGED_CLIENTS, s))]
            if points:
                axis.plot(*zip(*points), marker="o",
                          linestyle="-" if scenario.kind == "page" else "--",
                          label=scenario.label)
        axis.axhline(READ_P95_MS, color="red", linewidth=1, linestyle=":",
                     label=f"target {READ_P95_MS:.0f} ms")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks(corpus_sizes, [f"{s:,}" for s in corpus_sizes])
        axis.minorticks_off()
        _plain_latency_ticks(axis)
        axis.set_title(f"{database}: p95 at {JUDGED_CLIENTS} clients")
        axis.set_xlabel("articles in the corpus")
        axis.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("p95 latency (ms)")
    axes[0][-1].legend(fontsize=7, loc="upper left")
    figure.suptitle(f"Article list, next page and search — {record.started_at}", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _plain_latency_ticks(axis: object) -> None:
    """Milliseconds as plain numbers (5, 10, 20, 50 …) on the log-scaled axis."""
    from matplotlib.ticker import FixedLocator, FuncFormatter

    low, high = axis.get_ylim()  # type: ignore[attr-defined]
    fine = (1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 50, 70, 100, 150, 200, 300, 500, 700, 1000, 2000,
            5000, 10000)
    coarse = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
    ticks = [t for t in fine if low <= t <= high]
    if len(ticks) > 9:
        ticks = [t for t in coarse if low <= t <= high]
    axis.yaxis.set_major_locator(FixedLocator(ticks))  # type: ignore[attr-defined]
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    axis.yaxis.set_major_formatter(plain)  # type: ignore[attr-defined]


def main() -> int:
    record = RunRecord.load(BENCH_DIR / RESULTS_JSON)
    for path in write_all(record, RESULTS_PATH):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
