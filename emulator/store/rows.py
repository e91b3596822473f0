"""Records <-> rows: one generic mapping from the dataclasses to columns."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Iterable

from ..core.records import Batch, Run

RUN_FIELDS = [f.name for f in dataclasses.fields(Run)]
RUN_JSON = {"options", "tags", "idempotency_key_options", "error", "events", "realtime_streams"}
RUN_BOOL = {"is_test"}
RUN_COLUMNS = [name for name in RUN_FIELDS if name != "seq"]
INSERT_RUN = "INSERT INTO runs ({}) VALUES ({})".format(
    ", ".join(RUN_COLUMNS), ", ".join("?" for _ in RUN_COLUMNS)
)
UPDATE_RUN = "UPDATE runs SET {} WHERE id = ?".format(", ".join(f"{c} = ?" for c in RUN_COLUMNS if c != "id"))
SELECT_RUN = "SELECT seq, {} FROM runs".format(", ".join(RUN_COLUMNS))


BATCH_FIELDS = [f.name for f in dataclasses.fields(Batch)]
BATCH_JSON = {"idempotency_key_options", "task_identifiers", "errors"}
BATCH_BOOL = {"sealed", "resume_parent"}
BATCH_COLUMNS = [name for name in BATCH_FIELDS if name != "seq"]
SELECT_BATCH = "SELECT seq, {} FROM batches".format(", ".join(BATCH_COLUMNS))


def values(record: Any, columns: Iterable[str], json_fields: set[str], bool_fields: set[str]) -> list[Any]:
    out = []
    for name in columns:
        value = getattr(record, name)
        if name in json_fields:
            value = None if value is None else json.dumps(value, separators=(",", ":"))
        elif name in bool_fields:
            value = int(bool(value))
        out.append(value)
    return out


def from_row(cls: type, row: tuple, columns: list[str], json_fields: set[str], bool_fields: set[str]) -> Any:
    values = dict(zip(["seq", *columns], row))
    for name in json_fields:
        raw = values[name]
        values[name] = None if raw is None else json.loads(raw)
    for name in bool_fields:
        values[name] = bool(values[name])
    return cls(**values)


def run_values(run: Run, columns: Iterable[str]) -> list[Any]:
    return values(run, columns, RUN_JSON, RUN_BOOL)


def run_from_row(row: tuple) -> Run:
    return from_row(Run, row, RUN_COLUMNS, RUN_JSON, RUN_BOOL)


def batch_from_row(row: tuple) -> Batch:
    return from_row(Batch, row, BATCH_COLUMNS, BATCH_JSON, BATCH_BOOL)


