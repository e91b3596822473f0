"""Declared tasks (the emulator's stand-in for a deploy)."""

from __future__ import annotations

from ..core.tasks import TaskDefinition
from .database import TxBase

_COLUMNS = "slug, scheduled, queue, concurrency_limit, created_at"


def _task(row: tuple) -> TaskDefinition:
    return TaskDefinition(row[0], bool(row[1]), row[2], row[3], row[4])


class TasksTx(TxBase):
    def declare_task(self, task: TaskDefinition) -> None:
        self._write(
            f"INSERT INTO tasks ({_COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (slug) DO UPDATE SET "
            "scheduled = excluded.scheduled, queue = excluded.queue, concurrency_limit = excluded.concurrency_limit",
            (task.slug, int(task.scheduled), task.queue, task.concurrency_limit, task.created_at),
        )

    def task(self, slug: str) -> TaskDefinition | None:
        row = self._one(f"SELECT {_COLUMNS} FROM tasks WHERE slug = ?", (slug,))
        return None if row is None else _task(row)

    def tasks(self) -> list[TaskDefinition]:
        return [_task(r) for r in self._all(f"SELECT {_COLUMNS} FROM tasks ORDER BY slug")]

    def any_task_declared(self) -> bool:
        return self._one("SELECT 1 FROM tasks LIMIT 1") is not None
