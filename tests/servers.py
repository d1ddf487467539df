"""Servers the tests start on loopback (gunicorn): a free port, starting the app as deployed, and
stopping it cleanly."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deploy.cluster import free_port  # the one free loopback port finder

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = PROJECT_ROOT / "deploy" / "gunicorn.conf.py"


def serve(database_url: str, log: Path, workers: int = 2, timeout: int | None = None,
          **env: str) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn with ``deploy/gunicorn.conf.py`` and production settings on a free loopback port;
    ``timeout``: gunicorn's worker timeout (its default, 30 s, when None); ``env`` adds variables
    (``REDIS_URL`` empty or absent: none). Returns the process and its base URL once it answers."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_hex(32),
                   "WORKBENCH_ENV": "production", **env}
    if not env.get("REDIS_URL"):
        environment.pop("REDIS_URL", None)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "-w", str(workers),
             "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5",
             *(["--timeout", str(timeout)] if timeout else []), "workbench:create_app()"],
            cwd=PROJECT_ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(base + "/login", timeout=2):
                return process, base
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    stop(process)
    pytest.fail(f"gunicorn did not start: {log.read_text(errors='replace')[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (gunicorn's graceful stop), then SIGKILL after 10 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
