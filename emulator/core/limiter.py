"""Rate limiting on the emulator's clock: the token bucket both limiters use (triggering.md
§2.5, §6.4), their presets, and how a limit is written in settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRODUCTION_API_LIMIT = (750, 250, 10_000)
PRODUCTION_BATCH_LIMIT = (1200, 100, 10_000)
GENEROUS_LIMIT = (1_000_000, 1_000_000, 10_000)


@dataclass
class TokenBucket:
    """A token bucket on the emulator's clock: ``refill`` tokens every ``interval_ms``."""

    capacity: int
    refill: int
    interval_ms: int
    tokens: int
    last: int

    @classmethod
    def full(cls, capacity: int, refill: int, interval_ms: int, now: int) -> "TokenBucket":
        return cls(capacity, refill, interval_ms, capacity, now)

    def _refill(self, now: int) -> None:
        if now <= self.last:
            return
        steps = (now - self.last) // self.interval_ms
        if steps:
            self.tokens = min(self.capacity, self.tokens + steps * self.refill)
            self.last += steps * self.interval_ms

    def take(self, cost: int, now: int) -> tuple[bool, int, int]:
        """Returns ``(admitted, remaining, reset_ms)``; ``reset_ms`` is when ``cost`` would fit."""
        self._refill(now)
        if cost <= self.tokens:
            self.tokens -= cost
            return True, self.tokens, self.last + self.interval_ms
        if cost > self.capacity:
            return False, self.tokens, self.last + self.interval_ms
        steps = -(-(cost - self.tokens) // self.refill)
        return False, self.tokens, self.last + steps * self.interval_ms


PRESETS = {
    "production": {"api": PRODUCTION_API_LIMIT, "batch": PRODUCTION_BATCH_LIMIT},
    "generous": {"api": GENEROUS_LIMIT, "batch": GENEROUS_LIMIT},
}


def parse_rate_limit(value: Any, current: Any, kind: str = "api"):
    """``"keep"``, ``None``/``"off"``, a preset name, or ``{"limit", "refill", "interval_ms"}``."""
    if value == "keep":
        return current
    if value is None or value == "off":
        return None
    if isinstance(value, str):
        if value not in PRESETS:
            raise ValueError(f"unknown preset {value!r}; one of: {', '.join(PRESETS)}, off")
        return PRESETS[value][kind] if kind in PRESETS[value] else PRESETS[value]["api"]
    if isinstance(value, dict):
        try:
            limit, refill, interval = int(value["limit"]), int(value["refill"]), int(value.get("interval_ms", 10_000))
        except (KeyError, TypeError, ValueError):
            raise ValueError('a limit is {"limit": n, "refill": n, "interval_ms": n}') from None
        if limit < 1 or refill < 1 or interval < 1:
            raise ValueError("limit, refill and interval_ms must be positive")
        return (limit, refill, interval)
    raise ValueError('a limit is a preset name, "off", or {"limit", "refill", "interval_ms"}')
