"""A description of the machine and software a run used, for RESULTS.md."""
from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import time
from importlib import metadata

from .paths import PROJECT_ROOT


def describe(load_client: str, postgres_admin_url: str) -> dict[str, str]:
    return {
        "CPU": f"{_cpu_model()} ({os.cpu_count()} cores)",
        "Memory": f"{_memory_gib():.0f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": _postgres_version(postgres_admin_url),
        "gunicorn": _version("gunicorn"),
        "Flask": _version("flask"),
        "SQLAlchemy": _version("sqlalchemy"),
        "Load client": load_client,
        "Commit": _git_commit(),
    }


def _cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    try:
        for line in open("/proc/meminfo", encoding="utf-8"):
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _postgres_version(admin_url: str) -> str:
    try:
        import psycopg

        with psycopg.connect(admin_url, connect_timeout=5) as connection:
            row = connection.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "unknown"
    except Exception:  # noqa: BLE001
        return "not reachable"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    completed = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "workbench", "templates",
                            "migrations"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    commit = completed.stdout.strip() or "unknown"
    return commit + (" (app files modified)" if dirty.stdout.strip() else "")


def load_average() -> float:
    return os.getloadavg()[0]


def background_busy_cores(seconds: float = 1.0) -> float:
    """How many cores other processes keep busy, sampled while the benchmark itself is idle.

    Other sessions' test suites may share this machine; the figures of a busy run are
    pessimistic, and the report says so.
    """
    busy_before, total_before = _cpu_ticks()
    time.sleep(seconds)
    busy_after, total_after = _cpu_ticks()
    elapsed = (total_after - total_before) / (os.cpu_count() or 1)
    return (busy_after - busy_before) / elapsed if elapsed else 0.0


def _cpu_ticks() -> tuple[int, int]:
    with open("/proc/stat", encoding="utf-8") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)
