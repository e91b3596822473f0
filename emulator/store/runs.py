"""Runs, their debounce keys and their due transitions."""

from __future__ import annotations

import sqlite3
from typing import Iterable

from ..core.records import Run
from .database import Duplicate, TxBase
from .rows import RUNS, UPDATE_RUN_TAGS, compact_json

_INSERT_TAGS = "INSERT INTO run_tags (run_id, env_id, tag, created_at) VALUES (?, ?, ?, ?)"


def _tag_rows(runs: Iterable[Run]) -> list[tuple[str, str, str, int]]:
    """``run_tags`` mirrors ``runs.tags``: a row per distinct tag, with the run's creation
    time (a tag filter walks them in list order)."""
    return [(run.id, run.env_id, tag, run.created_at) for run in runs if run.tags for tag in dict.fromkeys(run.tags)]


class RunsTx(TxBase):
    # -- runs ---------------------------------------------------------------------------
    def insert_run(self, run: Run) -> None:
        self._stamp((run,), created=True)
        try:
            run.seq = self._insert(*RUNS.insert(run))
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        self._write_many(_INSERT_TAGS, _tag_rows((run,)))
        self._note_due((run,))
        self.changed_runs[run.id] = run

    def insert_runs(self, runs: list[Run]) -> None:
        """Many new runs in one round trip (their ``seq`` is not read back)."""
        self._stamp(runs, created=True)
        try:
            for sql, rows in RUNS.insert_many(runs):
                self._write_many(sql, rows)
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        self._write_many(_INSERT_TAGS, _tag_rows(runs))
        self._note_due(runs)
        self.changed_runs.update((run.id, run) for run in runs)

    def update_run(self, run: Run) -> None:
        self._stamp((run,))
        try:
            self._write(*RUNS.update(run))
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        tags = compact_json(run.tags)
        if self._write(UPDATE_RUN_TAGS, (tags, run.id, tags)):
            self._write("DELETE FROM run_tags WHERE run_id = ?", (run.id,))
            self._write_many(_INSERT_TAGS, _tag_rows((run,)))
        self._note_due((run,))
        self.changed_runs[run.id] = run

    def _stamp(self, runs: Iterable[Run], created: bool = False) -> None:
        """Give runs about to be written this unit's change number (``changed_runs`` notes
        them once written, for the realtime waiters woken after the commit)."""
        if self._version is None:
            store = self._store
            if store.exclusive:
                if store.change_count is None:
                    row = self._one("SELECT version FROM changes WHERE id = 1")
                    store.change_count = 0 if row is None else int(row[0])
                store.change_count += 1
                self._version = store.change_count
            else:
                row = self._one("UPDATE changes SET version = version + 1 WHERE id = 1 RETURNING version")
                self._version = row[0] if row is not None else 0
        for run in runs:
            run.version = self._version
            if created:
                run.created_version = self._version

    def run(self, env_id: str, run_id: str) -> Run | None:
        row = self._one(RUNS.select + " WHERE id = ? AND env_id = ?", (run_id, env_id))
        return None if row is None else RUNS.from_row(row)

    def run_anywhere(self, run_id: str) -> Run | None:
        row = self._one(RUNS.select + " WHERE id = ?", (run_id,))
        return None if row is None else RUNS.from_row(row)

    def run_by_idempotency_key(self, env_id: str, task: str, key: str) -> Run | None:
        row = self._one(
            RUNS.select + " WHERE env_id = ? AND task = ? AND idempotency_key = ?", (env_id, task, key)
        )
        return None if row is None else RUNS.from_row(row)

    def children(self, parent_id: str) -> list[Run]:
        rows = self._all(RUNS.select + " WHERE parent_id = ? ORDER BY seq", (parent_id,))
        return [RUNS.from_row(r) for r in rows]

    def due_runs(self, now_ms: int, limit: int = 200) -> list[Run]:
        store = self._store
        if store.due_floor is not None and now_ms < store.due_floor:
            return []
        rows = self._all(
            RUNS.select + " WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, seq LIMIT ?", (now_ms, limit)
        )
        if not rows:
            upcoming = self.next_due_at()
            store.due_floor = float("inf") if upcoming is None else upcoming
        return [RUNS.from_row(r) for r in rows]

    def next_due(self, limit: int) -> list[Run]:
        rows = self._all(RUNS.select + " WHERE due_at IS NOT NULL ORDER BY due_at, seq LIMIT ?", (limit,))
        return [RUNS.from_row(r) for r in rows]

    def next_due_at(self) -> int | None:
        row = self._one("SELECT MIN(due_at) FROM runs WHERE due_at IS NOT NULL")
        return None if row is None else row[0]

    def all_runs(
        self,
        env_ids: list[str] | None = None,
        *,
        task: str | None = None,
        batch: str | None = None,
        tag: str | None = None,
        statuses: list[str] | None = None,
        newest: int | None = None,
    ) -> list[Run]:
        """Runs in creation order (or the ``newest`` few, newest first), filtered in SQL so
        only matching rows are converted."""
        if newest is not None and statuses is not None and len(statuses) > 1:
            # One indexed walk per status, merged: a rare status never scans the environment.
            found = [run for status in statuses for run in self.all_runs(
                env_ids, task=task, batch=batch, tag=tag, statuses=[status], newest=newest)]
            found.sort(key=lambda run: (run.created_at, run.id), reverse=True)
            return found[:newest]
        where: list[str] = []
        params: list[object] = []
        if env_ids is not None and len(env_ids) == 1:
            where.append("env_id = ?")  # lets the newest-first order walk runs_env_created
            params.append(env_ids[0])
        elif env_ids is not None:
            where.append(f"env_id IN ({', '.join('?' for _ in env_ids)})")
            params.extend(env_ids)
        if task is not None:
            where.append("task = ?")
            params.append(task)
        if batch is not None:
            where.append("batch_id = ?")
            params.append(batch)
        if tag is not None:
            where.append("id IN (SELECT run_id FROM run_tags WHERE tag = ?)")
            params.append(tag)
        if statuses is not None:
            where.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        sql = RUNS.select + (" WHERE " + " AND ".join(where) if where else "")
        if newest is not None:
            sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
            params.append(newest)
        else:
            sql += " ORDER BY seq"
        return [RUNS.from_row(r) for r in self._all(sql, params)]

    # -- debounce -----------------------------------------------------------------------
    def debounced_run_id(self, env_id: str, task: str, key: str) -> str | None:
        row = self._one("SELECT run_id FROM debounces WHERE env_id = ? AND task = ? AND key = ?", (env_id, task, key))
        return None if row is None else row[0]

    def set_debounce(self, env_id: str, task: str, key: str, run_id: str) -> None:
        self._write(
            "INSERT INTO debounces (env_id, task, key, run_id) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (env_id, task, key) DO UPDATE SET run_id = excluded.run_id",
            (env_id, task, key, run_id),
        )

    # -- idempotency keys ---------------------------------------------------------------
    def clear_idempotency_key(self, env_id: str, task: str, key: str, now: int) -> int:
        """Release ``key`` on every run of (env, task); returns how many runs held it."""
        rows = self._all(
            "UPDATE runs SET idempotency_key = NULL, idempotency_key_expires_at = NULL "
            "WHERE env_id = ? AND task = ? AND idempotency_key = ? RETURNING id",
            (env_id, task, key),
        )
        return len(rows)
