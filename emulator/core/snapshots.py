"""Execution snapshots: the run engine's per-run state machine as the dev worker sees it
(dev-worker protocol §b.3). Pure: callers pass ``now`` and store what these functions return.

Every change makes a NEW snapshot with a fresh id; the CLI notices a change only through a new
``snapshot.friendlyId`` (pitfall 5). The run's own status (records.py) moves beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import ids
from .clock import iso

RUN_CREATED = "RUN_CREATED"
QUEUED = "QUEUED"
PENDING_EXECUTING = "PENDING_EXECUTING"
EXECUTING = "EXECUTING"
EXECUTING_WITH_WAITPOINTS = "EXECUTING_WITH_WAITPOINTS"
PENDING_CANCEL = "PENDING_CANCEL"
FINISHED = "FINISHED"

#: A worker holds the run (its process is alive in the CLI) in these.
ACTIVE = frozenset({PENDING_EXECUTING, EXECUTING, EXECUTING_WITH_WAITPOINTS, PENDING_CANCEL})

# The engine's descriptions (internal-packages/run-engine), shown by the CLI's debug log.
DEQUEUED = "Run was dequeued for execution"
ATTEMPT_STARTED = "Attempt created, starting execution"
BLOCKED = "Run was blocked by a waitpoint."
CONTINUED = "Run was continued, whilst still executing."
SUCCEEDED = "Task completed successfully"
FAILED = "Run failed"
RETRYING = "Attempt failed, retrying immediately"
CANCELLING = "Run was cancelled"
CANCELLED = "Run was cancelled, not finished"
REQUEUED = "Run was requeued"


@dataclass
class Snapshot:
    id: str
    run_id: str
    status: str
    description: str
    run_status: str
    attempt_number: int | None
    created_at: int
    worker_id: str | None = None
    batch_id: str | None = None
    #: ``[{"id": waitpoint id, "index": batch index or None}]`` handed to the worker with it.
    completed_waitpoints: list[dict[str, Any]] = field(default_factory=list)
    seq: int | None = None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE


def make(
    run_id: str,
    status: str,
    description: str,
    now: int,
    *,
    run_status: str,
    attempt_number: int | None,
    previous: Snapshot | None = None,
    worker_id: str | None = None,
    batch_id: str | None = None,
    completed_waitpoints: list[dict[str, Any]] | None = None,
) -> Snapshot:
    """The next snapshot of ``run_id``; the worker id carries over from ``previous``."""
    return Snapshot(
        id=ids.friendly_id("snapshot"),
        run_id=run_id,
        status=status,
        description=description,
        run_status=run_status,
        attempt_number=attempt_number,
        created_at=now,
        worker_id=worker_id if worker_id is not None else (previous.worker_id if previous else None),
        batch_id=batch_id,
        completed_waitpoints=list(completed_waitpoints or []),
    )


def wire(snapshot: Snapshot) -> dict[str, Any]:
    """``ExecutionSnapshot`` as the worker schemas read it."""
    return {
        "id": ids.internal_id(snapshot.id),
        "friendlyId": snapshot.id,
        "executionStatus": snapshot.status,
        "description": snapshot.description,
        "createdAt": iso(snapshot.created_at),
    }


def run_ref(run_id: str, status: str, attempt_number: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": ids.internal_id(run_id), "friendlyId": run_id, "status": status}
    if attempt_number is not None:
        out["attemptNumber"] = attempt_number
    return out


# -- the run's side of each step (records.py statuses) ----------------------------------------
_RUN_STATUS_FROM_CODE = {
    "TASK_RUN_CANCELLED": "CANCELED",
    "MAX_DURATION_EXCEEDED": "TIMED_OUT",
    "TASK_RUN_STALLED_EXECUTING": "CANCELED",
    "TASK_RUN_STALLED_EXECUTING_WITH_WAITPOINTS": "CANCELED",
}
_CRASHED_CODES = frozenset({
    "TASK_PROCESS_OOM_KILLED", "TASK_PROCESS_MAYBE_OOM_KILLED", "TASK_PROCESS_SIGSEGV", "DISK_SPACE_EXCEEDED",
    "OUTDATED_SDK_VERSION", "HANDLE_ERROR_ERROR", "TASK_RUN_CRASHED", "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE",
})
_USER_ERROR_CODES = frozenset({
    "RECURSIVE_WAIT_DEADLOCK", "TASK_INPUT_ERROR", "TASK_OUTPUT_ERROR", "TASK_MIDDLEWARE_ERROR",
    "TASK_RUN_UNCAUGHT_EXCEPTION",
})


def status_from_error(error: dict[str, Any]) -> str:
    """The run engine's ``runStatusFromError`` for a development environment."""
    if error.get("type") != "INTERNAL_ERROR":
        return "COMPLETED_WITH_ERRORS"
    code = str(error.get("code", ""))
    if code in _RUN_STATUS_FROM_CODE:
        return _RUN_STATUS_FROM_CODE[code]
    if code in _USER_ERROR_CODES:
        return "COMPLETED_WITH_ERRORS"
    if code in _CRASHED_CODES:
        return "CRASHED"
    return "SYSTEM_FAILURE"


def begin_attempt(run: Any, at: int) -> None:
    """``attempts/start``: one more attempt, the run EXECUTING."""
    if run.started_at is None:
        run.started_at = at
    run.attempt_count += 1
    run.set_status("EXECUTING", at)
    run.due_at = None


def finish(run: Any, status: str, at: int) -> None:
    run.set_status(status, at)
    run.completed_at = at
    run.due_at = None
