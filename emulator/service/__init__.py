"""Units of work over the store: the engine (state, clock, due transitions) and one service per
API family, built once per emulator by ``Services``."""

from __future__ import annotations

from ..core.clock import Clock
from ..core.config import Config
from .batches import BatchService
from .engine import Engine
from .envvars import EnvVarService
from .run_data import RunDataService
from .queues import QueueService
from .runs import Retrieved, RunService
from .schedules import ScheduleService
from .waitpoints import WaitpointService

__all__ = ["BatchService", "Engine", "EnvVarService", "QueueService", "Retrieved", "RunDataService", "RunService", "ScheduleService", "Services", "WaitpointService"]


class Services:
    """Everything the HTTP routes, the dashboard and the Python API call, built once."""

    def __init__(self, config: Config | None = None, clock: Clock | None = None) -> None:
        self.engine = Engine(config, clock)
        self.runs = RunService(self.engine)
        self.run_data = RunDataService(self.engine)
        self.batches = BatchService(self.engine, self.runs)
        self.envvars = EnvVarService(self.engine)
        self.waitpoints = WaitpointService(self.engine)
        self.queues = QueueService(self.engine)
        self.schedules = ScheduleService(self.engine, self.runs)
        self.engine.due_sources.append(self.schedules.fires)
        self.engine.due_sources.append(self.waitpoints.timeouts)

    @property
    def config(self) -> Config:
        return self.engine.config

    @property
    def clock(self) -> Clock:
        return self.engine.clock
