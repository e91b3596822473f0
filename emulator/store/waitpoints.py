"""Waitpoints of every kind (one table, the server's ``Waitpoint``), the runs they block
(``run_waitpoints``, the server's ``TaskRunWaitpoint``), the token list query, and what falls
due on the clock (token timeouts, ``wait.for`` dates)."""

from __future__ import annotations

import sqlite3

from ..core.records import FINAL_STATUSES
from ..core.waitpoints import MANUAL, PREFIX, TokenQuery, Waitpoint
from .database import Duplicate
from .floors import FloorsTx
from .rows import Table

_WAITPOINTS = Table("waitpoints", Waitpoint, json={"tags"}, bool={"output_is_error", "user_provided_idempotency_key"})
_SELECT = _WAITPOINTS.select
_FINAL = ", ".join(f"'{s}'" for s in sorted(FINAL_STATUSES))
_FLOOR = "waitpoints"


def _waitpoint(row: tuple) -> Waitpoint:
    wp = _WAITPOINTS.from_row(row)
    if wp.tags is None:
        wp.tags = []
    return wp


class WaitpointsTx(FloorsTx):
    # -- waitpoints ---------------------------------------------------------------------
    def insert_waitpoint(self, wp: Waitpoint) -> None:
        try:
            wp.seq = self._insert(*_WAITPOINTS.insert(wp))
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        self._store.no_pending_waitpoints = False
        self._lower_floor(_FLOOR, wp.due_at)

    def update_waitpoint(self, wp: Waitpoint) -> None:
        try:
            self._write(*_WAITPOINTS.update(wp))
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        self._lower_floor(_FLOOR, wp.due_at)

    def any_pending_waitpoints(self) -> bool:
        """False only when no waitpoint is PENDING; the store remembers a False until the next
        insert, so units with no waitpoint around pay nothing for them."""
        store = self._store
        if store.no_pending_waitpoints:
            return False
        pending = self._one("SELECT 1 FROM waitpoints WHERE status = 'PENDING' LIMIT 1") is not None
        store.no_pending_waitpoints = not pending
        return pending

    def waitpoint(self, env_id: str | None, waitpoint_id: str) -> Waitpoint | None:
        """By friendly id, in ``env_id`` (None: any environment)."""
        if env_id is None:
            row = self._one(_SELECT + " WHERE id = ?", (waitpoint_id,))
        else:
            row = self._one(_SELECT + " WHERE id = ? AND env_id = ?", (waitpoint_id, env_id))
        return None if row is None else _waitpoint(row)

    def waitpoints(self, ids: list[str]) -> dict[str, Waitpoint]:
        if not ids:
            return {}
        rows = self._all(_SELECT + f" WHERE id IN ({', '.join('?' for _ in ids)})", ids)
        return {wp.id: wp for wp in map(_waitpoint, rows)}

    def waitpoint_by_idempotency_key(self, env_id: str, key: str) -> Waitpoint | None:
        """Keys are unique per environment across every kind of waitpoint, as upstream."""
        row = self._one(_SELECT + " WHERE env_id = ? AND idempotency_key = ?", (env_id, key))
        return None if row is None else _waitpoint(row)

    def run_waitpoint(self, run_id: str) -> Waitpoint | None:
        """The RUN waitpoint a run's result completes (its ``associatedWaitpoint``)."""
        row = self._one(_SELECT + " WHERE run_id = ? AND type = 'RUN'", (run_id,))
        return None if row is None else _waitpoint(row)

    def batch_waitpoint(self, batch_id: str) -> Waitpoint | None:
        row = self._one(_SELECT + " WHERE batch_id = ? AND type = 'BATCH'", (batch_id,))
        return None if row is None else _waitpoint(row)

    def settled_run_waitpoints(self, limit: int = 200) -> list[Waitpoint]:
        """PENDING RUN waitpoints whose run has reached a final status (however it got there)."""
        rows = self._all(
            _SELECT + " WHERE status = 'PENDING' AND run_id IS NOT NULL AND type = 'RUN' AND run_id IN"
            f" (SELECT id FROM runs WHERE id = waitpoints.run_id AND status IN ({_FINAL})) LIMIT ?",
            (limit,),
        )
        return [_waitpoint(r) for r in rows]

    def pending_batch_waitpoints(self) -> list[Waitpoint]:
        return [_waitpoint(r) for r in self._all(_SELECT + " WHERE status = 'PENDING' AND type = 'BATCH'")]

    # -- tokens (MANUAL waitpoints) ------------------------------------------------------
    def tokens(self, env_id: str, query: TokenQuery) -> list[Waitpoint]:
        """Up to ``size + 1`` tokens in scan order: id descending, ascending for a backward
        page; the cursor is an internal id (the friendly id minus its constant prefix)."""
        where, params = ["env_id = ?", "type = ?"], [env_id, MANUAL]
        if query.cursor:
            where.append("id > ?" if query.backward else "id < ?")
            params.append(PREFIX + query.cursor)
        if query.statuses:
            where.append(f"status IN ({', '.join('?' for _ in query.statuses)})")
            params.extend(query.statuses)
        if query.output_is_error is not None:
            where.append("output_is_error = ?")
            params.append(int(query.output_is_error))
        if query.idempotency_key:
            where.append("(idempotency_key = ? OR inactive_idempotency_key = ?)")
            params.extend([query.idempotency_key, query.idempotency_key])
        if query.created_from is not None:
            where.append("created_at >= ?")
            params.append(query.created_from)
        if query.created_to is not None:
            where.append("created_at <= ?")
            params.append(query.created_to)
        if query.tags:
            where.append(f"EXISTS (SELECT 1 FROM json_each(waitpoints.tags) WHERE value IN ({', '.join('?' for _ in query.tags)}))")
            params.extend(query.tags)
        order = "ASC" if query.backward else "DESC"
        rows = self._all(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY id {order} LIMIT ?", [*params, query.size + 1])
        return [_waitpoint(r) for r in rows]

    def all_tokens(self, env_ids: list[str] | None = None, newest: int | None = None) -> list[Waitpoint]:
        """MANUAL waitpoints, oldest first (``newest``: only the newest that many, newest first)."""
        sql, params = _SELECT + " WHERE type = ?", [MANUAL]
        if env_ids is not None:
            sql += f" AND env_id IN ({', '.join('?' for _ in env_ids)})"
            params.extend(env_ids)
        sql += " ORDER BY id DESC LIMIT ?" if newest is not None else " ORDER BY id"
        if newest is not None:
            params.append(newest)
        return [_waitpoint(r) for r in self._all(sql, params)]

    # -- falling due on the clock ---------------------------------------------------------
    def due_waitpoints(self, until: int, limit: int = 200) -> list[Waitpoint]:
        if self._below_floor(_FLOOR, until):
            return []
        rows = self._all(_SELECT + " WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, seq LIMIT ?", (until, limit))
        if not rows:
            self._set_floor(_FLOOR, self.next_waitpoint_due())
        return [_waitpoint(r) for r in rows]

    def next_waitpoint_due(self) -> int | None:
        row = self._one("SELECT MIN(due_at) FROM waitpoints WHERE due_at IS NOT NULL")
        return None if row is None else row[0]

    # -- blocking -------------------------------------------------------------------------
    def block_run(self, run_id: str, waitpoint_id: str, now: int, batch_id: str | None = None, index: int | None = None) -> None:
        self._write(
            "INSERT OR IGNORE INTO run_waitpoints (run_id, waitpoint_id, batch_id, batch_index, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (run_id, waitpoint_id, batch_id, index, now),
        )

    def blockers(self, run_id: str) -> list[tuple[str, str | None, int | None]]:
        """``(waitpoint id, batch id, batch index)`` blocking ``run_id``, in blocking order."""
        return [
            (r[0], r[1], r[2])
            for r in self._all(
                "SELECT waitpoint_id, batch_id, batch_index FROM run_waitpoints WHERE run_id = ? ORDER BY rowid", (run_id,)
            )
        ]

    def blocked_runs(self, waitpoint_ids: list[str]) -> list[str]:
        if not waitpoint_ids:
            return []
        marks = ", ".join("?" for _ in waitpoint_ids)
        rows = self._all(f"SELECT DISTINCT run_id FROM run_waitpoints WHERE waitpoint_id IN ({marks})", waitpoint_ids)
        return [r[0] for r in rows]

    def clear_blockers(self, run_id: str) -> None:
        self._write("DELETE FROM run_waitpoints WHERE run_id = ?", (run_id,))
