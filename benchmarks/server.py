"""Start a WSGI app under gunicorn on a free loopback port, read its workers' memory, stop it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from deploy.cluster import free_port  # the one free loopback port finder

from .paths import PROJECT_ROOT

WORKERS = 2
STARTUP_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class GunicornSettings:
    """The settings shared by the floor and the workbench (gunicorn's default sync worker)."""

    workers: int = WORKERS
    worker_class: str = "sync"
    timeout_s: int = 60
    config_file: Path | None = None

    def arguments(self) -> list[str]:
        args = ["--workers", str(self.workers), "--worker-class", self.worker_class,
                "--timeout", str(self.timeout_s), "--log-level", "warning"]
        if self.config_file is not None:
            args += ["--config", str(self.config_file)]
        return args


class Server:
    """A running gunicorn master; ``stop()`` ends it and its workers (by the master's pid)."""

    def __init__(self, label: str, process: subprocess.Popen[bytes], port: int,
                 log_path: Path) -> None:
        self.label = label
        self.process = process
        self.port = port
        self.log_path = log_path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        return sorted(pid for pid in _all_pids() if _parent_pid(pid) == self.process.pid)

    def worker_rss_mib(self) -> list[float]:
        """Resident memory of each worker, in MiB, ordered by pid."""
        return [_rss_kib(pid) / 1024 for pid in self.worker_pids()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: workers finish and exit
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_gunicorn(label: str, app_spec: str, env: dict[str, str], ready_path: str,
                   log_dir: Path, settings: GunicornSettings = GunicornSettings()) -> Server:
    """``gunicorn APP_SPEC`` bound to 127.0.0.1 only; returns once ``ready_path`` answers."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"gunicorn-{label}.log"
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
               *settings.arguments(), app_spec]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **env},
                                   stdout=log, stderr=subprocess.STDOUT)
    server = Server(label, process, port, log_path)
    _wait_until_ready(server, ready_path, settings.workers)
    return server


def _wait_until_ready(server: Server, path: str, workers: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn ({server.label}) exited; see {server.log_path}:\n"
                               + server.log_path.read_text(errors="replace")[-3000:])
        if len(server.worker_pids()) >= workers and _answers(server.base_url + path):
            return
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"gunicorn ({server.label}) did not answer {path} within "
                       f"{STARTUP_TIMEOUT_S:.0f} s; see {server.log_path}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status < 500)
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _parent_pid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces or parentheses; the fields after the last ')' do not.
    return int(stat.rsplit(")", 1)[1].split()[1])


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
