"""Units of work over the store: the engine (state, clock, due transitions) and one service per
API family, built once per emulator by ``Services``."""

from __future__ import annotations

from ..core.clock import Clock
from ..core.config import Config
from .batches import BatchService
from .engine import Engine
from .envvars import EnvVarService
from .queues import QueueService
from .realtime import RealtimeService
from .run_data import RunDataService
from .run_logs import RunLogService
from .runs import Retrieved, RunService
from .schedules import ScheduleService
from .streams import StreamService
from .versions import VersionService
from .waitpoints import WaitpointService
from .waits import WaitpointsFallingDue, settle
from .worker_engine import WorkerEngine
from .workers import WorkerService

__all__ = ["BatchService", "Engine", "EnvVarService", "QueueService", "RealtimeService", "Retrieved", "RunDataService",
           "RunService", "ScheduleService", "Services", "StreamService", "VersionService", "WaitpointService"]


class Services:
    """Everything the HTTP routes, the dashboard and the Python API call, built once."""

    def __init__(self, config: Config | None = None, clock: Clock | None = None) -> None:
        self.engine = Engine(config, clock)
        self.runs = RunService(self.engine)
        self.run_data = RunDataService(self.engine)
        self.batches = BatchService(self.engine, self.runs)
        self.workers = WorkerService(self.engine)
        self.worker_engine = WorkerEngine(self.engine, self.workers, self.runs)
        self.run_logs = RunLogService(self.engine)
        self.realtime = RealtimeService(self.engine)
        self.streams = StreamService(self.engine)
        self.versions = VersionService(self.engine)
        self.envvars = EnvVarService(self.engine)
        self.waitpoints = WaitpointService(self.engine)
        self.queues = QueueService(self.engine)
        self.schedules = ScheduleService(self.engine, self.runs)
        # What falls due on the clock (applied in time order), and what follows from state.
        self.engine.due_sources.append(self.schedules.fires)
        self.engine.due_sources.append(WaitpointsFallingDue())
        self.engine.settlers.append(settle)

    @property
    def config(self) -> Config:
        return self.engine.config

    @property
    def clock(self) -> Clock:
        return self.engine.clock
