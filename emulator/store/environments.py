"""Environments: one per secret key (and preview branch)."""

from __future__ import annotations

from ..core.records import Environment
from .database import TxBase


class EnvironmentsTx(TxBase):
    # -- environments -------------------------------------------------------------------
    def environment(self, api_key: str, branch: str | None) -> Environment | None:
        row = self._one(
            "SELECT id, api_key, type, branch, created_at FROM environments WHERE api_key = ? AND branch = ?",
            (api_key, branch or ""),
        )
        return None if row is None else Environment(row[0], row[1], row[2], row[3] or None, row[4])

    def environment_by_id(self, env_id: str) -> Environment | None:
        row = self._one("SELECT id, api_key, type, branch, created_at FROM environments WHERE id = ?", (env_id,))
        return None if row is None else Environment(row[0], row[1], row[2], row[3] or None, row[4])

    def environments(self) -> list[Environment]:
        rows = self._all("SELECT id, api_key, type, branch, created_at FROM environments ORDER BY created_at, id")
        return [Environment(r[0], r[1], r[2], r[3] or None, r[4]) for r in rows]

    def insert_environment(self, env: Environment) -> None:
        self._write(
            "INSERT OR IGNORE INTO environments (id, api_key, type, branch, created_at) VALUES (?, ?, ?, ?, ?)",
            (env.id, env.api_key, env.type, env.branch or "", env.created_at),
        )
