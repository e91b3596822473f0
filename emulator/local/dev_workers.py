"""The Python API's dev-worker side: the clock handle, ``trigger dev`` workers, waitpoint tokens
and task logs. ``LocalEmulator`` mixes this in."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.clock import to_ms
from ..core.waitpoints import Waitpoint
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

    def create_token(self, *, timeout: str | None = None, env_key: str | None = None) -> str:
        """A waitpoint token in the worker's environment (``wait.forToken`` in a task)."""
        from ..core.durations import parse_duration_ms

        env = self._call(self.engine.environment_for_key(env_key or self.worker_key))  # type: ignore[attr-defined]
        timeout_at = None if timeout is None else self.engine.clock.now_ms() + (parse_duration_ms(timeout) or 0)
        wp, _ = self._call(self.services.tokens.create(env, timeout_at=timeout_at))  # type: ignore[attr-defined]
        return wp.id

    def complete_token(self, token_id: str, data: Any = None) -> Waitpoint:
        """Complete a waitpoint token; a task waiting on it resumes."""
        return self._call(self.services.tokens.complete(None, token_id, data))  # type: ignore[attr-defined]

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
