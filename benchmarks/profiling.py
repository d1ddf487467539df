"""Profile a save run: one gunicorn worker running ``profiled_app``, driven like the load runs,
then the combined pyinstrument session summed up by library and by workbench function."""
from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .loadgen import HttpRequest, LoadClient, LoadResult
from .paths import BENCH_DIR, PROFILES_DIR
from .server import GunicornSettings, start_gunicorn

# Where a sample's time goes, judged by the file of the innermost frame that is not a builtin.
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("database driver (SQL execution, waiting on the server)", ("/sqlite3/", "/psycopg")),
    ("SQLAlchemy (compile, session, rows)", ("/sqlalchemy/",)),
    ("templates (Jinja, MarkupSafe)", ("/jinja2", "/markupsafe/", "/templates/")),
    ("pydantic (request body)", ("/pydantic",)),
    ("CSRF and signed cookies (Flask-WTF, itsdangerous)", ("/flask_wtf/", "/wtforms/",
                                                            "/itsdangerous/")),
    ("Flask-Login", ("/flask_login/",)),
    ("Flask-Limiter", ("/flask_limiter/", "/limits/")),
    ("Flask and Werkzeug (routing, request, response)", ("/flask/", "/werkzeug/",
                                                           "/flask_htmx/")),
    ("workbench code", ("/workbench/",)),
    ("JSON", ("/json/",)),
]
OTHER = "other (standard library)"


@dataclass(frozen=True, slots=True)
class ProfileSummary:
    label: str
    requests: int
    load: LoadResult
    ms_in_app_per_request: float
    buckets: list[tuple[str, float]]  # (where, ms per request), largest first
    hot_functions: list[tuple[str, float]]  # workbench functions, inclusive ms per request
    text_file: str  # relative to benchmarks/


def profile_run(slug: str, label: str, env: dict[str, str], requests: Sequence[HttpRequest],
                client: LoadClient, clients: int, seconds: float, scratch: Path,
                profiles_dir: Path = PROFILES_DIR) -> ProfileSummary:
    """Serve with one profiled worker, drive it, and summarise the worker's profile."""
    prefix = scratch / f"profile-{slug}"
    for old in scratch.glob(f"profile-{slug}-*"):
        old.unlink()
    settings = GunicornSettings(workers=1, config_file=BENCH_DIR / "gunicorn_profiling.py")
    server = start_gunicorn(f"profile-{slug}", "benchmarks.profiled_app:app",
                            {**env, "BENCH_PROFILE_PREFIX": str(prefix)},
                            "/static/css/workbench.css", scratch, settings)
    try:
        load = client.run(server.base_url, requests, clients, seconds, f"profile {label}", scratch)
    finally:
        server.stop()
    return summarise(slug, label, load, scratch, profiles_dir)


def summarise(slug: str, label: str, load: LoadResult, scratch: Path,
              profiles_dir: Path) -> ProfileSummary:
    import json

    from pyinstrument.session import Session

    session_files = sorted(scratch.glob(f"profile-{slug}-*.pyisession"))
    if not session_files:
        raise RuntimeError(f"the profiled worker wrote no profile ({slug})")
    session = Session.load(str(session_files[0]))
    requests = sum(json.loads(p.read_text())["requests"]
                   for p in scratch.glob(f"profile-{slug}-*.json"))
    for extra in session_files[1:]:
        session = Session.combine(session, Session.load(str(extra)))
    root = session.root_frame()
    per_request = 1000.0 / max(requests, 1)
    buckets: dict[str, float] = defaultdict(float)
    functions: dict[str, float] = defaultdict(float)
    if root is not None:
        _attribute(root, OTHER, buckets)
        _workbench_functions(root, set(), functions)
    profiles_dir.mkdir(parents=True, exist_ok=True)
    text_copy = profiles_dir / f"{slug}.txt"
    shutil.copyfile(sorted(scratch.glob(f"profile-{slug}-*.txt"))[0], text_copy)
    shutil.copyfile(sorted(scratch.glob(f"profile-{slug}-*.html"))[0],
                    scratch / f"{slug}.html")
    return ProfileSummary(
        label=label, requests=requests, load=load,
        ms_in_app_per_request=session.duration * per_request,
        buckets=sorted(((k, v * per_request) for k, v in buckets.items()), key=lambda x: -x[1]),
        hot_functions=sorted(((k, v * per_request) for k, v in functions.items()),
                             key=lambda x: -x[1])[:15],
        text_file=f"{profiles_dir.name}/{text_copy.name}")


DRIVER = BUCKETS[0][0]
# pyinstrument samples Python frames only, so sqlite3's C calls show as the own time of the
# SQLAlchemy functions that make them; those functions count as the driver.
DRIVER_CALLERS = {"do_execute", "do_execute_no_params", "do_executemany", "do_commit",
                  "do_rollback", "fetchone", "fetchall", "fetchmany"}


def _bucket_of(frame: Any, inherited: str) -> str:
    file_path = frame.file_path
    if not file_path or file_path.startswith("<"):
        return inherited
    if "/sqlalchemy/engine/" in file_path and frame.function in DRIVER_CALLERS:
        return DRIVER
    for name, markers in BUCKETS:
        if any(marker in file_path for marker in markers):
            return name
    return OTHER


def _attribute(frame: Any, inherited: str, buckets: dict[str, float]) -> None:
    """Add each frame's own time (its time less its children's) to its library's bucket."""
    bucket = _bucket_of(frame, inherited)
    children = list(frame.children)
    own = frame.time - sum(child.time for child in children)
    if own > 0:
        buckets[bucket] += own
    for child in children:
        _attribute(child, bucket, buckets)


def _workbench_functions(frame: Any, open_names: set[str], totals: dict[str, float]) -> None:
    """Inclusive time of every workbench function, counted once even when it recurses."""
    name = None
    if frame.file_path and "/workbench/" in frame.file_path:
        module = frame.file_path.split("/workbench/", 1)[1].removesuffix(".py").replace("/", ".")
        name = f"workbench.{module}.{frame.function}"
        if name not in open_names:
            totals[name] += frame.time
    inner = open_names | {name} if name else open_names
    for child in frame.children:
        _workbench_functions(child, inner, totals)
