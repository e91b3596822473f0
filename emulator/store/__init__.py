"""The only code that speaks SQL: a package with one module per record family.

One aiosqlite connection per emulator. Every operation runs inside ``Store.transaction()``,
which holds an asyncio lock (so concurrent requests in this process never interleave on the
connection) and a ``BEGIN IMMEDIATE`` write lock (so two server processes on one file take
turns). Uniqueness rules that matter are unique indexes, so they hold across processes too.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator

import aiosqlite

from .base import Duplicate
from .batches import BatchesTx
from .queries import QueriesTx
from .runs import RunsTx
from .schema import SCHEMA

__all__ = ["Duplicate", "Store", "Tx"]


class Tx(RunsTx, BatchesTx, QueriesTx):
    """Every statement, usable only inside ``Store.transaction()``."""


class Store:
    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        #: Only this process writes an in-memory database, so it can remember a lower bound on
        #: the next ``due_at`` and skip the due-runs query until then. None means unknown.
        self.exclusive = path == ":memory:"
        self.due_floor: float | None = None

    async def open(self) -> None:
        if self._conn is not None:
            return
        self._lock = asyncio.Lock()  # bind to the loop that opens the store
        conn = await aiosqlite.connect(self.path, isolation_level=None, timeout=30)
        await conn.execute("PRAGMA busy_timeout = 30000")
        if self.path != ":memory:" and not self.path.startswith("file::memory:"):
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = FULL")
        await conn.executescript(SCHEMA)
        self._conn = conn

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator["Tx"]:
        if self._conn is None:
            raise RuntimeError("store is not open")
        async with self._lock:
            conn = self._conn
            await conn.execute_fetchall("BEGIN IMMEDIATE")
            try:
                yield Tx(conn, self)
            except BaseException:
                await conn.execute_fetchall("ROLLBACK")
                raise
            else:
                await conn.execute_fetchall("COMMIT")


