"""Fixtures for the browser tests.

One gunicorn (2 workers) serves the app on a free loopback port against the test run's database
(``database_url`` from tests/conftest.py, already migrated; tables are emptied after every test,
so each test makes its own users and articles with ``factory``). One Chromium for the package, a
new browser context per test; server and browser stop when the browser tests are done. Without
Debian's Chromium the browser tests are skipped.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD, Factory
from tests.servers import free_port, stop

from .helpers import Api, log_in

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START_TIMEOUT = 30.0
# Actions and expectations fail fast: a broken page should not cost the 30 s default.
TIMEOUT_MS = 10_000


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@pytest.fixture(scope="package")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under gunicorn (2 workers) on a free 127.0.0.1 port; yields its base URL."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (Debian package `chromium`; "
                    "`make setup` installs it)")
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_hex(32),
           "WORKBENCH_ENV": "test", "LOGIN_RATE_LIMIT": "1000 per minute"}
    env.pop("REDIS_URL", None)
    for attempt in range(3):
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                 "--graceful-timeout", "5", "workbench:create_app()"],
                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if answers(base_url + "/login"):
                break
            time.sleep(0.1)
        if process.poll() is None and answers(base_url + "/login"):
            break
        stop(process)
        if attempt == 2:
            tail = log_path.read_text(errors="replace")[-3000:]
            pytest.fail(f"gunicorn did not answer on {base_url} within "
                        f"{SERVER_START_TIMEOUT:.0f} s; its log ends:\n{tail}")
    try:
        yield base_url
    finally:
        stop(process)


@pytest.fixture(scope="package")
def playwright_instance(live_server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture(scope="package")
def browser(playwright_instance: Any) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def new_context(browser: Any, live_server: str) -> Iterator[Callable[..., Any]]:
    """``new_context(**options)`` → a fresh browser context on the live server, closed afterwards.

    Every context fails the test on an uncaught page error (a JavaScript exception) or a dialog
    (``alert`` must never run), and records CSP violations reported to the console."""
    made: list[Any] = []
    problems: list[str] = []

    def make(**options: Any) -> Any:
        options = {"base_url": live_server, "viewport": {"width": 1280, "height": 900},
                   "locale": "en-GB", "timezone_id": "UTC", **options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)

        def watch(page: Any) -> None:
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("dialog", lambda dialog: (problems.append(
                f"unexpected {dialog.type} dialog: {dialog.message!r}"), dialog.dismiss()))
            page.on("console", lambda message: problems.append(
                f"console {message.type}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None)

        context.on("page", watch)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
    assert not problems, "the browser reported:\n" + "\n".join(problems)


@pytest.fixture
def logged_in(new_context: Callable[..., Any]) -> Callable[..., Any]:
    """``logged_in("alice")`` → a new page in a new context, logged in through the form."""

    def make(username: str, **context_options: Any) -> Any:
        page = new_context(**context_options).new_page()
        log_in(page, username, PASSWORD)
        return page

    return make


@pytest.fixture
def api(live_server: str, factory: Factory) -> Callable[[str], Api]:
    """``api("alice")`` → a JSON client of the live server with a new bearer token for alice."""

    def make(username: str) -> Api:
        return Api(live_server, factory.token(username))

    return make

