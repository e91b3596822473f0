"""Waitpoints: what a run can be blocked on and how each completes (dev-worker protocol §c), and
the public waitpoint token API's rules (management.md §5). Pure: callers pass ``now``.

One record family for every kind, shaped like the server's ``Waitpoint`` row: ``RUN`` (a child
run's result), ``BATCH``, ``DATETIME`` (``wait.for`` / ``wait.until``) and ``MANUAL`` (tokens).
The store keeps them, service/waits.py blocks and continues runs on them, and
service/waitpoints.py is the token API.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Annotated, Any, Mapping

from . import ids, packets, storable
from .clock import iso
from .durations import parse_date_ms, resolve_delay
from .run_query import QueryError, parse_period_ms
from .schemas import Delay, Tags, _field, _string, _Zod
from .zod import fail, too_big
from .zod_issues import coerce_int

RUN = "RUN"
BATCH = "BATCH"
DATETIME = "DATETIME"
MANUAL = "MANUAL"

PREFIX = "waitpoint_"
PENDING = "PENDING"
COMPLETED = "COMPLETED"
API_STATUSES = ("WAITING", "COMPLETED", "TIMED_OUT")
TIMEOUT_CODE = "TRIGGER_WAITPOINT_TIMEOUT"
MAX_TAGS = 10
DEFAULT_PAGE_SIZE = 25
NOT_FOUND = "Waitpoint not found"

_TTL = re.compile(r"^(\d+)([smhd])$")
_TTL_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_NANOID = string.ascii_letters + string.digits + "_-"


@dataclass
class Waitpoint:
    id: str  # the friendly id, ``waitpoint_<cuid>``; the internal id is the bare cuid
    env_id: str
    type: str
    status: str
    created_at: int
    #: The date a DATETIME waitpoint completes at, a token's timeout.
    completed_after: int | None = None
    completed_at: int | None = None
    output: str | None = None
    output_type: str = packets.JSON
    output_is_error: bool = False
    #: The run whose result completes it (``RUN``) and the batch (``BATCH``).
    run_id: str | None = None
    batch_id: str | None = None
    #: Always set (the user's key or a random one), as upstream; unique per environment.
    idempotency_key: str | None = None
    user_provided_idempotency_key: bool = False
    idempotency_key_expires_at: int | None = None
    inactive_idempotency_key: str | None = None
    tags: list[str] = field(default_factory=list)
    #: When it falls due on the emulator clock while PENDING (``completed_after``, or the
    #: creation time for a timeout already past then); None once completed.
    due_at: int | None = None
    seq: int | None = None

    @property
    def internal_id(self) -> str:
        return self.id[len(PREFIX):] if self.id.startswith(PREFIX) else self.id

    @property
    def is_completed(self) -> bool:
        return self.status == COMPLETED

    @property
    def public_status(self) -> str:
        """WAITING, COMPLETED or TIMED_OUT (``waitpointStatusToApiStatus``)."""
        if self.status == PENDING:
            return "WAITING"
        return "TIMED_OUT" if self.output_is_error else "COMPLETED"


def new(env_id: str, kind: str, now: int, *, idempotency_key: str | None = None, completed_after: int | None = None,
        **fields: Any) -> Waitpoint:
    """A PENDING waitpoint; without a key it gets a random one (``nanoid(24)``), and with a
    ``completed_after`` it falls due then (at once, if that is already past)."""
    return Waitpoint(
        id=ids.friendly_id("waitpoint"), env_id=env_id, type=kind, status=PENDING, created_at=now,
        completed_after=completed_after,
        idempotency_key=idempotency_key if idempotency_key is not None else random_key(),
        user_provided_idempotency_key=idempotency_key is not None,
        due_at=None if completed_after is None else max(completed_after, now),
        **fields,
    )


def friendly(value: str) -> str:
    """``WaitpointId.toFriendlyId``: routes take the friendly id or the bare internal one."""
    return value if value.startswith(PREFIX) else PREFIX + value


def random_key() -> str:
    """``nanoid(24)``: the key of a waitpoint created without one."""
    return "".join(secrets.choice(_NANOID) for _ in range(24))


def callback_hash(internal_id: str, api_key: str) -> str:
    return hmac.new(api_key.encode(), internal_id.encode(), hashlib.sha256).hexdigest()


def callback_path(waitpoint: Waitpoint, api_key: str) -> str:
    return f"/api/v1/waitpoints/tokens/{waitpoint.id}/callback/{callback_hash(waitpoint.internal_id, api_key)}"


def hash_matches(waitpoint: Waitpoint, given: str, api_key: str) -> bool:
    """A wrong length or value is a mismatch (production's 64-char non-hex hash throws a 500)."""
    return hmac.compare_digest(given.encode(), callback_hash(waitpoint.internal_id, api_key).encode())


# -- creation -----------------------------------------------------------------------------
def _idempotency_key(value: Any) -> str:
    _string(value)
    if len(value) > 2048:
        raise fail(too_big(2048, "idempotencyKey must be 2048 characters or less", kind="string"))
    return value


class CreateTokenBody(_Zod):
    idempotencyKey: Annotated[str, *_field(_idempotency_key, {"type": "string", "maxLength": 2048})] = None
    idempotencyKeyTTL: Annotated[str, *_field(_string, {"type": "string"})] = None
    timeout: Delay = None
    tags: Tags = None


class CompleteTokenBody(_Zod):
    data: Any = None


def key_expires_at(ttl: str | None, now: int) -> int | None:
    """``resolveIdempotencyKeyTTL``: only ``^\\d+[smhd]$``; anything else, no expiry."""
    if not ttl:
        return None
    match = _TTL.match(ttl)
    if not match:
        return None
    # No further than JavaScript's last Date from now: a TTL of 10^17 days cannot be stored.
    return now + min(int(match.group(1)) * _TTL_MS[match.group(2)], 4_320_000_000_000_000)


def timeout_at(value: Any, sent: bool, now: int) -> int | None:
    """``parseDelay`` after ``z.string().or(z.coerce.date())``: a string is a future date or a
    duration (else none, silently); anything coerced to a Date is kept even if past."""
    if not sent:
        return None
    if isinstance(value, str):
        return resolve_delay(value, now) if value else None
    if value is None or isinstance(value, bool):
        return int(bool(value))  # new Date(null) is the epoch, new Date(true) 1 ms after it
    return parse_date_ms(value)


def tag_list(tags: str | list[str] | None) -> list[str]:
    if tags is None:
        return []
    return [tags] if isinstance(tags, str) else list(tags)


def check_tag_count(tags: list[str]) -> str | None:
    if len(tags) > MAX_TAGS:
        return f"Waitpoints can only have {MAX_TAGS} tags, you're trying to set {len(tags)}."
    return None


def key_expired(waitpoint: Waitpoint, now: int) -> bool:
    expires = waitpoint.idempotency_key_expires_at
    return expires is not None and now > expires


def retire_key(waitpoint: Waitpoint) -> None:
    """An expired key moves to ``inactiveIdempotencyKey``; the token gets a random one."""
    waitpoint.inactive_idempotency_key = waitpoint.idempotency_key
    waitpoint.idempotency_key = random_key()


# -- completion ---------------------------------------------------------------------------
def stringify_io(data: Any) -> tuple[str | None, str]:
    """``stringifyIO`` of a JSON value: a string is kept as ``text/plain``, anything else is
    superjson (``{"json": value}``, no meta for plain JSON)."""
    if isinstance(data, str):
        storable.check(data, "data")  # raw text upstream too: a lone surrogate or NUL is a 422
        return data, packets.TEXT
    return packets.js_stringify({"json": data}), packets.SUPERJSON


def complete(waitpoint: Waitpoint, output: str | None, output_type: str | None, at: int, *, is_error: bool = False) -> bool:
    """PENDING -> COMPLETED; a no-op (False) once completed or timed out. An empty output is
    no output (the route checks ``finalData.data`` for truthiness)."""
    if waitpoint.status != PENDING:
        return False
    waitpoint.status = COMPLETED
    waitpoint.completed_at = at
    if output:
        waitpoint.output = output
        if output_type is not None:
            waitpoint.output_type = output_type
        waitpoint.output_is_error = is_error
    waitpoint.due_at = None
    return True


def fall_due(waitpoint: Waitpoint, now: int) -> bool:
    """What happens at ``due_at``: a DATETIME waitpoint completes cleanly, anything else (a
    token) times out with ``TRIGGER_WAITPOINT_TIMEOUT``. True if it completed."""
    due = waitpoint.due_at
    if due is None or due > now:
        return False
    if waitpoint.type == DATETIME:
        return complete(waitpoint, None, None, due)
    timeout = waitpoint.completed_after if waitpoint.completed_after is not None else due
    error = packets.js_stringify({"code": TIMEOUT_CODE, "message": f"Waitpoint timed out at {iso(timeout)}"})
    return complete(waitpoint, error, None, due, is_error=True)


def run_error_output(error: dict[str, Any] | None) -> str:
    """A failed child's waitpoint output: ``JSON.stringify(TaskRunError)``."""
    return packets.js_stringify(error or {"type": "STRING_ERROR", "raw": "Failed"})


def completed_wire(wp: Waitpoint, *, index: int | None = None, batch_id: str | None = None) -> dict[str, Any]:
    """``CompletedWaitpoint`` (schemas/runEngine.js). A batch child's resolver id is
    ``<batch friendlyId>_<index>``, so the child's batch and index ride along."""
    out: dict[str, Any] = {
        "id": wp.internal_id,
        "friendlyId": wp.id,
        "type": wp.type,
        "completedAt": iso(wp.completed_at if wp.completed_at is not None else wp.created_at),
        "outputIsError": wp.output_is_error,
    }
    if index is not None:
        out["index"] = index
    if wp.user_provided_idempotency_key and wp.idempotency_key:
        out["idempotencyKey"] = wp.idempotency_key
    if wp.run_id:
        by_run: dict[str, Any] = {"id": ids.internal_id(wp.run_id), "friendlyId": wp.run_id}
        if batch_id:
            by_run["batch"] = {"id": ids.internal_id(batch_id), "friendlyId": batch_id}
        out["completedByTaskRun"] = by_run
    if wp.completed_after is not None:
        out["completedAfter"] = iso(wp.completed_after)
    if wp.batch_id and wp.type == BATCH:
        out["completedByBatch"] = {"id": ids.internal_id(wp.batch_id), "friendlyId": wp.batch_id}
    if wp.output is not None:
        out["output"] = wp.output
        out["outputType"] = wp.output_type
    return out


def wall_to_emulator(date_ms: int, wall_now_ms: int, emulator_now_ms: int) -> int:
    """A date the task computed from its own wall clock, as the same distance after the
    request on the emulator clock: ``wait.for({hours: 24})`` ends 24 h of emulator time later."""
    return emulator_now_ms + max(0, date_ms - wall_now_ms)


# -- listing ------------------------------------------------------------------------------
@dataclass
class TokenQuery:
    size: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    backward: bool = False
    statuses: list[str] | None = None  # stored statuses
    output_is_error: bool | None = None
    idempotency_key: str | None = None
    tags: list[str] | None = None
    created_from: int | None = None
    created_to: int | None = None


def _coerced_date(raw: str) -> int | None:
    """``CoercedDate``: a numeric string is epoch ms, anything else a date string."""
    text = raw.strip()
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        value = float(text)
        return int(value) if abs(value) <= 8.64e15 else None
    return parse_date_ms(raw)


def parse_query(params: Mapping[str, str], now: int) -> TokenQuery:
    """``ApiWaitpointListSearchParams`` (400 ``Query Error`` with zod issues) and the list
    presenter's filter rules."""
    query = TokenQuery()
    size, issues = coerce_int(params, "page[size]", minimum=1, maximum=100)
    if size is not None:
        query.size = size
    status = params.get("filter[status]")
    statuses: list[str] = []
    if status:
        values = status.split(",")
        bad = [s for s in values if s not in API_STATUSES]
        if bad:
            issues.append({"code": "custom", "message": f"Invalid status values: {', '.join(bad)}", "path": ["filter[status]"]})
        statuses = list(dict.fromkeys(values))
    for key in ("filter[createdAt][from]", "filter[createdAt][to]"):
        raw = params.get(key)
        if raw is not None and _coerced_date(raw) is None:
            issues.append({"code": "invalid_date", "message": "Invalid date", "path": [key]})
    if issues:
        raise QueryError(issues)
    if params.get("page[after]"):
        query.cursor = params["page[after]"]
    if params.get("page[before]"):
        query.cursor, query.backward = params["page[before]"], True
    if statuses:
        query.statuses = sorted({PENDING if s == "WAITING" else COMPLETED for s in statuses})
        if len(statuses) == 1 and statuses[0] != "WAITING":
            query.output_is_error = statuses[0] == "TIMED_OUT"
    query.idempotency_key = params.get("filter[idempotencyKey]") or None
    tags = params.get("filter[tags]")
    query.tags = tags.split(",") if tags else None
    period = params.get("filter[createdAt][period]")
    period_ms = parse_period_ms(period) if period else None
    if period_ms is not None:
        query.created_from = now - period_ms
    raw_from, raw_to = params.get("filter[createdAt][from]"), params.get("filter[createdAt][to]")
    if raw_from:
        at = _coerced_date(raw_from)
        query.created_from = at if query.created_from is None else max(at, query.created_from)
    if raw_to:
        query.created_to = _coerced_date(raw_to)
    return query


def page(rows: list[Waitpoint], query: TokenQuery) -> tuple[list[Waitpoint], str | None, str | None]:
    """``rows`` are up to ``size + 1`` tokens in scan order (id descending forward, ascending
    backward). Returns the page and the ``next``/``previous`` cursors exactly as upstream."""
    size = query.size
    has_more = len(rows) > size
    nxt = previous = None
    if not query.backward:
        previous = rows[0].internal_id if query.cursor and rows else None
        if has_more:
            nxt = rows[size - 1].internal_id
        return rows[:size], nxt, previous
    rows = list(reversed(rows))
    if has_more:
        previous = rows[1].internal_id
        nxt = rows[size].internal_id
        return rows[1:size + 1], nxt, previous
    nxt = rows[size - 1].internal_id if len(rows) >= size else None
    return rows[:size], nxt, previous
