"""The records the emulator keeps: plain dataclasses, no SQL and no HTTP.

Statuses are the server's internal ones (runs.md §2.1); the public status and the boolean
helpers are derived from them (runs.md §2.3), so upstream quirks fall out naturally.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from .environments import ENV_SLUGS

# Internal statuses (runs.md §2.1 / §2.5).
DELAYED = "DELAYED"
PENDING = "PENDING"
PENDING_VERSION = "PENDING_VERSION"
DEQUEUED = "DEQUEUED"
EXECUTING = "EXECUTING"
RETRYING_AFTER_FAILURE = "RETRYING_AFTER_FAILURE"
WAITING_TO_RESUME = "WAITING_TO_RESUME"
PAUSED = "PAUSED"
CANCELED = "CANCELED"
INTERRUPTED = "INTERRUPTED"
COMPLETED_SUCCESSFULLY = "COMPLETED_SUCCESSFULLY"
COMPLETED_WITH_ERRORS = "COMPLETED_WITH_ERRORS"
SYSTEM_FAILURE = "SYSTEM_FAILURE"
CRASHED = "CRASHED"
EXPIRED = "EXPIRED"
TIMED_OUT = "TIMED_OUT"

FINAL_STATUSES = frozenset(
    {CANCELED, INTERRUPTED, COMPLETED_SUCCESSFULLY, COMPLETED_WITH_ERRORS, SYSTEM_FAILURE, CRASHED, EXPIRED, TIMED_OUT}
)
#: A run in one of these releases its idempotency key to the next trigger (triggering.md §4.4.3).
KEY_RELEASING_STATUSES = frozenset(
    {INTERRUPTED, COMPLETED_WITH_ERRORS, SYSTEM_FAILURE, CRASHED, TIMED_OUT, EXPIRED}
)

PUBLIC_STATUS = {
    DELAYED: "DELAYED",
    PENDING: "QUEUED",
    PENDING_VERSION: "PENDING_VERSION",
    "WAITING_FOR_DEPLOY": "PENDING_VERSION",
    DEQUEUED: "DEQUEUED",
    EXECUTING: "EXECUTING",
    RETRYING_AFTER_FAILURE: "EXECUTING",
    WAITING_TO_RESUME: "WAITING",
    PAUSED: "WAITING",
    COMPLETED_SUCCESSFULLY: "COMPLETED",
    CANCELED: "CANCELED",
    COMPLETED_WITH_ERRORS: "FAILED",
    INTERRUPTED: "FAILED",
    CRASHED: "CRASHED",
    SYSTEM_FAILURE: "SYSTEM_FAILURE",
    EXPIRED: "EXPIRED",
    TIMED_OUT: "TIMED_OUT",
}

_QUEUED = {DELAYED, PENDING, PENDING_VERSION, "WAITING_FOR_DEPLOY"}
_EXECUTING = {DEQUEUED, EXECUTING, RETRYING_AFTER_FAILURE}
_WAITING = {WAITING_TO_RESUME, PAUSED}
_COMPLETED = {COMPLETED_SUCCESSFULLY, CANCELED, COMPLETED_WITH_ERRORS, INTERRUPTED, CRASHED, SYSTEM_FAILURE}
_FAILED = {CANCELED, COMPLETED_WITH_ERRORS, INTERRUPTED, CRASHED, SYSTEM_FAILURE}


def boolean_helpers(status: str) -> dict[str, bool]:
    """runs.md §2.3: note EXPIRED and TIMED_OUT have every helper false."""
    return {
        "isQueued": status in _QUEUED,
        "isExecuting": status in _EXECUTING,
        "isWaiting": status in _WAITING,
        "isCompleted": status in _COMPLETED,
        "isSuccess": status == COMPLETED_SUCCESSFULLY,
        "isFailed": status in _FAILED,
        "isCancelled": status == CANCELED,
    }




@dataclass
class Environment:
    id: str
    api_key: str
    type: str  # DEVELOPMENT | STAGING | PRODUCTION | PREVIEW
    branch: str | None = None
    created_at: int = 0

    @property
    def slug(self) -> str:
        return ENV_SLUGS[self.type] if self.branch is None else self.branch

    @property
    def key_fingerprint(self) -> str:
        """What pages may show of the secret key: its type prefix and a short SHA-256."""
        prefix = self.api_key[: self.api_key.find("_", 3) + 1] if self.api_key.startswith("tr_") else ""
        return f"{prefix}…{hashlib.sha256(self.api_key.encode()).hexdigest()[:8]}"


@dataclass
class Run:
    id: str
    env_id: str
    task: str
    status: str
    created_at: int
    updated_at: int
    seq: int | None = None
    payload: str | None = None
    payload_type: str = "application/json"
    metadata: str | None = None
    metadata_type: str = "application/json"
    seed_metadata: str | None = None
    seed_metadata_type: str = "application/json"
    #: The trigger options as sent on the wire (camelCase names).
    options: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    idempotency_key: str | None = None
    idempotency_key_expires_at: int | None = None
    idempotency_key_options: dict[str, Any] | None = None
    queue: str = ""
    concurrency_key: str | None = None
    machine: str | None = None
    max_attempts: int | None = None
    max_duration: int | None = None
    priority_ms: int = 0
    is_test: bool = False
    lock_to_version: str | None = None
    ttl: str | None = None
    delay_until: int | None = None
    queued_at: int | None = None
    expire_at: int | None = None
    expired_at: int | None = None
    started_at: int | None = None
    completed_at: int | None = None
    attempt_count: int = 0
    output: str | None = None
    output_type: str = "application/json"
    error: dict[str, Any] | None = None
    batch_id: str | None = None
    batch_index: int | None = None
    parent_id: str | None = None
    root_id: str | None = None
    depth: int = 0
    trigger_function: str = "trigger"
    debounce_key: str | None = None
    #: When the next automatic transition falls due (delay end or TTL expiry), else None.
    due_at: int | None = None
    #: ``[[internal status, ms], ...]``: every status change with its clock time.
    events: list[list[Any]] = field(default_factory=list)
    #: Realtime stream keys created on this run, in order (the ``realtimeStreams`` column).
    realtime_streams: list[str] = field(default_factory=list)
    #: The change number of the unit that last wrote this run, and of the one that created
    #: it: realtime feeds answer "what changed after offset N" with them (store/runs.py).
    version: int = 0
    created_version: int = 0

    @property
    def public_status(self) -> str:
        return PUBLIC_STATUS.get(self.status, self.status)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def set_status(self, status: str, at: int) -> None:
        self.status = status
        self.updated_at = at
        self.events.append([status, at])


# Batch statuses (runs.md §6).
BATCH_PENDING = "PENDING"
BATCH_PROCESSING = "PROCESSING"
BATCH_COMPLETED = "COMPLETED"
BATCH_PARTIAL_FAILED = "PARTIAL_FAILED"
BATCH_ABORTED = "ABORTED"


@dataclass
class Batch:
    id: str
    env_id: str
    status: str
    run_count: int
    created_at: int
    updated_at: int
    seq: int | None = None
    sealed: bool = False
    #: Which API made it: ``v3`` (two-phase), ``v2``, ``v1`` or ``v1-task``.
    api: str = "v3"
    idempotency_key: str | None = None
    idempotency_key_options: dict[str, Any] | None = None
    task_identifiers: list[str] | None = None
    parent_run_id: str | None = None
    resume_parent: bool = False
    processing_completed_at: int | None = None
    #: ``[{"index", "taskIdentifier", "error", "errorCode"?}]``
    errors: list[dict[str, Any]] = field(default_factory=list)
