"""A download that takes longer than gunicorn's worker timeout is not cut half-way: the streamed
responses beat the worker's heartbeat (``workbench/streaming.py``). Before, a project export to a
client slower than the timeout allowed was killed with the worker and the file ended mid-line."""
from __future__ import annotations

import http.client
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import insert, select

from tests.conftest import Factory
from tests.servers import serve, stop
from workbench.db import db
from workbench.models import Assertion, User, utcnow

TIMEOUT_S = 2
ASSERTIONS = 16_000  # about 6 MB of JSONL: more than the loopback socket buffers hold


def test_a_slow_client_gets_a_whole_export_that_outlasts_the_worker_timeout(
        empty_app, tmp_path: Path, database_url: str) -> None:
    if database_url.startswith("postgresql"):
        pytest.skip("engine-independent (its own SQLite database): run in the SQLite pass")
    factory = Factory(empty_app)
    factory.user("sue", "supervisor")
    factory.user("rita")
    token = factory.token("sue")
    article = factory.article(body="Prices doubled in 2024.", title="Prices")
    with empty_app.app_context(), db.transaction() as s:
        rita = s.scalar(select(User.id).where(User.username == "rita"))
        now = utcnow()
        s.connection().execute(insert(Assertion.__table__), [
            {"article_id": article, "reviewer_id": rita, "start_offset": 0, "end_offset": 6,
             "quote": "Prices", "prefix": "", "suffix": " doubled", "tag": "sourced",
             "note": f"note {n} " + "x" * 200, "created_at": now, "updated_at": now,
             "version": 1} for n in range(ASSERTIONS)])
    db.dispose(empty_app)
    process, base = serve(empty_app.config["DATABASE_URL"], tmp_path / "gunicorn.log", workers=1,
                          timeout=TIMEOUT_S)
    try:
        url = urlsplit(base)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        connection.connect()
        # A small receive window, and reading slowly: the worker waits on the client.
        connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        connection.request("GET", "/api/v1/export/jsonl",
                           headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        assert response.status == 200
        began, body = time.monotonic(), b""
        while True:
            try:
                piece = response.read(64 * 1024)
            except http.client.IncompleteRead as cut:
                pytest.fail(f"the download was cut after {len(body) + len(cut.partial):,} bytes")
            if not piece:
                break
            body += piece
            time.sleep(0.05)
        took = time.monotonic() - began
    finally:
        stop(process)
    assert took > 2 * TIMEOUT_S, f"the download took {took:.1f} s: too fast to test anything"
    # What the user notices: the whole file, every line complete (without the heartbeat the
    # worker is killed a timeout into the download and the body ends mid-line).
    lines = body.decode().splitlines()
    assert sum('"type":"assertion"' in line for line in lines) == ASSERTIONS
    assert lines[-1].startswith("{") and lines[-1].endswith("}")
