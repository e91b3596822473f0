"""Request idempotency keys (``x-trigger-request-idempotency-key``)."""

from __future__ import annotations

from .database import TxBase


class RequestKeysTx(TxBase):
    # -- request idempotency ------------------------------------------------------------
    def request_key(self, env_id: str, key: str, since: int) -> str | None:
        row = self._one(
            "SELECT entity_id FROM request_keys WHERE env_id = ? AND key = ? AND created_at >= ?", (env_id, key, since)
        )
        return None if row is None else row[0]

    def save_request_key(self, env_id: str, key: str, entity_id: str, now: int) -> None:
        self._write(
            "INSERT INTO request_keys (env_id, key, entity_id, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (env_id, key) DO UPDATE SET entity_id = excluded.entity_id, created_at = excluded.created_at",
            (env_id, key, entity_id, now),
        )
