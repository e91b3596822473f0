"""``GET /api/v1/runs`` query parameters, cursors and filters, in plain Python (runs.md §4.2).

``parse`` turns the query string into a ``RunQuery`` or raises ``QueryError`` with zod-style
issues; the store turns a ``RunQuery`` into SQL.
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from . import js_date, js_number, storable
from .durations import parse_duration_ms
from .errors import ApiError
from .schemas import MACHINES

DEFAULT_PERIOD_MS = 7 * 86_400_000
_DATE_LIMIT_MS = 8_640_000_000_000_000

STATUS_FILTER = {
    "QUEUED": ["PENDING"],
    "EXECUTING": ["EXECUTING"],
    "WAITING": ["WAITING_TO_RESUME"],
    "FAILED": ["COMPLETED_WITH_ERRORS"],
    "PENDING_VERSION": ["PENDING_VERSION"],
    "DELAYED": ["DELAYED"],
    "DEQUEUED": ["DEQUEUED"],
    "CANCELED": ["CANCELED"],
    "CRASHED": ["CRASHED"],
    "SYSTEM_FAILURE": ["SYSTEM_FAILURE"],
    "EXPIRED": ["EXPIRED"],
    "TIMED_OUT": ["TIMED_OUT"],
    "COMPLETED": ["COMPLETED_SUCCESSFULLY"],
    "WAITING_FOR_DEPLOY": ["WAITING_FOR_DEPLOY"],
    "REATTEMPTING": ["RETRYING_AFTER_FAILURE"],
    "FROZEN": ["PAUSED", "WAITING_TO_RESUME"],
    "INTERRUPTED": ["INTERRUPTED"],
}

_PERIOD_WORDS = {
    "ms": 1, "s": 1000, "sec": 1000, "second": 1000, "seconds": 1000, "m": 60_000, "min": 60_000,
    "minute": 60_000, "minutes": 60_000, "h": 3_600_000, "hr": 3_600_000, "hour": 3_600_000,
    "hours": 3_600_000, "d": 86_400_000, "day": 86_400_000, "days": 86_400_000, "w": 604_800_000,
    "week": 604_800_000, "weeks": 604_800_000, "y": 31_557_600_000, "year": 31_557_600_000,
}
_PERIOD_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")


class QueryError(ApiError):
    def __init__(self, issues: list[dict[str, Any]]) -> None:
        super().__init__(400, "Query Error", body={"error": "Query Error", "details": issues})


@dataclass
class Cursor:
    created_at: int
    run_id: str


@dataclass
class RunQuery:
    size: int = 25
    after: Cursor | str | None = None
    before: Cursor | str | None = None
    statuses: list[str] | None = None
    tasks: list[str] | None = None
    versions: list[str] | None = None
    tags: list[str] | None = None
    queues: list[str] | None = None
    machines: list[str] | None = None
    batch: str | None = None
    nothing: bool = False  # a filter no emulated run can match (bulk action)
    schedule: str | None = None
    is_test: bool | None = None
    created_from: int | None = None
    created_to: int | None = None
    env_slugs: list[str] | None = field(default=None)


def encode_cursor(created_at: int, run_id: str) -> str:
    raw = json.dumps({"c": created_at, "r": run_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> Cursor | str:
    """A cursor we minted, or the raw string (upstream falls back to an id comparison)."""
    try:
        padded = value + "=" * (-len(value) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, RecursionError):
        return value
    if isinstance(data, dict):
        created, run_id = data.get("c"), data.get("r")
        # Only what we could have minted: an instant in JS Date range and storable text.
        if (
            isinstance(created, int) and not isinstance(created, bool) and abs(created) <= _DATE_LIMIT_MS
            and isinstance(run_id, str) and storable.problem(run_id) is None
        ):
            return Cursor(created, run_id)
    return value


def parse_period_ms(value: str) -> int | None:
    """``parse-duration``-like: ``30m``, ``7d``, ``1w``, ``2 days``, ``1h30m``; else None."""
    exact = parse_duration_ms(value)
    if exact is not None:
        return exact
    text = value.strip().lower()
    parts = _PERIOD_PART.findall(text)
    if not parts or _PERIOD_PART.sub("", text).strip(" ,"):
        return None
    total = 0.0
    for amount, unit in parts:
        if unit not in _PERIOD_WORDS:
            return None
        total += float(amount) * _PERIOD_WORDS[unit]
    return int(total) if total < 8.64e15 else None


def _split(value: str | None) -> list[str] | None:
    """``value ? value.split(",") : undefined``: no trimming, empty entries kept."""
    return value.split(",") if value else None


def _issue(path: str, message: str, code: str = "custom", **extra: Any) -> dict[str, Any]:
    return {"code": code, **extra, "message": message, "path": [path]}


def _page_size_issues(raw: str) -> tuple[int | None, list[dict[str, Any]]]:
    """``z.coerce.number().int().positive().min(1).max(100)``: every failing check, in order."""
    key = "page[size]"
    number = js_number.number(raw)
    if number != number:
        return None, [{"code": "invalid_type", "expected": "number", "received": "nan", "path": [key],
                       "message": "Expected number, received nan"}]
    issues = []
    if not (math.isfinite(number) and number.is_integer()):
        issues.append({"code": "invalid_type", "expected": "integer", "received": "float",
                       "message": "Expected integer, received float", "path": [key]})
    if number <= 0:
        issues.append(_issue(key, "Number must be greater than 0", "too_small",
                             minimum=0, type="number", inclusive=False, exact=False))
    if number < 1:
        issues.append(_issue(key, "Number must be greater than or equal to 1", "too_small",
                             minimum=1, type="number", inclusive=True, exact=False))
    if number > 100:
        issues.append(_issue(key, "Number must be less than or equal to 100", "too_big",
                             maximum=100, type="number", inclusive=True, exact=False))
    return (None if issues else int(number)), issues


def _coerced_date(raw: str) -> int | None:
    """``CoercedDate``: ``new Date(Number(s))`` when ``s`` is numeric ("" is 0), else V8's
    ``new Date(s)``; None for an Invalid Date."""
    number = js_number.number(raw)
    if number == number:
        return int(number) if abs(number) <= 8_640_000_000_000_000 else None
    return js_date.parse(raw)


def parse(params: Mapping[str, str], now: int) -> RunQuery:
    """The query in ``ApiRunListSearchParams``' terms; issues in the schema's key order."""
    query = RunQuery()
    issues: list[dict[str, Any]] = []

    size = params.get("page[size]")
    if size is not None:
        value, found = _page_size_issues(size)
        issues += found
        if value is not None:
            query.size = value

    statuses = _split(params.get("filter[status]"))
    if statuses is not None:
        bad = [s for s in statuses if s not in STATUS_FILTER]
        if bad:
            issues.append(_issue("filter[status]", f"Invalid status values: {', '.join(bad)}"))
        else:
            query.statuses = sorted({internal for s in statuses for internal in STATUS_FILTER[s]})

    is_test = params.get("filter[isTest]")
    if is_test:
        if is_test not in ("true", "false"):
            issues.append(_issue("filter[isTest]", f"Invalid value for isTest: {is_test}"))
        else:
            query.is_test = is_test == "true"

    for key, attr in (("filter[createdAt][from]", "created_from"), ("filter[createdAt][to]", "created_to")):
        raw = params.get(key)
        if raw is None:
            continue
        at = _coerced_date(raw)
        if at is None:
            issues.append({"code": "invalid_date", "path": [key], "message": "Invalid date"})
        else:
            setattr(query, attr, at)

    machines = _split(params.get("filter[machine]"))
    if machines is not None:
        bad = [m for m in machines if m not in MACHINES]
        if bad:
            issues.append(_issue("filter[machine]", f"Invalid machine values: {', '.join(bad)}"))
        query.machines = machines

    if issues:
        raise QueryError(issues)

    period = params.get("filter[createdAt][period]")
    if period is not None:
        query.created_to = None
        query.created_from = None
        period_ms = parse_period_ms(period)
        if period_ms is not None and period_ms < now:
            query.created_from = now - period_ms
    elif query.created_from is None and query.created_to is None:
        query.created_from = now - DEFAULT_PERIOD_MS
    if query.created_to is not None:
        query.created_to = min(query.created_to, now)

    query.tasks = _split(params.get("filter[taskIdentifier]"))
    query.versions = _split(params.get("filter[version]"))
    query.tags = _split(params.get("filter[tag]"))
    query.queues = _split(params.get("filter[queue]"))
    query.batch = params.get("filter[batch]") or None
    if params.get("filter[bulkAction]"):
        query.nothing = True  # the emulator has no bulk actions
    query.schedule = params.get("filter[schedule]") or None
    query.env_slugs = _split(params.get("filter[env]"))
    before = params.get("page[before]")
    after = params.get("page[after]")
    if before:
        query.before = decode_cursor(before)  # wins over page[after] when both are sent
    elif after:
        query.after = decode_cursor(after)
    return query
