"""The database and the one thread its work runs on.

A unit of work is a plain function ``fn(tx)``; ``Database.run`` runs the whole of it inside
one transaction, in one hop: on an in-memory database in the calling thread (SQLite answers in
microseconds there, so a thread hop would cost more than the work), on a file database on the
database's own worker thread (Datasette's ``execute_write_fn``), where a statement may wait on
disk or on another process's lock without blocking the event loop.

``BEGIN IMMEDIATE`` takes SQLite's write lock at the start, so two server processes on one
file take turns; uniqueness rules that matter are unique indexes, so they hold across processes.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar

from ..core.records import Run
from .schema import SCHEMA

if TYPE_CHECKING:
    from . import Tx

T = TypeVar("T")


class Duplicate(Exception):
    """A unique index refused a row (e.g. an idempotency key another writer just claimed)."""


class StorageError(Exception):
    """The database cannot take a write (full disk, read-only file): names the cause."""


class Database:
    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        #: Only this process sees an in-memory database: work runs inline, reads skip BEGIN,
        #: and it can remember a lower bound on the next ``due_at`` (None: unknown).
        self.exclusive = path == ":memory:" or path.startswith("file::memory:")
        self.due_floor: float | None = None
        #: The same per family of the management API (``store.floors``); absent: unknown.
        self.floors: dict[str, float] = {}
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._tx_factory: Callable[[sqlite3.Connection, Database], "Tx"] | None = None

    # -- opening --------------------------------------------------------------------------
    async def open(self, tx_factory: Callable[[sqlite3.Connection, "Database"], "Tx"]) -> None:
        if self._conn is not None:
            return
        self._tx_factory = tx_factory
        if self.exclusive:
            self._connect()
        else:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="trigger-emulator-db")
            await asyncio.get_running_loop().run_in_executor(self._executor, self._connect)

    def _connect(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA busy_timeout = 30000")
        if not self.exclusive:
            conn.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL: a commit survives a killed process (SIGKILL); only power loss can
            # lose the last commits, which an emulator can afford for ~10x the write rate.
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.executescript(SCHEMA)
        self._conn = conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.get_running_loop().run_in_executor(executor, conn.close)
            executor.shutdown(wait=True)
        else:
            conn.close()

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    # -- units of work --------------------------------------------------------------------
    async def run(self, fn: Callable[["Tx"], T], *, read: bool = False) -> T:
        """Run ``fn(tx)`` as one transaction; it commits when ``fn`` returns and rolls back
        when it raises. ``read=True`` marks work that only reads (and applies what fell due):
        on an in-memory database it skips BEGIN/COMMIT, since the lock keeps it whole."""
        if self._conn is None:
            raise RuntimeError("the database is not open")
        if self._executor is None:
            return self._transaction(fn, read)
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._transaction, fn, read)

    def _transaction(self, fn: Callable[["Tx"], T], read: bool) -> T:
        conn = self._conn
        if conn is None:
            raise RuntimeError("the database is not open")
        assert self._tx_factory is not None
        with self._lock:
            tx = self._tx_factory(conn, self)
            if read and self.exclusive:
                return fn(tx)
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StorageError(f"The emulator's database cannot be written: {exc}") from exc
            try:
                result = fn(tx)
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                _rollback(conn)
                if _is_storage_failure(exc):
                    raise StorageError(f"The emulator's database cannot be written: {exc}") from exc
                raise
            except BaseException:
                _rollback(conn)
                raise
            return result


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def _is_storage_failure(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return any(word in text for word in ("disk", "full", "readonly", "read-only", "locked", "i/o"))


class TxBase:
    """Statement helpers, usable only inside ``Database.run``."""

    def __init__(self, conn: sqlite3.Connection, db: Database) -> None:
        self._conn = conn
        self._store = db

    def _note_due(self, runs: Iterable[Run]) -> None:
        floor = self._store.due_floor
        if floor is None:
            return
        for run in runs:
            if run.due_at is not None and run.due_at < floor:
                floor = run.due_at
        self._store.due_floor = floor

    def _one(self, sql: str, params: Iterable[Any] = ()) -> tuple | None:
        return self._conn.execute(sql, tuple(params)).fetchone()

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        return self._conn.execute(sql, tuple(params)).fetchall()

    def _write(self, sql: str, params: Iterable[Any] = ()) -> None:
        self._conn.execute(sql, tuple(params))

    def _insert(self, sql: str, params: Iterable[Any] = ()) -> int | None:
        return self._conn.execute(sql, tuple(params)).lastrowid

    def _write_many(self, sql: str, rows: list[list[Any]] | list[tuple]) -> None:
        if rows:
            self._conn.executemany(sql, rows)
