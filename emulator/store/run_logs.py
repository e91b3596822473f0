"""The task logs a dev worker exports, kept per run (bounded)."""

from __future__ import annotations

from .database import TxBase


class RunLogsTx(TxBase):
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
