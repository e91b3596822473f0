"""The one clock every emulator timestamp comes from.

It reads the wall clock through ``datetime`` so freezegun moves it, and adds an offset the
emulator's own control API can advance. When freezegun is active, advancing ticks freezegun's
clock instead, so the test's ``datetime.now()`` and the emulator stay in step.
"""

from __future__ import annotations

import datetime as _dt
import sys
import threading
import time as _time

_REAL_TIME = _time.time  # bound at import, before freezegun can patch ``time.time``

UTC = _dt.timezone.utc
_MS = _dt.timedelta(milliseconds=1)
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
        if _active_freezegun_factory() is None:  # the common case, without building datetimes
            return int(_time.time() * 1000) + self._offset // _MS
        return to_ms(self.now())

    def wall_ms(self) -> int:
        """The wall clock (or freezegun's) without the emulator's own offset: what clients
        compare rate-limit resets with."""
        return to_ms(_dt.datetime.now(UTC))

    @property
    def offset_ms(self) -> int:
        """How far the emulator clock is ahead of the wall clock (what ``advance`` adds up)."""
        return self._offset // _dt.timedelta(milliseconds=1)

    def sync(self, offset_ms: int) -> None:
        """Take the offset another process stored (one clock for every process on a file)."""
        with self._lock:
            self._offset = _dt.timedelta(milliseconds=offset_ms)

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


def real_time_s() -> int:
    """Unix seconds of the real wall clock, which neither the emulator's offset nor freezegun
    moves (presigned URLs expire on it)."""
    reader = getattr(_time, "clock_gettime", None)
    return int(reader(_time.CLOCK_REALTIME) if reader is not None else _REAL_TIME())


def to_ms(moment: _dt.datetime) -> int:
    return int(round(moment.timestamp() * 1000))


#: The instants Python's ``datetime`` can hold (years 1 to 9999), in epoch ms.
DATETIME_MIN_MS = -62_135_596_800_000
DATETIME_MAX_MS = 253_402_300_799_999
#: JavaScript Dates reach ±8.64e15 ms (years -271821 to +275760).
JS_DATE_LIMIT_MS = 8_640_000_000_000_000


def from_ms(ms: int) -> _dt.datetime:
    """A UTC datetime; instants past ``datetime``'s years 1-9999 (a JS Date can be later)
    are clamped to its first or last millisecond."""
    ms = min(max(ms, DATETIME_MIN_MS), DATETIME_MAX_MS)
    return _EPOCH + _dt.timedelta(milliseconds=ms)


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = _dt.datetime(1970, 1, 1)


def iso(ms: int) -> str:
    """JS ``Date.toISOString()``: ``2025-08-21T18:27:52.123Z``, with JavaScript's expanded
    years (``+010209-…``, ``-000001-…``) outside 0000-9999, so any stored instant can be shown."""
    if DATETIME_MIN_MS <= ms <= DATETIME_MAX_MS:
        seconds, milli = divmod(int(ms), 1000)
        return f"{(_NAIVE_EPOCH + _dt.timedelta(seconds=seconds)).isoformat()}.{milli:03d}Z"
    days, rest = divmod(int(ms), 86_400_000)
    hour, rest = divmod(rest, 3_600_000)
    minute, rest = divmod(rest, 60_000)
    second, milli = divmod(rest, 1000)
    # civil_from_days (H. Hinnant): proleptic Gregorian date of a day count from 1970-01-01.
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    shown = f"{year:04d}" if 0 <= year <= 9999 else f"{'+' if year > 0 else '-'}{abs(year):06d}"
    return f"{shown}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{milli:03d}Z"
