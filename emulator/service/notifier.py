"""In-process change notification for realtime waiters: a live long-poll or a stream read
``watch``es the keys of what it shows (``core.feeds``), and the engine ``publish``es the keys of
what each committed unit of work changed. Nothing polls: a waiter sleeps on one future until a
change, its timeout, its client leaving, a reset or shutdown."""

from __future__ import annotations

import asyncio
from typing import Any, Hashable, Iterable

CHANGE = "change"
TIMEOUT = "timeout"
#: A reset or shutdown ended every waiter.
ENDED = "ended"
#: The client went away (its ``gone`` future finished).
GONE = "gone"


class Watch:
    """One waiter's interest in some keys; a context manager that unregisters on exit."""

    def __init__(self, notifier: "Notifier", keys: list[Hashable]) -> None:
        self._notifier = notifier
        self.keys = keys
        self._loop = asyncio.get_running_loop()
        self._future: asyncio.Future[None] = self._loop.create_future()
        self.ended = notifier.closed
        #: What the changes that woke this watch carried (the runs as committed), by id.
        self._delivered: dict[Hashable, Any] = {}

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._notifier._forget(self)

    def take(self) -> list[Any]:
        """The items delivered since the last ``take`` (each id once, the latest)."""
        items, self._delivered = list(self._delivered.values()), {}
        return items

    def wake(self, end: bool = False, item: Any = None, item_id: Hashable = None) -> None:
        """Called by the notifier (on the loop thread, or from another thread)."""
        if end:
            self.ended = True
        if item is not None:
            self._delivered[item_id] = item
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._set()
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._set)

    def _set(self) -> None:
        if not self._future.done():
            self._future.set_result(None)

    async def wait(self, timeout: float, gone: asyncio.Future | None = None) -> str:
        """Sleep until something this watch covers changed (``CHANGE``), ``timeout`` seconds
        pass, the client is ``GONE`` or the notifier ``ENDED`` every waiter. A change that
        happened since the last wait is reported at once."""
        if self.ended:
            return ENDED
        if not self._future.done():
            pending = {self._future} if gone is None else {self._future, gone}
            await asyncio.wait(pending, timeout=max(0.0, timeout), return_when=asyncio.FIRST_COMPLETED)
        if self.ended:
            return ENDED
        if self._future.done():
            self._future = self._loop.create_future()
            return CHANGE
        if gone is not None and gone.done():
            return GONE
        return TIMEOUT


class Notifier:
    def __init__(self) -> None:
        self._watches: dict[Hashable, set[Watch]] = {}
        self._all: set[Watch] = set()
        #: After ``close`` (shutdown) every new watch starts ended.
        self.closed = False

    def watch(self, keys: Iterable[Hashable]) -> Watch:
        """Register a waiter (on the running event loop) for ``keys``."""
        watch = Watch(self, list(keys))
        for key in watch.keys:
            self._watches.setdefault(key, set()).add(watch)
        self._all.add(watch)
        return watch

    def _forget(self, watch: Watch) -> None:
        self._all.discard(watch)
        for key in watch.keys:
            holders = self._watches.get(key)
            if holders is not None:
                holders.discard(watch)
                if not holders:
                    del self._watches[key]

    def publish(self, items: Iterable[tuple[Hashable, Any, Hashable]]) -> None:
        """Wake the watches of each ``(key, item, item_id)``, handing them ``item`` (None for
        a bare wake-up)."""
        for key, item, item_id in items:
            for watch in list(self._watches.get(key, ())):  # a copy: another thread may register one
                watch.wake(item=item, item_id=item_id)

    def end_all(self) -> None:
        """Wake and end every current waiter (a reset: what they watched is gone)."""
        for watch in list(self._all):
            watch.wake(end=True)

    def close(self) -> None:
        """Shutdown: end every waiter now and every later one at once."""
        self.closed = True
        self.end_all()

    def open(self) -> None:
        self.closed = False

    def __len__(self) -> int:
        return len(self._all)
