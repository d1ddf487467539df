"""Concurrent writers through real HTTP: 16 threads × 100 writes against the app served by a threaded
WSGI server on 127.0.0.1, on SQLite and on PostgreSQL. Nothing may be lost or doubled, no request
may fail with a 5xx, and SQLite must queue its writers rather than answer "database is locked"."""
from __future__ import annotations

import http.client
import json
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import regex
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tests.conftest import Factory
from workbench.db import db
from workbench.models import Assertion, AuditEvent, Evidence, User

THREADS = 16
WRITES_PER_THREAD = 100
# Every PATCH_EVERY-th assertion of a thread is then edited (with the version it got back) and
# given one more evidence link; every INLINE_EVIDENCE_EVERY-th carries an evidence link inline.
PATCH_EVERY = 10
INLINE_EVIDENCE_EVERY = 5
CONTENTION_ROUNDS = 25
DELETE_ROUNDS = 8

BODY = ("Alpha beta gamma. Le café était fermé. Ünïcödé 👩‍👩‍👧 family; "
        "مرحبا بالعالم. Delta epsilon zeta, eta theta iota.\n") * 3


# -- A real server ------------------------------------------------------------------------------

class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # 2,000 lines of access log: no
        pass


@dataclass
class LiveServer:
    host: str
    port: int
    crashes: list[str] = field(default_factory=list)
    # Every response body that mentions a lock ("database is locked"), whatever its status.
    locked: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, token: str, payload: Any = None
                ) -> tuple[int, str]:
        """One request on its own connection; returns (status, body text)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            body = None if payload is None else json.dumps(payload).encode()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            connection.request(method, "/api/v1" + path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            if "locked" in text.lower():
                self.locked.append(f"{method} {path} {response.status}: {text[:300]}")
            return response.status, text
        finally:
            connection.close()


def _recording(app: Flask, crashes: list[str]):  # type: ignore[no-untyped-def]
    """The app as WSGI, turning an exception that escapes it (TESTING propagates them) into a 500
    whose body names the exception, so a "database is locked" can't hide behind a bare 500."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        try:
            return app(environ, start_response)
        except Exception as error:  # noqa: BLE001 - recorded and reported as a 500
            text = "".join(traceback.format_exception(error))
            crashes.append(text)
            start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")])
            return [text.encode()]

    return wsgi


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The ``app`` fixture's app (so the test database) on 127.0.0.1, one thread per request."""
    crashes: list[str] = []
    server: BaseWSGIServer = make_server("127.0.0.1", 0, _recording(app, crashes), threaded=True,
                                         request_handler=QuietHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer("127.0.0.1", server.server_port, crashes)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _scalar(app: Flask, stmt: Any) -> Any:
    with app.app_context(), db.transaction() as s:
        return s.scalar(stmt)


def _audit_count(app: Flask, action: str) -> int:
    return _scalar(app, select(func.count()).select_from(AuditEvent)
                   .where(AuditEvent.action == action))


def _spans(count: int, seed: int) -> list[tuple[int, int, str]]:
    """``count`` valid (start, end, quote) triples over BODY, different for each seed."""
    # Offsets on grapheme-cluster boundaries, as a browser selection gives them.
    boundaries = [0] + [m.end() for m in regex.finditer(r"\X", BODY)]
    spans = []
    for j in range(count):
        first = (seed * 37 + j * 11) % (len(boundaries) - 8)
        start, end = boundaries[first], boundaries[first + 1 + (seed + j) % 7]
        spans.append((start, end, BODY[start:end]))
    return spans


def _run_threads(work: Any, count: int) -> list[Any]:
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="client") as pool:
        futures = [pool.submit(work, i) for i in range(count)]
        return [f.result(timeout=120) for f in futures]


def _no_server_errors(live_server: LiveServer, statuses: Counter[int],
                      bodies: list[str]) -> None:
    if live_server.crashes:
        kinds = Counter(crash.strip().splitlines()[-1][:200] for crash in live_server.crashes)
        pytest.fail(f"{len(live_server.crashes)} requests answered 500, exceptions escaped the app "
                    f"({dict(kinds)}); the first:\n{live_server.crashes[0]}")
    assert not [s for s in statuses if s >= 500], statuses
    assert not live_server.locked, live_server.locked[:3]
    assert not [b for b in bodies if "locked" in b.lower()]


# -- 16 writers × 100 assertions ----------------------------------------------------------------

def test_sixteen_writers_lose_nothing(app: Flask, factory: Factory,
                                      live_server: LiveServer) -> None:
    article_id = factory.article(body=BODY, title="Concurrency")
    tokens = []
    for i in range(THREADS):
        name = f"writer{i:02d}"
        factory.user(name)
        factory.assign(article_id, name)
        tokens.append(factory.token(name))
    before = {action: _audit_count(app, action)
              for action in ("assertion.create", "assertion.update", "evidence.create")}
    barrier = threading.Barrier(THREADS)

    def writer(i: int) -> tuple[Counter[int], list[str]]:
        statuses: Counter[int] = Counter()
        unexpected: list[str] = []
        token = tokens[i]
        barrier.wait(30)  # everybody starts at once
        for j, (start, end, quote) in enumerate(_spans(WRITES_PER_THREAD, i)):
            payload: dict[str, Any] = {"start": start, "end": end, "quote": quote,
                                       "tag": ("sourced", "unsourced", "opinion")[j % 3],
                                       "note": f"w{i}-{j}"}
            if j % INLINE_EVIDENCE_EVERY == 0:
                payload["evidence"] = [{"url": f"https://example.org/{i}/{j}",
                                        "title": f"inline {i}-{j}", "stance": "supports"}]
            status, text = live_server.request("POST", f"/articles/{article_id}/assertions",
                                               token, payload)
            statuses[status] += 1
            if status != 201:
                unexpected.append(f"POST {status} {text[:300]}")
                continue
            created = json.loads(text)
            if j % PATCH_EVERY == 0:
                status, text = live_server.request(
                    "PATCH", f"/assertions/{created['id']}", token,
                    {"version": created["version"], "note": f"w{i}-{j} edited"})
                statuses[status] += 1
                if status != 200 or json.loads(text)["version"] != 2:
                    unexpected.append(f"PATCH {status} {text[:300]}")
                status, text = live_server.request(
                    "POST", f"/assertions/{created['id']}/evidence", token,
                    {"url": f"https://example.com/{i}/{j}", "stance": "refutes"})
                statuses[status] += 1
                if status != 201:
                    unexpected.append(f"evidence POST {status} {text[:300]}")
        return statuses, unexpected

    started = time.monotonic()
    results = _run_threads(writer, THREADS)
    elapsed = time.monotonic() - started

    statuses: Counter[int] = Counter()
    unexpected: list[str] = []
    for thread_statuses, thread_unexpected in results:
        statuses.update(thread_statuses)
        unexpected.extend(thread_unexpected)
    _no_server_errors(live_server, statuses, unexpected)
    assert not unexpected, unexpected[:5]

    edits = THREADS * len(range(0, WRITES_PER_THREAD, PATCH_EVERY))
    inline = THREADS * len(range(0, WRITES_PER_THREAD, INLINE_EVIDENCE_EVERY))
    total = THREADS * WRITES_PER_THREAD
    assert statuses == {201: total + edits, 200: edits}, (statuses, f"{elapsed:.1f} s")

    # Exactly the expected rows, read back fresh from the database.
    with app.app_context(), db.transaction() as s:
        rows = s.execute(select(User.username, Assertion.note, Assertion.version,
                                Assertion.start, Assertion.end, Assertion.quote)
                         .join(User, User.id == Assertion.reviewer_id)
                         .where(Assertion.article_id == article_id)).all()
        evidence_count = s.scalar(select(func.count()).select_from(Evidence).join(
            Assertion, Assertion.id == Evidence.assertion_id)
            .where(Assertion.article_id == article_id))
    assert len(rows) == total
    per_reviewer = Counter(r.username for r in rows)
    assert per_reviewer == {f"writer{i:02d}": WRITES_PER_THREAD for i in range(THREADS)}
    expected_notes = {(f"writer{i:02d}", f"w{i}-{j}" + (" edited" if j % PATCH_EVERY == 0 else ""))
                      for i in range(THREADS) for j in range(WRITES_PER_THREAD)}
    assert {(r.username, r.note) for r in rows} == expected_notes
    assert Counter(r.version for r in rows) == {1: total - edits, 2: edits}
    assert all(BODY[r.start:r.end] == r.quote for r in rows)
    assert evidence_count == inline + edits

    assert _audit_count(app, "assertion.create") - before["assertion.create"] == total
    assert _audit_count(app, "assertion.update") - before["assertion.update"] == edits
    assert _audit_count(app, "evidence.create") - before["evidence.create"] == edits


# -- 16 threads on one assertion: optimistic locking under contention ---------------------------

def test_contended_patches_bump_the_version_once_each(app: Flask, factory: Factory,
                                                      live_server: LiveServer) -> None:
    article_id = factory.article(body=BODY, title="Contention")
    factory.user("owner")
    factory.assign(article_id, "owner")
    token = factory.token("owner")
    status, text = live_server.request("POST", f"/articles/{article_id}/assertions", token,
                                       {"start": 0, "end": 5, "quote": BODY[:5],
                                        "tag": "opinion"})
    assert status == 201, text
    assertion_id = json.loads(text)["id"]
    updates_before = _audit_count(app, "assertion.update")
    barrier = threading.Barrier(THREADS)

    def racer(i: int) -> tuple[Counter[int], list[int], list[str]]:
        statuses: Counter[int] = Counter()
        won: list[int] = []
        bodies: list[str] = []
        barrier.wait(30)
        for j in range(CONTENTION_ROUNDS):
            status, text = live_server.request("GET", f"/assertions/{assertion_id}", token)
            statuses[status] += 1
            if status != 200:
                bodies.append(f"GET {status} {text[:300]}")
                continue
            read_version = json.loads(text)["version"]
            status, text = live_server.request(
                "PATCH", f"/assertions/{assertion_id}", token,
                {"version": read_version, "note": f"racer {i} round {j}",
                 "tag": ("sourced", "unsourced", "opinion")[(i + j) % 3]})
            statuses[status] += 1
            data = json.loads(text) if text.startswith("{") else {}
            if status == 200:
                # The winner's write is the one stored, at exactly one more than it read.
                if data.get("version") != read_version + 1 or \
                        data.get("note") != f"racer {i} round {j}":
                    bodies.append(f"PATCH 200 with {text[:300]}")
                won.append(data.get("version", -1))
            elif status == 409:
                current = data.get("current") or {}
                if data.get("error", {}).get("code") != "stale" or \
                        current.get("version", 0) <= read_version:
                    bodies.append(f"PATCH 409 with {text[:300]}")
            else:
                bodies.append(f"PATCH {status} {text[:300]}")
        return statuses, won, bodies

    results = _run_threads(racer, THREADS)
    statuses: Counter[int] = Counter()
    won: list[int] = []
    problems: list[str] = []
    for thread_statuses, thread_won, thread_problems in results:
        statuses.update(thread_statuses)
        won.extend(thread_won)
        problems.extend(thread_problems)
    _no_server_errors(live_server, statuses, problems)
    assert not problems, problems[:5]

    attempts = THREADS * CONTENTION_ROUNDS
    assert statuses[200] == attempts + len(won)  # every GET, and the PATCHes that won
    assert statuses[409] == attempts - len(won)
    assert set(statuses) <= {200, 409}
    assert won, "no PATCH ever succeeded"
    # No two winners wrote the same version: no lost update.
    assert sorted(won) == list(range(2, 2 + len(won)))

    with app.app_context(), db.transaction() as s:
        stored = s.get(Assertion, assertion_id)
        assert stored is not None
        final_version, final_note = stored.version, stored.note
    assert final_version == 1 + len(won)
    assert final_note.startswith("racer ")
    assert _audit_count(app, "assertion.update") - updates_before == len(won)


# -- A delete racing edits of the same assertion -------------------------------------------------

def test_delete_racing_edits_always_deletes(app: Flask, factory: Factory,
                                            live_server: LiveServer) -> None:
    """The owner deletes an assertion while 15 threads keep editing it: the delete wins (204,
    it names no version), the edits get 200, 409 or, once it is gone, 404; never a 5xx."""
    article_id = factory.article(body=BODY, title="Delete race")
    factory.user("owner")
    factory.assign(article_id, "owner")
    token = factory.token("owner")
    deletes_before = _audit_count(app, "assertion.delete")
    statuses: Counter[int] = Counter()
    problems: list[str] = []

    for round_ in range(DELETE_ROUNDS):
        status, text = live_server.request(
            "POST", f"/articles/{article_id}/assertions", token,
            {"start": round_, "end": round_ + 5, "quote": BODY[round_:round_ + 5],
             "tag": "opinion", "evidence": [{"url": f"https://example.org/{round_}"}]})
        assert status == 201, text
        assertion_id = json.loads(text)["id"]
        barrier = threading.Barrier(THREADS)
        deleted = threading.Event()

        def editor(i: int) -> list[tuple[str, int, str]]:
            seen: list[tuple[str, int, str]] = []
            version = 1
            barrier.wait(30)
            for j in range(200):  # stops at the first 404, or soon after the delete answered
                if deleted.is_set() and j % 5 == 4:
                    break
                status, text = live_server.request(
                    "PATCH", f"/assertions/{assertion_id}", token,
                    {"version": version, "note": f"round {round_} editor {i} try {j}"})
                seen.append(("PATCH", status, text[:300]))
                if status == 200:
                    version = json.loads(text)["version"]
                elif status == 409:
                    version = (json.loads(text).get("current") or {}).get("version", version)
                else:
                    break
            return seen

        def deleter(_: int) -> list[tuple[str, int, str]]:
            barrier.wait(30)
            time.sleep(0.05 + 0.02 * round_)  # let the edits get going
            status, text = live_server.request("DELETE", f"/assertions/{assertion_id}", token)
            deleted.set()
            return [("DELETE", status, text[:300])]

        results = _run_threads(lambda i: deleter(i) if i == 0 else editor(i), THREADS)
        for seen in results:
            for method, status, text in seen:
                statuses[status] += 1
                if method == "DELETE" and status != 204:
                    problems.append(f"round {round_}: DELETE {status} {text}")
                if method == "PATCH" and status not in (200, 404, 409):
                    problems.append(f"round {round_}: PATCH {status} {text}")
        with app.app_context(), db.transaction() as s:
            if s.get(Assertion, assertion_id) is not None or s.scalar(
                    select(func.count()).select_from(Evidence)
                    .where(Evidence.assertion_id == assertion_id)):
                problems.append(f"round {round_}: assertion {assertion_id} survived its delete")

    _no_server_errors(live_server, statuses, problems)
    assert not problems, problems[:5]
    assert _audit_count(app, "assertion.delete") - deletes_before == DELETE_ROUNDS


def test_undos_at_once_restore_once_and_never_beside_a_twin(app: Flask, factory: Factory,
                                                           live_server: LiveServer) -> None:
    """Eight Undos of one delete at once (and, every other round, a save of the same span and
    tag racing them): the row comes back at most once, never beside its twin; the rest get 409;
    never a 5xx."""
    article_id = factory.article(body=BODY, title="Undo race")
    factory.user("owner")
    factory.assign(article_id, "owner")
    token = factory.token("owner")
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    for round_ in range(DELETE_ROUNDS):
        span = {"start": round_, "end": round_ + 5, "quote": BODY[round_:round_ + 5],
                "tag": "sourced", "evidence": [{"url": f"https://example.org/{round_}"}]}
        status, text = live_server.request("POST", f"/articles/{article_id}/assertions", token,
                                           span)
        assert status == 201, text
        assertion_id = json.loads(text)["id"]
        assert live_server.request("DELETE", f"/assertions/{assertion_id}", token)[0] == 204
        barrier = threading.Barrier(8)
        racing_save = round_ % 2 == 1

        def client(i: int) -> tuple[str, int, str]:
            barrier.wait(30)
            if racing_save and i == 0:
                status, text = live_server.request(
                    "POST", f"/articles/{article_id}/assertions", token, span)
                return "POST", status, text[:300]
            status, text = live_server.request(
                "POST", f"/assertions/{assertion_id}/restore", token)
            return "RESTORE", status, text[:300]

        results = _run_threads(client, 8)
        restored = [r for r in results if r[0] == "RESTORE" and r[1] == 201]
        for method, status, text in results:
            statuses[status] += 1
            if status not in (201, 409):
                problems.append(f"round {round_}: {method} {status} {text}")
        if len(restored) > 1:
            problems.append(f"round {round_}: restored {len(restored)} times")
        with app.app_context(), db.transaction() as s:
            same = s.scalar(select(func.count()).select_from(Assertion).where(
                Assertion.article_id == article_id, Assertion.start == span["start"],
                Assertion.end == span["end"], Assertion.tag == "sourced"))
            if same != 1:
                problems.append(f"round {round_}: {same} assertions over the span, not 1")
            if not racing_save and s.get(Assertion, assertion_id) is None:
                problems.append(f"round {round_}: no Undo restored the assertion")
        # Out of the way for the next round (its span overlaps but differs).
        survivor = assertion_id if restored else None
        with app.app_context(), db.transaction() as s:
            for a in s.scalars(select(Assertion).where(Assertion.article_id == article_id)):
                survivor = a.id
        assert survivor is not None
        assert live_server.request("DELETE", f"/assertions/{survivor}", token)[0] == 204

    _no_server_errors(live_server, statuses, problems)
    assert not problems, problems[:5]
    assert statuses[201] >= DELETE_ROUNDS // 2
