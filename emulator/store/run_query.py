"""The run list: one indexed, keyset-paginated query (runs.md §4.2)."""

from __future__ import annotations

from typing import Any

from ..core.records import Run
from ..core.run_query import Cursor, RunQuery
from .database import TxBase
from .rows import RUNS

#: A run's columns read through a join with ``run_tags`` (whose names overlap).
SELECT_TAGGED_RUN = "SELECT " + ", ".join(f"runs.{c}" for c in ["seq", *RUNS.columns])


def _in(column: str, values: list[Any], where: list[str], params: list[Any]) -> None:
    where.append(f"{column} IN ({', '.join('?' for _ in values)})")
    params.extend(values)


class QueriesTx(TxBase):
    def cursor_for_run(self, env_id: str, run_id: str) -> Cursor | None:
        row = self._one("SELECT created_at FROM runs WHERE env_id = ? AND id = ?", (env_id, run_id))
        return None if row is None else Cursor(int(row[0]), run_id)

    def list_runs(self, env_id: str, query: RunQuery, after: Cursor | None, before: Cursor | None) -> list[Run]:
        """Up to ``size + 1`` runs: newest first, or (for ``before``) oldest first from the cursor."""
        # One tag (the usual filter) walks that tag's index entries in list order and stops at
        # the page; several tags (any of them) collect their runs first.
        walk_tag = query.tags is not None and len(query.tags) == 1
        where = ["t.env_id = ?", "t.tag = ?"] if walk_tag else ["env_id = ?"]
        params: list[Any] = [env_id, query.tags[0]] if walk_tag and query.tags else [env_id]
        created, run_id = ("t.created_at", "t.run_id") if walk_tag else ("created_at", "id")
        if query.nothing:
            where.append("0")
        if query.created_from is not None:
            where.append(f"{created} >= ?")
            params.append(query.created_from)
        if query.created_to is not None:
            where.append(f"{created} <= ?")
            params.append(query.created_to)
        for column, values in (
            ("status", query.statuses),
            ("task", query.tasks),
            ("lock_to_version", query.versions),
            ("queue", query.queues),
            ("machine", query.machines),
        ):
            if values:
                _in(column, values, where, params)
        if query.batch:
            where.append("batch_id = ?")
            params.append(query.batch)
        if query.schedule:
            where.append("id IN (SELECT run_id FROM schedule_runs WHERE schedule_id = ?)")
            params.append(query.schedule)
        if query.is_test is not None:
            where.append("is_test = ?")
            params.append(int(query.is_test))
        if query.tags and not walk_tag:
            marks = ", ".join("?" for _ in query.tags)
            where.append(f"id IN (SELECT run_id FROM run_tags WHERE env_id = ? AND tag IN ({marks}))")
            params.append(env_id)
            params.extend(query.tags)
        if before is not None:
            where.append(f"({created} > ? OR ({created} = ? AND {run_id} > ?))")
            params.extend([before.created_at, before.created_at, before.run_id])
            order = f"{created} ASC, {run_id} ASC"
        else:
            if after is not None:
                where.append(f"({created} < ? OR ({created} = ? AND {run_id} < ?))")
                params.extend([after.created_at, after.created_at, after.run_id])
            order = f"{created} DESC, {run_id} DESC"
        source = f"{SELECT_TAGGED_RUN} FROM run_tags AS t CROSS JOIN runs ON runs.id = t.run_id" if walk_tag else RUNS.select
        sql = f"{source} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"
        params.append(query.size + 1)
        return [RUNS.from_row(row) for row in self._all(sql, params)]
