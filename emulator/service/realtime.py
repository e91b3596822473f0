"""Realtime run feeds with no HTTP (contract realtime.md §5, §7): a feed's snapshot, and the
live long-poll that answers as soon as a committed change touches the feed.

Offsets are change numbers (``runs.version``): a feed's live answer is every run it holds that
was written after the client's number, so nothing is missed between two polls and the clock
(which tests move, and may set) plays no part.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from ..core.feeds import Feed
from ..core.limits import REALTIME_MAX_LIST_RESULTS
from ..core.records import Batch, Environment, Run
from ..store import Tx
from . import notifier
from .engine import Engine
from .unit import unit


@dataclass
class Rows:
    """What a feed answer carries: runs (``inserted`` names those new to the client) and the
    change number to hand back as the offset."""

    runs: list[Run]
    version: int
    inserted: set[str] = field(default_factory=set)
    #: Why a live poll ended: ``change``, ``timeout``, ``ended`` (reset/shutdown) or ``gone``.
    outcome: str = notifier.CHANGE
    #: The client's offset is ahead of this database (another or an emptied one): refetch.
    stale: bool = False


class RealtimeService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @unit(read=True)
    def find_run(self, tx: Tx, now: int, env: Environment, run_id: str) -> Run | None:
        return tx.run(env.id, run_id)

    @unit(read=True)
    def find_batch(self, tx: Tx, now: int, env: Environment, batch_id: str) -> Batch | None:
        return tx.batch(env.id, batch_id)

    @unit(read=True)
    def snapshot(self, tx: Tx, now: int, feed: Feed) -> Rows:
        """Every run the feed holds (a multi-run feed: at most the newest 1000)."""
        runs = tx.feed_runs(feed, newest=None if feed.single else REALTIME_MAX_LIST_RESULTS)
        return Rows(runs, max((run.version for run in runs), default=0), {run.id for run in runs})

    @unit(read=True)
    def changes(self, tx: Tx, now: int, feed: Feed, after: int) -> Rows:
        """The feed's runs written after change number ``after``."""
        if after > tx.change_version():
            return Rows([], after, stale=True)
        runs = tx.feed_runs(feed, after=after)
        inserted = set() if feed.single else {run.id for run in runs if run.created_version > after}
        return Rows(runs, max((run.version for run in runs), default=after), inserted)

    @staticmethod
    def _delivered(feed: Feed, after: int, runs: list[Run]) -> Rows | None:
        """The feed's answer from the runs a wake-up delivered (as committed), without a
        database round trip: None when none of them belongs to the feed; empty rows when one
        does but lacks what only the database has (``number`` of a bulk-inserted run)."""
        held = sorted((run for run in runs if run.version > after and feed.holds(run)),
                      key=lambda run: (run.created_at, run.id))
        if not held:
            return None
        if any(run.seq is None for run in held):
            return Rows([], after)
        inserted = set() if feed.single else {run.id for run in held if run.created_version > after}
        return Rows(held, max(run.version for run in held), inserted)

    async def live(self, feed: Feed, after: int, timeout: float, gone: asyncio.Future | None = None) -> Rows:
        """Hold until the feed changes after ``after`` (then answer with the changes), or until
        ``timeout`` seconds pass, the client is ``gone``, or a reset or shutdown ends it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        with self.engine.notifier.watch(feed.wake_keys()) as watch:
            while True:
                rows = await self.changes(feed, after)
                if rows.runs or rows.stale:
                    return rows
                outcome = await watch.wait(deadline - loop.time(), gone)
                if outcome == notifier.CHANGE:
                    rows = self._delivered(feed, after, watch.take())
                    if rows is None:
                        continue  # a wake-up for runs this feed does not hold: keep waiting
                    if rows.runs:
                        return rows
                    after_rows = await self.changes(feed, after)
                    if after_rows.runs or after_rows.stale:
                        return after_rows
                    continue
                if outcome == notifier.TIMEOUT:
                    # A last look covers writes this process was not told about (another
                    # server process on the same database file).
                    rows = await self.changes(feed, after)
                    rows.outcome = outcome if not rows.runs else notifier.CHANGE
                    return rows
                return Rows([], after, outcome=outcome)
