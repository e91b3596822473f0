"""In-memory lower bounds on when something next falls due, per record family, so the check at
the start of every unit of work costs nothing while nothing is due (forgotten whenever another
process wrote the database: ``Database.forget_hints``)."""

from __future__ import annotations

from .database import TxBase


class FloorsTx(TxBase):
    def _below_floor(self, name: str, until: int) -> bool:
        """True when nothing of ``name`` can be due by ``until`` (no query needed)."""
        store = self._store
        floor = store.floors.get(name)
        return floor is not None and until < floor

    def _set_floor(self, name: str, upcoming: int | None) -> None:
        """After a query found nothing due: the earliest due time left (None: nothing at all)."""
        self._store.floors[name] = float("inf") if upcoming is None else upcoming

    def _lower_floor(self, name: str, at: int | None) -> None:
        floors = self._store.floors
        floor = floors.get(name)
        if at is not None and floor is not None and at < floor:
            floors[name] = at
