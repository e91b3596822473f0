"""Trigger.dev's duration grammar and delay parsing (contract triggering.md §4.1-4.3).

Pure functions on plain values: no clock is read here, callers pass ``now``.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

_GRAMMAR = re.compile(r"^(\d+(?:w|d|hr|h|m|s))+$")
_PART = re.compile(r"(\d+)(w|d|hr|h|m|s)")
_UNIT_MS = {"w": 604_800_000, "d": 86_400_000, "hr": 3_600_000, "h": 3_600_000, "m": 60_000, "s": 1000}
_IDEMPOTENCY_TTL = re.compile(r"^(\d+)([smhd])$")
IDEMPOTENCY_DEFAULT_TTL_MS = 30 * 86_400_000
_MAX_DATE_MS = 8_640_000_000_000_000


def parse_duration_ms(value: object) -> int | None:
    """``parseNaturalLanguageDurationInMs``: ms for a valid duration string, else None.

    Only the first occurrence of each unit counts (``1m1m`` is one minute); ``h`` and ``hr``
    are the same unit.
    """
    if not isinstance(value, str) or len(value) > 100 or not _GRAMMAR.match(value):
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


def parse_date_ms(value: object) -> int | None:
    """An ISO-8601 string, or epoch milliseconds (what ``z.coerce.date()`` takes from JSON)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if value != value or abs(value) > 8.64e15:  # NaN or outside JS Date's range
            return None
        return int(value)
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    text = value.strip()
    if not text or not (text[0].isdigit() or text[0] in "+-"):
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # JS parses a date-only string as UTC and a date-time without offset as local time;
        # the emulator has no meaningful local zone, so both are taken as UTC.
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return int(parsed.timestamp() * 1000)
    except (OverflowError, OSError, ValueError):
        return None


def is_date_string(value: object) -> bool:
    return isinstance(value, str) and parse_date_ms(value) is not None


def resolve_delay(value: object, now_ms: int) -> int | None:
    """``parseDelay``: the absolute ms to delay until, or None when the run is not delayed.

    A date first (future -> delayed, now or past -> not delayed), then a duration added to now,
    anything else silently means no delay.
    """
    if value is None:
        return None
    at = parse_date_ms(value)
    if at is not None:
        return at if at > now_ms else None
    duration = parse_duration_ms(value)
    if duration is None or now_ms + duration > _MAX_DATE_MS:
        return None
    return now_ms + duration


def idempotency_ttl_ms(value: object) -> int:
    """Only ``^\\d+[smhd]$`` is honoured; anything else silently means 30 days."""
    if isinstance(value, str):
        match = _IDEMPOTENCY_TTL.match(value)
        if match:
            return min(int(match.group(1)) * _UNIT_MS[match.group(2)], _MAX_DATE_MS // 2)
    return IDEMPOTENCY_DEFAULT_TTL_MS
