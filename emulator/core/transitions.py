"""Run state transitions on the emulator's clock: plain functions on a ``Run``.

Every function takes the moment ``at`` (epoch ms) the transition happens; due transitions are
applied at the moment they fell due, not at the moment someone looked (runs.md §5).
"""

from __future__ import annotations

from typing import Any

from .durations import parse_duration_ms
from .errors import Conflict
from .records import (
    CANCELED,
    COMPLETED_SUCCESSFULLY,
    COMPLETED_WITH_ERRORS,
    CRASHED,
    DELAYED,
    DEQUEUED,
    EXECUTING,
    EXPIRED,
    KEY_RELEASING_STATUSES,
    PENDING,
    SYSTEM_FAILURE,
    TIMED_OUT,
    Run,
)

FAILURE_STATUSES = {
    "FAILED": COMPLETED_WITH_ERRORS,
    "CRASHED": CRASHED,
    "SYSTEM_FAILURE": SYSTEM_FAILURE,
    "TIMED_OUT": TIMED_OUT,
}


def refresh_due(run: Run) -> None:
    """Recompute when the next automatic transition of ``run`` falls due."""
    if run.status == DELAYED:
        run.due_at = run.delay_until
    elif run.status == PENDING:
        run.due_at = run.expire_at
    else:
        run.due_at = None


def enqueue(run: Run, at: int) -> None:
    """DELAYED -> QUEUED (or a new run straight to QUEUED): the TTL clock starts now."""
    run.set_status(PENDING, at)
    run.queued_at = at
    ttl_ms = parse_duration_ms(run.ttl) if run.ttl else None
    run.expire_at = None if ttl_ms is None else at + ttl_ms
    refresh_due(run)


def delay(run: Run, until: int, at: int) -> None:
    if run.status != DELAYED:
        run.set_status(DELAYED, at)
    run.delay_until = until
    run.updated_at = at
    refresh_due(run)


def expire(run: Run, at: int) -> None:
    run.set_status(EXPIRED, at)
    run.expired_at = at
    run.completed_at = at
    run.error = {"type": "STRING_ERROR", "raw": f"Run expired because the TTL ({run.ttl}) was reached"}
    refresh_due(run)


def apply_due(run: Run, now: int) -> bool:
    """Apply the transition due at ``run.due_at`` (which is ≤ now). Returns True if it changed."""
    at = run.due_at
    if at is None or at > now:
        return False
    if run.status == DELAYED:
        # A delay already past when set (a coerced JSON date, a past reschedule) ends when it was set.
        enqueue(run, max(at, run.updated_at))
        return True
    if run.status == PENDING:
        expire(run, at)
        return True
    refresh_due(run)
    return True


def release_idempotency_key(run: Run) -> None:
    """The key moves on (done by the next trigger with the key, or a reset, never when the run
    fails or expires); the user's key stays in ``idempotency_key_options`` for display."""
    run.idempotency_key = None
    run.idempotency_key_expires_at = None


def releases_key(run: Run, now: int) -> bool:
    """Does an existing run with the same key let a new trigger through? (§4.4.3)"""
    expires = run.idempotency_key_expires_at
    if expires is not None and expires < now:
        return True
    return run.status in KEY_RELEASING_STATUSES


def cancel(run: Run, at: int, *, finish: bool = False) -> bool:
    """API cancel: final runs are left alone (200 no-op upstream). Returns True if it changed.

    A run that never started gets no ``completedAt`` (retrieve then shows no ``finishedAt``);
    a started one, or one cancelled with its parent (``finish``), is finished now."""
    if run.is_final:
        return False
    started = run.started_at is not None
    run.set_status(CANCELED, at)
    run.error = {"type": "STRING_ERROR", "raw": "Canceled by user"}
    if started or finish:
        run.completed_at = at
    refresh_due(run)
    return True


def _illegal(run: Run, verb: str) -> Conflict:
    return Conflict(f"Cannot {verb} run {run.id}: it is {run.public_status}")


def start(run: Run, at: int) -> None:
    """QUEUED/DEQUEUED -> EXECUTING, one more attempt. An executing run starts a retry attempt."""
    if run.status not in (PENDING, DEQUEUED, EXECUTING):
        raise _illegal(run, "start")
    if run.started_at is None:
        run.started_at = at
    run.attempt_count += 1
    run.set_status(EXECUTING, at)
    refresh_due(run)


def _finish(run: Run, status: str, at: int, verb: str) -> None:
    if run.status not in (PENDING, DEQUEUED, EXECUTING):
        raise _illegal(run, verb)
    if run.status != EXECUTING:
        start(run, at)
    run.set_status(status, at)
    run.completed_at = at
    refresh_due(run)


def complete(run: Run, output: str | None, output_type: str, at: int) -> None:
    _finish(run, COMPLETED_SUCCESSFULLY, at, "complete")
    run.output = output
    run.output_type = output_type
    run.error = None


def fail(run: Run, error: dict[str, Any], at: int, status: str = "FAILED") -> None:
    internal = FAILURE_STATUSES.get(status) if isinstance(status, str) else None
    if internal is None:
        raise ValueError(f"status must be one of {', '.join(FAILURE_STATUSES)}")
    _finish(run, internal, at, "fail")
    run.error = error


def built_in_error(error: str | dict[str, Any]) -> dict[str, Any]:
    """A stored ``BUILT_IN_ERROR`` from a message or ``{"message", "name"?, "stackTrace"?}``."""
    if isinstance(error, str):
        error = {"message": error}
    # ``sanitizeError`` drops NULs, which Postgres cannot store.
    return {
        "type": "BUILT_IN_ERROR",
        "name": str(error.get("name", "Error")).replace("\x00", ""),
        "message": str(error.get("message", "")).replace("\x00", ""),
        "stackTrace": str(error.get("stackTrace", "")).replace("\x00", ""),
    }


def expire_now(run: Run, at: int) -> None:
    """Control API: expire a queued run before its TTL."""
    if run.status != PENDING:
        raise _illegal(run, "expire")
    expire(run, at)


def duration_ms(run: Run) -> int:
    if run.started_at is None or run.completed_at is None:
        return 0
    return max(0, run.completed_at - run.started_at)


def error_for_api(error: dict[str, Any] | None) -> dict[str, Any] | None:
    """``createJsonErrorObject`` (runs.md §3.2)."""
    if not error:
        return None
    kind = error.get("type")
    if kind == "BUILT_IN_ERROR":
        out = {"message": str(error.get("message", ""))}
        if error.get("name") is not None:
            out["name"] = str(error["name"])
        if error.get("stackTrace") is not None:
            out["stackTrace"] = str(error["stackTrace"])
        return out
    if kind in ("STRING_ERROR", "CUSTOM_ERROR"):
        return {"message": str(error.get("raw", ""))}
    if kind == "INTERNAL_ERROR":
        return {"message": f"trigger.dev internal error ({error.get('code', 'UNKNOWN')})"}
    return {"message": str(error.get("message", ""))}
