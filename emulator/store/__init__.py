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
from .realtime import RealtimeTx
from .request_keys import RequestKeysTx
from .run_logs import RunLogsTx
from .run_query import QueriesTx
from .runs import RunsTx
from .schedules import SchedulesTx
from .settings import SettingsTx
from .snapshots import SnapshotsTx
from .streams import StreamRecord, StreamsTx
from .tasks import TasksTx
from .versions import VersionsTx
from .waitpoints import WaitpointsTx
from .workers import WorkersTx

__all__ = ["Database", "Duplicate", "StorageError", "StreamRecord", "Tx"]

#: Every table a reset empties (``workers`` outlive a reset, as the CLI does).
WIPED_TABLES = (
    "runs", "run_tags", "debounces", "objects", "batches", "batch_items", "request_keys",
    "snapshots", "waitpoints", "run_waitpoints", "run_logs", "stream_records",
    "env_vars", "queues", "tasks", "schedules", "schedule_runs", "versions",
)

class Tx(RunsTx, BatchesTx, QueriesTx, EnvironmentsTx, ObjectsTx, RequestKeysTx, RealtimeTx, StreamsTx, SnapshotsTx,
         WaitpointsTx, RunLogsTx, WorkersTx, EnvVarsTx, QueuesTx, TasksTx, SchedulesTx, FloorsTx, VersionsTx,
         SettingsTx):
    """Every statement, usable only inside ``Database.run``."""

    def wipe(self) -> None:
        """Every run, batch and object; the settings (secret, clock) and the environments stay:
        an environment row never changes or goes away, so every process may cache it."""
        for table in WIPED_TABLES:
            self._write(f"DELETE FROM {table}")
        self._store.forget_hints()
