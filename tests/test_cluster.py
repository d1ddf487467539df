"""Several app servers on one PostgreSQL, as `deploy/cluster.py` starts them: nginx on loopback in
front of two gunicorn servers, no sticky sessions. A user logs in through one server and works
through the other; the login limit holds across both."""
from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import PASSWORD
from workbench.models import Assertion
from tests.servers import free_port, stop

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = PROJECT_ROOT / "deploy" / "cluster.py"
LIMIT = 5
BODY = "The minister said unemployment fell. Critics disagree.\n"


@dataclass
class Cluster:
    front: str  # nginx
    servers: list[str]  # each gunicorn server, addressed directly


def nginx_missing() -> bool:
    return shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists()


@pytest.fixture(scope="module")
def cluster(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if nginx_missing():
        pytest.skip("!!! nginx is not installed (make setup installs it): the several-servers "
                    "tests did not run !!!")
    if not database_url.startswith("postgresql"):
        pytest.skip("several servers share one PostgreSQL: these tests run in the PostgreSQL pass")
    runtime = tmp_path_factory.mktemp("cluster")
    port = free_port()
    env = {**os.environ, "LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
           "RATELIMIT_KEY_PREFIX": f"cluster-test-{secrets.token_hex(6)}"}
    env.pop("SECRET_KEY", None)
    log = open(runtime / "cluster.log", "w+b")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--port", str(port), "--servers", "2", "--workers", "1",
         "--database-url", database_url, "--runtime-dir", str(runtime)],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    ready = None
    while time.monotonic() < deadline and process.poll() is None and ready is None:
        time.sleep(0.2)
        ready = re.search(r"ready: (\S+) .*?\u2192 (.+)",
                          (runtime / "cluster.log").read_text(errors="replace"))
    if ready is None:
        stop(process)
        pytest.fail("deploy/cluster.py did not start:\n"
                    + (runtime / "cluster.log").read_text(errors="replace")[-3000:])
    try:
        yield Cluster(front=ready.group(1), servers=ready.group(2).split())
    finally:
        stop(process)
        log.close()
    assert process.returncode == 0, (runtime / "cluster.log").read_text(errors="replace")[-3000:]
    assert "nginx" not in subprocess.run(["pgrep", "-af", str(runtime)], capture_output=True,
                                         text=True).stdout, "nginx outlived the cluster script"


def csrf_token(browser: requests.Session, url: str) -> str:
    page = browser.get(url, timeout=10)
    assert page.status_code == 200, page.text[:500]
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"no CSRF token in {url}"
    return found.group(1)


def log_in(server: str, username: str) -> requests.Session:
    browser = requests.Session()
    answer = browser.post(server + "/login", data={
        "csrf_token": csrf_token(browser, server + "/login"), "username": username,
        "password": PASSWORD}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return browser


def test_a_login_on_one_server_works_on_the_other_csrf_included(cluster, factory):
    one, other = cluster.servers
    factory.user("rita")
    article = factory.article(BODY)
    factory.assign(article, "rita")
    browser = log_in(one, "rita")

    page = browser.get(f"{other}/articles/{article}", timeout=10)
    assert page.status_code == 200 and "The minister said" in page.text
    # A form's CSRF token from the first server is good on the second.
    token = csrf_token(browser, f"{one}/articles/{article}")
    saved = browser.post(f"{other}/articles/{article}/assertions", data={
        "csrf_token": token, "start": "0", "end": "36", "quote": BODY[:36], "tag": "unsourced",
        "note": "which survey?"}, timeout=10)
    assert saved.status_code == 200, saved.text[:500]
    assert "which survey?" in browser.get(f"{one}/articles/{article}", timeout=10).text
    # A wrong token is refused by either.
    refused = browser.post(f"{one}/articles/{article}/assertions", data={
        "csrf_token": token[:-2] + "xx", "start": "37", "end": "54", "quote": BODY[37:54],
        "tag": "opinion"}, timeout=10)
    assert refused.status_code == 400
    assert factory.count(Assertion) == 1


def test_logging_out_through_one_server_ends_the_session_on_every_server(cluster, factory):
    one, other = cluster.servers
    factory.user("rita")
    browser = log_in(one, "rita")
    copied = requests.Session()  # the same cookie in another tab of the same browser
    copied.cookies.update(browser.cookies)
    assert copied.get(f"{one}/articles", allow_redirects=False, timeout=10).status_code == 200

    answer = browser.post(f"{other}/logout", data={
        "csrf_token": csrf_token(browser, f"{other}/articles")}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302

    for server in (one, other):
        again = copied.get(f"{server}/articles", allow_redirects=False, timeout=10)
        assert again.status_code == 302 and "/login" in again.headers["Location"]


def test_optimistic_locking_and_blind_review_hold_across_servers(cluster, factory):
    one, other = cluster.servers
    factory.user("rita")
    factory.user("omar")
    article = factory.article(BODY)
    factory.assign(article, "rita")
    factory.assign(article, "omar")
    rita = {"Authorization": f"Bearer {factory.token('rita')}"}
    omar = {"Authorization": f"Bearer {factory.token('omar')}"}

    created = requests.post(f"{one}/api/v1/articles/{article}/assertions", headers=rita, json={
        "start": 0, "end": 36, "quote": BODY[:36], "tag": "unsourced"}, timeout=10)
    assert created.status_code == 201, created.text
    assertion = created.json()
    changed = requests.patch(f"{other}/api/v1/assertions/{assertion['id']}", headers=rita, json={
        "version": assertion["version"], "note": "edited on the second server"}, timeout=10)
    assert changed.status_code == 200, changed.text
    stale = requests.patch(f"{one}/api/v1/assertions/{assertion['id']}", headers=rita, json={
        "version": assertion["version"], "note": "a stale edit"}, timeout=10)
    assert stale.status_code == 409, stale.text
    assert requests.get(f"{one}/api/v1/assertions/{assertion['id']}", headers=rita,
                        timeout=10).json()["note"] == "edited on the second server"

    # Blind review: the other reviewer sees nothing of it, whichever server answers.
    for server in (one, other):
        hidden = requests.get(f"{server}/api/v1/assertions/{assertion['id']}", headers=omar,
                              timeout=10)
        assert hidden.status_code == 404
        listed = requests.get(f"{server}/api/v1/articles/{article}/assertions", headers=omar,
                              timeout=10)
        assert listed.status_code == 200 and listed.json()["items"] == [], listed.text
        page = log_in(server, "omar").get(f"{server}/articles/{article}", timeout=10)
        assert "edited on the second server" not in page.text


class FromAddress(requests.adapters.HTTPAdapter):
    """Connections from another loopback address: another client, as the servers see it."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def wrong_logins(front: str, client: str, count: int) -> list[int]:
    statuses = []
    for attempt in range(count):
        browser = requests.Session()  # a fresh connection each time: nginx takes turns
        browser.mount("http://", FromAddress(client))
        token = csrf_token(browser, front + "/login")
        # A forged X-Forwarded-For does not buy a fresh count: nginx appends the real address.
        answer = browser.post(front + "/login", data={
            "csrf_token": token, "username": "nobody", "password": "wrong"},
            headers={"X-Forwarded-For": f"198.51.100.{attempt}"}, timeout=10)
        statuses.append(answer.status_code)
    return statuses


def test_the_login_limit_counts_once_across_servers_through_nginx(cluster, factory):
    first = wrong_logins(cluster.front, "127.0.0.2", 4 * LIMIT)
    assert first.count(401) == LIMIT, first
    assert first.count(429) == 3 * LIMIT, first
    # Another client keeps its own count: the limit is per client, not per proxy.
    assert wrong_logins(cluster.front, "127.0.0.3", 2) == [401, 401]
    # Both servers answered (round-robin, no stickiness).
    seen = {requests.get(cluster.front + "/login", timeout=10).headers.get("X-Upstream")
            for _ in range(6)}
    assert len(seen - {None}) == 2, seen
