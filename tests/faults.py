"""Helpers of the fault tests: a TCP proxy to cut a database connection, reviewers saving through
a real server while something breaks, and the check that no acknowledged save was lost."""
from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select

from tests.conftest import Factory
from workbench.db import make_engine
from workbench.models import Assertion, AuditEvent


class TcpProxy:
    """A loopback TCP proxy to ``target`` that a test cuts (every connection reset, new ones
    reset as soon as they are accepted: a server that went away) and restores."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self._up = threading.Event()
        self._up.set()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)
        self._thread.start()

    def cut(self) -> None:
        self._up.clear()
        with self._lock:
            for sock in list(self._open):
                _reset(sock)
            self._open.clear()

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self.cut()
        self._closed.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._up.is_set():
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                for sock in (source, sink):
                    if sock in self._open:
                        self._open.discard(sock)
                        _reset(sock)


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset, waking any thread blocked on the socket."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


# -- Reviewers saving through a server ----------------------------------------------------------

BODY = "Alpha beta gamma delta. " * 400  # 9,600 code points: room for every span of a run
TAGS = ("sourced", "unsourced", "opinion")


@dataclass
class Save:
    """One save's answer: ``status`` None when no answer came (the connection failed)."""

    status: int | None
    at: float
    assertion_id: int | None = None
    retry_after: str | None = None
    code: str | None = None


def save(base: str, token: str, article_id: int, start: int, tag: str) -> Save:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=20)
    payload = {"start": start, "end": start + 1, "quote": BODY[start], "tag": tag}
    try:
        connection.request("POST", f"/api/v1/articles/{article_id}/assertions",
                           body=json.dumps(payload).encode(),
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": "application/json"})
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return Save(None, time.monotonic())
    finally:
        connection.close()
    answer = Save(response.status, time.monotonic(), retry_after=response.getheader("Retry-After"))
    try:
        data = json.loads(text)
    except ValueError:
        answer.code = text[:200]
        return answer
    if response.status == 201:
        answer.assertion_id = data["id"]
    else:
        answer.code = (data.get("error") or {}).get("code")
    return answer


@dataclass
class Savers:
    """``len(tokens)`` reviewers saving new assertions on one article as fast as answers come."""

    base: str
    article_id: int
    tokens: list[str]
    saves: list[Save] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Savers:
        for number, token in enumerate(self.tokens):
            thread = threading.Thread(target=self._run, args=(number, token), daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        assert not any(t.is_alive() for t in self._threads), "a saving client hung"
        assert not self.errors, self.errors

    def _run(self, number: int, token: str) -> None:
        try:
            for span in _spans(number, len(self.tokens)):
                if self._stop.is_set():
                    return
                self.saves.append(save(self.base, token, self.article_id, *span))
                if self.saves[-1].status != 201:
                    time.sleep(0.02)  # a failing server is not hammered in a tight loop
        except BaseException as error:  # noqa: BLE001 (reported by __exit__)
            self.errors.append(error)

    def since(self, moment: float) -> list[Save]:
        return [s for s in list(self.saves) if s.at >= moment]

    def wait_for(self, count: int, status: int, after: float, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while sum(s.status == status for s in self.since(after)) < count:
            assert time.monotonic() < deadline, (
                f"fewer than {count} answers {status} within {timeout} s: "
                f"{[(s.status, s.code) for s in self.since(after)][-10:]}")
            time.sleep(0.05)


def _spans(number: int, clients: int) -> Iterator[tuple[int, str]]:
    """Each client's (start, tag): never the same span and tag twice for one reviewer."""
    for start in range(number, len(BODY) - 1, clients):
        if BODY[start] != " ":
            for tag in TAGS:
                yield start, tag


def reviewers_on_one_article(factory: Factory, count: int) -> tuple[int, list[str]]:
    article_id = factory.article(body=BODY, title="Saved under faults")
    tokens = []
    for number in range(count):
        user = factory.user(f"saver{number}")
        factory.assign(article_id, user.username)
        tokens.append(factory.token(user))
    return article_id, tokens


def assert_nothing_lost(database_url: str, article_id: int, saves: list[Save]) -> None:
    """Every save answered 201 is stored, and every stored assertion has its audit event and
    every audit event its assertion."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = set(connection.scalars(
                select(Assertion.id).where(Assertion.article_id == article_id)))
            audited = list(connection.scalars(select(AuditEvent.entity_id).where(
                AuditEvent.action == "assertion.create", AuditEvent.article_id == article_id)))
    finally:
        engine.dispose()
    acknowledged = {s.assertion_id for s in saves if s.status == 201}
    answers: dict[object, int] = {}
    for s in saves:
        answers[s.status] = answers.get(s.status, 0) + 1
    print(f"saves answered (None: no answer): {answers}; stored: {len(stored)}")
    assert acknowledged, "no save was acknowledged"
    assert acknowledged <= stored, f"acknowledged but lost: {sorted(acknowledged - stored)[:20]}"
    assert len(audited) == len(set(audited)), "an assertion was audited twice"
    assert set(audited) == stored, (f"without an audit event: {sorted(stored - set(audited))[:20]}; "
                                    f"audited, not stored: {sorted(set(audited) - stored)[:20]}")
