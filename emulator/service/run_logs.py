"""Task logs a dev worker exports over OTLP, kept per run (bounded) for the run page."""

from __future__ import annotations

from ..store import Tx
from .engine import Engine
from .unit import unit

#: The newest this many lines of each run are kept, each at most this long.
KEEP_PER_RUN = 500
MAX_MESSAGE = 4096


class RunLogService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @unit
    def add(self, tx: Tx, now: int, entries: list[tuple[str, int | None, str, str]]) -> int:
        """``(run id, at or None for now, level, message)``; lines of unknown runs are dropped."""
        known = [
            (run_id, at if at is not None else now, level[:16], message[:MAX_MESSAGE])
            for run_id, at, level, message in entries
            if tx.run_anywhere(run_id) is not None
        ]
        if known:
            tx.add_run_logs(known, KEEP_PER_RUN)
        return len(known)

    @unit(read=True)
    def of(self, tx: Tx, now: int, run_id: str) -> list[tuple[int, str, str]]:
        return tx.run_logs(run_id)
