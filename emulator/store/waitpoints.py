"""Waitpoints, the runs they block (``run_waitpoints``) and the task logs kept per run."""

from __future__ import annotations

import dataclasses
import sqlite3

from ..core.records import FINAL_STATUSES
from ..core.waitpoints import Waitpoint
from .database import Duplicate, TxBase
from .rows import from_row, values

_COLUMNS = [f.name for f in dataclasses.fields(Waitpoint) if f.name != "seq"]
_JSON = {"tags"}
_BOOL = {"output_is_error", "user_provided_idempotency_key"}
_INSERT = "INSERT INTO waitpoints ({}) VALUES ({})".format(", ".join(_COLUMNS), ", ".join("?" for _ in _COLUMNS))
_UPDATE = "UPDATE waitpoints SET {} WHERE id = ?".format(", ".join(f"{c} = ?" for c in _COLUMNS if c != "id"))
_SELECT = "SELECT seq, {} FROM waitpoints".format(", ".join(_COLUMNS))
_FINAL = ", ".join(f"'{s}'" for s in sorted(FINAL_STATUSES))


def _waitpoint(row: tuple) -> Waitpoint:
    return from_row(Waitpoint, row, _COLUMNS, _JSON, _BOOL)


class WaitpointsTx(TxBase):
    # -- waitpoints ---------------------------------------------------------------------
    def insert_waitpoint(self, wp: Waitpoint) -> None:
        try:
            wp.seq = self._insert(_INSERT, values(wp, _COLUMNS, _JSON, _BOOL))
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        self._store.no_pending_waitpoints = False

    def any_pending_waitpoints(self) -> bool:
        """False only when no waitpoint is PENDING; an in-memory database remembers a False
        until the next insert, so units with no dev worker around pay nothing for waitpoints."""
        store = self._store
        if store.exclusive and store.no_pending_waitpoints:
            return False
        pending = self._one("SELECT 1 FROM waitpoints WHERE status = 'PENDING' LIMIT 1") is not None
        if store.exclusive:
            store.no_pending_waitpoints = not pending
        return pending

    def update_waitpoint(self, wp: Waitpoint) -> None:
        columns = [c for c in _COLUMNS if c != "id"]
        self._write(_UPDATE, [*values(wp, columns, _JSON, _BOOL), wp.id])

    def waitpoint(self, env_id: str | None, waitpoint_id: str) -> Waitpoint | None:
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
        row = self._one(_SELECT + " WHERE env_id = ? AND idempotency_key = ?", (env_id, key))
        return None if row is None else _waitpoint(row)

    def run_waitpoint(self, run_id: str) -> Waitpoint | None:
        """The RUN waitpoint a run's result completes (its ``associatedWaitpoint``)."""
        row = self._one(_SELECT + " WHERE run_id = ? AND type = 'RUN'", (run_id,))
        return None if row is None else _waitpoint(row)

    def batch_waitpoint(self, batch_id: str) -> Waitpoint | None:
        row = self._one(_SELECT + " WHERE batch_id = ? AND type = 'BATCH'", (batch_id,))
        return None if row is None else _waitpoint(row)

    def due_waitpoints(self, now: int, limit: int = 200) -> list[Waitpoint]:
        rows = self._all(
            _SELECT + " WHERE status = 'PENDING' AND completed_after IS NOT NULL AND completed_after <= ?"
            " ORDER BY completed_after, seq LIMIT ?",
            (now, limit),
        )
        return [_waitpoint(r) for r in rows]

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

    # -- task logs ------------------------------------------------------------------------
    def add_run_logs(self, entries: list[tuple[str, int, str, str]], keep: int) -> None:
        """Append ``(run id, at, level, message)``; each run keeps only its newest ``keep``."""
        self._write_many("INSERT INTO run_logs (run_id, at, level, message) VALUES (?, ?, ?, ?)", entries)
        for run_id in {e[0] for e in entries}:
            self._write(
                "DELETE FROM run_logs WHERE run_id = ? AND seq <= "
                "(SELECT seq FROM run_logs WHERE run_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                (run_id, run_id, keep),
            )

    def run_logs(self, run_id: str) -> list[tuple[int, str, str]]:
        return [(r[0], r[1], r[2]) for r in self._all("SELECT at, level, message FROM run_logs WHERE run_id = ? ORDER BY seq", (run_id,))]
