"""Units of work over the store: the engine (state, clock, due transitions) and one service per
API family, built once per emulator by ``Services``."""

from __future__ import annotations

from ..core.clock import Clock
from ..core.config import Config
from .batches import BatchService
from .engine import Engine
from .realtime import RealtimeService
from .run_data import RunDataService
from .run_logs import RunLogService
from .runs import Retrieved, RunService
from .streams import StreamService
from .versions import VersionService
from .waitpoint_tokens import WaitpointTokenService
from .waits import settle
from .worker_engine import WorkerEngine
from .workers import WorkerService

__all__ = ["BatchService", "Engine", "RealtimeService", "Retrieved", "RunDataService", "RunService", "Services",
           "StreamService", "VersionService"]


class Services:
    """Everything the HTTP routes, the dashboard and the Python API call, built once."""

    def __init__(self, config: Config | None = None, clock: Clock | None = None) -> None:
        self.engine = Engine(config, clock)
        self.runs = RunService(self.engine)
        self.run_data = RunDataService(self.engine)
        self.batches = BatchService(self.engine, self.runs)
        self.workers = WorkerService(self.engine)
        self.worker_engine = WorkerEngine(self.engine, self.workers, self.runs)
        self.tokens = WaitpointTokenService(self.engine)
        self.run_logs = RunLogService(self.engine)
        self.engine.due_hooks.append(settle)
        self.realtime = RealtimeService(self.engine)
        self.streams = StreamService(self.engine)
        self.versions = VersionService(self.engine)

    @property
    def config(self) -> Config:
        return self.engine.config

    @property
    def clock(self) -> Clock:
        return self.engine.clock
