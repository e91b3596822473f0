"""Everything a backend does with runs after triggering them, besides the lifecycle: the run
list, tags, metadata, idempotency-key reset, results and stored packets (runs.md §4.2, §4.6-4.10,
triggering.md §9). Each public method is one unit of work; no HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core import metadata, packets, storable
from ..core.errors import ApiError, NotFound
from ..core.limits import MAX_TAGS, METADATA_LIMIT, UPDATABLE_WINDOW_MS
from ..core.records import (
    CANCELED,
    COMPLETED_SUCCESSFULLY,
    EXPIRED,
    TIMED_OUT,
    Environment,
    Run,
)
from ..core.run_query import Cursor, RunQuery, encode_cursor
from ..core.schemas import UpdateMetadataBody
from ..store import Tx
from .engine import Engine
from .unit import unit


@dataclass
class Page:
    runs: list[Run]
    next: str | None
    previous: str | None


class RunDataService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- list -----------------------------------------------------------------------------
    @unit(read=True)
    def list_runs(self, tx: Tx, now: int, env: Environment, query: RunQuery) -> Page:
        if query.env_slugs is not None and env.slug not in query.env_slugs:
            return Page([], None, None)
        after = self._cursor(tx, env, query.after)
        before = self._cursor(tx, env, query.before)
        if (query.after and after is None) or (query.before and before is None):
            return Page([], None, None)  # a cursor naming nothing we know matches nothing
        rows = tx.list_runs(env.id, query, after, before)
        more = len(rows) > query.size
        rows = rows[: query.size]
        if before is not None:
            rows.reverse()  # newest first on every page (upstream's backward page is ascending)
            nxt = encode_cursor(rows[-1].created_at, rows[-1].id) if rows else None
            prev = encode_cursor(rows[0].created_at, rows[0].id) if rows and more else None
            return Page(rows, nxt, prev)
        nxt = encode_cursor(rows[-1].created_at, rows[-1].id) if rows and more else None
        prev = encode_cursor(rows[0].created_at, rows[0].id) if rows and after is not None else None
        return Page(rows, nxt, prev)

    @staticmethod
    def _cursor(tx: Tx, env: Environment, value: Cursor | str | None) -> Cursor | None:
        if value is None or isinstance(value, Cursor):
            return value
        return tx.cursor_for_run(env.id, value)

    # -- tags -----------------------------------------------------------------------------
    async def add_tags(self, env: Environment, run_id: str, tags: list[str]) -> str:
        for index, tag in enumerate(tags):
            storable.check(tag, f"tags[{index}]")
        wanted = [t for t in tags if t.strip()]
        if not wanted:
            return "No new tags to add"
        return await self._add_tags(env, run_id, wanted)

    @unit
    def _add_tags(self, tx: Tx, now: int, env: Environment, run_id: str, wanted: list[str]) -> str:
        run = tx.run(env.id, run_id)
        if run is None:
            raise NotFound("Run not found")
        new = [t for t in wanted if t not in run.tags]
        if len(run.tags) + len(new) > MAX_TAGS:
            listed = ", ".join(f"'{t}'" for t in new)
            raise ApiError(
                422,
                f"Runs can only have {MAX_TAGS} tags, you're trying to set {len(run.tags) + len(new)}. "
                f"These tags have not been set: {listed}.",
            )
        if not new:
            return "No new tags to add"
        run.tags = run.tags + new
        run.updated_at = now
        tx.update_run(run)
        return f"Successfully set {len(new)} new tags."

    # -- metadata -------------------------------------------------------------------------
    @unit(read=True)
    def get_metadata(self, tx: Tx, now: int, env: Environment, run_id: str) -> tuple[Any, str]:
        """The parsed object the SDK's schema expects (``{}`` when none), or with
        ``Config.metadata_get = "raw"`` production's stored string (or None)."""
        run = tx.run(env.id, run_id)
        if run is None:
            raise NotFound("Run not found")
        if self.engine.config.metadata_get == "raw":
            return run.metadata, run.metadata_type
        return packets.parse_metadata(run.metadata, run.metadata_type) or {}, run.metadata_type

    async def update_metadata(self, env: Environment, run_id: str, body: UpdateMetadataBody) -> dict[str, Any]:
        try:
            return await self._update_metadata(env, run_id, body)
        except metadata.TooDeep as exc:
            raise ApiError(422, str(exc)) from None

    @unit
    def _update_metadata(self, tx: Tx, now: int, env: Environment, run_id: str, body: UpdateMetadataBody) -> dict[str, Any]:
        run = tx.run(env.id, run_id)
        if run is None:
            raise NotFound("Task Run not found")
        if run.completed_at is not None and now - run.completed_at > UPDATABLE_WINDOW_MS:
            raise ApiError(422, "Cannot update metadata for a completed run")
        current = packets.parse_metadata(run.metadata, run.metadata_type) or {}
        fields = body.model_fields_set
        if "operations" in fields and body.operations is not None:
            result, applied = metadata.apply(current, metadata.operations_of(body.operations))
        elif "metadata" in fields and body.metadata is not None:
            result, applied = body.metadata, True
        else:
            result, applied = {}, False
        if applied:
            self._write_metadata(run, result, now)
            tx.update_run(run)
        for ops, target_id in ((body.parentOperations, run.parent_id), (body.rootOperations, run.root_id)):
            if not ops:
                continue
            target = run if target_id is None else tx.run(env.id, target_id)
            if target is None:
                continue
            target_current = packets.parse_metadata(target.metadata, target.metadata_type) or {}
            changed, target_applied = metadata.apply(target_current, metadata.operations_of(ops))
            if target_applied:
                self._write_metadata(target, changed, now)
                tx.update_run(target)
                if target is run:
                    result = changed
        return result

    @staticmethod
    def _write_metadata(run: Run, value: dict[str, Any], now: int) -> None:
        data = packets.js_stringify(value)
        if packets.utf8_size(data) > METADATA_LIMIT:
            raise ApiError(413, f"Metadata exceeds maximum size of {METADATA_LIMIT} bytes")
        run.metadata = data
        run.metadata_type = packets.JSON
        run.updated_at = now

    # -- idempotency reset ----------------------------------------------------------------
    async def reset_idempotency_key(self, env: Environment, key: str, task: str) -> None:
        storable.check(task, "taskIdentifier")
        storable.check(key, "idempotencyKey")
        await self._reset_idempotency_key(env, key, task)

    @unit
    def _reset_idempotency_key(self, tx: Tx, now: int, env: Environment, key: str, task: str) -> None:
        if not tx.clear_idempotency_key(env.id, task, key, now):
            raise NotFound(f"No runs found with idempotency key: {key} and task: {task}")

    # -- results --------------------------------------------------------------------------
    @unit(read=True)
    def result(self, tx: Tx, now: int, env: Environment, run_id: str) -> dict[str, Any]:
        run = tx.run(env.id, run_id)
        result = None if run is None else execution_result(run, self._results_from_state)
        if result is None:
            raise NotFound("Run either doesn't exist or is not finished")
        return result

    @unit(read=True)
    def batch_results(self, tx: Tx, now: int, env: Environment, batch_id: str) -> dict[str, Any]:
        batch = tx.batch(env.id, batch_id)
        if batch is None:
            raise NotFound("Batch not found")
        if not self._results_from_state:
            return {"id": batch.id, "items": []}  # upstream's V2 batches have no item rows
        runs = [tx.run(env.id, run_id) for run_id in tx.batch_run_ids(batch.id)]
        items = [r for r in (execution_result(run) for run in runs if run is not None) if r is not None]
        return {"id": batch.id, "items": items}

    @property
    def _results_from_state(self) -> bool:
        return self.engine.config.run_results != "production"

    # -- packets --------------------------------------------------------------------------
    @unit
    def put_object(self, tx: Tx, now: int, env_id: str, path: str, content_type: str | None, data: bytes) -> None:
        tx.put_object(env_id, path, content_type, data, now)

    @unit(read=True)
    def get_object(self, tx: Tx, now: int, env_id: str, path: str) -> tuple[str | None, bytes] | None:
        return tx.get_object(env_id, path)


def execution_result(run: Run, from_state: bool = True) -> dict[str, Any] | None:
    """``TaskRunExecutionResult`` from run state; None while unfinished, EXPIRED or TIMED_OUT.

    Production builds it from attempt rows engine-V2 runs never get, so only a cancelled run
    has one there (``from_state=False``)."""
    base = {"id": run.id, "taskIdentifier": run.task}
    if not from_state and run.status != CANCELED:
        return None
    if run.status == COMPLETED_SUCCESSFULLY:
        out = {"ok": True, **base}
        if run.output is not None:
            out["output"] = run.output
        out["outputType"] = run.output_type
        return out
    if run.status == CANCELED:
        return {"ok": False, **base, "error": {"type": "INTERNAL_ERROR", "code": "TASK_RUN_CANCELLED"}}
    if run.is_final and run.status not in (EXPIRED, TIMED_OUT):
        return {"ok": False, **base, "error": run.error or {"type": "STRING_ERROR", "raw": "Failed"}}
    return None
