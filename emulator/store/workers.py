"""Background workers registered by ``trigger dev`` builds."""

from __future__ import annotations

from ..core.workers import Worker
from .database import TxBase
from .rows import Table

_WORKERS = Table("workers", Worker, json={"tasks"})
_SELECT = _WORKERS.select
_worker = _WORKERS.from_row


class WorkersTx(TxBase):
    def insert_worker(self, worker: Worker) -> None:
        worker.seq = self._insert(*_WORKERS.insert(worker))

    def worker(self, api_key: str, worker_id: str) -> Worker | None:
        row = self._one(_SELECT + " WHERE api_key = ? AND id = ?", (api_key, worker_id))
        return None if row is None else _worker(row)

    def workers(self, api_key: str | None = None) -> list[Worker]:
        """Newest first."""
        if api_key is None:
            return [_worker(r) for r in self._all(_SELECT + " ORDER BY seq DESC")]
        return [_worker(r) for r in self._all(_SELECT + " WHERE api_key = ? ORDER BY seq DESC", (api_key,))]

    def worker_versions(self, api_key: str) -> list[str]:
        return [r[0] for r in self._all("SELECT version FROM workers WHERE api_key = ?", (api_key,))]


def stored_worker_key(path: str) -> str | None:
    """The key a previous server on this database file handed ``trigger dev`` (its newest
    worker's), so a restarted server keeps working in the same environment; None if none."""
    import os
    import sqlite3

    if path.startswith(":memory:") or path.startswith("file::memory:") or not os.path.exists(path):
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("SELECT api_key FROM workers ORDER BY seq DESC LIMIT 1").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return None if row is None else row[0]
