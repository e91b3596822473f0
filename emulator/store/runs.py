"""Runs, environments, debounce keys and stored objects."""

from __future__ import annotations

import sqlite3

from ..records import Environment, Run
from .base import Duplicate, TxBase
from .rows import RUN_COLUMNS, SELECT_RUN, INSERT_RUN, UPDATE_RUN, run_from_row, run_values


class RunsTx(TxBase):
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
            row = await self._conn.execute_insert(INSERT_RUN, run_values(run, RUN_COLUMNS))
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        run.seq = row[0] if row else None
        self._note_due((run,))

    async def insert_runs(self, runs: list[Run]) -> None:
        """Many new runs in one round trip (their ``seq`` is not read back)."""
        try:
            await self._write_many(INSERT_RUN, [run_values(run, RUN_COLUMNS) for run in runs])
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        self._note_due(runs)

    async def update_run(self, run: Run) -> None:
        columns = [c for c in RUN_COLUMNS if c != "id"]
        try:
            await self._write(UPDATE_RUN, [*run_values(run, columns), run.id])
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        self._note_due((run,))

    async def run(self, env_id: str, run_id: str) -> Run | None:
        row = await self._one(SELECT_RUN + " WHERE id = ? AND env_id = ?", (run_id, env_id))
        return None if row is None else run_from_row(row)

    async def run_anywhere(self, run_id: str) -> Run | None:
        row = await self._one(SELECT_RUN + " WHERE id = ?", (run_id,))
        return None if row is None else run_from_row(row)

    async def run_by_idempotency_key(self, env_id: str, task: str, key: str) -> Run | None:
        row = await self._one(
            SELECT_RUN + " WHERE env_id = ? AND task = ? AND idempotency_key = ?", (env_id, task, key)
        )
        return None if row is None else run_from_row(row)

    async def children(self, parent_id: str) -> list[Run]:
        rows = await self._all(SELECT_RUN + " WHERE parent_id = ? ORDER BY seq", (parent_id,))
        return [run_from_row(r) for r in rows]

    async def due_runs(self, now_ms: int, limit: int = 200) -> list[Run]:
        store = self._store
        if store.exclusive and store.due_floor is not None and now_ms < store.due_floor:
            return []
        rows = await self._all(
            SELECT_RUN + " WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, seq LIMIT ?", (now_ms, limit)
        )
        if not rows and store.exclusive:
            upcoming = await self.next_due_at()
            store.due_floor = float("inf") if upcoming is None else upcoming
        return [run_from_row(r) for r in rows]

    async def next_due_at(self) -> int | None:
        row = await self._one("SELECT MIN(due_at) FROM runs WHERE due_at IS NOT NULL")
        return None if row is None else row[0]

    async def all_runs(self, env_ids: list[str] | None = None) -> list[Run]:
        if env_ids is None:
            rows = await self._all(SELECT_RUN + " ORDER BY seq")
        else:
            marks = ", ".join("?" for _ in env_ids)
            rows = await self._all(SELECT_RUN + f" WHERE env_id IN ({marks}) ORDER BY seq", env_ids)
        return [run_from_row(r) for r in rows]

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
        for table in ("runs", "run_tags", "debounces", "objects", "environments", "batches", "batch_items", "request_keys"):
            await self._write(f"DELETE FROM {table}")
        self._store.due_floor = None

    async def clear_idempotency_key(self, env_id: str, task: str, key: str, now: int) -> int:
        """Release ``key`` on every run of (env, task); returns how many runs held it."""
        rows = await self._all(
            "UPDATE runs SET idempotency_key = NULL, idempotency_key_expires_at = NULL "
            "WHERE env_id = ? AND task = ? AND idempotency_key = ? RETURNING id",
            (env_id, task, key),
        )
        return len(rows)

    # -- request idempotency ------------------------------------------------------------
    async def request_key(self, env_id: str, key: str, since: int) -> str | None:
        row = await self._one(
            "SELECT entity_id FROM request_keys WHERE env_id = ? AND key = ? AND created_at >= ?", (env_id, key, since)
        )
        return None if row is None else row[0]

    async def save_request_key(self, env_id: str, key: str, entity_id: str, now: int) -> None:
        await self._write(
            "INSERT INTO request_keys (env_id, key, entity_id, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (env_id, key) DO UPDATE SET entity_id = excluded.entity_id, created_at = excluded.created_at",
            (env_id, key, entity_id, now),
        )
