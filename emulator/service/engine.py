"""The emulator's state with no HTTP: the database, the one clock, faults, limiter buckets and
the environment cache, and ``unit()``, the one way any service touches stored state: read the
clock, apply what fell due, act, all in one transaction on the database's thread."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any, Callable, Protocol, TypeVar

from ..core import feeds, ids, transitions
from ..core.clock import DATETIME_MAX_MS, DATETIME_MIN_MS, Clock, ClockError, from_ms
from ..core.config import Config
from ..core.environments import key_environment_type
from ..core.errors import ApiError
from ..core.faults import FaultSet
from ..core.presigned import UrlSigner
from ..core.records import Environment
from ..store import Database, Duplicate, Tx
from .notifier import Notifier

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
        #: Another process may use the same database file (clock and environments live there).
        self.shared = not self.db.exclusive
        #: Signs presigned packet URLs; the CSRF token of the dashboard's forms. Both derive
        #: from the database's secret, so every process on one file agrees.
        self.signer: UrlSigner | None = None
        self.csrf_token = ""
        self._environments: dict[tuple[str, str | None], Environment] = {}
        #: Per-environment limiter state, on the emulator clock (reset with the state).
        self.buckets: dict[tuple[str, str], Any] = {}
        self.faults = FaultSet()
        #: A list while exchanges are being recorded for golden fixtures (``api.recording``).
        self.recording: list[dict[str, Any]] | None = None
        #: Other things that fall due on the clock (schedule fires; waitpoint timeouts and
        #: ``wait.for`` dates), applied in time order with run transitions by ``apply_due``.
        self.due_sources: list[DueSource] = []
        #: ``settler(tx, now) -> int``: what follows from state rather than the clock (waitpoints
        #: whose run or batch finished), applied after due run transitions changed something and
        #: at the end of every write (service/waits.py ``settle``).
        self.settlers: list[Callable[[Tx, int], int]] = []
        #: ``listener(run ids)`` called after a unit in which those runs got a new snapshot.
        self.snapshot_listeners: list[Callable[[set[str]], None]] = []
        #: Realtime waiters, woken with what each unit of work changed once it committed.
        self.notifier = Notifier()

    async def open(self) -> None:
        """Open the database and prove it takes writes (StorageError naming the cause)."""
        self.notifier.open()
        await self.db.open(Tx)

        def prepare(tx: Tx) -> str:
            tx.put_setting("opened_at", str(self.clock.wall_ms()))  # a read-only file fails here
            return tx.secret(secrets.token_urlsafe(32))

        try:
            secret = await self.db.run(prepare)
        except BaseException:
            await self.db.close()
            raise
        self.signer = UrlSigner(secret.encode())
        self.csrf_token = hmac.new(secret.encode(), b"dashboard forms", hashlib.sha256).hexdigest()

    async def close(self) -> None:
        self.notifier.close()
        await self.db.close()

    # -- the unit of work -----------------------------------------------------------------
    async def unit(self, fn: Callable[[Tx, int], T], *, read: bool = False) -> T:
        """Run ``fn(tx, now)`` as one unit of work, after what fell due by ``now``. A unique
        index refusing a row (another process claimed a key between lookup and insert) rolls
        the whole unit back and runs it again."""
        def work(tx: Tx) -> tuple[T, Tx]:
            now = self._now(tx)
            self.apply_due(tx, now)
            result = fn(tx, now)
            if not read:
                self.settle(tx, now)
            return result, tx

        for _ in range(3):
            try:
                result, tx = await self.db.run(work, read=read)
            except Duplicate:
                continue
            self._report_snapshots()
            if tx.changed_runs or tx.changed_streams:
                self.publish(tx)
            return result
        raise ApiError(503, "The emulator's database is busy, please try again.")

    def _now(self, tx: Tx) -> int:
        """The emulator clock, inside a unit: on a file every process keeps its offset in the
        database, so one process moving the clock moves it for all of them."""
        if self.shared:
            self.clock.sync(tx.clock_offset_ms())
        return self.clock.now_ms()

    def publish(self, tx: Tx) -> None:
        """Wake the realtime waiters on what a committed unit changed, handing them the runs as
        written (the notifier hands a waiter on another thread's loop over thread-safely).
        With nobody waiting there is nothing to hand (a waiter registers before it reads, so
        one that registers later reads what this unit committed)."""
        if not len(self.notifier):
            return
        items = [(key, run, run.id) for run in tx.changed_runs.values() for key in feeds.run_keys(run)]
        items += [(feeds.stream_key(run_id, stream), None, None) for run_id, stream in tx.changed_streams]
        self.notifier.publish(items)

    def apply_due(self, tx: Tx, now: int) -> int:
        """Everything that fell due by ``now``, in time order: run transitions and what the
        ``due_sources`` hold (schedule fires, waitpoint timeouts and dates), interleaved by due
        time, each step followed by the settling it caused (a child run that expired completes
        its waitpoint and continues its parent then). Cheap when nothing is due: each source
        and the runs keep an in-memory floor on an in-memory database."""
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

    def settle(self, tx: Tx, now: int) -> int:
        """Apply the ``settlers`` (cheap when no waitpoint is pending)."""
        return sum(settler(tx, now) for settler in self.settlers)

    def _apply_due_runs(self, tx: Tx, now: int) -> int:
        """Run transitions due by ``now``, then, if any applied, what they settle."""
        applied = 0
        while True:
            due = tx.due_runs(now)
            if not due:
                break
            for run in due:
                if transitions.apply_due(run, now):
                    applied += 1
                tx.update_run(run)
        return applied + self.settle(tx, now) if applied else 0

    def _report_snapshots(self) -> None:
        if not self.db.changed_runs:
            return
        changed, self.db.changed_runs = self.db.changed_runs, set()
        for listener in self.snapshot_listeners:
            listener(changed)

    async def tick(self) -> None:
        """Apply every transition that has fallen due by now."""
        await self.unit(lambda tx, now: None)

    async def next_due_at(self) -> int | None:
        return await self.db.run(lambda tx: tx.next_due_at(), read=True)

    # -- environments ---------------------------------------------------------------------
    async def environment_for_key(self, api_key: str, branch: str | None = None) -> Environment | None:
        """The environment a secret key selects, created on first use unless keys are strict.
        Cached, on a shared file too: an environment is never changed or deleted (a reset
        keeps them), so what any process once read stays true."""
        env_type = key_environment_type(api_key)
        if env_type is None:
            return None
        if self.config.strict_keys and api_key not in self.config.keys:
            return None
        if env_type != "PREVIEW":
            branch = None
        cached = self._environments.get((api_key, branch))
        if cached is not None:
            return cached
        if self.shared:
            found = await self.db.query(lambda tx: tx.environment(api_key, branch))
            if found is not None:
                self._environments[(api_key, branch)] = found
                return found

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
        return await self.db.query(lambda tx: tx.environment_by_id(env_id))

    async def environments(self) -> list[Environment]:
        return await self.db.run(lambda tx: tx.environments(), read=True)

    # -- clock and state ------------------------------------------------------------------
    async def advance_ms(self, delta_ms: int) -> int:
        try:
            delta = timedelta(milliseconds=delta_ms)
        except OverflowError:
            raise ClockError("The emulator clock cannot move that far") from None
        return await self._move_clock(lambda: self.clock.advance(delta))

    async def set_clock_ms(self, at_ms: int) -> int:
        if not DATETIME_MIN_MS <= at_ms <= DATETIME_MAX_MS:
            raise ClockError("That time is out of the emulator clock's range")
        moment = from_ms(at_ms)
        return await self._move_clock(lambda: self.clock.set(moment))

    async def _move_clock(self, move: Callable[[], Any]) -> int:
        """Move the clock and apply what fell due, in one transaction (the stored offset and
        the runs it moved change together)."""

        def work(tx: Tx) -> tuple[int, Tx]:
            self._now(tx)
            move()
            if self.shared:
                tx.put_clock_offset_ms(self.clock.offset_ms)
            now = self.clock.now_ms()
            self.apply_due(tx, now)
            return now, tx

        now, tx = await self.db.run(work)
        self._report_snapshots()
        if tx.changed_runs or tx.changed_streams:
            self.publish(tx)
        return now

    async def reset(self) -> None:
        await self.db.run(lambda tx: tx.wipe())
        self.notifier.end_all()
        self._environments.clear()
        self.buckets.clear()
        self.faults.clear()

    async def reset_clock(self) -> None:
        """Back to the wall clock (or freezegun's) for every process on the database."""

        def work(tx: Tx) -> None:
            self.clock.reset()
            if self.shared:
                tx.put_clock_offset_ms(0)

        await self.db.run(work)
