"""The run list: one indexed, keyset-paginated query (runs.md §4.2)."""

from __future__ import annotations

from typing import Any

from ..core.records import Run
from ..core.run_query import Cursor, RunQuery
from .database import TxBase
from .rows import SELECT_RUN, run_from_row


def _in(column: str, values: list[Any], where: list[str], params: list[Any]) -> None:
    where.append(f"{column} IN ({', '.join('?' for _ in values)})")
    params.extend(values)


class QueriesTx(TxBase):
    def cursor_for_run(self, env_id: str, run_id: str) -> Cursor | None:
        row = self._one("SELECT created_at FROM runs WHERE env_id = ? AND id = ?", (env_id, run_id))
        return None if row is None else Cursor(int(row[0]), run_id)

    def list_runs(self, env_id: str, query: RunQuery, after: Cursor | None, before: Cursor | None) -> list[Run]:
        """Up to ``size + 1`` runs: newest first, or (for ``before``) oldest first from the cursor."""
        where = ["env_id = ?"]
        params: list[Any] = [env_id]
        if query.nothing:
            where.append("0")
        if query.created_from is not None:
            where.append("created_at >= ?")
            params.append(query.created_from)
        if query.created_to is not None:
            where.append("created_at <= ?")
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
        if query.tags:
            marks = ", ".join("?" for _ in query.tags)
            where.append(f"id IN (SELECT run_id FROM run_tags WHERE env_id = ? AND tag IN ({marks}))")
            params.append(env_id)
            params.extend(query.tags)
        if before is not None:
            where.append("(created_at > ? OR (created_at = ? AND id > ?))")
            params.extend([before.created_at, before.created_at, before.run_id])
            order = "created_at ASC, id ASC"
        else:
            if after is not None:
                where.append("(created_at < ? OR (created_at = ? AND id < ?))")
                params.extend([after.created_at, after.created_at, after.run_id])
            order = "created_at DESC, id DESC"
        sql = f"{SELECT_RUN} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"
        params.append(query.size + 1)
        return [run_from_row(row) for row in self._all(sql, params)]
