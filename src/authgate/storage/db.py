"""Engine construction and the units of work.

Every database conversation is a plain function ``fn(conn, *args)``: ``read`` runs it without
a transaction (each statement sees committed data), ``write`` runs it inside one transaction
(``BEGIN IMMEDIATE`` on SQLite, so writers queue instead of failing on a lock upgrade).

Where it runs was measured, not guessed (SQLAlchemy's asyncio layer cost three times as much
per query as a thread hop; a pool of reader threads fighting the event loop for the GIL cost
four times as much as no hop at all):

* SQLite reads run inline on the event loop: in WAL mode a reader never waits for a lock, and
  a point query costs tens of microseconds, less than handing it to a thread; a read still
  running after ``INLINE_READ_BUDGET`` is interrupted and run again on a reader thread, so one
  heavy read (a scan of a large collection) never stalls every other request;
* SQLite writes run inline too while the write lock is free; when another process holds
  it, they go to one writer thread, which waits (never the loop), queued in the kernel on a
  lock file shared by every process (``writer_lock.py``) rather than in SQLite's sleeping
  busy handler;
* PostgreSQL reads and writes run on a pool of threads, since every statement is a network
  round trip.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

from authgate.config.settings import DatabaseSettings
from authgate.errors import AuthError, invalid_query, service_unavailable
from authgate.metrics import events
from authgate.storage.private import private_file
from authgate.storage.writer_lock import WriterLock

log = logging.getLogger("authgate.storage")

P = ParamSpec("P")
T = TypeVar("T")
Work = Callable[Concatenate[Connection, P], T]


def _bind_keywords(fn: Work[P, T], kwargs: dict[str, Any]) -> Work[P, T]:
    """The runners pass positional arguments on to threads; keyword ones are bound here
    rather than dropped."""
    return cast("Work[P, T]", functools.partial(fn, **kwargs)) if kwargs else fn


# How long a read may hold the event loop before it moves to a reader thread, and how often
# (in SQLite VM instructions) the clock is looked at while it runs.
INLINE_READ_BUDGET = 0.05
_PROGRESS_EVERY = 20_000
_NOT_COUNTED = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")
# What the databases say when a statement is beyond their limits (the request is too large,
# the database is fine): SQLite's messages and psycopg's client-side parameter limit;
# PostgreSQL's own say so by their state (class 54, "program limit exceeded").
_STATEMENT_LIMITS = (
    "too many sql variables",
    "expression tree is too large",
    "parser stack overflow",
    "too many terms in compound select",
    "too many columns",
    "too many arguments on function",
    "too many from clause terms",
    "at most 64 tables in a join",
    "pattern too complex",
    "number of parameters must be between",
)
# Unavailable for now (503, retry), by PostgreSQL state class: connection exception, a
# transaction rolled back (deadlock, serialization), insufficient resources, operator
# intervention (shutdown, cancel), system error, internal error.
_OUTAGE_STATES = ("08", "40", "53", "57", "58", "XX")
# An outage, by SQLite message: the file, the disk or the lock, not the statement.
_SQLITE_OUTAGES = (
    "locked",
    "busy",
    "disk i/o",
    "unable to open",
    "readonly",
    "database or disk is full",
    "malformed",
    "not a database",
    "no such table",
)


def create_db_engine(config: DatabaseSettings) -> Engine:
    """Engines never put bound parameters in their errors (``hide_parameters``): a write's
    parameters hold password hashes and token hashes, and errors end up in the log."""
    if config.client == "sqlite3":
        assert config.filename is not None
        # created here, 0600, before SQLite makes it world-readable (its -wal and -shm copy
        # the database file's mode)
        private_file(config.filename)
        engine = create_engine(
            f"sqlite:///{config.filename}",
            isolation_level="AUTOCOMMIT",
            hide_parameters=True,
            pool_size=config.pool_size,
            max_overflow=4,
            pool_reset_on_return=None,
            connect_args={"check_same_thread": False, "timeout": 15},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    assert config.url is not None
    return create_engine(
        config.url.reveal(),
        isolation_level="AUTOCOMMIT",
        hide_parameters=True,
        pool_size=config.pool_size,
        max_overflow=0,
        pool_timeout=15,
        pool_reset_on_return=None,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 10, "application_name": "authgate"},
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while one writer commits; NORMAL sync is durable across process
    # crashes (not power loss), the usual trade for a server database in WAL mode.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


class _Busy(Exception):
    """The loop's connection could not take SQLite's write lock at once."""


class _TooSlow(Exception):
    """An inline read ran past ``INLINE_READ_BUDGET`` and was interrupted."""


def _is_busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def is_statement_refused(exc: DBAPIError) -> bool:
    """The database refused this statement for its size or complexity (not an outage)."""
    if exc.connection_invalidated:
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith("54"):
        return True
    text = str(exc.orig).lower()
    return any(limit in text for limit in _STATEMENT_LIMITS)


def is_outage(exc: OperationalError) -> bool:
    """Whether an operational error means the database cannot be used (503), rather than that
    it refused this one statement (400)."""
    if exc.connection_invalidated:
        return True
    if is_statement_refused(exc):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate[:2] in _OUTAGE_STATES
    text = str(exc.orig).lower()
    if type(exc.orig).__module__.startswith("sqlite3"):
        return any(outage in text for outage in _SQLITE_OUTAGES)
    return True  # a driver error without a state: the connection failed


AfterCommit = Callable[[], Awaitable[None] | None]
_AFTER_COMMIT = "authgate.after_commit"


def after_commit(conn: Connection, callback: AfterCommit) -> bool:
    """Run ``callback`` on the event loop once the transaction of ``conn`` has committed (a
    mail about what it wrote); never when it rolls back. Only units of work run by
    ``Database.write`` have such a list (not ``write_sync``, the command line's): False then,
    and the callback is dropped."""
    posted = conn.info.get(_AFTER_COMMIT)
    if posted is None:
        return False
    posted.append(callback)
    return True


def _collecting(fn: Callable[..., T], posted: list[AfterCommit]) -> Callable[..., T]:
    def work(conn: Connection, *args: Any) -> T:
        posted.clear()  # a unit of work run again (busy, retried) starts afresh
        conn.info[_AFTER_COMMIT] = posted
        try:
            return fn(conn, *args)
        finally:
            # (A connection the database cut mid-work is invalidated: touching its ``info``
            # would try to reconnect and raise an error of SQLAlchemy's own, hiding the
            # outage's 503. It is discarded anyway.)
            if not conn.invalidated:
                conn.info.pop(_AFTER_COMMIT, None)

    return work


async def _run_after_commit(posted: list[AfterCommit]) -> None:
    for callback in posted:
        try:
            outcome = callback()
            if outcome is not None:
                await outcome
        except Exception:  # what follows a commit never changes its answer
            log.exception("a task after a commit failed")


class Database:
    """Runs units of work on a bounded pool of threads, one connection each."""

    def __init__(self, engine: Engine, *, workers: int | None = None) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.inline_reads = self.dialect == "sqlite"
        self._begin = "BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN"
        if self.dialect == "sqlite":
            size = 1
        else:
            size = workers or getattr(engine.pool, "size", lambda: 4)()
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="authgate-db")
        # SQLite: reads too slow for the loop (the writer thread is ``_executor``).
        self._readers = (
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="authgate-db-read")
            if self.inline_reads
            else self._executor
        )
        self._read_deadline = 0.0  # perf_counter() past which an inline read gives way; 0: none
        self._interrupted = False
        path = sqlite_path(engine)
        self._writers = WriterLock(path) if path is not None and path.name != ":memory:" else None
        self._lock = threading.Lock()
        self._loop_conn: Connection | None = None
        self._queued_writes = 0  # writes handed to the writer thread and not yet done
        self.statements = 0  # real statements executed, for tests that pin round trips
        event.listen(engine, "before_cursor_execute", self._count)
        event.listen(engine, "checkout", lambda *_: events.add("db_connections", 1))
        event.listen(engine, "checkin", lambda *_: events.add("db_connections", -1))

    def _count(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith(_NOT_COUNTED):
            with self._lock:
                self.statements += 1

    async def read(self, fn: Work[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        fn = _bind_keywords(fn, kwargs)
        if self.inline_reads:
            try:
                return cast(T, self._guard(self._read_inline, fn, args))
            except _TooSlow:
                pass  # interrupted after its budget: run it again off the loop
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._readers, self._guard, self.read_sync, fn, args)
        return cast(T, result)

    async def write(self, fn: Work[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        posted: list[AfterCommit] = []
        result = await self._write(_collecting(_bind_keywords(fn, kwargs), posted), *args)
        await _run_after_commit(posted)
        return result

    async def _write(self, fn: Work[P, T], *args: Any) -> T:
        # Inline only when no write waits in the writer thread: one that went there first
        # must not be overtaken again and again by newer inline writes (measured: a p99 of
        # seconds for refresh at c64).
        if self.inline_reads and self._queued_writes == 0:
            try:
                return cast(T, self._guard(self._write_inline, fn, args))
            except _Busy:
                pass  # another process (or our writer thread) holds the lock: wait off the loop
        loop = asyncio.get_running_loop()
        self._queued_writes += 1
        try:
            result = await loop.run_in_executor(
                self._executor, self._guard, self.write_sync, fn, args
            )
        finally:
            self._queued_writes -= 1
        return cast(T, result)

    def _write_inline(self, fn: Callable[..., T], *args: Any) -> T:
        """An uncontended SQLite write on the loop's connection, which never waits for a lock
        (``busy_timeout`` 0): when the lock is taken, ``_Busy`` sends the work to the writer
        thread instead. Measured: twice the refreshes per second of always using the thread."""
        conn = self._loop_connection()
        if self._writers is not None and not self._writers.try_acquire():
            raise _Busy
        try:
            try:
                conn.exec_driver_sql(self._begin)
            except OperationalError as exc:
                if _is_busy(exc):
                    raise _Busy from exc
                raise
            return self._in_transaction(conn, fn, args)
        finally:
            if self._writers is not None:
                self._writers.release()

    @staticmethod
    def _in_transaction(conn: Connection, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        try:
            result = fn(conn, *args)
        except BaseException:
            if conn.invalidated:
                # The connection died under the work (a restart, a terminated backend): the
                # server ended the transaction with it. Only SQLAlchemy's own state is reset
                # (a ROLLBACK sent now would raise an error of its own, and hide the outage).
                conn.rollback()
            else:
                conn.exec_driver_sql("ROLLBACK")
            raise
        conn.exec_driver_sql("COMMIT")
        return result

    def _guard(self, runner: Callable[..., T], fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        try:
            return runner(fn, *args)
        except (AuthError, _Busy, _TooSlow):
            raise
        except DBAPIError as exc:
            # Only a failure of the database itself is an outage (503); a statement it refuses
            # (past its limits, too complex) is a bad request, and says so without a trace.
            # Anything else is a fault of ours: raised, so it is logged (redacted) as one.
            if isinstance(exc, OperationalError) and is_outage(exc):
                events.count("db_error", "outage")
                log.error("database unavailable: %s", exc.orig.__class__.__name__)
                raise service_unavailable(
                    "database", "Database is unavailable", retry_after=1
                ) from exc
            if is_statement_refused(exc):
                events.count("db_error", "refused")
                log.warning("statement refused by the database: %s", exc.orig.__class__.__name__)
                raise invalid_query(
                    "The request is too large or complex for the database"
                ) from None
            if exc.connection_invalidated:
                events.count("db_error", "outage")
                log.error("database connection lost")
                raise service_unavailable(
                    "database", "Database is unavailable", retry_after=1
                ) from exc
            events.count("db_error", "fault")
            raise

    def _loop_connection(self) -> Connection:
        if self._loop_conn is None or self._loop_conn.invalidated:
            self._loop_conn = self.engine.connect()
            self._loop_conn.exec_driver_sql("PRAGMA busy_timeout=0")
            raw = self._loop_conn.connection.dbapi_connection
            raw.set_progress_handler(self._progress, _PROGRESS_EVERY)  # type: ignore[union-attr]
        return self._loop_conn

    def _progress(self) -> int:
        """SQLite's progress callback on the loop's connection: non-zero interrupts the
        statement. Only reads have a deadline; a write is never interrupted."""
        if self._read_deadline and time.perf_counter() > self._read_deadline:
            self._interrupted = True
            return 1
        return 0

    def _read_inline(self, fn: Callable[..., T], *args: Any) -> T:
        """Reads on the event loop share one connection: checking one out of the pool and back
        costs more than a point query. It holds no transaction between units of work. Past
        its budget the read is interrupted (``_TooSlow``); reads have no side effects, so it
        simply runs again on a reader thread."""
        conn = self._loop_connection()
        self._interrupted = False
        self._read_deadline = time.perf_counter() + INLINE_READ_BUDGET
        try:
            result = fn(conn, *args)
        except DBAPIError as exc:
            if self._interrupted:
                raise _TooSlow from exc
            raise
        finally:
            self._read_deadline = 0.0
        if self._interrupted:  # the work caught the interruption itself: its answer is partial
            raise _TooSlow
        return result

    def read_sync(self, fn: Callable[..., T], *args: Any) -> T:
        with self.engine.connect() as conn:
            return fn(conn, *args)

    def write_sync(self, fn: Callable[..., T], *args: Any) -> T:
        if self._writers is not None:
            self._writers.acquire()
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql(self._begin)
                return self._in_transaction(conn, fn, args)
        finally:
            if self._writers is not None:
                self._writers.release()

    async def close(self) -> None:
        if self._loop_conn is not None:
            self._loop_conn.close()
            self._loop_conn = None
        self._executor.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        self.engine.dispose()


def sqlite_path(engine: Engine) -> Path | None:
    database = engine.url.database
    return Path(database) if engine.dialect.name == "sqlite" and database else None
