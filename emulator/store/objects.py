"""Stored objects: offloaded payload and output packets."""

from __future__ import annotations

from .database import TxBase


class ObjectsTx(TxBase):
    # -- objects (packets) --------------------------------------------------------------
    def put_object(self, env_id: str, path: str, content_type: str | None, data: bytes, at: int) -> None:
        self._write(
            "INSERT INTO objects (env_id, path, content_type, data, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (env_id, path) DO UPDATE SET content_type = excluded.content_type, data = excluded.data",
            (env_id, path, content_type, data, at),
        )

    def get_object(self, env_id: str, path: str) -> tuple[str | None, bytes] | None:
        row = self._one("SELECT content_type, data FROM objects WHERE env_id = ? AND path = ?", (env_id, path))
        return None if row is None else (row[0], bytes(row[1] or b""))
