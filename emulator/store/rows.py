"""Records <-> rows: one mapping from each record dataclass to its table."""

from __future__ import annotations

import dataclasses
import json
import operator
from typing import Any, Iterable

from ..core.records import Batch, Run

#: JSON columns as compact JSON (one encoder, built once: ``json.dumps`` with separators
#: builds a new one per call).
compact_json = json.JSONEncoder(separators=(",", ":")).encode
#: Most runs' options, tags and streams are empty: written without the encoder.
_EMPTY_JSON = {dict: "{}", list: "[]"}


class _Shape:
    """A record's values for a fixed column list, planned once (runs are written in bulk)."""

    def __init__(self, columns: list[str], json_fields: Iterable[str], bool_fields: Iterable[str]) -> None:
        self._get = operator.attrgetter(*columns)
        self._single = len(columns) == 1
        self._json = [i for i, name in enumerate(columns) if name in json_fields]
        self._bool = [i for i, name in enumerate(columns) if name in bool_fields]

    def values(self, record: Any) -> list[Any]:
        out = [self._get(record)] if self._single else list(self._get(record))
        for i in self._json:
            value = out[i]
            if value is not None:
                empty = None if value else _EMPTY_JSON.get(type(value))
                out[i] = empty or compact_json(value)
        for i in self._bool:
            out[i] = int(bool(out[i]))
        return out


class Table:
    """A record class's table: its columns (every field but ``seq``, which the table numbers),
    the statements that insert, update (by ``id``) and select it, and the conversions both ways.
    ``json`` columns hold compact JSON, ``bool`` ones 0/1; ``kept`` columns are left out of
    ``update`` (written on their own)."""

    def __init__(self, name: str, record: type, *, json: Iterable[str] = (), bool: Iterable[str] = (),
                 kept: Iterable[str] = ()) -> None:
        self.record = record
        self.columns = [f.name for f in dataclasses.fields(record) if f.name != "seq"]
        updated = [c for c in self.columns if c != "id" and c not in set(kept)]
        self.insert = "INSERT INTO {} ({}) VALUES ({})".format(name, ", ".join(self.columns), ", ".join("?" for _ in self.columns))
        self.update = "UPDATE {} SET {} WHERE id = ?".format(name, ", ".join(f"{c} = ?" for c in updated))
        self.select = "SELECT seq, {} FROM {}".format(", ".join(self.columns), name)
        self._json, self._bool = set(json), set(bool)
        self._selected = ["seq", *self.columns]
        self._inserted = _Shape(self.columns, self._json, self._bool)
        self._updated = _Shape(updated, self._json, self._bool)

    def insert_values(self, record: Any) -> list[Any]:
        return self._inserted.values(record)

    def update_values(self, record: Any) -> list[Any]:
        """The ``update`` statement's parameters, ``id`` last."""
        return [*self._updated.values(record), record.id]

    def from_row(self, row: tuple) -> Any:
        """A record from a row of ``select`` (``seq`` first)."""
        values = dict(zip(self._selected, row))
        for name in self._json:
            raw = values[name]
            if raw is not None:
                values[name] = [] if raw == "[]" else {} if raw == "{}" else json.loads(raw)
        for name in self._bool:
            values[name] = bool(values[name])
        return self.record(**values)


RUNS = Table("runs", Run, json={"options", "tags", "idempotency_key_options", "error", "events", "realtime_streams"},
             bool={"is_test"}, kept={"tags"})  # tags: RunsTx writes them with their run_tags rows
#: Tags, only when they changed (then ``run_tags`` is rewritten).
UPDATE_RUN_TAGS = "UPDATE runs SET tags = ? WHERE id = ? AND tags IS NOT ?"
BATCHES = Table("batches", Batch, json={"idempotency_key_options", "task_identifiers", "errors"},
                bool={"sealed", "resume_parent"})
