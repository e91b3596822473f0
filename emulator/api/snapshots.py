"""Runs as the Python API shows them: snapshots with decoded payloads and real datetimes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..core import packets, transitions
from ..core.clock import from_ms
from ..core.records import Run as Record
from .presenters import sorted_tags, user_idempotency_key


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


@dataclass(frozen=True)
class Run:
    """A snapshot of one run; call ``emulator.run(id)`` again for a fresh one."""

    id: str
    task: str
    status: str
    payload: Any
    tags: list[str]
    metadata: dict[str, Any] | None
    options: dict[str, Any]
    idempotency_key: str | None
    delayed_until: datetime | None
    ttl: str | None
    batch_id: str | None
    output: Any
    error: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expired_at: datetime | None
    machine: str | None
    queue: str
    attempt_count: int
    max_attempts: int | None
    is_test: bool
    env_id: str
    payload_type: str = field(repr=False, default="application/json")
    events: list[tuple[str, datetime]] = field(repr=False, default_factory=list)

    @classmethod
    def from_record(cls, run: Record) -> "Run":
        output = packets.decode_for_python(run.output, run.output_type) if run.status == "COMPLETED_SUCCESSFULLY" else None
        return cls(
            id=run.id,
            task=run.task,
            status=run.public_status,
            payload=packets.decode_for_python(run.payload, run.payload_type),
            tags=sorted_tags(run.tags),
            metadata=packets.parse_metadata(run.metadata, run.metadata_type),
            options=dict(run.options),
            idempotency_key=user_idempotency_key(run),
            delayed_until=_dt(run.delay_until),
            ttl=run.ttl,
            batch_id=run.batch_id,
            output=output,
            error=transitions.error_for_api(run.error),
            created_at=from_ms(run.created_at),
            updated_at=from_ms(run.updated_at),
            started_at=_dt(run.started_at),
            finished_at=_dt(run.completed_at),
            expired_at=_dt(run.expired_at),
            machine=run.machine,
            queue=run.queue,
            attempt_count=run.attempt_count,
            max_attempts=run.max_attempts,
            is_test=run.is_test,
            env_id=run.env_id,
            payload_type=run.payload_type,
            events=[(status, from_ms(at)) for status, at in run.events],
        )


@dataclass(frozen=True)
class Batch:
    """A snapshot of one batch."""

    id: str
    status: str
    run_count: int
    runs: list[str]
    errors: list[dict[str, Any]]
    idempotency_key: str | None
    sealed: bool
    created_at: datetime
    env_id: str

    @classmethod
    def from_view(cls, view) -> "Batch":
        batch = view.batch
        return cls(
            id=batch.id,
            status=view.status,
            run_count=batch.run_count,
            runs=list(view.run_ids),
            errors=[dict(e) for e in batch.errors],
            idempotency_key=batch.idempotency_key,
            sealed=batch.sealed,
            created_at=from_ms(batch.created_at),
            env_id=batch.env_id,
        )
