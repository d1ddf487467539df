"""Faults under load through gunicorn as deployed (``deploy/gunicorn.conf.py``, 2 workers), with
reviewers saving through the API all along: PostgreSQL lost and back (behind a TCP proxy the
test cuts, so the shared server never restarts), and a worker killed with SIGKILL. Whatever
happens, every save answered 201 is stored with its audit event, and no assertion is stored
without one."""
from __future__ import annotations

import os
import re
import signal
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PASSWORD, Factory
from tests.faults import Savers, TcpProxy, assert_nothing_lost, reviewers_on_one_article
from tests.servers import serve, stop

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A signed-in reviewer's browser (cookies, the page's CSRF token), without JavaScript."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.csrf = CSRF.search(self.get("/login")[2]).group(1)
        status, _, html = self.post("/login", {"username": username, "password": PASSWORD})
        assert status == 200, status  # redirected to the articles
        self.csrf = CSRF.search(html).group(1)

    def get(self, path: str) -> tuple[int, Any, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, form: dict[str, str]) -> tuple[int, Any, str]:
        data = urllib.parse.urlencode({"csrf_token": self.csrf, **form}).encode()
        return self._open(urllib.request.Request(self.base + path, data=data))

    def _open(self, request: urllib.request.Request) -> tuple[int, Any, str]:
        try:
            with self.opener.open(request, timeout=20) as answer:
                return answer.status, answer.headers, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()


def assert_error_page(answer: tuple[int, Any, str]) -> None:
    status, headers, html = answer
    assert status == 503, (status, html[:300])
    assert headers["Retry-After"] == "5"
    assert "Temporarily unavailable" in html and "Back to the articles" in html, html[:300]


def test_postgresql_lost_and_back_under_load(database_url: str, is_postgres: bool,
                                             factory: Factory, tmp_path: Path) -> None:
    if not is_postgres:
        pytest.skip("PostgreSQL only (SQLite has no server to lose; tests/test_faults.py takes "
                    "its file away)")
    article_id, tokens = reviewers_on_one_article(factory, 4)
    url = make_url(database_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    log = tmp_path / "gunicorn.log"
    process, base = serve(url.set(host="127.0.0.1", port=proxy.port).render_as_string(False),
                          log)
    try:
        browser = Browser(base, "saver0")
        with Savers(base, article_id, tokens) as savers:
            savers.wait_for(10, 201, after=0, timeout=60)
            proxy.cut()
            cut_at = time.monotonic()
            savers.wait_for(10, 503, after=cut_at, timeout=60)
            assert_error_page(browser.get(f"/articles/{article_id}"))
            assert_error_page(browser.post(f"/articles/{article_id}/assertions", {
                "start": "0", "end": "5", "quote": "Alpha", "tag": "opinion"}))
            proxy.restore()
            restored_at = time.monotonic()
            savers.wait_for(10, 201, after=restored_at, timeout=60)
            back_at = time.monotonic()
            savers.wait_for(10, 201, after=back_at, timeout=60)
        assert browser.get(f"/articles/{article_id}")[0] == 200
    finally:
        stop(process)
        proxy.close()
    during = [s for s in savers.since(cut_at) if s.at < restored_at]
    # Saves in flight when the connection was cut may have been answered either way; every
    # other answer during the outage is a clean 503 with Retry-After, never a 500.
    refused = [s for s in during if s.status != 201]
    assert {(s.status, s.code, s.retry_after) for s in refused} == {(503, "unavailable", "5")}
    assert all(s.status == 201 for s in savers.since(back_at)), \
        [(s.status, s.code) for s in savers.since(back_at) if s.status != 201][:5]
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
    assert_nothing_lost(database_url, article_id, savers.saves)


def test_a_worker_killed_with_sigkill_loses_no_acknowledged_save(
        database_url: str, factory: Factory, tmp_path: Path) -> None:
    article_id, tokens = reviewers_on_one_article(factory, 8)
    process, base = serve(database_url, tmp_path / "gunicorn.log")
    try:
        with Savers(base, article_id, tokens) as savers:
            savers.wait_for(20, 201, after=0, timeout=60)
            victim = _workers(process.pid)[0]
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            # gunicorn starts a new worker; saves go on through both.
            savers.wait_for(40, 201, after=killed_at, timeout=60)
        assert victim not in _workers(process.pid)
        assert len(_workers(process.pid)) == 2
    finally:
        stop(process)
    answered = {s.status for s in savers.saves}
    assert answered <= {201, None}, answered  # None: the killed worker's connections
    assert_nothing_lost(database_url, article_id, savers.saves)


def _workers(master: int) -> list[int]:
    """The gunicorn master's worker processes (its children)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                children.append(int(entry.name))
    return sorted(children)
