"""The Electric shape protocol's wire format for run rows (contract realtime.md §3-§4).

Every value is a string or ``None``; the client decodes it with the ``electric-schema`` header:
timestamps without the trailing ``Z``, booleans ``t``/``f``, numbers as strings, arrays as
Postgres literals. Statuses are the internal ones. Pure functions, no clock.
"""

from __future__ import annotations

import json
from typing import Any

from . import transitions
from .clock import iso
from .records import Run

#: ``(column, type, dims)`` in the order production sends them (PROTO ``RUN_ELECTRIC_COLUMNS``).
COLUMNS: list[tuple[str, str, int]] = [
    ("id", "text", 0), ("taskIdentifier", "text", 0), ("createdAt", "timestamp", 0),
    ("updatedAt", "timestamp", 0), ("startedAt", "timestamp", 0), ("delayUntil", "timestamp", 0),
    ("queuedAt", "timestamp", 0), ("expiredAt", "timestamp", 0), ("completedAt", "timestamp", 0),
    ("friendlyId", "text", 0), ("number", "int4", 0), ("isTest", "bool", 0), ("status", "text", 0),
    ("usageDurationMs", "int4", 0), ("costInCents", "float8", 0), ("baseCostInCents", "float8", 0),
    ("ttl", "text", 0), ("payload", "text", 0), ("payloadType", "text", 0), ("metadata", "text", 0),
    ("metadataType", "text", 0), ("output", "text", 0), ("outputType", "text", 0),
    ("runTags", "text", 1), ("error", "jsonb", 0), ("realtimeStreams", "text", 1),
]
#: Columns ``skipColumns`` can never remove (RC ``RESERVED_COLUMNS``).
RESERVED = frozenset({"id", "taskIdentifier", "friendlyId", "status", "createdAt"})

UP_TO_DATE: dict[str, Any] = {"headers": {"control": "up-to-date"}}
MUST_REFETCH: dict[str, Any] = {"headers": {"control": "must-refetch"}}
#: The offset a client starts from.
INITIAL_OFFSET = "-1"


def skip_columns(query_value: str | None, claim: Any = None) -> frozenset[str]:
    """The columns to leave out: the JWT's ``realtime.skipColumns`` claim wins over the
    ``skipColumns`` query parameter; reserved names and blanks are ignored."""
    if isinstance(claim, list):
        raw = [c for c in claim if isinstance(c, str)]
    else:
        raw = (query_value or "").split(",") if query_value else []
    return frozenset(c.strip() for c in raw if c.strip() and c.strip() not in RESERVED)


def schema_header(skip: frozenset[str] = frozenset()) -> str:
    """The ``electric-schema`` header for the columns sent."""
    schema = {
        name: ({"type": kind, "dims": dims} if dims else {"type": kind})
        for name, kind, dims in COLUMNS
        if name not in skip
    }
    return json.dumps(schema, separators=(",", ":"))


def internal_id(run_id: str) -> str:
    """The ``id`` column: the run's id without its ``run_`` prefix (production's internal
    cuid is another id the SDK never shows; only its stability matters)."""
    return run_id[4:] if run_id.startswith("run_") else run_id


def shape_key(run: Run) -> str:
    return f'"public"."TaskRun"/"{internal_id(run.id)}"'


def _timestamp(ms: int | None) -> str | None:
    return None if ms is None else iso(ms)[:-1]


def _array(values: list[str], empty_as_null: bool) -> str | None:
    if not values:
        return None if empty_as_null else "{}"
    quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


def row(run: Run, skip: frozenset[str] = frozenset()) -> dict[str, str | None]:
    """The run as one row of ``public."TaskRun"``, every value a string or None."""
    values: dict[str, str | None] = {
        "id": internal_id(run.id),
        "taskIdentifier": run.task,
        "createdAt": _timestamp(run.created_at),
        "updatedAt": _timestamp(run.updated_at),
        "startedAt": _timestamp(run.started_at),
        "delayUntil": _timestamp(run.delay_until),
        "queuedAt": _timestamp(run.queued_at),
        "expiredAt": _timestamp(run.expired_at),
        "completedAt": _timestamp(run.completed_at),
        "friendlyId": run.id,
        "number": str(run.seq or 0),
        "isTest": "t" if run.is_test else "f",
        "status": run.status,
        "usageDurationMs": str(transitions.duration_ms(run)),
        "costInCents": "0",
        "baseCostInCents": "0",
        "ttl": run.ttl,
        "payload": run.payload,
        "payloadType": run.payload_type,
        "metadata": run.metadata,
        "metadataType": run.metadata_type,
        "output": run.output,
        "outputType": run.output_type,
        "runTags": _array(run.tags, empty_as_null=True),
        "error": None if not run.error else json.dumps(run.error, separators=(",", ":"), ensure_ascii=False),
        "realtimeStreams": _array(run.realtime_streams, empty_as_null=False),
    }
    return {name: values[name] for name, _, _ in COLUMNS if name not in skip}


def change(run: Run, operation: str, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """One change message (``insert`` or ``update``) carrying the whole row."""
    return {"key": shape_key(run), "value": row(run, skip), "headers": {"operation": operation}}


def encode_offset(version: int, seq: int) -> str:
    return f"{version}_{seq}"


def offset_version(offset: str | None) -> int:
    """The change number a client has seen, from the offset it echoes (0 if unreadable)."""
    if not offset:
        return 0
    first = offset.split("_", 1)[0]
    return int(first) if first.isdigit() and len(first) < 19 else 0
