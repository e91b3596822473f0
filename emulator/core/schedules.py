"""Schedules (management.md §3): the stored record and the few rules the services need, over
``schedule_rules`` (validation, windows, timing, payloads) and ``cron_rules`` (cron-parser's
nominal times and messages). Pure: callers pass ``now``.

The emulator is one project; a schedule has at most one instance (``env_id``), which is all the
API ever makes (create and update replace the instance set with the caller's environment)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from . import cron_rules, schedule_rules
from .schedule_rules import APP_ORIGIN, Window  # noqa: F401 - re-exported for the services

IMPERATIVE = "IMPERATIVE"
DECLARATIVE = "DECLARATIVE"
NOT_FOUND = schedule_rules.NOT_FOUND
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
#: Keys the stable per-instance phase (production keys it with its ENCRYPTION_KEY; any stable
#: value is indistinguishable to clients, management.md §3.11).
PHASE_SECRET = "trigger-emulator"
#: ``generateFriendlyId``'s alphabet (nanoid ``customAlphabet``) and length; nanoid's own.
_ID_ALPHABET = "123456789abcdefghijkmnopqrstuvwxyz"
_NANOID = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


@dataclass
class Schedule:
    id: str
    type: str
    task: str
    cron: str
    description: str
    timezone: str
    dedup_key: str
    user_dedup_key: bool
    created_at: int
    updated_at: int
    external_id: str | None = None
    window_seconds: int | None = None
    window_percent: int | None = None
    active: bool = True
    #: The environment of its one instance (None: no instances, visible to every environment).
    env_id: str | None = None
    #: The nominal time of the instance's previous fire (the payload's ``lastTimestamp``).
    last_fired: int | None = None
    #: When the instance next fires (nominal ms); None while inactive or without an instance.
    next_fire_at: int | None = None
    seq: int | None = None

    @property
    def window(self) -> str | None:
        return schedule_rules.format_window(Window(self.window_seconds, self.window_percent))


def schedule_id() -> str:
    return "sched_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(21))


def random_dedup_key() -> str:
    """``nanoid(24)``: the key of a schedule created without one (or with ``""``)."""
    return "".join(secrets.choice(_NANOID) for _ in range(24))


def body_issues(body: Any, *, create: bool) -> list[dict[str, Any]]:
    return schedule_rules.body_issues(body, create=create)


def window_fields(value: str | None) -> tuple[int | None, int | None]:
    """``(duration seconds, percentage)`` of a window string (ValueError: production's message)."""
    if value is None:
        return None, None
    window = schedule_rules.parse_window(value)
    return window.duration_seconds, window.percentage


# -- cron ---------------------------------------------------------------------------------
def _zone(timezone: str) -> str | None:
    """A schedule stored with ``timezone: ""`` is evaluated in the server's zone (UTC here)."""
    return timezone or None


def cron_problem(cron: str) -> str | None:
    """Why ``CronPattern`` refuses ``cron`` (the text after ``Invalid cron expression: ``)."""
    try:
        return cron_rules.validate_cron(cron)
    except Exception as exc:  # noqa: BLE001 - never a 500 for a cron string
        return str(exc) or "Invalid cron expression"


def describe(cron: str) -> str:
    """cronstrue's description; ValueError (with cronstrue's message) for what it cannot
    describe: 4-field crons and ``@daily``-style macros pass validation upstream, then 500."""
    try:
        text = schedule_rules.description(cron)
    except Exception:  # noqa: BLE001
        text = None
    if text is None:
        parts = len(cron.split())
        raise ValueError(f"Expression has only {parts} part{'' if parts == 1 else 's'}. At least 5 parts are required.")
    return text


def valid_timezone(timezone: str) -> bool:
    return schedule_rules.timezone_error(timezone) is None


def timezones(*, include_utc: bool = True) -> list[str]:
    return schedule_rules.timezones(exclude_utc=not include_utc)


def next_after(cron: str, timezone: str, after: int) -> int | None:
    """The first nominal time strictly after ``after`` (None if there is none)."""
    try:
        return cron_rules.next_run(cron, _zone(timezone), after)
    except cron_rules.CronError:
        return None


def upcoming(cron: str, timezone: str, after: int, count: int) -> list[int]:
    try:
        return cron_rules.next_runs(cron, _zone(timezone), after, count)
    except cron_rules.CronError:
        return []


def previous_before(cron: str, timezone: str, before: int) -> int | None:
    try:
        return cron_rules.prev_run(cron, _zone(timezone), before)
    except cron_rules.CronError:
        return None


# -- timing and payloads ------------------------------------------------------------------
def effective_at(schedule: Schedule, nominal: int, next_nominal: int) -> int:
    """``nextRunEffectiveAt``: nominal plus a stable offset within ``min(interval, max(60 s,
    window))``; production fires at the nominal time (cron spread is off by default)."""
    phase = schedule_rules.schedule_phase(PHASE_SECRET, schedule.env_id or "", schedule.dedup_key)
    return schedule_rules.effective_at(nominal, next_nominal, phase, Window(schedule.window_seconds, schedule.window_percent))


def payload(schedule: Schedule, nominal: int, upcoming: list[int]) -> str:
    """The fired run's ``application/super+json`` packet for the tick at ``nominal``, fired on
    time (the emulator replays every tick its clock passes, so ``upcoming`` is simply the next
    10 ticks). Byte for byte ``schedule_rules.scheduled_run``'s, which recomputes ``upcoming``;
    here the caller passes it (it slides from one fire to the next instead of being recomputed)."""
    json_part = {
        "scheduleId": schedule.id, "type": schedule.type, "timestamp": cron_rules.iso(nominal),
        "lastTimestamp": None if schedule.last_fired is None else cron_rules.iso(schedule.last_fired),
        "externalId": schedule.external_id, "timezone": schedule.timezone,
        "upcoming": [cron_rules.iso(t) for t in upcoming],
    }
    meta: dict[str, list[str]] = {"timestamp": ["Date"],
                                  "lastTimestamp": ["undefined" if schedule.last_fired is None else "Date"]}
    if schedule.external_id is None:
        meta["externalId"] = ["undefined"]
    meta.update({f"upcoming.{i}": ["Date"] for i in range(len(upcoming))})
    return json.dumps({"json": json_part, "meta": {"values": meta}}, ensure_ascii=False, separators=(",", ":"))
