"""Redis unavailable: the app keeps serving, the login limit counts per process meanwhile (said
once, loudly, per process) and never answers 500; once Redis is back, it counts there again."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ApiClient, Factory, PageClient
from tests.servers import free_port, serve, stop
from tests.test_login_limit import wrong_logins

LIMIT = 3
FALLING_BACK = "!! workbench: login rate limit: "
COUNTS_ON_ITS_OWN = "this process counts login attempts on its own"


def limited_app(app_factory: Any, redis_url: str) -> Any:
    return app_factory(REDIS_URL=redis_url, RATELIMIT_STORAGE_URI=redis_url,
                       RATELIMIT_KEY_PREFIX=f"test-redis-down-{free_port()}",
                       LOGIN_RATE_LIMIT=f"{LIMIT} per minute")


def wrong_password(page: PageClient) -> int:
    return page.post("/login", {"username": "rita", "password": "wrong"}).status_code


def test_with_redis_on_a_closed_port_the_limit_counts_per_process_and_never_fails(
        app_factory: Any, capfd: pytest.CaptureFixture[str]) -> None:
    app = limited_app(app_factory, f"redis://127.0.0.1:{free_port()}/0")
    factory = Factory(app)
    factory.user("rita")
    page = PageClient(app.test_client())
    page.refresh_csrf()
    assert [wrong_password(page) for _ in range(2 * LIMIT)] == [401] * LIMIT + [429] * LIMIT
    # The rest of the app never asks Redis.
    api = ApiClient(app.test_client(), factory.token("rita"))
    assert api.get("/articles").status_code == 200
    assert page.get("/login").status_code == 200
    err = capfd.readouterr().err
    assert err.count(FALLING_BACK) == 1, err
    assert COUNTS_ON_ITS_OWN in err


def test_redis_stopped_then_started_again(app_factory: Any, tmp_path: Path,
                                          capfd: pytest.CaptureFixture[str]) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("!!! no redis-server: Redis going away and coming back is not tested !!!")
    import redis

    port = free_port()
    app = limited_app(app_factory, f"redis://127.0.0.1:{port}/0")
    Factory(app).user("rita")
    page = PageClient(app.test_client())
    page.refresh_csrf()
    server = _redis_server(port, tmp_path)
    store = redis.Redis(port=port)
    try:
        assert wrong_password(page) == 401
        assert store.keys("*test-redis-down-*"), "the attempt was not counted in Redis"
        stop(server)
        # Per process from here on: a fresh count, and never a 500.
        assert [wrong_password(page) for _ in range(LIMIT + 1)] == [401] * LIMIT + [429]
        server = _redis_server(port, tmp_path)
        # flask-limiter asks Redis again after 1, 2, 4… seconds; counted there once it answers.
        deadline = time.monotonic() + 10
        while not store.keys("*test-redis-down-*"):
            assert time.monotonic() < deadline, "the limit never went back to Redis"
            assert wrong_password(page) in (401, 429)
            time.sleep(0.2)
    finally:
        store.close()
        # The app's own connection to Redis, which nothing else closes before the test ends.
        app.extensions["workbench_limiter"].storage.get_connection().close()
        stop(server)
    err = capfd.readouterr().err
    assert err.count(FALLING_BACK) == 1, err
    assert "counted in the shared store again" in err


def _redis_server(port: int, folder: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                         text=True).stdout.strip() != "PONG":
        assert time.monotonic() < deadline and server.poll() is None, "redis-server did not start"
        time.sleep(0.05)
    return server


def test_gunicorn_workers_keep_serving_without_redis(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    limit = 2  # each wrong password costs an Argon2 hash: few attempts keep the test short
    process, base = serve(database_url, log, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
                          LOGIN_RATE_LIMIT=f"{limit} per minute")
    try:
        statuses = wrong_logins(base, 2 * limit + 1)
    finally:
        stop(process)
    # Each of the 2 workers counts on its own: up to twice the limit gets through, no more.
    assert set(statuses) == {401, 429} and statuses.count(401) >= limit, statuses
    text = log.read_text()
    assert 1 <= text.count(FALLING_BACK) <= 2, text[-3000:]  # once per worker, not per attempt
    assert "Traceback" not in text, text[-3000:]
