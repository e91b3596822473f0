"""Trigger.dev's duration grammar and delay parsing (contract triggering.md §4.1-4.3).

Pure functions on plain values: no clock is read here, callers pass ``now``.
"""

from __future__ import annotations

import functools
import re

from . import js_date, js_number

# JS ``\d`` is ASCII only, and JS ``$`` does not match before a trailing newline: use
# ``[0-9]`` and ``fullmatch``.
_GRAMMAR = re.compile(r"(?:[0-9]+(?:w|d|hr|h|m|s))+")
_PART = re.compile(r"([0-9]+)(w|d|hr|h|m|s)")
_UNIT_MS = {"w": 604_800_000, "d": 86_400_000, "hr": 3_600_000, "h": 3_600_000, "m": 60_000, "s": 1000}
_IDEMPOTENCY_TTL = re.compile(r"([0-9]+)([smhd])")
IDEMPOTENCY_DEFAULT_TTL_MS = 30 * 86_400_000
_MAX_DATE_MS = 8_640_000_000_000_000


def parse_duration_ms(value: object) -> int | None:
    """``parseNaturalLanguageDurationInMs``: ms for a valid duration string, else None.

    Only the first occurrence of each unit counts (``1m1m`` is one minute); ``h`` and ``hr``
    are the same unit.
    """
    if not isinstance(value, str) or len(value) > 100:
        return None
    return _duration_ms(value)


@functools.lru_cache(maxsize=1024)
def _duration_ms(value: str) -> int | None:
    """``parse_duration_ms`` of a short string (remembered: every run reads its TTL)."""
    if not _GRAMMAR.fullmatch(value):
        return None
    seen: set[str] = set()
    total = 0
    for amount, unit in _PART.findall(value):
        key = "h" if unit == "hr" else unit
        if key in seen:
            continue
        seen.add(key)
        total += int(amount) * _UNIT_MS[unit]
    # JS Dates end at 8.64e15 ms; a longer duration can only make an invalid date.
    return total if total <= _MAX_DATE_MS else None


def stringify_duration(seconds: int | float) -> str | None:
    """``stringifyDuration``: 3600 -> ``1h``, 90 -> ``1m30s``; nothing for 0 or less."""
    if seconds <= 0:
        return None
    remaining = int(seconds)
    out = []
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out) or None


def coerce_date_ms(value: object) -> int | None:
    """``z.coerce.date()`` on a JSON value that is not a string: ``new Date(value)``.

    ``null`` is the epoch, booleans are 0/1 ms, numbers are truncated, an array is read as the
    date string it joins to (``[2030]`` is 2030); None when the result is an Invalid Date (a
    number past JS Date's range, any object)."""
    if value is None or isinstance(value, bool):
        return int(bool(value))
    if isinstance(value, (int, float)):
        if value != value or abs(value) > _MAX_DATE_MS:  # NaN or outside JS Date's range
            return None
        return int(value)
    if isinstance(value, list):
        return js_date.parse(_js_join(value))
    return None


def _js_join(items: list) -> str:
    """``String(array)``: elements joined by commas, null and undefined as ""."""
    parts = []
    for item in items:
        if item is None:
            parts.append("")
        elif isinstance(item, bool):
            parts.append("true" if item else "false")
        elif isinstance(item, (int, float)):
            parts.append(js_number.to_string(item))
        elif isinstance(item, list):
            parts.append(_js_join(item))
        elif isinstance(item, dict):
            parts.append("[object Object]")
        else:
            parts.append(str(item))
    return ",".join(parts)


def parse_date_ms(value: object) -> int | None:
    """``new Date(value).getTime()`` for a string (V8's parser, local time = UTC) or epoch
    milliseconds for a number; None for an invalid date."""
    if isinstance(value, str):
        return js_date.parse(value)
    if isinstance(value, bool) or value is None:
        return None
    return coerce_date_ms(value)


def resolve_delay(value: object, now_ms: int) -> int | None:
    """``parseDelay``: the absolute ms to delay until, or None when the run is not delayed.

    A string is a date first (future -> delayed, now or past -> not delayed), then a duration
    added to now; anything else silently means no delay. A JSON number, boolean or null was
    already coerced to a Date by the body schema, and ``parseDelay`` returns a Date as it is,
    even a past one (the run is then DELAYED and enqueued at once).
    """
    if not isinstance(value, str):
        return coerce_date_ms(value)
    if not value:
        return None
    at = js_date.parse(value)
    if at is not None:
        return at if at > now_ms else None
    duration = parse_duration_ms(value)
    if duration is None or now_ms + duration > _MAX_DATE_MS:
        return None
    return now_ms + duration


def resolve_idempotency_ttl_ms(value: object) -> int | None:
    """``resolveIdempotencyKeyTTL``: ms for ``^\\d+[smhd]$`` (ASCII digits), None for anything else,
    ``""`` included, so the caller can fall back to the next source."""
    if isinstance(value, str) and value:
        match = _IDEMPOTENCY_TTL.fullmatch(value)
        if match:
            return min(int(match.group(1)) * _UNIT_MS[match.group(2)], _MAX_DATE_MS // 2)
    return None


def idempotency_ttl_ms(*sources: object) -> int:
    """The first valid TTL among ``sources`` (the header, then the body), else 30 days."""
    for value in sources:
        ttl = resolve_idempotency_ttl_ms(value)
        if ttl is not None:
            return ttl
    return IDEMPOTENCY_DEFAULT_TTL_MS
