"""Engine, sessions and the unit of work.

The unit of work: services flush and never commit or end a transaction they did not open. A
request is one unit of work: ``web`` ends it with ``db.end_request`` (commit when the response is a
success, roll back otherwise; ``db.finish_writes`` commits early before a page renders), so a refused request writes nothing. The CLI
and scripts use ``db.transaction()``: one transaction, committed on success, rolled back on any
exception. ``read_phase`` marks the reads that come before the writes (see there).
``database_fault`` tells an outage (or a full disk) from any other database error.
"""
from __future__ import annotations

import contextvars
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.orm import Session, sessionmaker

# Whether the current unit of work intends to write: SQLite then takes the write lock at BEGIN
# (BEGIN IMMEDIATE), so two writers queue on the busy timeout instead of failing to upgrade.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long a request waits for a PostgreSQL connection before it answers 503 (libpq waits for
# ever by default, until gunicorn's worker timeout kills the worker and its client gets nothing).
POSTGRES_CONNECT_TIMEOUT_S = 5

# SQLite's primary result codes (the low byte of ``sqlite3.Error.sqlite_errorcode``).
SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN = 10, 13, 14
# PostgreSQL states of a server that is going away or not yet up (besides class 08, connection
# exceptions): admin_shutdown, crash_shutdown, cannot_connect_now.
POSTGRES_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03"})


def database_fault(error: BaseException) -> str | None:
    """What a database error says about the database itself.

    ``"unavailable"``: it cannot be reached (the server is down or restarting, the connection was
    lost, SQLite cannot open or read its file); ``"disk_full"``: SQLite could not grow its files.
    ``None`` for everything else (a lock wait that ran out, a constraint, a bug), which is not an
    outage and is handled as before."""
    if isinstance(error, exc.DisconnectionError):
        return "unavailable"
    if not isinstance(error, exc.DBAPIError):
        return None
    if error.connection_invalidated:
        return "unavailable"
    original = error.orig
    if isinstance(original, sqlite3.Error):
        code = (getattr(original, "sqlite_errorcode", None) or 0) & 0xFF
        if code == SQLITE_FULL:
            return "disk_full"
        return "unavailable" if code in (SQLITE_IOERR, SQLITE_CANTOPEN) else None
    if isinstance(error, (exc.OperationalError, exc.InterfaceError)):
        # psycopg: no SQLSTATE means the client itself lost or could not open the connection.
        state = getattr(original, "sqlstate", None)
        if state is None or state.startswith("08") or state in POSTGRES_UNAVAILABLE_STATES:
            return "unavailable"
    return None


def make_engine(url: str, **kwargs: object) -> Engine:
    """Create an engine with the pragmas and pool settings this app relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    if "connect_timeout" not in url:
        kwargs.setdefault("connect_args", {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S})
    if "poolclass" not in kwargs:
        kwargs.update(pool_size=5, max_overflow=10)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_idle_connections(engine)
    return engine


# A pooled connection unused for longer than this is pinged before it is handed out again.
IDLE_BEFORE_PING_S = 1.0


def _ping_idle_connections(engine: Engine) -> None:
    """Recover from a server restart or network cut by ourselves, without a round trip per request.

    A connection that sat idle in the pool is pinged at checkout and replaced if the server
    dropped it (SQLAlchemy's pessimistic recipe: ``DisconnectionError`` makes the pool connect
    afresh). One in steady use is not pinged: if the server went away under it, its request
    fails as an outage (503 with Retry-After) and SQLAlchemy invalidates every connection of
    the pool opened before, so the next request connects afresh."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: object, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: object, record: ConnectionPoolEntry,
                    _proxy: object) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_S:
            return
        try:
            dialect.do_ping(dbapi_connection)  # type: ignore[arg-type]
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):  # type: ignore[arg-type]
                raise exc.DisconnectionError(str(error)) from error
            raise


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        if write_intent.get():
            begin_immediate(connection.connection.dbapi_connection)
        else:
            connection.exec_driver_sql("BEGIN")


def begin_immediate(dbapi_connection: sqlite3.Connection) -> None:
    """Take SQLite's write lock, polling every ~0.2 ms while another writer holds it.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25… ms between tries, so under load a
    writer often sleeps long after the lock was freed; a write here holds it for about a
    millisecond. Other statements keep the ordinary busy timeout."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    try:
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.0002)
    finally:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


@contextmanager
def read_phase(session: Session) -> Iterator[None]:
    """Reads that come before a unit of work's writes, kept out of SQLite's write lock.

    When no transaction is open yet (a request's first reads), the SQLite transaction begun
    inside is DEFERRED (a read snapshot) and is ended on leaving (it wrote nothing), so the
    writes that follow take the write lock (BEGIN IMMEDIATE) only for themselves; whatever the
    writes depend on must then be re-checked by the writes themselves (a guarded INSERT, a
    version in the WHERE clause). Inside a transaction that is already open (a script's
    ``db.transaction()``, a request that has written), it changes nothing: it never ends a
    transaction it did not begin. On PostgreSQL, whose writers do not block each other this
    way, it changes nothing either."""
    began_here = not session.in_transaction()
    token = write_intent.set(False)
    try:
        yield
    finally:
        write_intent.reset(token)
        if (began_here and session.in_transaction()
                and session.get_bind().dialect.name == "sqlite"):
            # Only reads happened in it: ending it keeps loaded objects (no expiry on commit).
            session.commit()


@dataclass
class _AppDatabase:
    engine: Engine
    session_factory: sessionmaker[Session]


class Database:
    """Engine and session factory of the current app (kept per app, so apps built side by side
    in one process, as tests do, never share or replace each other's engine)."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["workbench_db"] = _AppDatabase(
            engine, sessionmaker(engine, expire_on_commit=False))
        app.teardown_appcontext(self._close_session)

    @property
    def _state(self) -> _AppDatabase:
        return current_app.extensions["workbench_db"]  # type: ignore[no-any-return]

    @property
    def engine(self) -> Engine:
        return self._state.engine

    @property
    def session(self) -> Session:
        """The session of the current app context, created on first use."""
        if "db_session" not in g:
            g.db_session = self._state.session_factory()
        return g.db_session  # type: ignore[no-any-return]

    def finish_writes(self) -> None:
        """End the request's writes early: commit them before the response renders, so SQLite's
        write lock is not held while a page is drawn. The rest of the request only reads (in a
        new transaction); its end still commits or rolls back as usual."""
        self.session.commit()

    def end_request(self, success: bool) -> None:
        """The end of a request's unit of work: commit on success, roll back otherwise.

        A commit that fails is rolled back and raised (the request was not done); a rollback
        that fails drops the connection instead (its server ends the transaction)."""
        session = g.get("db_session")
        if session is None or not session.in_transaction():
            return  # nothing begun since the last commit (``finish_writes``): nothing to end
        if not success:
            _roll_back(session)
            return
        try:
            session.commit()
        except BaseException:
            _roll_back(session)
            raise

    def _close_session(self, _exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any exception (CLI, scripts)."""
        with self._state.session_factory() as session:
            with session.begin():
                yield session

    def dispose(self, app: Flask) -> None:
        """Close every pooled connection of ``app`` (tests, short-lived tools)."""
        app.extensions["workbench_db"].engine.dispose()


def _roll_back(session: Session) -> None:
    try:
        session.rollback()
    except exc.SQLAlchemyError:
        session.invalidate()  # the connection is broken: never hand it out again


db = Database()
