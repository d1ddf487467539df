"""SQLite on a full disk: a small tmpfs made for the test, filled up, then a reviewer saves. Each
save that cannot be written answers 507 Insufficient Storage with a message saying the disk is
full (JSON under /api/, the error page for a form), nothing is half-written, the database passes
``PRAGMA integrity_check``, and saves work again once space is freed. Where no filesystem may be
mounted, SQLite's SQLITE_FULL is injected on each write instead (and the test says so)."""
from __future__ import annotations

import errno
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import ApiClient, Factory, PageClient, make_app
from tests.test_openapi import assert_matches
from workbench.db import db
from workbench.migrate import upgrade
from workbench.models import Assertion, Evidence

FILESYSTEM_SIZE = "3m"
BODY = "Alpha beta gamma delta. " * 200
DISK_FULL = "The server's disk is full"


@dataclass
class SmallDisk:
    """A folder on a filesystem a test can fill up and free again."""

    folder: Path
    injected: bool = False  # no mount allowed: SQLite's SQLITE_FULL is injected on writes
    full: bool = False

    def fill(self) -> None:
        self.full = True
        if not self.injected:
            _take_every_free_byte(self.folder / "filler")

    def free(self) -> None:
        self.full = False
        if not self.injected:
            (self.folder / "filler").unlink()

    def attach(self, app: Flask) -> None:
        if not self.injected:
            return
        dialect = app.extensions["workbench_db"].engine.dialect
        for name in ("do_execute", "do_executemany"):
            setattr(dialect, name, self._refusing_writes(getattr(dialect, name)))

    def _refusing_writes(self, real: Callable[..., None]) -> Callable[..., None]:
        def execute(cursor: Any, statement: str, *args: Any) -> None:
            if self.full and statement.lstrip().upper().startswith(WRITES):
                error = sqlite3.OperationalError("database or disk is full")
                error.sqlite_errorcode = 13  # type: ignore[attr-defined]  # SQLITE_FULL
                raise error
            real(cursor, statement, *args)

        return execute


WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def small_disk(tmp_path: Path, is_postgres: bool) -> Iterator[SmallDisk]:
    if is_postgres:
        pytest.skip("SQLite's full disk: tested in the SQLite pass")
    mount = tmp_path / "small"
    mount.mkdir()
    try:
        made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={FILESYSTEM_SIZE},mode=0700",
                               "tmpfs", str(mount)], capture_output=True, text=True)
        refusal = made.stderr.strip() if made.returncode else None
    except OSError as error:  # no mount(8)
        refusal = str(error)
    if refusal is not None:
        print(f"!!! cannot mount a small tmpfs ({refusal}): SQLITE_FULL is injected instead of "
              "a real full disk !!!")
        yield SmallDisk(mount, injected=True)
        return
    try:
        yield SmallDisk(mount)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _take_every_free_byte(filler: Path) -> None:
    with open(filler, "wb", buffering=0) as out:
        for size in (1 << 16, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error


def integrity(path: Path) -> list[tuple[str]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()


def test_a_full_disk_answers_507_writes_nothing_and_work_resumes_once_space_is_freed(
        small_disk: SmallDisk) -> None:
    path = small_disk.folder / "workbench.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    app = make_app(url)
    small_disk.attach(app)
    try:
        factory = Factory(app)
        article_id = factory.article(body=BODY)
        factory.user("rita")
        factory.assign(article_id, "rita")
        api = ApiClient(app.test_client(), factory.token("rita"))
        page = PageClient(app.test_client())
        assert page.login("rita").status_code == 302
        page.refresh_csrf(f"/articles/{article_id}")

        def span(number: int) -> dict[str, object]:
            start = (number * 5) % (len(BODY) - 10)
            return {"start": start, "end": start + 4, "quote": BODY[start:start + 4],
                    "tag": ("sourced", "unsourced", "opinion")[number // 1000 % 3],
                    "note": "n" * 2000, "evidence": [{"url": f"https://example.org/{number}"}]}

        small_disk.fill()
        # The log may still have room for a few saves: save until the disk refuses one.
        answers = [api.post(f"/articles/{article_id}/assertions", span(0))]
        while answers[-1].status_code == 201 and len(answers) < 500:
            answers.append(api.post(f"/articles/{article_id}/assertions", span(len(answers))))
        refused = answers[-1]
        assert refused.status_code == 507, refused.get_data(as_text=True)
        assert_matches(refused, "/api/v1/articles/{article_id}/assertions", "post")
        error = refused.get_json()["error"]
        assert error["code"] == "disk_full" and error["field"] is None
        assert error["message"].startswith(DISK_FULL)
        saved = len(answers) - 1
        print(f"saves acknowledged on the full disk before one was refused: {saved}")

        form = {key: str(value) for key, value in span(9999).items() if key != "evidence"}
        shown = page.post(f"/articles/{article_id}/assertions", form)
        html = unescape(shown.get_data(as_text=True))
        assert shown.status_code == 507, html[:500]
        assert "The disk is full" in html and DISK_FULL in html

        # Nothing half-written: exactly the acknowledged saves, each whole with its audit event.
        assert factory.count(Assertion) == saved
        assert factory.count(Evidence) == saved
        assert factory.audited("assertion.create") == saved
        assert integrity(path) == [("ok",)]

        small_disk.free()
        again = api.post(f"/articles/{article_id}/assertions", span(len(answers)))
        assert again.status_code == 201, again.get_json()
        assert page.post(f"/articles/{article_id}/assertions", form).status_code == 302
        assert factory.count(Assertion) == saved + 2
        assert factory.audited("assertion.create") == saved + 2
    finally:
        db.dispose(app)
    assert integrity(path) == [("ok",)]
