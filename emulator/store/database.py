"""The database and the one thread its work runs on.

A unit of work is a plain function ``fn(tx)``; ``Database.run`` runs the whole of it inside
one transaction, in one hop: on an in-memory database in the calling thread (SQLite answers in
microseconds there, so a thread hop would cost more than the work), on a file database on the
database's own writer thread (Datasette's ``execute_write_fn``), where a statement may wait on
disk or on another process's lock without blocking the event loop.

The writer thread commits in groups: units that queued up while it was busy run in one
``BEGIN IMMEDIATE … COMMIT``, each inside its own savepoint, so one unit's error rolls back only
that unit. No unit is answered before the commit that holds it, so nothing acknowledged is lost.

``BEGIN IMMEDIATE`` takes SQLite's write lock at the start, so two server processes on one
file take turns; uniqueness rules that matter are unique indexes, so they hold across processes.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar

from ..core.records import Run
from .schema import SCHEMA, migrate

#: Prepared statements a connection keeps (sqlite3's default, 128, is fewer than the store's
#: statements with their patterns of NULLs: ``rows``).
_CACHED_STATEMENTS = 1024

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
        #: Only this process sees an in-memory database: work runs inline and reads skip BEGIN.
        self.exclusive = path == ":memory:" or path.startswith("file::memory:")
        # Hints: what this process remembers of the stored state so that the checks at the
        # start of every unit cost no query. Another process may write a file database: the
        # writer thread forgets them whenever another connection has committed since its last
        # transaction (``PRAGMA data_version``), so they hold for every database.
        #: A lower bound on the next ``due_at`` (None: unknown).
        self.due_floor: float | None = None
        #: Runs whose snapshot changed in units not yet reported (the engine drains it).
        self.changed_runs: set[str] = set()
        #: True once an in-memory database is known to hold no PENDING waitpoint.
        self.no_pending_waitpoints = False
        #: The same per family of the management API (``store.floors``); absent: unknown.
        self.floors: dict[str, float] = {}
        #: The emulator clock's stored offset (None: unknown).
        self.clock_offset_ms: int | None = None
        #: ``PRAGMA data_version`` at the writer's last transaction (a file database).
        self._data_version: int | None = None
        #: An in-memory database's last change number, kept here instead of in ``changes``
        #: (None until first read). A unit rolled back leaves a gap, which no reader notices:
        #: offsets only compare.
        self.change_count: int | None = None
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._reader: sqlite3.Connection | None = None
        self._read_lock = threading.Lock()
        self._queue: queue.SimpleQueue | None = None
        self._writer: threading.Thread | None = None
        self._tx_factory: Callable[[sqlite3.Connection, Database], "Tx"] | None = None

    # -- opening --------------------------------------------------------------------------
    async def open(self, tx_factory: Callable[[sqlite3.Connection, "Database"], "Tx"]) -> None:
        if self._conn is not None:
            return
        self._tx_factory = tx_factory
        if self.exclusive:
            self._connect()
            return
        self._queue = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_loop, name="trigger-emulator-db", daemon=True)
        self._writer.start()
        try:
            await self._submit(lambda tx: None, read=False, connect=True)
        except BaseException:
            writer, self._writer = self._writer, None
            self._queue.put(None)
            await asyncio.get_running_loop().run_in_executor(None, writer.join)
            self._queue = None
            raise

    def _connect(self) -> None:
        """Open and create the schema; StorageError naming the cause when the file cannot be
        opened or written (a read-only file, a full disk, a missing folder)."""
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30,
                                   cached_statements=_CACHED_STATEMENTS)
        except sqlite3.Error as exc:
            raise StorageError(f"The emulator's database {self.path} cannot be opened: {exc}") from exc
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            if not self.exclusive:
                conn.execute("PRAGMA journal_mode = WAL")
                # WAL + NORMAL: a commit survives a killed process (SIGKILL); only power loss can
                # lose the last commits, which an emulator can afford for ~10x the write rate.
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(SCHEMA)
            migrate(conn)
            if not self.exclusive:
                # WAL lets readers run beside the writer: lookups (``query``) use their own
                # connection on the caller's thread instead of queueing behind writes.
                reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30,
                                         cached_statements=_CACHED_STATEMENTS)
                reader.execute("PRAGMA query_only = 1")
                self._reader = reader
        except sqlite3.Error as exc:
            conn.close()
            raise StorageError(f"The emulator's database {self.path} cannot be written: {exc}") from exc
        self._conn = conn

    async def close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            assert self._queue is not None
            self._queue.put(None)
            await asyncio.get_running_loop().run_in_executor(None, writer.join)
            self._queue = None
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    def forget_hints(self) -> None:
        """Drop what this process remembers about the stored state (the due floors, the
        no-pending-waitpoint mark, the clock offset): after a reset, after a rolled-back unit,
        whose writes they may describe, and when another process wrote the file."""
        self.due_floor = None
        self.floors.clear()
        self.no_pending_waitpoints = False
        self.clock_offset_ms = None

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
        if self._queue is None:
            return self._transaction(fn, read)
        return await self._submit(fn, read=read)

    async def _submit(self, fn: Callable[["Tx"], T], *, read: bool, connect: bool = False) -> T:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        self._queue.put((fn, future, loop, connect))
        return await future

    # -- the writer thread ----------------------------------------------------------------
    def _write_loop(self) -> None:
        assert self._queue is not None
        pending = self._queue
        while True:
            item = pending.get()
            if item is None:
                return
            group = [item]
            stop = False
            while len(group) < _GROUP_LIMIT:
                try:
                    more = pending.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                group.append(more)
            outcomes = self._commit_group(group)
            for (_, future, loop, _), outcome in zip(group, outcomes):
                loop.call_soon_threadsafe(_settle, future, outcome)
            if stop:
                return

    def _commit_group(self, group: list) -> list[tuple[bool, Any]]:
        if any(connect for *_, connect in group) and self._conn is None:
            try:
                self._connect()
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                failure = exc if isinstance(exc, StorageError) else StorageError(f"The emulator's database cannot be opened: {exc}")
                return [(False, failure)] * len(group)
        conn = self._conn
        assert conn is not None and self._tx_factory is not None
        with self._lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
                version = conn.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.OperationalError as exc:
                _rollback(conn)
                return [(False, StorageError(f"The emulator's database cannot be written: {exc}"))] * len(group)
            if version != self._data_version:  # another connection committed: hints may be stale
                self.forget_hints()
                self._data_version = version
            outcomes: list[tuple[bool, Any]] = []
            for fn, *_ in group:
                conn.execute("SAVEPOINT unit")
                try:
                    result = fn(self._tx_factory(conn, self))
                except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                    if isinstance(exc, sqlite3.OperationalError) and _is_storage_failure(exc):
                        exc = StorageError(f"The emulator's database cannot be written: {exc}")
                    self.forget_hints()  # they may describe what was just undone
                    try:
                        conn.execute("ROLLBACK TO unit")
                        conn.execute("RELEASE unit")
                    except sqlite3.Error:
                        # SQLite rolled the whole transaction back (a full disk does): every
                        # unit of the group is undone, so none of them may report success.
                        _rollback(conn)
                        self.forget_hints()
                        failure = exc if isinstance(exc, StorageError) else StorageError(
                            f"The emulator's database cannot be written: {exc}")
                        return [(False, failure)] * len(group)
                    outcomes.append((False, exc))
                else:
                    conn.execute("RELEASE unit")
                    outcomes.append((True, result))
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                _rollback(conn)
                self.forget_hints()
                failure = StorageError(f"The emulator's database cannot be written: {exc}")
                return [(False, failure)] * len(group)
            return outcomes

    async def query(self, fn: Callable[["Tx"], T]) -> T:
        """A lookup that applies nothing and writes nothing (e.g. an environment by key). On a
        file it runs right here on a read-only connection of its own (WAL: it sees every
        commit so far and never waits for the writer), not behind the queued writes."""
        reader = self._reader
        if reader is None:
            return await self.run(fn, read=True)
        assert self._tx_factory is not None
        with self._read_lock:
            try:
                return fn(self._tx_factory(reader, self))
            except sqlite3.OperationalError as exc:
                raise StorageError(f"The emulator's database cannot be read: {exc}") from exc

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
                self.forget_hints()
                if _is_storage_failure(exc):
                    raise StorageError(f"The emulator's database cannot be written: {exc}") from exc
                raise
            except BaseException:
                _rollback(conn)
                self.forget_hints()
                raise
            return result


#: At most this many queued units share one commit.
_GROUP_LIMIT = 64


def _settle(future: asyncio.Future, outcome: tuple[bool, Any]) -> None:
    if future.cancelled():
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


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
        #: What this unit changed, published to realtime waiters once it commits.
        self.changed_runs: dict[str, Run] = {}
        self.changed_streams: set[tuple[str, str]] = set()
        self._version: int | None = None

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

    def _write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run a write; how many rows it changed."""
        return self._conn.execute(sql, tuple(params)).rowcount

    def _insert(self, sql: str, params: Iterable[Any] = ()) -> int | None:
        return self._conn.execute(sql, tuple(params)).lastrowid

    def _write_many(self, sql: str, rows: list[list[Any]] | list[tuple]) -> None:
        if rows:
            self._conn.executemany(sql, rows)
