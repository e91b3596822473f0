"""Deployed worker versions per environment (what ``lockToVersion`` may name)."""

from __future__ import annotations

from .database import TxBase


class VersionsTx(TxBase):
    # -- versions -----------------------------------------------------------------------
    def versions(self, env_id: str) -> list[str]:
        rows = self._all("SELECT version FROM versions WHERE env_id = ? ORDER BY created_at, version", (env_id,))
        return [row[0] for row in rows]

    def has_version(self, env_id: str, version: str) -> bool:
        return self._one("SELECT 1 FROM versions WHERE env_id = ? AND version = ?", (env_id, version)) is not None

    def add_versions(self, env_id: str, versions: list[str], now: int) -> None:
        self._write_many(
            "INSERT OR IGNORE INTO versions (env_id, version, created_at) VALUES (?, ?, ?)",
            [(env_id, version, now) for version in versions],
        )

    def clear_versions(self, env_id: str) -> None:
        self._write("DELETE FROM versions WHERE env_id = ?", (env_id,))
