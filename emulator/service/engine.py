"""The emulator's state with no HTTP: the database, the one clock, faults, limiter buckets and
the environment cache, and ``unit()``, the one way any service touches stored state: read the
clock, apply what fell due, act, all in one transaction on the database's thread."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable, Protocol, TypeVar

from ..core import ids, transitions
from ..core.clock import Clock, ClockError, from_ms
from ..core.config import Config
from ..core.environments import key_environment_type
from ..core.errors import ApiError
from ..core.faults import FaultSet
from ..core.records import Environment
from ..store import Database, Duplicate, Tx

T = TypeVar("T")


class DueSource(Protocol):
    """Records that fall due on the emulator clock, applied inside ``Engine.apply_due``."""

    def earliest_due(self, tx: Tx, until: int) -> int | None:
        """The earliest due time at or before ``until``, or None (cheap when nothing is due)."""

    def apply_until(self, tx: Tx, until: int) -> int:
        """Apply everything due at or before ``until`` (in time order); returns how many."""


class Engine:
    def __init__(self, config: Config | None = None, clock: Clock | None = None) -> None:
        self.config = config or Config()
        self.clock = clock or Clock()
        self.db = Database(self.config.database)
        self._environments: dict[tuple[str, str | None], Environment] = {}
        #: Per-environment limiter state, on the emulator clock (reset with the state).
        self.buckets: dict[tuple[str, str], Any] = {}
        self.faults = FaultSet()
        #: A list while exchanges are being recorded for golden fixtures (``api.recording``).
        self.recording: list[dict[str, Any]] | None = None
        #: Other things that fall due on the clock (schedules, waitpoint timeouts), applied in
        #: time order with run transitions by ``apply_due``.
        self.due_sources: list[DueSource] = []

    async def open(self) -> None:
        await self.db.open(Tx)

    async def close(self) -> None:
        await self.db.close()

    # -- the unit of work -----------------------------------------------------------------
    async def unit(self, fn: Callable[[Tx, int], T], *, read: bool = False) -> T:
        """Run ``fn(tx, now)`` as one unit of work, after what fell due by ``now``. A unique
        index refusing a row (another process claimed a key between lookup and insert) rolls
        the whole unit back and runs it again."""
        now = self.clock.now_ms()

        def work(tx: Tx) -> T:
            self.apply_due(tx, now)
            return fn(tx, now)

        for _ in range(3):
            try:
                return await self.db.run(work, read=read)
            except Duplicate:
                continue
        raise ApiError(503, "The emulator's database is busy, please try again.")

    def apply_due(self, tx: Tx, now: int) -> int:
        """Everything that fell due by ``now``, in time order: run transitions, and what the
        ``due_sources`` (schedules, waitpoint timeouts) hold, interleaved by due time."""
        applied = 0
        while self.due_sources:
            upcoming = [(at, i) for i, source in enumerate(self.due_sources)
                        if (at := source.earliest_due(tx, now)) is not None]
            if not upcoming:
                break
            at, index = min(upcoming)
            applied += self._apply_due_runs(tx, at)
            applied += self.due_sources[index].apply_until(tx, at)
        return applied + self._apply_due_runs(tx, now)

    @staticmethod
    def _apply_due_runs(tx: Tx, now: int) -> int:
        applied = 0
        while True:
            due = tx.due_runs(now)
            if not due:
                return applied
            for run in due:
                if transitions.apply_due(run, now):
                    applied += 1
                tx.update_run(run)

    async def tick(self) -> None:
        """Apply every transition that has fallen due by now."""
        await self.unit(lambda tx, now: None)

    async def next_due_at(self) -> int | None:
        return await self.db.run(lambda tx: tx.next_due_at(), read=True)

    # -- environments ---------------------------------------------------------------------
    async def environment_for_key(self, api_key: str, branch: str | None = None) -> Environment | None:
        """The environment a secret key selects, created on first use unless keys are strict."""
        cached = self._environments.get((api_key, branch))
        if cached is not None:
            return cached
        env_type = key_environment_type(api_key)
        if env_type is None:
            return None
        if self.config.strict_keys and api_key not in self.config.keys:
            return None
        if env_type != "PREVIEW":
            branch = None

        def find_or_create(tx: Tx, now: int) -> Environment | None:
            env = tx.environment(api_key, branch)
            if env is None:
                tx.insert_environment(Environment(ids.env_id(), api_key, env_type, branch, now))
                env = tx.environment(api_key, branch)
            return env

        env = await self.unit(find_or_create)
        assert env is not None
        self._environments[(api_key, branch)] = env
        return env

    async def environment_by_id(self, env_id: str) -> Environment | None:
        for env in self._environments.values():
            if env.id == env_id:
                return env
        return await self.db.run(lambda tx: tx.environment_by_id(env_id), read=True)

    async def environments(self) -> list[Environment]:
        return await self.db.run(lambda tx: tx.environments(), read=True)

    # -- clock and state ------------------------------------------------------------------
    async def advance_ms(self, delta_ms: int) -> int:
        try:
            delta = timedelta(milliseconds=delta_ms)
        except OverflowError:
            raise ClockError("The emulator clock cannot move that far") from None
        self.clock.advance(delta)
        await self.tick()
        return self.clock.now_ms()

    async def set_clock_ms(self, at_ms: int) -> int:
        try:
            moment = from_ms(at_ms)
        except (OverflowError, ValueError, OSError):
            raise ClockError("That time is out of the emulator clock's range") from None
        self.clock.set(moment)
        await self.tick()
        return self.clock.now_ms()

    async def reset(self) -> None:
        await self.db.run(lambda tx: tx.wipe())
        self._environments.clear()
        self.buckets.clear()
        self.faults.clear()
