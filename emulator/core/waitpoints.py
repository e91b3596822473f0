"""Waitpoints: what a run can be blocked on, and how each completes (dev-worker protocol §c).
Pure: callers pass ``now``; the store keeps the records, the service blocks and continues runs.

One record family for every kind, shaped like the server's ``Waitpoint`` row so the waitpoint
token API (management.md §5) can share it: ``RUN`` (a child run's result), ``BATCH``,
``DATETIME`` (``wait.for``/``wait.until``) and ``MANUAL`` (tokens).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import ids
from .clock import iso

RUN = "RUN"
BATCH = "BATCH"
DATETIME = "DATETIME"
MANUAL = "MANUAL"

PENDING = "PENDING"
COMPLETED = "COMPLETED"


@dataclass
class Waitpoint:
    id: str
    env_id: str
    type: str
    status: str
    created_at: int
    #: When it completes by itself on the emulator clock (a DATETIME's date, a token's timeout).
    completed_after: int | None = None
    completed_at: int | None = None
    output: str | None = None
    output_type: str = "application/json"
    output_is_error: bool = False
    #: The run whose result completes it (``RUN``) and the batch (``BATCH``).
    run_id: str | None = None
    batch_id: str | None = None
    idempotency_key: str | None = None
    user_provided_idempotency_key: bool = False
    idempotency_key_expires_at: int | None = None
    inactive_idempotency_key: str | None = None
    tags: list[str] = field(default_factory=list)
    seq: int | None = None

    @property
    def is_completed(self) -> bool:
        return self.status == COMPLETED

    @property
    def public_status(self) -> str:
        """management.md §5.1: WAITING, COMPLETED or TIMED_OUT."""
        if self.status == PENDING:
            return "WAITING"
        return "TIMED_OUT" if self.output_is_error else "COMPLETED"


def new(env_id: str, kind: str, now: int, **fields: Any) -> Waitpoint:
    return Waitpoint(id=ids.friendly_id("waitpoint"), env_id=env_id, type=kind, status=PENDING, created_at=now, **fields)


def complete(wp: Waitpoint, at: int, output: str | None = None, output_type: str | None = None, is_error: bool = False) -> bool:
    """PENDING -> COMPLETED; a completed waitpoint never changes again. True if it changed."""
    if wp.status != PENDING:
        return False
    wp.status = COMPLETED
    wp.completed_at = at
    wp.output = output
    if output_type:
        wp.output_type = output_type
    wp.output_is_error = is_error
    return True


def time_out(wp: Waitpoint, at: int) -> bool:
    """A DATETIME waitpoint completes cleanly at its date; a token times out with an error."""
    if wp.type == DATETIME:
        return complete(wp, at)
    due = iso(wp.completed_after if wp.completed_after is not None else at)
    message = json.dumps({"code": "TRIGGER_WAITPOINT_TIMEOUT", "message": f"Waitpoint timed out at {due}"}, separators=(",", ":"))
    return complete(wp, at, message, "application/json", True)


def run_error_output(error: dict[str, Any] | None) -> str:
    """A failed child's waitpoint output: ``JSON.stringify(TaskRunError)``."""
    return json.dumps(error or {"type": "STRING_ERROR", "raw": "Failed"}, separators=(",", ":"), ensure_ascii=False)


def completed_wire(wp: Waitpoint, *, index: int | None = None, batch_id: str | None = None) -> dict[str, Any]:
    """``CompletedWaitpoint`` (schemas/runEngine.js). A batch child's resolver id is
    ``<batch friendlyId>_<index>``, so the child's batch and index ride along."""
    out: dict[str, Any] = {
        "id": ids.internal_id(wp.id),
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
