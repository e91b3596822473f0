"""Waitpoint tokens and their due timeouts."""

from __future__ import annotations

import json
import sqlite3

from ..core.waitpoints import TokenQuery, Waitpoint
from .database import Duplicate
from .floors import FloorsTx

_FIELDS = (
    "id", "env_id", "status", "idempotency_key", "user_provided_key", "created_at", "idempotency_key_expires_at",
    "inactive_idempotency_key", "completed_after", "completed_at", "output", "output_type", "output_is_error",
    "tags", "due_at",
)
_SELECT = f"SELECT {', '.join(_FIELDS)} FROM waitpoints"
_FLOOR = "waitpoints"


def _values(wp: Waitpoint) -> list:
    out = []
    for name in _FIELDS:
        value = getattr(wp, name)
        if name == "tags":
            value = json.dumps(value, separators=(",", ":"))
        elif name in ("user_provided_key", "output_is_error"):
            value = int(value)
        out.append(value)
    return out


def _waitpoint(row: tuple) -> Waitpoint:
    values = dict(zip(_FIELDS, row))
    values["tags"] = json.loads(values["tags"])
    values["user_provided_key"] = bool(values["user_provided_key"])
    values["output_is_error"] = bool(values["output_is_error"])
    return Waitpoint(**values)


class WaitpointsTx(FloorsTx):
    def insert_waitpoint(self, wp: Waitpoint) -> None:
        try:
            self._write(
                f"INSERT INTO waitpoints ({', '.join(_FIELDS)}) VALUES ({', '.join('?' for _ in _FIELDS)})", _values(wp)
            )
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        self._lower_floor(_FLOOR, wp.due_at)

    def update_waitpoint(self, wp: Waitpoint) -> None:
        columns = [c for c in _FIELDS if c != "id"]
        try:
            self._write(
                f"UPDATE waitpoints SET {', '.join(c + ' = ?' for c in columns)} WHERE id = ?", [*_values(wp)[1:], wp.id]
            )
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        self._lower_floor(_FLOOR, wp.due_at)

    def waitpoint(self, env_id: str | None, waitpoint_id: str) -> Waitpoint | None:
        if env_id is None:
            row = self._one(_SELECT + " WHERE id = ?", (waitpoint_id,))
        else:
            row = self._one(_SELECT + " WHERE id = ? AND env_id = ?", (waitpoint_id, env_id))
        return None if row is None else _waitpoint(row)

    def waitpoint_by_key(self, env_id: str, key: str) -> Waitpoint | None:
        row = self._one(_SELECT + " WHERE env_id = ? AND idempotency_key = ?", (env_id, key))
        return None if row is None else _waitpoint(row)

    def waitpoints(self, env_id: str, query: TokenQuery) -> list[Waitpoint]:
        """Up to ``size + 1`` tokens in scan order: id descending, ascending for a backward page."""
        where, params = ["env_id = ?"], [env_id]
        if query.cursor:
            where.append("id > ?" if query.backward else "id < ?")
            params.append(query.cursor)
        if query.statuses:
            where.append(f"status IN ({', '.join('?' for _ in query.statuses)})")
            params.extend(query.statuses)
        if query.output_is_error is not None:
            where.append("output_is_error = ?")
            params.append(int(query.output_is_error))
        if query.idempotency_key:
            where.append("(idempotency_key = ? OR inactive_idempotency_key = ?)")
            params.extend([query.idempotency_key, query.idempotency_key])
        if query.created_from is not None:
            where.append("created_at >= ?")
            params.append(query.created_from)
        if query.created_to is not None:
            where.append("created_at <= ?")
            params.append(query.created_to)
        if query.tags:
            where.append(f"EXISTS (SELECT 1 FROM json_each(waitpoints.tags) WHERE value IN ({', '.join('?' for _ in query.tags)}))")
            params.extend(query.tags)
        order = "ASC" if query.backward else "DESC"
        rows = self._all(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY id {order} LIMIT ?", [*params, query.size + 1])
        return [_waitpoint(r) for r in rows]

    def all_waitpoints(self, env_ids: list[str] | None = None, newest: int | None = None) -> list[Waitpoint]:
        sql, params = _SELECT, []
        if env_ids is not None:
            sql += f" WHERE env_id IN ({', '.join('?' for _ in env_ids)})"
            params.extend(env_ids)
        sql += " ORDER BY id DESC" if newest is not None else " ORDER BY id"
        if newest is not None:
            sql += " LIMIT ?"
            params.append(newest)
        return [_waitpoint(r) for r in self._all(sql, params)]

    def due_waitpoints(self, until: int, limit: int = 200) -> list[Waitpoint]:
        if self._below_floor(_FLOOR, until):
            return []
        rows = self._all(_SELECT + " WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?", (until, limit))
        if not rows:
            self._set_floor(_FLOOR, self.next_waitpoint_due())
        return [_waitpoint(r) for r in rows]

    def next_waitpoint_due(self) -> int | None:
        row = self._one("SELECT MIN(due_at) FROM waitpoints WHERE due_at IS NOT NULL")
        return None if row is None else row[0]
