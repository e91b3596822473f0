"""The Python API's dev-worker side: the clock handle, ``trigger dev`` workers and task logs.
``LocalEmulator`` mixes this in (waitpoint tokens are the management mixin's, local/management.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.clock import to_ms
from .worker_process import DevWorker


class DevWorkersMixin:
    """Methods of ``LocalEmulator`` for real tasks run by ``trigger.dev dev``."""

    services: Any
    engine: Any
    config: Any

    @property
    def worker_key(self) -> str:
        """The dev environment's key ``trigger dev`` works in (what the CLI is handed)."""
        return self.config.worker_key

    def dev_worker(self, project_dir: str | Path, *, start: bool = True, **options: Any) -> DevWorker:
        """``trigger.dev dev`` for ``project_dir`` against this emulator (served on a free port
        if it is not yet); returns once its worker is registered. Stop it with ``.stop()``."""
        url = self.serve()  # type: ignore[attr-defined]
        worker = DevWorker(project_dir, url, **options)
        return worker.start() if start else worker

    def workers(self) -> list[dict[str, Any]]:
        """Registered workers, newest first: ``{"id", "version", "tasks", "live"}``."""
        live = self.services.workers.live_ids()
        return [{"id": w.id, "version": w.version, "tasks": sorted(w.tasks), "live": w.id in live}
                for w in self._call(self.services.workers.all())]  # type: ignore[attr-defined]

    def _claimed(self) -> dict[str, set[str]]:
        """env id -> tasks a live dev worker claims (the worker runs those, not handlers)."""
        by_key = self._call(self.services.workers.claimed_tasks())  # type: ignore[attr-defined]
        return {env.id: tasks for key, tasks in by_key.items()
                if (env := self._call(self.engine.environment_for_key(key)))}  # type: ignore[attr-defined]

    def logs(self, run_id: str) -> list[tuple[datetime, str, str]]:
        """A dev-worker run's task logs: ``(time, level, message)``, oldest first."""
        from ..core.clock import from_ms

        return [(from_ms(at), level, message) for at, level, message in self._call(self.services.run_logs.of(run_id))]  # type: ignore[attr-defined]


class ClockControl:
    def __init__(self, emulator: Any) -> None:
        self._emulator = emulator

    def now(self) -> datetime:
        return self._emulator.now()

    def advance(self, *args: Any, **kwargs: Any) -> datetime:
        return self._emulator.advance(*args, **kwargs)

    def set(self, moment: datetime) -> datetime:
        self._emulator._call(self._emulator.engine.set_clock_ms(to_ms(moment)))
        return self._emulator.now()
