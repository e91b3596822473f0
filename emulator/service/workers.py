"""Background workers: what ``trigger dev`` registers after each build and which tasks a live
worker claims. No HTTP. (The variables its tasks get are ``EnvVarService.for_tasks``.)"""

from __future__ import annotations

import time
from typing import Any

from ..core import ids
from ..core.errors import ApiError
from ..core.records import Environment
from ..core.workers import Worker, next_version, task_table
from ..store import Tx
from .engine import Engine
from . import versions
from .unit import unit

#: A worker that has not polled for this long (wall seconds) no longer claims its tasks.
LIVE_FOR_S = 10.0


class WorkerService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        #: worker id -> wall time of its last dequeue poll (liveness is not state: not stored).
        self._seen: dict[str, float] = {}

    @unit
    def register(self, tx: Tx, now: int, env: Environment, body: dict[str, Any]) -> Worker:
        metadata = body.get("metadata")
        if not isinstance(metadata, dict) or not isinstance(metadata.get("tasks"), list):
            raise ApiError(400, "Invalid request body: metadata.tasks is required")
        worker = Worker(
            id=ids.friendly_id("worker"),
            api_key=env.api_key,
            version=next_version(tx.worker_versions(env.api_key), now),
            content_hash=str(metadata.get("contentHash", "")),
            created_at=now,
            tasks=task_table(metadata["tasks"]),
        )
        tx.insert_worker(worker)
        versions.register(tx, env.id, [worker.version], now)  # lockToVersion now finds it
        self._seen[worker.id] = time.monotonic()
        return worker

    @unit(read=True)
    def all(self, tx: Tx, now: int, api_key: str | None = None) -> list[Worker]:
        """Newest first."""
        return tx.workers(api_key)

    def seen(self, worker_id: str) -> None:
        self._seen[worker_id] = time.monotonic()

    def forget(self) -> None:
        self._seen.clear()

    def live_ids(self) -> set[str]:
        horizon = time.monotonic() - LIVE_FOR_S
        return {wid for wid, at in self._seen.items() if at >= horizon}

    async def claimed_tasks(self) -> dict[str, set[str]]:
        """api key -> the tasks a live worker of that environment registered."""
        live = self.live_ids()
        if not live:
            return {}
        claimed: dict[str, set[str]] = {}
        for worker in await self.all():
            if worker.id in live:
                claimed.setdefault(worker.api_key, set()).update(worker.tasks)
        return claimed
