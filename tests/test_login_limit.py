"""The login limit holds whatever the number of workers: gunicorn with 2 workers, as deployed
(``deploy/gunicorn.conf.py``), counting in Redis; and a loud warning when it cannot."""
from __future__ import annotations

import re
import secrets
import socket
import subprocess
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests import servers
from tests.servers import stop

LIMIT = 5


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def serve(database_url: str, log: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    return servers.serve(database_url, log, LOGIN_RATE_LIMIT=f"{LIMIT} per minute", **env)


@pytest.fixture
def server_log(tmp_path: Path) -> Path:
    return tmp_path / "gunicorn.log"


def wrong_logins(base: str, count: int) -> list[int]:
    """``count`` wrong passwords, each on a fresh connection (workers take turns), one client."""
    statuses = []
    for _ in range(count):
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        with opener.open(base + "/login", timeout=5) as page:
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode()).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, "username": "nobody",
                                       "password": "wrong"}).encode()
        try:
            with opener.open(base + "/login", data=data, timeout=5) as answer:
                statuses.append(answer.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    return statuses


def test_two_workers_share_one_login_count_in_redis(database_url, server_log):
    if not redis_answers():
        pytest.skip("!!! no Redis on 127.0.0.1:6379: the shared login limit is not tested !!!")
    process, base = serve(database_url, server_log, REDIS_URL="redis://127.0.0.1:6379/0",
                          RATELIMIT_KEY_PREFIX=f"test-{secrets.token_hex(6)}")
    try:
        statuses = wrong_logins(base, 4 * LIMIT)
    finally:
        stop(process)
    assert statuses.count(401) == LIMIT, statuses
    assert statuses.count(429) == 3 * LIMIT, statuses
    assert "per process" not in server_log.read_text()


def test_a_production_server_without_a_shared_store_says_so_loudly(database_url, server_log):
    process, base = serve(database_url, server_log, REDIS_URL="")
    try:
        assert wrong_logins(base, 1) == [401]
    finally:
        stop(process)
    log = server_log.read_text()
    assert "The login rate limit is counted per process: 2 workers" in log
    assert "Set REDIS_URL" in log
    # And each worker repeats it when it builds the app.
    assert "kept in this process's memory" in log
