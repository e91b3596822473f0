"""Schedules (one instance each, see core/schedules.py), the runs they made, and their next fires."""

from __future__ import annotations

import sqlite3

from ..core.schedules import Schedule
from .database import Duplicate
from .floors import FloorsTx

_FIELDS = (
    "id", "type", "task", "cron", "description", "timezone", "dedup_key", "user_dedup_key", "created_at",
    "updated_at", "external_id", "window_seconds", "window_percent", "active", "env_id", "last_fired", "next_fire_at",
)
_SELECT = f"SELECT {', '.join(_FIELDS)}, seq FROM schedules"
_BOOL = ("user_dedup_key", "active")
_FLOOR = "schedules"


def _schedule(row: tuple) -> Schedule:
    values = dict(zip((*_FIELDS, "seq"), row))
    for name in _BOOL:
        values[name] = bool(values[name])
    return Schedule(**values)


def _values(schedule: Schedule) -> list:
    return [int(getattr(schedule, f)) if f in _BOOL else getattr(schedule, f) for f in _FIELDS]


class SchedulesTx(FloorsTx):
    def insert_schedule(self, schedule: Schedule) -> None:
        try:
            schedule.seq = self._insert(
                f"INSERT INTO schedules ({', '.join(_FIELDS)}) VALUES ({', '.join('?' for _ in _FIELDS)})",
                _values(schedule),
            )
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        self._lower_floor(_FLOOR, schedule.next_fire_at)

    def update_schedule(self, schedule: Schedule) -> None:
        columns = [f for f in _FIELDS if f != "id"]
        try:
            self._write(
                f"UPDATE schedules SET {', '.join(c + ' = ?' for c in columns)} WHERE id = ?",
                [*_values(schedule)[1:], schedule.id],
            )
        except sqlite3.IntegrityError as exc:
            raise Duplicate(str(exc)) from exc
        self._lower_floor(_FLOOR, schedule.next_fire_at)

    def delete_schedule(self, schedule_id: str) -> None:
        self._write("DELETE FROM schedules WHERE id = ?", (schedule_id,))

    def schedule(self, schedule_id: str) -> Schedule | None:
        row = self._one(_SELECT + " WHERE id = ?", (schedule_id,))
        return None if row is None else _schedule(row)

    def schedule_by_key(self, dedup_key: str) -> Schedule | None:
        row = self._one(_SELECT + " WHERE dedup_key = ?", (dedup_key,))
        return None if row is None else _schedule(row)

    def declared_schedule(self, task: str, env_id: str) -> Schedule | None:
        row = self._one(_SELECT + " WHERE type = 'DECLARATIVE' AND task = ? AND env_id = ?", (task, env_id))
        return None if row is None else _schedule(row)

    def schedules(self, env_id: str | None, offset: int = 0, limit: int = -1) -> list[Schedule]:
        """Newest first; ``env_id`` None: every environment's."""
        where, params = ("", []) if env_id is None else (" WHERE env_id = ?", [env_id])
        rows = self._all(f"{_SELECT}{where} ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?", [*params, limit, offset])
        return [_schedule(r) for r in rows]

    def count_schedules(self, env_id: str) -> int:
        row = self._one("SELECT COUNT(*) FROM schedules WHERE env_id = ?", (env_id,))
        return int(row[0]) if row else 0

    # -- firing ---------------------------------------------------------------------------
    def due_schedules(self, until: int, limit: int = 200) -> list[Schedule]:
        """Schedules whose next fire is at or before ``until``, earliest first."""
        if self._below_floor(_FLOOR, until):
            return []
        rows = self._all(
            _SELECT + " WHERE next_fire_at IS NOT NULL AND next_fire_at <= ? ORDER BY next_fire_at, seq LIMIT ?",
            (until, limit),
        )
        if not rows:
            self._set_floor(_FLOOR, self.next_schedule_fire())
        return [_schedule(r) for r in rows]

    def next_schedule_fire(self) -> int | None:
        row = self._one("SELECT MIN(next_fire_at) FROM schedules WHERE next_fire_at IS NOT NULL")
        return None if row is None else row[0]

    def link_scheduled_run(self, run_id: str, schedule_id: str) -> None:
        self._write("INSERT INTO schedule_runs (run_id, schedule_id) VALUES (?, ?)", (run_id, schedule_id))

    def schedule_of_run(self, run_id: str) -> Schedule | None:
        row = self._one(
            _SELECT + " WHERE id = (SELECT schedule_id FROM schedule_runs WHERE run_id = ?)", (run_id,)
        )
        return None if row is None else _schedule(row)

    def scheduled_run_ids(self, schedule_id: str) -> list[str]:
        return [r[0] for r in self._all("SELECT run_id FROM schedule_runs WHERE schedule_id = ? ORDER BY rowid", (schedule_id,))]
