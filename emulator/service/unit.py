"""The unit of work: every service operation is a plain function ``fn(self, tx, now, ...)``
that ``@unit`` turns into an awaitable. The whole of it runs as one transaction on the
database's thread, after applying every transition that had fallen due by ``now``, so no
operation (reads included) ever sees a run that should already have moved on."""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

T = TypeVar("T")


def unit(method: Callable[..., T] | None = None, *, read: bool = False) -> Any:
    """``@unit`` or ``@unit(read=True)`` on ``def op(self, tx, now, *args)``: callers then
    ``await self.op(*args)``. ``op.within(self, tx, now, *args)`` runs it inside a unit that
    is already open (one operation composed of others stays one transaction)."""

    def wrap(fn: Callable[..., T]) -> Any:
        @functools.wraps(fn)
        async def operation(self: Any, *args: Any, **kwargs: Any) -> T:
            return await self.engine.unit(lambda tx, now: fn(self, tx, now, *args, **kwargs), read=read)

        operation.within = fn  # type: ignore[attr-defined]
        return operation

    return wrap(method) if method is not None else wrap
