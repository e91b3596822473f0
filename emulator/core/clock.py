"""The one clock every emulator timestamp comes from.

It reads the wall clock through ``datetime`` so freezegun moves it, and adds an offset the
emulator's own control API can advance. When freezegun is active, advancing ticks freezegun's
clock instead, so the test's ``datetime.now()`` and the emulator stay in step.
"""

from __future__ import annotations

import datetime as _dt
import sys
import threading

UTC = _dt.timezone.utc
#: Far enough for any test, and every derived timestamp (TTLs, delays) still fits.
LATEST = _dt.datetime(9000, 1, 1, tzinfo=UTC)


def _active_freezegun_factory():
    api = sys.modules.get("freezegun.api")
    if api is None:
        return None
    factories = getattr(api, "freeze_factories", None)
    return factories[-1] if factories else None


class ClockError(ValueError):
    """Raised when the clock is asked to go backwards."""


class Clock:
    def __init__(self) -> None:
        self._offset = _dt.timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> _dt.datetime:
        """Timezone-aware UTC now, truncated to milliseconds (the API's precision)."""
        wall = _dt.datetime.now(UTC)
        moment = wall + self._offset
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def now_ms(self) -> int:
        return to_ms(self.now())

    def wall_ms(self) -> int:
        """The wall clock (or freezegun's) without the emulator's own offset: what clients
        compare rate-limit resets with."""
        return to_ms(_dt.datetime.now(UTC))

    def reset(self) -> None:
        """Back to the wall clock (or freezegun's), with no offset."""
        with self._lock:
            self._offset = _dt.timedelta(0)

    def advance(self, delta: _dt.timedelta) -> _dt.datetime:
        if delta < _dt.timedelta(0):
            raise ClockError("The emulator clock never moves backwards")
        try:
            target = self.now() + delta
        except OverflowError:
            target = None
        if target is None or target > LATEST:
            raise ClockError(f"The emulator clock cannot move past {LATEST.date().isoformat()}")
        factory = _active_freezegun_factory()
        if factory is not None:
            factory.tick(delta)
        else:
            with self._lock:
                self._offset += delta
        return self.now()

    def set(self, moment: _dt.datetime) -> _dt.datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        now = self.now()
        if moment < now:
            raise ClockError(
                f"The emulator clock never moves backwards: it is {iso(to_ms(now))}, "
                f"asked for {iso(to_ms(moment))}"
            )
        return self.advance(moment - now)


def to_ms(moment: _dt.datetime) -> int:
    return int(round(moment.timestamp() * 1000))


def from_ms(ms: int) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(ms / 1000, UTC)


def iso(ms: int) -> str:
    """JS ``Date.toISOString()``: ``2025-08-21T18:27:52.123Z``."""
    moment = from_ms(ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
