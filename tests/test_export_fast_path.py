"""The JSONL export's fast path: on SQLite the database writes each assertion line itself
(``_sqlite_assertion_lines``), and those lines must be the very bytes the portable Python path
writes (``_python_assertion_lines``), whatever the text; the export is read ahead of its writer
in a thread (``workbench.prefetch``). These run on SQLite in both passes of the suite (the fast
path exists only there)."""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, text, update

from tests.conftest import Factory
from workbench.db import db
from workbench.models import Assertion, Evidence, User, utcnow
from workbench.prefetch import prefetched
from workbench.services import exchange as exchange_service

_BODIES = itertools.count()
FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
TRICKY = ("".join(map(chr, range(0x20))) + '"\\/\x7f\x85\u2028\u2029\ufeff' + FAMILY
          + "الاقتصادَ ينمو" + "line\r\nend")


def _both_paths(app: Flask, article_id: int | None = None) -> tuple[str, str]:
    with app.app_context(), db.transaction() as s:
        fast = "".join(exchange_service._sqlite_assertion_lines(s, article_id))
        portable = "".join(exchange_service._python_assertion_lines(s, article_id))
    return fast, portable


def _arrange(app: Flask, notes: list[str], evidence: list[tuple[str | None, str]],
             consensus: bool = False) -> tuple[int, list[int]]:
    """An article with one assertion per note (written straight to the tables), the first
    with the evidence links given as (title, note)."""
    factory = Factory(app)
    if not any(u == "rita" for u in _usernames(app)):
        factory.user("rita")
    article = factory.article(body=f"Prices doubled in 2024. ({next(_BODIES)})", title="Prices")
    with app.app_context(), db.transaction() as s:
        rita = s.scalar(select(User.id).where(User.username == "rita"))
        now = utcnow()
        ids = [s.connection().execute(insert(Assertion.__table__).values(
            article_id=article, reviewer_id=rita, start_offset=0, end_offset=6,
            quote="Prices", prefix="", suffix=" doubled", tag="opinion", note=note,
            created_at=now, updated_at=now, version=1, consensus=consensus)).inserted_primary_key[0]
            for note in notes]
        for title, note in evidence:
            s.connection().execute(insert(Evidence.__table__).values(
                assertion_id=ids[0], url="https://e.example/?q=\u2028&x=\"1\"", title=title or "",
                note=note, stance="refutes", added_by_id=None if title is None else rita,
                created_at=now))
    return article, ids


def _usernames(app: Flask) -> list[str]:
    with app.app_context(), db.transaction() as s:
        return list(s.scalars(select(User.username)))


def test_sqlite_writes_the_same_bytes_as_python_for_tricky_text(empty_app):
    _arrange(empty_app, [TRICKY, "", "plain"], [(TRICKY, TRICKY), (None, "")], consensus=True)
    fast, portable = _both_paths(empty_app)
    assert fast == portable
    assert len(fast.split("\n")) == 4  # three lines, each ending in "\n" alone
    assert "\u2028" not in fast and "\\u2028" in fast


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40),
       title=st.none() | st.text(alphabet=st.characters(exclude_categories=("Cs",)),
                                 max_size=20))
def test_generated_text_gives_the_same_bytes_on_both_paths(empty_app, note, title):
    _arrange(empty_app, [note], [(title, note)])
    fast, portable = _both_paths(empty_app)
    assert fast == portable


def test_timestamps_of_another_shape_are_written_by_python(empty_app):
    article, ids = _arrange(empty_app, ["a", "b", "c"], [("Doc", "n")])
    with empty_app.app_context(), db.transaction() as s:
        # Shapes SQLAlchemy never writes but a hand-edited database may hold.
        s.execute(update(Assertion.__table__).where(Assertion.__table__.c.id == ids[1])
                  .values(created_at=text("'2026-12-03 09:10:11'")))
        s.execute(text("UPDATE evidence SET created_at = '2026-12-03T09:10:11.5+00:00'"))
    with empty_app.app_context(), db.transaction() as s:
        lines = dict(s.execute(exchange_service._sqlite_assertion_select(None)).all())
        links = dict(s.execute(exchange_service._sqlite_evidence_select(),
                               {"first": ids[0], "last": ids[-1]}).all())
    assert lines[ids[1]] is None  # its own timestamp
    assert lines[ids[0]] is not None and links == {ids[0]: None}  # its evidence link's
    assert lines[ids[2]] is not None
    fast, portable = _both_paths(empty_app)
    assert fast == portable
    assert '"created_at":"2026-12-03T09:10:11+00:00"' in fast
    assert '"created_at":"2026-12-03T09:10:11.500000+00:00"' in fast
    # One article's lines only, in the same order.
    assert _both_paths(empty_app, article)[0] == fast


def test_the_whole_jsonl_export_is_the_same_through_the_fast_path(empty_app, monkeypatch):
    _arrange(empty_app, [TRICKY, "x"], [("t", TRICKY)])
    with empty_app.app_context():
        fast = "".join(exchange_service.export_lines(db.session, "jsonl"))
    monkeypatch.setattr(exchange_service, "_sqlite_assertion_lines",
                        lambda s, article, twin=None: exchange_service._python_assertion_lines(
                            s, article))
    with empty_app.app_context():
        portable = "".join(exchange_service.export_lines(db.session, "jsonl"))
    assert fast == portable and '"type":"assertion"' in fast


# -- prefetched ---------------------------------------------------------------------------------

def test_prefetched_gives_every_item_in_order_and_runs_ahead_in_another_thread():
    seen: list[str] = []

    def items() -> Iterator[int]:
        for n in range(50):
            seen.append(threading.current_thread().name)
            yield n

    assert list(prefetched(items(), depth=3)) == list(range(50))
    assert set(seen) == {"prefetch"}


def test_prefetched_stays_at_most_depth_items_ahead():
    made = []

    def items() -> Iterator[int]:
        for n in range(100):
            made.append(n)
            yield n

    stream = prefetched(items(), depth=2)
    assert next(stream) == 0
    time.sleep(0.3)
    # One handed over, two in the queue, one made and waiting for room.
    assert len(made) <= 4
    stream.close()


def test_prefetched_hands_the_generators_error_to_the_reader():
    def items() -> Iterator[int]:
        yield 1
        raise LookupError("the database went away")

    stream = prefetched(items())
    assert next(stream) == 1
    with pytest.raises(LookupError, match="went away"):
        next(stream)


def test_a_reader_that_stops_early_stops_the_worker_and_closes_the_generator():
    closed = threading.Event()

    def items() -> Iterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    stream = prefetched(items(), depth=1)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()  # returns only once the worker has stopped
    assert closed.is_set()
    assert not any(t.name == "prefetch" and t.is_alive() for t in threading.enumerate())


def test_prefetched_refuses_a_depth_below_one():
    with pytest.raises(ValueError, match="at least 1"):
        list(prefetched(iter([1]), depth=0))


# -- two cores: a twin session on the same snapshot ---------------------------------------------

def _project_export(app: Flask) -> Iterator[str]:
    with app.app_context():
        yield from exchange_service.export_lines(db.session, "jsonl")


def test_a_project_export_on_two_cores_reads_one_snapshot_while_others_write(empty_app,
                                                                            monkeypatch):
    monkeypatch.setattr(exchange_service, "BATCH", 3)  # many windows, every other one a twin's
    _, ids = _arrange(empty_app, [f"note {n}" for n in range(40)], [("Doc", "n")])
    with empty_app.app_context(), db.transaction() as s:  # gaps: some windows are empty
        s.execute(Assertion.__table__.delete().where(Assertion.__table__.c.id.in_(ids[7:14])))
    sides: set[int] = set()
    window_texts = exchange_service._window_texts

    def spied(session, article_id, lows):  # type: ignore[no-untyped-def]
        sides.add(id(session))
        yield from window_texts(session, article_id, lows)

    monkeypatch.setattr(exchange_service, "_window_texts", spied)
    expected = "".join(_project_export(empty_app))
    sides.clear()
    stream = _project_export(empty_app)
    head = next(stream)  # the export's snapshot is taken
    _arrange(empty_app, ["written meanwhile"], [])  # another writer commits
    with empty_app.app_context(), db.transaction() as s:
        s.execute(Assertion.__table__.delete().where(Assertion.__table__.c.id == ids[-1]))
    exported = head + "".join(stream)
    assert exported == expected
    assert len(sides) == 2  # both sessions built lines
    assert "written meanwhile" not in exported and f'"id":{ids[-1]},' in exported
    assert "written meanwhile" in "".join(_project_export(empty_app))


def test_closing_a_two_core_export_early_stops_its_threads(empty_app, monkeypatch):
    monkeypatch.setattr(exchange_service, "BATCH", 2)
    _arrange(empty_app, [f"note {n}" for n in range(30)], [])
    stream = _project_export(empty_app)
    for _ in range(4):
        next(stream)
    stream.close()
    assert not any(t.name == "prefetch" and t.is_alive() for t in threading.enumerate())
    assert "".join(_project_export(empty_app)).count('"type":"assertion"') == 30


def test_no_twin_when_the_sessions_snapshot_began_earlier(empty_app):
    from workbench.db import read_phase

    with empty_app.app_context():
        with read_phase(db.session), exchange_service._twin_snapshot(db.session) as twin:
            assert twin is not None
        db.session.execute(select(User.id)).all()  # a transaction is open now
        with exchange_service._twin_snapshot(db.session) as twin:
            assert twin is None
