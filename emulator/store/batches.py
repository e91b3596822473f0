"""Batches and their items."""

from __future__ import annotations

import sqlite3

from ..core.records import Batch
from .database import Duplicate, TxBase
from .rows import BATCHES


class BatchesTx(TxBase):
    # -- batches ------------------------------------------------------------------------
    def insert_batch(self, batch: Batch) -> None:
        try:
            batch.seq = self._insert(*BATCHES.insert(batch))
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc

    def update_batch(self, batch: Batch) -> None:
        self._write(*BATCHES.update(batch))

    def batch(self, env_id: str, batch_id: str) -> Batch | None:
        row = self._one(BATCHES.select + " WHERE id = ? AND env_id = ?", (batch_id, env_id))
        return None if row is None else BATCHES.from_row(row)

    def batch_by_idempotency_key(self, env_id: str, key: str) -> Batch | None:
        row = self._one(BATCHES.select + " WHERE env_id = ? AND idempotency_key = ?", (env_id, key))
        return None if row is None else BATCHES.from_row(row)

    def all_batches(self, newest: int | None = None) -> list[Batch]:
        """Every batch in creation order, or the ``newest`` few, newest first."""
        if newest is None:
            return [BATCHES.from_row(r) for r in self._all(BATCHES.select + " ORDER BY seq")]
        return [BATCHES.from_row(r) for r in self._all(BATCHES.select + " ORDER BY seq DESC LIMIT ?", (newest,))]

    def batch_anywhere(self, batch_id: str) -> Batch | None:
        row = self._one(BATCHES.select + " WHERE id = ?", (batch_id,))
        return None if row is None else BATCHES.from_row(row)

    def add_batch_items(self, batch_id: str, items: list[tuple[int, str]]) -> int:
        """Store items unless their index is already there (first one wins); returns how many
        were new."""
        before = self.batch_item_count(batch_id)
        self._write_many(
            "INSERT OR IGNORE INTO batch_items (batch_id, idx, body) VALUES (?, ?, ?)",
            [(batch_id, index, body) for index, body in items],
        )
        return self.batch_item_count(batch_id) - before

    def add_sealed_batch_items(self, batch_id: str, items: list[tuple[int, str, str]]) -> None:
        """Store ``(index, body, run id)`` items of a batch sealing now (indexes not stored):
        only those answered by another run (an idempotency key's or a debounce's). An item
        whose run is the batch's own is that run (``batch_id``, ``batch_index``): no row."""
        self._write_many(
            "INSERT INTO batch_items (batch_id, idx, body, run_id) VALUES (?, ?, ?, ?)",
            [(batch_id, index, body, run_id) for index, body, run_id in items],
        )

    def batch_item_count(self, batch_id: str) -> int:
        row = self._one("SELECT COUNT(*) FROM batch_items WHERE batch_id = ?", (batch_id,))
        return int(row[0]) if row else 0

    def batch_items(self, batch_id: str) -> list[tuple[int, str]]:
        rows = self._all("SELECT idx, body FROM batch_items WHERE batch_id = ? ORDER BY idx", (batch_id,))
        return [(int(r[0]), r[1]) for r in rows]

    def set_batch_item_runs(self, batch_id: str, runs: list[tuple[int, str]]) -> None:
        self._write_many(
            "UPDATE batch_items SET run_id = ? WHERE batch_id = ? AND idx = ?",
            [(run_id, batch_id, index) for index, run_id in runs],
        )

    def batch_runs(self, batch_id: str) -> list[tuple[str, str]]:
        """``(run id, status)`` of a sealed batch's items in index order: the batch's own runs,
        and the runs that answered the other items (recorded in ``batch_items``)."""
        by_index = {index: (run_id, status) for index, run_id, status in self._all(
            "SELECT batch_index, id, status FROM runs WHERE batch_id = ?", (batch_id,))}
        by_index.update((index, (run_id, status)) for index, run_id, status in self._all(
            "SELECT i.idx, i.run_id, r.status FROM batch_items i JOIN runs r ON r.id = i.run_id WHERE i.batch_id = ?",
            (batch_id,)))
        return [by_index[index] for index in sorted(by_index)]

    def batch_run_ids(self, batch_id: str) -> list[str]:
        return [run_id for run_id, _ in self.batch_runs(batch_id)]

    def batch_run_statuses(self, batch_id: str) -> list[str]:
        return [status for _, status in self.batch_runs(batch_id)]

