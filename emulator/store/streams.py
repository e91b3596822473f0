"""Realtime stream records: the NDJSON lines written to a run's streams, in order."""

from __future__ import annotations

from dataclasses import dataclass

from .database import TxBase


@dataclass
class StreamRecord:
    idx: int
    data: str
    created_at: int


class StreamsTx(TxBase):
    def append_stream_records(self, run_id: str, stream: str, client_id: str, first_chunk: int,
                              lines: list[str], now: int) -> None:
        row = self._one("SELECT MAX(idx) FROM stream_records WHERE run_id = ? AND stream = ?", (run_id, stream))
        start = 0 if row is None or row[0] is None else row[0] + 1
        self._write_many(
            "INSERT INTO stream_records (run_id, stream, idx, client_id, chunk_index, data, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(run_id, stream, start + n, client_id, first_chunk + n, line, now) for n, line in enumerate(lines)],
        )
        if lines:
            self.changed_streams.add((run_id, stream))

    def stream_records(self, run_id: str, stream: str, after_idx: int = -1, limit: int = 500) -> list[StreamRecord]:
        rows = self._all(
            "SELECT idx, data, created_at FROM stream_records WHERE run_id = ? AND stream = ? AND idx > ? "
            "ORDER BY idx LIMIT ?",
            (run_id, stream, after_idx, limit),
        )
        return [StreamRecord(*r) for r in rows]

    def last_chunk_index(self, run_id: str, stream: str, client_id: str) -> int:
        row = self._one(
            "SELECT chunk_index FROM stream_records WHERE run_id = ? AND stream = ? AND client_id = ? "
            "ORDER BY idx DESC LIMIT 1",
            (run_id, stream, client_id),
        )
        return -1 if row is None else int(row[0])
