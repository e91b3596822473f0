"""Background workers: what one ``trigger dev`` build registered (its tasks and version).
Pure: versions and task lookups; the store keeps the records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .clock import from_ms

#: The one machine the emulator hands out (``small-1x``, the default preset).
MACHINE = {"name": "small-1x", "cpu": 0.5, "memory": 0.5, "centsPerMs": 0}
PROJECT_ID = "cemulatorproject000000001"
PROJECT_NAME = "Emulator local project"
ORG_ID = "cemulatororg0000000000001"
#: Any personal access token starting like this is accepted; serve prints this one.
ACCESS_TOKEN = "tr_pat_emulatorlocal0000000000000000000000"
ACCESS_TOKEN_PREFIXES = ("tr_pat_", "tr_oat_")


@dataclass
class Worker:
    id: str
    #: The environment's secret key (workers outlive a reset of the state, as the CLI does).
    api_key: str
    version: str
    content_hash: str
    created_at: int
    #: task id -> ``{"filePath", "exportName"?, "maxDuration"?, "retry"?, "queue"?, "machine"?}``
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    seq: int | None = None

    def has(self, task: str) -> bool:
        return task in self.tasks


def version_prefix(now: int) -> str:
    """The server's ``YYYYMMDD`` part of a worker version."""
    return from_ms(now).strftime("%Y%m%d")


def next_version(previous: list[str], now: int) -> str:
    """``YYYYMMDD.N``: one more than the day's highest, else ``.1``."""
    prefix = version_prefix(now)
    numbers = [int(v.split(".", 1)[1]) for v in previous if v.startswith(prefix + ".") and v.split(".", 1)[1].isdigit()]
    return f"{prefix}.{max(numbers, default=0) + 1}"


def task_table(tasks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The manifest's tasks by id, keeping what ``attempts/start`` and dequeue need."""
    table: dict[str, dict[str, Any]] = {}
    for task in tasks:
        if not isinstance(task, dict) or not isinstance(task.get("id"), str):
            continue
        kept = {"filePath": str(task.get("filePath", ""))}
        for name in ("exportName", "maxDuration", "retry", "queue", "machine"):
            if task.get(name) is not None:
                kept[name] = task[name]
        table[task["id"]] = kept
    return table
