"""Where the benchmark reads and writes."""
from __future__ import annotations

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"  # scratch: databases, logs, request files (git-ignored)
RESULTS_PATH = BENCH_DIR / "RESULTS.md"
PLOT_PATH = BENCH_DIR / "latency_vs_corpus_size.png"
PROFILES_DIR = BENCH_DIR / "profiles"
ANALYSIS_PATH = BENCH_DIR / "analysis.md"
LUA_REPLAY = BENCH_DIR / "lua" / "replay.lua"
