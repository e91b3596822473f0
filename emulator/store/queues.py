"""Queue state (pause, overrides) and what the runs say about queues (names and counts)."""

from __future__ import annotations

from ..core.queues import Queue
from .database import TxBase

_COLUMNS = "env_id, name, concurrency_limit, concurrency_limit_base, overridden_at, override_percent, paused"


def _queue(row: tuple) -> Queue:
    return Queue(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]))


class QueuesTx(TxBase):
    def stored_queues(self, env_id: str) -> list[Queue]:
        return [_queue(r) for r in self._all(f"SELECT {_COLUMNS} FROM queues WHERE env_id = ?", (env_id,))]

    def blocked_queues(self) -> list[tuple[str, str]]:
        """(environment, name) of every paused queue or one overridden to no concurrency."""
        rows = self._all("SELECT env_id, name FROM queues WHERE paused = 1 OR concurrency_limit = 0")
        return [(r[0], r[1]) for r in rows]

    def save_queue(self, queue: Queue) -> None:
        self._write(
            f"INSERT INTO queues ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (env_id, name) DO UPDATE SET "
            "concurrency_limit = excluded.concurrency_limit, concurrency_limit_base = excluded.concurrency_limit_base, "
            "overridden_at = excluded.overridden_at, override_percent = excluded.override_percent, paused = excluded.paused",
            (queue.env_id, queue.name, queue.concurrency_limit, queue.concurrency_limit_base, queue.overridden_at,
             queue.override_percent, int(queue.paused)),
        )

    def run_queue_counts(self, env_id: str) -> dict[str, tuple[int, int]]:
        """Every queue the environment's runs name: ``name -> (running, queued)``."""
        rows = self._all(
            "SELECT queue, SUM(status IN ('DEQUEUED', 'EXECUTING')), SUM(status = 'PENDING') "
            "FROM runs WHERE env_id = ? GROUP BY queue",
            (env_id,),
        )
        return {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in rows}
