"""Drive a server over loopback for a bounded time: wrk (from Debian) or, without it, a small
Python client. Both replay a fixed list of requests round-robin and report req/s and percentiles.

wrk is installed when missing the way the Makefile installs Chromium: apt-get as root, sudo when
it is there without a password, else the Python client is used (its ceiling is the floor figure,
measured with the same client in the same run).
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .paths import LUA_REPLAY
from .progress import ProgressLine, bar

WRK_TIMEOUT = "5s"


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def raw(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass(frozen=True, slots=True)
class LoadResult:
    client: str
    clients: int
    requests: int
    seconds: float
    errors: int
    bytes_total: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def bytes_per_response(self) -> float:
        return self.bytes_total / self.requests if self.requests else 0.0

    def summary(self) -> str:
        errors = f", {self.errors} errors" if self.errors else ""
        return (f"{self.rps:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, "
                f"p99 {self.p99_ms:.1f} ms{errors}")


class LoadClient:
    """The interface of both clients."""

    name = "client"

    def run(self, base_url: str, requests: Sequence[HttpRequest], clients: int, seconds: float,
            label: str, scratch: Path) -> LoadResult:
        raise NotImplementedError


# -- wrk ----------------------------------------------------------------------------------------

class WrkClient(LoadClient):
    name = "wrk"

    def __init__(self, executable: str) -> None:
        self.executable = executable
        # Request files already written, by request list (kept alive here, so ids stay unique).
        self._written: dict[tuple[int, str], tuple[Sequence[HttpRequest], Path]] = {}
        # Where the next run on a request list starts: each run goes on where the last stopped.
        self._offsets: dict[int, int] = {}

    def version(self) -> str:
        completed = subprocess.run([self.executable, "--version"], capture_output=True, text=True)
        return (completed.stdout or completed.stderr).splitlines()[0].strip()

    def run(self, base_url: str, requests: Sequence[HttpRequest], clients: int, seconds: float,
            label: str, scratch: Path) -> LoadResult:
        request_file = self._request_file(requests, urlsplit(base_url).netloc, label, scratch)
        key = id(requests)
        threads = min(clients, 2)
        seconds = max(1, round(seconds))  # wrk takes whole seconds
        command = [self.executable, "-t", str(threads), "-c", str(clients), "-d",
                   f"{seconds}s", "--timeout", WRK_TIMEOUT, "-s", str(LUA_REPLAY), base_url]
        env = {**os.environ, "BENCH_REQUESTS": str(request_file), "BENCH_THREADS": str(threads),
               "BENCH_OFFSET": str(self._offsets.get(key, 0))}
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        output = _wait_with_progress(process, seconds, label)
        result, self._offsets[key] = _parse_wrk(output, clients, label)
        return result


    def _request_file(self, requests: Sequence[HttpRequest], host: str, label: str,
                      scratch: Path) -> Path:
        key = (id(requests), host)
        if key not in self._written:
            path = write_lua_requests(requests, host, scratch / f"requests-{_slug(label)}.lua")
            self._written[key] = (requests, path)
        return self._written[key][1]


def write_lua_requests(requests: Sequence[HttpRequest], host: str, path: Path) -> Path:
    """A Lua file returning the raw requests as a table of byte strings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="ascii") as out:
        out.write("return {\n")
        for request in requests:
            out.write('"' + lua_escape(request.raw(host)) + '",\n')
        out.write("}\n")
    return path


def lua_escape(data: bytes) -> str:
    """Bytes as the inside of a Lua string literal (three-digit decimal escapes)."""
    return "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}"
                   for b in data)


def _wait_with_progress(process: subprocess.Popen[str], seconds: float, label: str) -> str:
    progress = ProgressLine(label)
    started = time.monotonic()
    while process.poll() is None:
        elapsed = time.monotonic() - started
        progress.update(f"{bar(elapsed / seconds)} {min(elapsed, seconds):4.1f}/{seconds:g} s")
        time.sleep(0.2)
        if elapsed > seconds + 30:  # wrk stops by itself; this only guards against a hang
            process.kill()
    output = process.stdout.read() if process.stdout else ""
    return output


def _parse_wrk(output: str, clients: int, label: str) -> tuple[LoadResult, int]:
    for line in output.splitlines():
        if line.startswith("BENCH-JSON "):
            data = json.loads(line.removeprefix("BENCH-JSON "))
            errors = sum(data[k] for k in ("connect_errors", "read_errors", "write_errors",
                                           "status_errors", "timeouts"))
            return LoadResult("wrk", clients, data["requests"], data["duration_us"] / 1e6,
                              errors, data["bytes"], data["p50_us"] / 1e3, data["p95_us"] / 1e3,
                              data["p99_us"] / 1e3, data["mean_us"] / 1e3,
                              data["max_us"] / 1e3), data["next_offset"]
    raise RuntimeError(f"wrk printed no summary for {label}:\n{output[-2000:]}")


# -- the Python fallback ------------------------------------------------------------------------

class PythonClient(LoadClient):
    """Threads with keep-alive http.client connections; bound by the GIL, so its own ceiling
    (the floor figure of the same run) is reported beside every figure."""

    name = "python"

    def __init__(self) -> None:
        self._offsets: dict[int, int] = {}  # as WrkClient's: each run goes on where the last stopped

    def version(self) -> str:
        return "the Python fallback client (threads, http.client): its ceiling is the floor row"

    def run(self, base_url: str, requests: Sequence[HttpRequest], clients: int, seconds: float,
            label: str, scratch: Path) -> LoadResult:
        parts = urlsplit(base_url)
        latencies: list[list[float]] = [[] for _ in range(clients)]
        counters = {"errors": 0, "bytes": 0, "next": self._offsets.get(id(requests), 0)}
        lock = threading.Lock()
        deadline = time.monotonic() + seconds
        workers = [threading.Thread(target=_python_worker, daemon=True,
                                    args=(parts.hostname, parts.port, requests, deadline,
                                          latencies[index], counters, lock))
                   for index in range(clients)]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        progress = ProgressLine(label)
        while any(w.is_alive() for w in workers):
            elapsed = time.monotonic() - started
            progress.update(f"{bar(elapsed / seconds)} {min(elapsed, seconds):4.1f}/{seconds:g} s")
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        self._offsets[id(requests)] = counters["next"]
        merged = sorted(x for per_thread in latencies for x in per_thread)
        return LoadResult("python", clients, len(merged), elapsed, counters["errors"],
                          counters["bytes"], _percentile(merged, 50), _percentile(merged, 95),
                          _percentile(merged, 99),
                          sum(merged) / len(merged) if merged else 0.0,
                          merged[-1] if merged else 0.0)


def _python_worker(host: str | None, port: int | None, requests: Sequence[HttpRequest],
                   deadline: float, latencies: list[float],
                   counters: dict[str, int], lock: threading.Lock) -> None:
    connection = http.client.HTTPConnection(host or "127.0.0.1", port, timeout=5)
    while time.monotonic() < deadline:
        with lock:
            request = requests[counters["next"] % len(requests)]
            counters["next"] += 1
        started = time.perf_counter()
        try:
            connection.request(request.method, request.path, body=request.body or None,
                               headers=dict(request.headers))
            response = connection.getresponse()
            size = len(response.read())
            failed = response.status >= 400
        except (OSError, http.client.HTTPException):
            connection.close()
            size, failed = 0, True
        latencies.append((time.perf_counter() - started) * 1000)
        with lock:
            counters["bytes"] += size
            counters["errors"] += int(failed)
    connection.close()


def _percentile(ordered: list[float], percent: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered)) - 1))
    return ordered[index]


# -- choosing a client --------------------------------------------------------------------------

def choose_client(prefer: str = "wrk") -> LoadClient:
    """wrk when it is (or can be made) available, else the Python client."""
    if prefer == "python":
        return PythonClient()
    executable = shutil.which("wrk") or _install_wrk()
    return WrkClient(executable) if executable else PythonClient()


def _install_wrk() -> str | None:
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"],
                                                 capture_output=True).returncode == 0:
        prefix = ["sudo", "-n"]
    else:
        print("  wrk is missing and cannot be installed without root: using the Python client")
        return None
    print("==> Debian package: wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(prefix + ["apt-get", "update", "-qq"], env=env, check=False)
    subprocess.run(prefix + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
                   env=env, check=False, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def _slug(label: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in label.lower()).strip("-")
