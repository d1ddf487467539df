"""What a run measured, kept as plain dataclasses and saved to ``results.json`` so that the
report can be written again (``python -m benchmarks.report``) without measuring again."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .loadgen import LoadResult
from .profiling import ProfileSummary

FLOOR = "floor"


def floor_before_saves(database: str) -> str:
    return f"floor, before the {database} saves"


@dataclass(frozen=True, slots=True)
class Figure:
    """One load run: who served it, what was asked, with how many clients, at what corpus size."""

    database: str  # "floor", "SQLite" or "PostgreSQL"
    scenario: str  # "floor", "save (API)", "save (htmx)", "article page", "list (page)", ...
    clients: int
    corpus_size: int | None
    result: LoadResult
    load_average: float = 0.0  # 1-minute load average of the machine when the run ended


@dataclass(frozen=True, slots=True)
class MemoryFigure:
    server: str
    idle_mib: list[float]
    after_mib: list[float]


@dataclass(slots=True)
class RunRecord:
    started_at: str
    command: str
    machine: dict[str, str]
    settings: dict[str, Any]
    finished_at: str = ""
    minutes: float = 0.0
    figures: list[Figure] = field(default_factory=list)
    memory: list[MemoryFigure] = field(default_factory=list)
    profiles: list[ProfileSummary] = field(default_factory=list)
    corpus: dict[str, dict[str, Any]] = field(default_factory=dict)  # per database
    notes: dict[str, str] = field(default_factory=dict)
    # CPU cores kept busy by other processes while this run's servers stood idle, by moment.
    background_cores: dict[str, float] = field(default_factory=dict)
    # benchmarks.agreement: pooled agreement per database (and the pure measure).
    agreement: list[dict[str, Any]] = field(default_factory=list)
    exchange: dict[str, Any] = field(default_factory=dict)  # benchmarks/exchange.py's figures
    cluster: dict[str, Any] = field(default_factory=dict)  # benchmarks/cluster.py's figures

    def floor_for(self, clients: int, database: str | None = None,
                  scenario: str = "") -> LoadResult | None:
        """The floor at ``clients``: for a save, the one measured just before that database's
        saves (the machine's speed drifts over a run); otherwise the one at the start."""
        if database and scenario.startswith("save"):
            found = self._floor(floor_before_saves(database), clients)
            if found is not None:
                return found
        return self._floor(FLOOR, clients)

    def _floor(self, scenario: str, clients: int) -> LoadResult | None:
        for figure in self.figures:
            if (figure.database, figure.scenario, figure.clients) == (FLOOR, scenario, clients):
                return figure.result
        return None

    def find(self, database: str, scenario: str, clients: int,
             corpus_size: int | None = None) -> LoadResult | None:
        for figure in self.figures:
            if (figure.database, figure.scenario, figure.clients) == (database, scenario, clients) \
                    and (corpus_size is None or figure.corpus_size == corpus_size):
                return figure.result
        return None

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n")

    @staticmethod
    def load(path: Path) -> RunRecord:
        data = json.loads(path.read_text())
        record = RunRecord(**{k: v for k, v in data.items()
                              if k not in ("figures", "memory", "profiles")})
        record.figures = [Figure(**{**f, "result": LoadResult(**f["result"])})
                          for f in data["figures"]]
        record.memory = [MemoryFigure(**m) for m in data["memory"]]
        record.profiles = [ProfileSummary(**{
            **p, "load": LoadResult(**p["load"]),
            "buckets": [tuple(b) for b in p["buckets"]],
            "hot_functions": [tuple(h) for h in p["hot_functions"]]}) for p in data["profiles"]]
        return record
