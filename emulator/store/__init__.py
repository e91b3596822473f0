"""The only code that speaks SQL: a package with one module per record family.

One aiosqlite connection per emulator. Every operation runs inside ``Store.transaction()``,
which holds an asyncio lock (so concurrent requests in this process never interleave on the
connection) and a ``BEGIN IMMEDIATE`` write lock (so two server processes on one file take
turns). Uniqueness rules that matter are unique indexes, so they hold across processes too.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Iterable

import aiosqlite

from .base import Duplicate
from .batches import BatchesTx
from .queries import QueriesTx
from .runs import RunsTx
from .schema import SCHEMA

__all__ = ["Duplicate", "Store", "Tx"]


class Tx(RunsTx, BatchesTx, QueriesTx):
    """Every statement, usable only inside ``Store.transaction()``."""


class MemoryConnection:
    """The aiosqlite calls the store makes, answered in the calling thread.

    An in-memory database lives only in this process and answers in microseconds, so handing
    every statement to aiosqlite's worker thread (about 0.15 ms a round trip) would cost far
    more than the statement. File databases keep aiosqlite, where a statement can wait on disk
    or on another process's lock."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)

    async def execute_fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        return self._db.execute(sql, tuple(params)).fetchall()

    async def execute_insert(self, sql: str, params: Iterable[Any] = ()) -> tuple | None:
        cursor = self._db.execute(sql, tuple(params))
        return (cursor.lastrowid,)

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> "_Closed":
        self._db.executemany(sql, rows)
        return _Closed()

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> "_Closed":
        self._db.execute(sql, tuple(params))
        return _Closed()

    async def executescript(self, script: str) -> "_Closed":
        self._db.executescript(script)
        return _Closed()

    async def close(self) -> None:
        self._db.close()


class _Closed:
    async def close(self) -> None:
        return None


class Store:
    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._conn: aiosqlite.Connection | MemoryConnection | None = None
        self._lock = asyncio.Lock()
        #: Only this process writes an in-memory database, so it can remember a lower bound on
        #: the next ``due_at`` and skip the due-runs query until then. None means unknown.
        self.exclusive = path == ":memory:"
        self.due_floor: float | None = None

    async def open(self) -> None:
        if self._conn is not None:
            return
        self._lock = asyncio.Lock()  # bind to the loop that opens the store
        if self.exclusive:
            conn: Any = MemoryConnection()
        else:
            conn = await aiosqlite.connect(self.path, isolation_level=None, timeout=30)
        await conn.execute("PRAGMA busy_timeout = 30000")
        if self.path != ":memory:" and not self.path.startswith("file::memory:"):
            await conn.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL: a commit survives a killed process (SIGKILL); only power loss can
            # lose the last commits, which an emulator can afford for ~10x the write rate.
            await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.executescript(SCHEMA)
        # A file made before run_tags existed: fill it once from runs.tags.
        await conn.execute(
            "INSERT INTO run_tags (run_id, env_id, tag) SELECT runs.id, runs.env_id, value FROM runs, json_each(runs.tags) "
            "WHERE NOT EXISTS (SELECT 1 FROM run_tags) AND runs.tags != '[]'"
        )
        self._conn = conn

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    @asynccontextmanager
    async def transaction(self, *, read: bool = False) -> AsyncIterator["Tx"]:
        """One unit of work. ``read=True`` marks work that only reads (and applies due
        transitions); on an in-memory store, which only this process can see, it skips the
        BEGIN/COMMIT round trips, since the lock already keeps it whole."""
        if self._conn is None:
            raise RuntimeError("store is not open")
        async with self._lock:
            conn = self._conn
            if read and self.exclusive:
                yield Tx(conn, self)
                return
            await conn.execute_fetchall("BEGIN IMMEDIATE")
            try:
                yield Tx(conn, self)
            except BaseException:
                await conn.execute_fetchall("ROLLBACK")
                raise
            else:
                await conn.execute_fetchall("COMMIT")
