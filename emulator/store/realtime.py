"""The rows of realtime feeds: runs of one feed, all or only those changed after a change number."""

from __future__ import annotations

from ..core.feeds import Feed
from ..core.limits import MAX_TAGS
from ..core.records import Run
from .database import TxBase
from .rows import RUNS


class RealtimeTx(TxBase):
    def feed_runs(self, feed: Feed, after: int | None = None, newest: int | None = None) -> list[Run]:
        """The runs ``feed`` holds in creation order: all of them (at most the ``newest``
        few), or only those written after change number ``after``."""
        if len(feed.tags) > MAX_TAGS:
            return []  # no run has that many tags
        where = ["env_id = ?"]
        params: list[object] = [feed.env_id]
        if feed.run_id is not None:
            where.append("id = ?")
            params.append(feed.run_id)
        if feed.batch_id is not None:
            where.append("batch_id = ?")
            params.append(feed.batch_id)
        for tag in feed.tags:
            where.append("id IN (SELECT run_id FROM run_tags WHERE env_id = ? AND tag = ?)")
            params.extend((feed.env_id, tag))
        if feed.created_after is not None:
            where.append("created_at > ?")
            params.append(feed.created_after)
        if after is not None:
            where.append("version > ?")
            params.append(after)
        sql = RUNS.select + " WHERE " + " AND ".join(where)
        if newest is not None:
            rows = self._all(sql + " ORDER BY seq DESC LIMIT ?", [*params, newest])
            rows.reverse()
        else:
            rows = self._all(sql + " ORDER BY seq", params)
        return [RUNS.from_row(r) for r in rows]

    def change_version(self) -> int:
        """The last change number handed out (0 on a new database)."""
        if self._store.change_count is not None:
            return self._store.change_count
        row = self._one("SELECT version FROM changes WHERE id = 1")
        return 0 if row is None else int(row[0])
