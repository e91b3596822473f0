"""Environment variable values: one row per (environment, key)."""

from __future__ import annotations

from ..core.envvars import EnvVar
from .database import TxBase

_COLUMNS = "env_id, name, value, is_secret, version, created_at, updated_at, seq"


def _var(row: tuple) -> EnvVar:
    return EnvVar(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6], row[7])


class EnvVarsTx(TxBase):
    def env_vars(self, env_id: str) -> list[EnvVar]:
        rows = self._all(f"SELECT {_COLUMNS} FROM env_vars WHERE env_id = ? ORDER BY seq", (env_id,))
        return [_var(r) for r in rows]

    def env_var(self, env_id: str, name: str) -> EnvVar | None:
        row = self._one(f"SELECT {_COLUMNS} FROM env_vars WHERE env_id = ? AND name = ?", (env_id, name))
        return None if row is None else _var(row)

    def env_var_anywhere(self, name: str) -> bool:
        """Does any environment (the project) have a value for ``name``?"""
        return self._one("SELECT 1 FROM env_vars WHERE name = ? LIMIT 1", (name,)) is not None

    def insert_env_var(self, var: EnvVar) -> None:
        self._write(
            "INSERT INTO env_vars (env_id, name, value, is_secret, version, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (var.env_id, var.name, var.value, int(var.is_secret), var.version, var.created_at, var.updated_at),
        )

    def update_env_var(self, var: EnvVar) -> None:
        self._write(
            "UPDATE env_vars SET value = ?, is_secret = ?, version = ?, updated_at = ? WHERE env_id = ? AND name = ?",
            (var.value, int(var.is_secret), var.version, var.updated_at, var.env_id, var.name),
        )

    def delete_env_var(self, env_id: str, name: str) -> None:
        self._write("DELETE FROM env_vars WHERE env_id = ? AND name = ?", (env_id, name))
