"""The only module that speaks SQL.

One aiosqlite connection per emulator. Every operation runs inside ``Store.transaction()``,
which holds an asyncio lock (so concurrent requests in this process never interleave on the
connection) and a ``BEGIN IMMEDIATE`` write lock (so two server processes on one file take
turns). Uniqueness rules that matter are unique indexes, so they hold across processes too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Iterable

import aiosqlite

from .records import Batch, Environment, Run

_SCHEMA = """
CREATE TABLE IF NOT EXISTS environments (
    id TEXT PRIMARY KEY,
    api_key TEXT NOT NULL,
    type TEXT NOT NULL,
    branch TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (api_key, branch)
);
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    env_id TEXT NOT NULL,
    task TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    payload TEXT, payload_type TEXT NOT NULL,
    metadata TEXT, metadata_type TEXT NOT NULL,
    seed_metadata TEXT, seed_metadata_type TEXT NOT NULL,
    options TEXT NOT NULL,
    tags TEXT NOT NULL,
    idempotency_key TEXT, idempotency_key_expires_at INTEGER, idempotency_key_options TEXT,
    queue TEXT NOT NULL, concurrency_key TEXT, machine TEXT,
    max_attempts INTEGER, max_duration INTEGER, priority_ms INTEGER NOT NULL,
    is_test INTEGER NOT NULL, lock_to_version TEXT,
    ttl TEXT, delay_until INTEGER, queued_at INTEGER, expire_at INTEGER, expired_at INTEGER,
    started_at INTEGER, completed_at INTEGER, attempt_count INTEGER NOT NULL,
    output TEXT, output_type TEXT NOT NULL, error TEXT,
    batch_id TEXT, batch_index INTEGER,
    parent_id TEXT, root_id TEXT, depth INTEGER NOT NULL, trigger_function TEXT NOT NULL,
    debounce_key TEXT,
    due_at INTEGER,
    events TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS runs_idempotency
    ON runs (env_id, task, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_due ON runs (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_env_created ON runs (env_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_parent ON runs (parent_id) WHERE parent_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS debounces (
    env_id TEXT NOT NULL,
    task TEXT NOT NULL,
    key TEXT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (env_id, task, key)
);
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    env_id TEXT NOT NULL,
    status TEXT NOT NULL,
    run_count INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sealed INTEGER NOT NULL,
    api TEXT NOT NULL,
    idempotency_key TEXT,
    idempotency_key_options TEXT,
    task_identifiers TEXT,
    parent_run_id TEXT,
    resume_parent INTEGER NOT NULL,
    processing_completed_at INTEGER,
    errors TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS batches_idempotency
    ON batches (env_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS batch_items (
    batch_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    body TEXT NOT NULL,
    run_id TEXT,
    PRIMARY KEY (batch_id, idx)
);
CREATE TABLE IF NOT EXISTS objects (
    env_id TEXT NOT NULL,
    path TEXT NOT NULL,
    content_type TEXT,
    data BLOB,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (env_id, path)
);
"""

_RUN_FIELDS = [f.name for f in dataclasses.fields(Run)]
_RUN_JSON = {"options", "tags", "idempotency_key_options", "error", "events"}
_RUN_BOOL = {"is_test"}
_RUN_COLUMNS = [name for name in _RUN_FIELDS if name != "seq"]
_INSERT_RUN = "INSERT INTO runs ({}) VALUES ({})".format(
    ", ".join(_RUN_COLUMNS), ", ".join("?" for _ in _RUN_COLUMNS)
)
_UPDATE_RUN = "UPDATE runs SET {} WHERE id = ?".format(", ".join(f"{c} = ?" for c in _RUN_COLUMNS if c != "id"))
_SELECT_RUN = "SELECT seq, {} FROM runs".format(", ".join(_RUN_COLUMNS))


_BATCH_FIELDS = [f.name for f in dataclasses.fields(Batch)]
_BATCH_JSON = {"idempotency_key_options", "task_identifiers", "errors"}
_BATCH_BOOL = {"sealed", "resume_parent"}
_BATCH_COLUMNS = [name for name in _BATCH_FIELDS if name != "seq"]
_SELECT_BATCH = "SELECT seq, {} FROM batches".format(", ".join(_BATCH_COLUMNS))


class Duplicate(Exception):
    """A unique index refused a row (e.g. an idempotency key another writer just claimed)."""


def _values(record: Any, columns: Iterable[str], json_fields: set[str], bool_fields: set[str]) -> list[Any]:
    out = []
    for name in columns:
        value = getattr(record, name)
        if name in json_fields:
            value = None if value is None else json.dumps(value, separators=(",", ":"))
        elif name in bool_fields:
            value = int(bool(value))
        out.append(value)
    return out


def _from_row(cls: type, row: tuple, columns: list[str], json_fields: set[str], bool_fields: set[str]) -> Any:
    values = dict(zip(["seq", *columns], row))
    for name in json_fields:
        raw = values[name]
        values[name] = None if raw is None else json.loads(raw)
    for name in bool_fields:
        values[name] = bool(values[name])
    return cls(**values)


def _run_values(run: Run, columns: Iterable[str]) -> list[Any]:
    return _values(run, columns, _RUN_JSON, _RUN_BOOL)


def _run_from_row(row: tuple) -> Run:
    return _from_row(Run, row, _RUN_COLUMNS, _RUN_JSON, _RUN_BOOL)


def _batch_from_row(row: tuple) -> Batch:
    return _from_row(Batch, row, _BATCH_COLUMNS, _BATCH_JSON, _BATCH_BOOL)


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
        await conn.executescript(_SCHEMA)
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


class Tx:
    """SQL statements, usable only inside ``Store.transaction()``."""

    def __init__(self, conn: aiosqlite.Connection, store: Store) -> None:
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

    # -- environments -------------------------------------------------------------------
    async def environment(self, api_key: str, branch: str | None) -> Environment | None:
        row = await self._one(
            "SELECT id, api_key, type, branch, created_at FROM environments WHERE api_key = ? AND branch = ?",
            (api_key, branch or ""),
        )
        return None if row is None else Environment(row[0], row[1], row[2], row[3] or None, row[4])

    async def environment_by_id(self, env_id: str) -> Environment | None:
        row = await self._one("SELECT id, api_key, type, branch, created_at FROM environments WHERE id = ?", (env_id,))
        return None if row is None else Environment(row[0], row[1], row[2], row[3] or None, row[4])

    async def environments(self) -> list[Environment]:
        rows = await self._all("SELECT id, api_key, type, branch, created_at FROM environments ORDER BY created_at, id")
        return [Environment(r[0], r[1], r[2], r[3] or None, r[4]) for r in rows]

    async def insert_environment(self, env: Environment) -> None:
        await self._write(
            "INSERT OR IGNORE INTO environments (id, api_key, type, branch, created_at) VALUES (?, ?, ?, ?, ?)",
            (env.id, env.api_key, env.type, env.branch or "", env.created_at),
        )

    # -- runs ---------------------------------------------------------------------------
    async def insert_run(self, run: Run) -> None:
        try:
            row = await self._conn.execute_insert(_INSERT_RUN, _run_values(run, _RUN_COLUMNS))
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        run.seq = row[0] if row else None
        self._note_due((run,))

    async def insert_runs(self, runs: list[Run]) -> None:
        """Many new runs in one round trip (their ``seq`` is not read back)."""
        try:
            await self._write_many(_INSERT_RUN, [_run_values(run, _RUN_COLUMNS) for run in runs])
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        self._note_due(runs)

    async def update_run(self, run: Run) -> None:
        columns = [c for c in _RUN_COLUMNS if c != "id"]
        try:
            await self._write(_UPDATE_RUN, [*_run_values(run, columns), run.id])
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        self._note_due((run,))

    async def run(self, env_id: str, run_id: str) -> Run | None:
        row = await self._one(_SELECT_RUN + " WHERE id = ? AND env_id = ?", (run_id, env_id))
        return None if row is None else _run_from_row(row)

    async def run_anywhere(self, run_id: str) -> Run | None:
        row = await self._one(_SELECT_RUN + " WHERE id = ?", (run_id,))
        return None if row is None else _run_from_row(row)

    async def run_by_idempotency_key(self, env_id: str, task: str, key: str) -> Run | None:
        row = await self._one(
            _SELECT_RUN + " WHERE env_id = ? AND task = ? AND idempotency_key = ?", (env_id, task, key)
        )
        return None if row is None else _run_from_row(row)

    async def children(self, parent_id: str) -> list[Run]:
        rows = await self._all(_SELECT_RUN + " WHERE parent_id = ? ORDER BY seq", (parent_id,))
        return [_run_from_row(r) for r in rows]

    async def due_runs(self, now_ms: int, limit: int = 200) -> list[Run]:
        store = self._store
        if store.exclusive and store.due_floor is not None and now_ms < store.due_floor:
            return []
        rows = await self._all(
            _SELECT_RUN + " WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, seq LIMIT ?", (now_ms, limit)
        )
        if not rows and store.exclusive:
            upcoming = await self.next_due_at()
            store.due_floor = float("inf") if upcoming is None else upcoming
        return [_run_from_row(r) for r in rows]

    async def next_due_at(self) -> int | None:
        row = await self._one("SELECT MIN(due_at) FROM runs WHERE due_at IS NOT NULL")
        return None if row is None else row[0]

    async def all_runs(self, env_ids: list[str] | None = None) -> list[Run]:
        if env_ids is None:
            rows = await self._all(_SELECT_RUN + " ORDER BY seq")
        else:
            marks = ", ".join("?" for _ in env_ids)
            rows = await self._all(_SELECT_RUN + f" WHERE env_id IN ({marks}) ORDER BY seq", env_ids)
        return [_run_from_row(r) for r in rows]

    # -- batches ------------------------------------------------------------------------
    async def insert_batch(self, batch: Batch) -> None:
        sql = "INSERT INTO batches ({}) VALUES ({})".format(
            ", ".join(_BATCH_COLUMNS), ", ".join("?" for _ in _BATCH_COLUMNS)
        )
        try:
            row = await self._conn.execute_insert(sql, _values(batch, _BATCH_COLUMNS, _BATCH_JSON, _BATCH_BOOL))
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        batch.seq = row[0] if row else None

    async def update_batch(self, batch: Batch) -> None:
        columns = [c for c in _BATCH_COLUMNS if c != "id"]
        sql = "UPDATE batches SET {} WHERE id = ?".format(", ".join(f"{c} = ?" for c in columns))
        await self._write(sql, [*_values(batch, columns, _BATCH_JSON, _BATCH_BOOL), batch.id])

    async def batch(self, env_id: str, batch_id: str) -> Batch | None:
        row = await self._one(_SELECT_BATCH + " WHERE id = ? AND env_id = ?", (batch_id, env_id))
        return None if row is None else _batch_from_row(row)

    async def batch_by_idempotency_key(self, env_id: str, key: str) -> Batch | None:
        row = await self._one(_SELECT_BATCH + " WHERE env_id = ? AND idempotency_key = ?", (env_id, key))
        return None if row is None else _batch_from_row(row)

    async def all_batches(self) -> list[Batch]:
        return [_batch_from_row(r) for r in await self._all(_SELECT_BATCH + " ORDER BY seq")]

    async def add_batch_items(self, batch_id: str, items: list[tuple[int, str]]) -> int:
        """Store items unless their index is already there (first one wins); returns how many
        were new."""
        before = await self.batch_item_count(batch_id)
        await self._write_many(
            "INSERT OR IGNORE INTO batch_items (batch_id, idx, body) VALUES (?, ?, ?)",
            [(batch_id, index, body) for index, body in items],
        )
        return await self.batch_item_count(batch_id) - before

    async def batch_item_count(self, batch_id: str) -> int:
        row = await self._one("SELECT COUNT(*) FROM batch_items WHERE batch_id = ?", (batch_id,))
        return int(row[0]) if row else 0

    async def batch_items(self, batch_id: str) -> list[tuple[int, str]]:
        rows = await self._all("SELECT idx, body FROM batch_items WHERE batch_id = ? ORDER BY idx", (batch_id,))
        return [(int(r[0]), r[1]) for r in rows]

    async def set_batch_item_runs(self, batch_id: str, runs: list[tuple[int, str]]) -> None:
        await self._write_many(
            "UPDATE batch_items SET run_id = ? WHERE batch_id = ? AND idx = ?",
            [(run_id, batch_id, index) for index, run_id in runs],
        )

    async def batch_run_ids(self, batch_id: str) -> list[str]:
        rows = await self._all(
            "SELECT run_id FROM batch_items WHERE batch_id = ? AND run_id IS NOT NULL ORDER BY idx", (batch_id,)
        )
        return [r[0] for r in rows]

    async def batch_run_statuses(self, batch_id: str) -> list[str]:
        rows = await self._all(
            "SELECT r.status FROM batch_items i JOIN runs r ON r.id = i.run_id WHERE i.batch_id = ? ORDER BY i.idx",
            (batch_id,),
        )
        return [r[0] for r in rows]

    # -- debounce -----------------------------------------------------------------------
    async def debounced_run_id(self, env_id: str, task: str, key: str) -> str | None:
        row = await self._one("SELECT run_id FROM debounces WHERE env_id = ? AND task = ? AND key = ?", (env_id, task, key))
        return None if row is None else row[0]

    async def set_debounce(self, env_id: str, task: str, key: str, run_id: str) -> None:
        await self._write(
            "INSERT INTO debounces (env_id, task, key, run_id) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (env_id, task, key) DO UPDATE SET run_id = excluded.run_id",
            (env_id, task, key, run_id),
        )

    # -- objects (packets) --------------------------------------------------------------
    async def put_object(self, env_id: str, path: str, content_type: str | None, data: bytes, at: int) -> None:
        await self._write(
            "INSERT INTO objects (env_id, path, content_type, data, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (env_id, path) DO UPDATE SET content_type = excluded.content_type, data = excluded.data",
            (env_id, path, content_type, data, at),
        )

    async def get_object(self, env_id: str, path: str) -> tuple[str | None, bytes] | None:
        row = await self._one("SELECT content_type, data FROM objects WHERE env_id = ? AND path = ?", (env_id, path))
        return None if row is None else (row[0], bytes(row[1] or b""))

    # -- whole state --------------------------------------------------------------------
    async def wipe(self) -> None:
        for table in ("runs", "debounces", "objects", "environments", "batches", "batch_items"):
            await self._write(f"DELETE FROM {table}")
        self._store.due_floor = None
