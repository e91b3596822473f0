"""Records <-> rows: one generic mapping from the dataclasses to columns."""

from __future__ import annotations

import dataclasses
import json
import operator
from typing import Any, Iterable

from ..core.records import Batch, Run

RUN_FIELDS = [f.name for f in dataclasses.fields(Run)]
RUN_JSON = {"options", "tags", "idempotency_key_options", "error", "events", "realtime_streams"}
RUN_BOOL = {"is_test"}
RUN_COLUMNS = [name for name in RUN_FIELDS if name != "seq"]
INSERT_RUN = "INSERT INTO runs ({}) VALUES ({})".format(
    ", ".join(RUN_COLUMNS), ", ".join("?" for _ in RUN_COLUMNS)
)
#: Every column but ``id`` and ``tags`` (written by ``UPDATE_RUN_TAGS`` only when they changed).
RUN_UPDATED = [c for c in RUN_COLUMNS if c not in ("id", "tags")]
UPDATE_RUN = "UPDATE runs SET {} WHERE id = ?".format(", ".join(f"{c} = ?" for c in RUN_UPDATED))
UPDATE_RUN_TAGS = "UPDATE runs SET tags = ? WHERE id = ? AND tags IS NOT ?"
SELECT_RUN = "SELECT seq, {} FROM runs".format(", ".join(RUN_COLUMNS))


BATCH_FIELDS = [f.name for f in dataclasses.fields(Batch)]
BATCH_JSON = {"idempotency_key_options", "task_identifiers", "errors"}
BATCH_BOOL = {"sealed", "resume_parent"}
BATCH_COLUMNS = [name for name in BATCH_FIELDS if name != "seq"]
SELECT_BATCH = "SELECT seq, {} FROM batches".format(", ".join(BATCH_COLUMNS))


#: JSON columns as compact JSON (one encoder, built once: ``json.dumps`` with separators
#: builds a new one per call).
compact_json = _dumps = json.JSONEncoder(separators=(",", ":")).encode


def values(record: Any, columns: Iterable[str], json_fields: set[str], bool_fields: set[str]) -> list[Any]:
    out = []
    for name in columns:
        value = getattr(record, name)
        if name in json_fields:
            value = None if value is None else _dumps(value)
        elif name in bool_fields:
            value = int(bool(value))
        out.append(value)
    return out


class Shape:
    """``values`` for a fixed column list, planned once (runs are written in bulk)."""

    def __init__(self, columns: list[str], json_fields: set[str], bool_fields: set[str]) -> None:
        assert len(columns) > 1
        self._get = operator.attrgetter(*columns)
        self._json = [i for i, name in enumerate(columns) if name in json_fields]
        self._bool = [i for i, name in enumerate(columns) if name in bool_fields]

    def values(self, record: Any) -> list[Any]:
        out = list(self._get(record))
        for i in self._json:
            if out[i] is not None:
                out[i] = _dumps(out[i])
        for i in self._bool:
            out[i] = int(bool(out[i]))
        return out


def from_row(cls: type, row: tuple, columns: list[str], json_fields: set[str], bool_fields: set[str]) -> Any:
    values = dict(zip(["seq", *columns], row))
    for name in json_fields:
        raw = values[name]
        values[name] = None if raw is None else json.loads(raw)
    for name in bool_fields:
        values[name] = bool(values[name])
    return cls(**values)


RUN_INSERT_SHAPE = Shape(RUN_COLUMNS, RUN_JSON, RUN_BOOL)
RUN_UPDATE_SHAPE = Shape(RUN_UPDATED, RUN_JSON, RUN_BOOL)


def run_from_row(row: tuple) -> Run:
    return from_row(Run, row, RUN_COLUMNS, RUN_JSON, RUN_BOOL)


def batch_from_row(row: tuple) -> Batch:
    return from_row(Batch, row, BATCH_COLUMNS, BATCH_JSON, BATCH_BOOL)


