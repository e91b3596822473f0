"""The round-trip helpers every statement goes through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

import aiosqlite

from ..records import Run

if TYPE_CHECKING:
    from . import Store


class Duplicate(Exception):
    """A unique index refused a row (e.g. an idempotency key another writer just claimed)."""


class TxBase:
    """Statement helpers, usable only inside ``Store.transaction()``."""

    def __init__(self, conn: aiosqlite.Connection, store: "Store") -> None:
        self._conn = conn
        self._store = store

    def _note_due(self, runs: Iterable[Run]) -> None:
        floor = self._store.due_floor
        if floor is None:
            return
        for run in runs:
            if run.due_at is not None and run.due_at < floor:
                floor = run.due_at
        self._store.due_floor = floor

    # Each helper is one round trip to aiosqlite's thread: that hop is the dominant cost.
    async def _one(self, sql: str, params: Iterable[Any] = ()) -> tuple | None:
        rows = await self._conn.execute_fetchall(sql, tuple(params))
        return rows[0] if rows else None

    async def _all(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        return list(await self._conn.execute_fetchall(sql, tuple(params)))

    async def _write(self, sql: str, params: Iterable[Any] = ()) -> None:
        await self._conn.execute_fetchall(sql, tuple(params))

    async def _write_many(self, sql: str, rows: list[list[Any]] | list[tuple]) -> None:
        if rows:
            cursor = await self._conn.executemany(sql, rows)
            await cursor.close()

