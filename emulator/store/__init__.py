"""The only code that speaks SQL: one module per record family, each a mixin of ``Tx``.

``Database.run(fn)`` runs a unit of work ``fn(tx)`` as one transaction on the database's
thread; ``Tx`` is every statement that work can use.
"""

from __future__ import annotations

from .batches import BatchesTx
from .database import Database, Duplicate, StorageError
from .environments import EnvironmentsTx
from .envvars import EnvVarsTx
from .floors import FloorsTx
from .objects import ObjectsTx
from .queues import QueuesTx
from .request_keys import RequestKeysTx
from .run_query import QueriesTx
from .runs import RunsTx
from .schedules import SchedulesTx
from .tasks import TasksTx
from .waitpoints import WaitpointsTx

__all__ = ["Database", "Duplicate", "StorageError", "Tx"]

#: The management API's tables (schedules, env vars, waitpoint tokens, queues).
MANAGEMENT_TABLES = ("env_vars", "waitpoints", "queues", "tasks", "schedules", "schedule_runs")


class Tx(RunsTx, BatchesTx, QueriesTx, EnvironmentsTx, ObjectsTx, RequestKeysTx, EnvVarsTx,
         WaitpointsTx, QueuesTx, TasksTx, SchedulesTx, FloorsTx):
    """Every statement, usable only inside ``Database.run``."""

    def wipe(self) -> None:
        for table in ("runs", "run_tags", "debounces", "objects", "environments", "batches", "batch_items", "request_keys"):
            self._write(f"DELETE FROM {table}")
        for table in MANAGEMENT_TABLES:
            self._write(f"DELETE FROM {table}")
        self._store.due_floor = None
        self._store.floors.clear()
