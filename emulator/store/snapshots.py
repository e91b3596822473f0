"""Execution snapshots, append-only per run; the latest one is the run's engine state."""

from __future__ import annotations

from ..core.snapshots import Snapshot
from .database import TxBase
from .rows import Table

_SNAPSHOTS = Table("snapshots", Snapshot, json={"completed_waitpoints"})
_SELECT = _SNAPSHOTS.select
_snapshot = _SNAPSHOTS.from_row


class SnapshotsTx(TxBase):
    def insert_snapshot(self, snapshot: Snapshot) -> None:
        snapshot.seq = self._insert(*_SNAPSHOTS.insert(snapshot))
        # Who to tell once this unit commits (socket.io ``run:notify``).
        self._store.changed_runs.add(snapshot.run_id)

    def latest_snapshot(self, run_id: str) -> Snapshot | None:
        row = self._one(_SELECT + " WHERE run_id = ? ORDER BY seq DESC LIMIT 1", (run_id,))
        return None if row is None else _snapshot(row)

    def snapshots(self, run_id: str) -> list[Snapshot]:
        return [_snapshot(r) for r in self._all(_SELECT + " WHERE run_id = ? ORDER BY seq", (run_id,))]

    def latest_snapshots(self, run_ids: list[str]) -> dict[str, Snapshot]:
        if not run_ids:
            return {}
        marks = ", ".join("?" for _ in run_ids)
        rows = self._all(
            _SELECT + f" WHERE seq IN (SELECT MAX(seq) FROM snapshots WHERE run_id IN ({marks}) GROUP BY run_id)", run_ids
        )
        return {s.run_id: s for s in map(_snapshot, rows)}
