"""Records <-> rows: one mapping from each record dataclass to its table."""

from __future__ import annotations

import dataclasses
import json
import operator
from typing import Any, Callable, Iterable

from ..core.records import Batch, Run

#: JSON columns as compact JSON (one encoder, built once: ``json.dumps`` with separators
#: builds a new one per call).
compact_json = json.JSONEncoder(separators=(",", ":")).encode
#: Most runs' options, tags and streams are empty: written without the encoder.
_EMPTY_JSON = {dict: "{}", list: "[]"}


#: Statements kept per record shape (patterns of NULLs); past it they are built each time.
_MAX_PATTERNS = 256


class _Shape:
    """A record's values for a fixed column list, planned once (runs are written in bulk),
    and the statement that writes them. A ``None`` is written as a ``NULL`` in the statement's
    text, not bound: Python's sqlite3 binds ``None`` through its adapter lookup (a tuple built,
    a dict and two attributes looked up per value), which cost more than the rest of a
    45-column run insert; exactly the same rows either way. One statement per pattern of NULLs,
    kept (a run has a handful of patterns)."""

    def __init__(self, columns: list[str], json_fields: Iterable[str], bool_fields: Iterable[str],
                 statement: Callable[[list[str]], str]) -> None:
        self._get = operator.attrgetter(*columns)
        self._single = len(columns) == 1
        self._json = [i for i, name in enumerate(columns) if name in json_fields]
        self._bool = [i for i, name in enumerate(columns) if name in bool_fields]
        self._statement = statement  # the SQL for the columns' placeholders ("?" or "NULL")
        self._statements: dict[tuple[int, ...], str] = {}

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

    def sql(self, values: list[Any]) -> tuple[str, list[Any]]:
        """The statement for these values, and the values it binds (the non-None ones)."""
        nulls = tuple(i for i, value in enumerate(values) if value is None)
        sql = self._statements.get(nulls)
        if sql is None:
            marks = ["?"] * len(values)
            for i in nulls:
                marks[i] = "NULL"
            sql = self._statement(marks)
            if len(self._statements) < _MAX_PATTERNS:
                self._statements[nulls] = sql
        return sql, [value for value in values if value is not None] if nulls else values


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
        inserted = "INSERT INTO {} ({}) VALUES ({{}})".format(name, ", ".join(self.columns))
        self.select = "SELECT seq, {} FROM {}".format(", ".join(self.columns), name)
        self._json, self._bool = set(json), set(bool)
        self._selected = ["seq", *self.columns]
        assert not hasattr(record, "__post_init__") and "__slots__" not in vars(record), "from_row skips __init__"
        self._inserted = _Shape(self.columns, self._json, self._bool, lambda marks: inserted.format(", ".join(marks)))
        self._updated = _Shape(updated, self._json, self._bool, lambda marks: "UPDATE {} SET {} WHERE id = ?".format(
            name, ", ".join(f"{column} = {mark}" for column, mark in zip(updated, marks))))

    def insert(self, record: Any) -> tuple[str, list[Any]]:
        """The statement inserting ``record``, and its parameters."""
        return self._inserted.sql(self._inserted.values(record))

    def insert_many(self, records: Iterable[Any]) -> list[tuple[str, list[list[Any]]]]:
        """``insert`` for many records in order: one statement and its rows for each stretch
        of records with their NULLs in the same columns (for ``executemany``)."""
        groups: list[tuple[str, list[list[Any]]]] = []
        for record in records:
            sql, params = self._inserted.sql(self._inserted.values(record))
            if groups and groups[-1][0] is sql:
                groups[-1][1].append(params)
            else:
                groups.append((sql, [params]))
        return groups

    def update(self, record: Any) -> tuple[str, list[Any]]:
        """The statement updating ``record`` by ``id``, and its parameters (``id`` last)."""
        sql, params = self._updated.sql(self._updated.values(record))
        return sql, [*params, record.id]

    def from_row(self, row: tuple) -> Any:
        """A record from a row of ``select`` (``seq`` first)."""
        values = dict(zip(self._selected, row))
        for name in self._json:
            raw = values[name]
            if raw is not None:
                values[name] = [] if raw == "[]" else {} if raw == "{}" else json.loads(raw)
        for name in self._bool:
            values[name] = bool(values[name])
        # Every field is here (``seq`` and the columns), so the dataclass's ``__init__`` would
        # only copy them one by one from keyword arguments: a third of reading a run.
        record = self.record.__new__(self.record)
        record.__dict__ = values
        return record


RUNS = Table("runs", Run, json={"options", "tags", "idempotency_key_options", "error", "events", "realtime_streams"},
             bool={"is_test"}, kept={"tags"})  # tags: RunsTx writes them with their run_tags rows
#: Tags, only when they changed (then ``run_tags`` is rewritten).
UPDATE_RUN_TAGS = "UPDATE runs SET tags = ? WHERE id = ? AND tags IS NOT ?"
BATCHES = Table("batches", Batch, json={"idempotency_key_options", "task_identifiers", "errors"},
                bool={"sealed", "resume_parent"})
