"""Batch triggering over the engine: the two-phase v3 API, the v2 and v1 batch routes, and
batch retrieval. Items become runs with exactly the single-trigger rules, in index order, in
one transaction when the batch seals."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable

from pydantic import ValidationError

from ..core import batch_rules, ids, js_json, js_number, storable, trigger_rules
from ..core.clock import iso
from ..core.errors import ApiError, NotFound
from ..core.limiter import TokenBucket
from ..core.limits import MAX_RUN_COUNT, METADATA_LIMIT, REQUEST_KEY_TTL_MS
from ..core.records import (
    BATCH_ABORTED,
    BATCH_PENDING,
    BATCH_PROCESSING,
    Batch,
    Environment,
    Run,
)
from ..core import wire_json
from ..core.schemas import BatchItem, CreateBatchBody, TaskBatchItem, zod_issues
from ..core.wire_json import parse_json
from ..store import Tx
from . import waits
from .engine import Engine
from .runs import RunService
from .unit import unit

@dataclass
class Created:
    batch: Batch
    cached: bool
    runs: list[tuple[Run, bool]]


@dataclass
class StreamResult:
    batch: Batch
    accepted: int
    deduplicated: int
    sealed: bool
    enqueued: int


@dataclass
class BatchView:
    batch: Batch
    status: str
    run_ids: list[str]
    run_statuses: list[str]


class BatchService:
    def __init__(self, engine: Engine, runs: RunService) -> None:
        self.engine = engine
        self.runs = runs

    @property
    def config(self):
        return self.engine.config

    # -- phase 1 --------------------------------------------------------------------------
    async def create(self, env: Environment, body: CreateBatchBody) -> Created:
        if body.runCount > MAX_RUN_COUNT:
            raise ApiError(400, f"Batch runCount of {body.runCount} exceeds maximum allowed of {MAX_RUN_COUNT}.")
        storable.check_all(body.model_dump(exclude_unset=True), "", nul_stripped=("idempotencyKeyOptions.key",))
        if body.idempotencyKeyOptions is not None:
            body.idempotencyKeyOptions.key = storable.strip_nul(body.idempotencyKeyOptions.key)
        return await self._create(env, body)

    @unit
    def _create(self, tx: Tx, now: int, env: Environment, body: CreateBatchBody) -> Created:
        if body.idempotencyKey is not None:
            existing = tx.batch_by_idempotency_key(env.id, body.idempotencyKey)
            if existing is not None:
                if self.config.batch_idempotency == "reject":
                    raise ApiError(
                        422, "Cannot create batch as it has already been created with the same idempotency key."
                    )
                return Created(existing, True, [])
        self._charge(env, body.runCount, now)
        batch = Batch(
            id=ids.batch_id(),
            env_id=env.id,
            status=BATCH_PENDING,
            run_count=body.runCount,
            created_at=now,
            updated_at=now,
            api="v3",
            idempotency_key=body.idempotencyKey,
            idempotency_key_options=(
                body.idempotencyKeyOptions.model_dump(mode="json") if body.idempotencyKeyOptions else None
            ),
            task_identifiers=body.taskIdentifiers,
            parent_run_id=body.parentRunId,
            resume_parent=bool(body.resumeParentOnCompletion),
        )
        tx.insert_batch(batch)
        if batch.parent_run_id and batch.resume_parent:
            waits.wait_for_batch(tx, env, batch.id, batch.parent_run_id, now)
        return Created(batch, False, [])

    def _charge(self, env: Environment, cost: int, now: int) -> None:
        limit = self.config.batch_rate_limit
        if limit is None:
            return
        capacity, refill, interval = limit
        bucket = self.engine.buckets.get(("batch", env.id))
        if bucket is None:
            bucket = TokenBucket.full(capacity, refill, interval, now)
            self.engine.buckets[("batch", env.id)] = bucket
        admitted, remaining, reset = bucket.take(cost, now)
        if admitted:
            return
        seconds = max(1, -(-(reset - now) // 1000))
        raise ApiError(
            429,
            f"Batch rate limit exceeded. Limit resets at {iso(reset)}",
            headers={
                "X-RateLimit-Limit": str(capacity),
                "X-RateLimit-Remaining": str(max(0, remaining)),
                # milliseconds, which the SDK can use (upstream sends seconds: contract §6.4 quirk)
                "X-RateLimit-Reset": str(reset),
                "Retry-After": str(seconds),
            },
        )

    # -- phase 2 --------------------------------------------------------------------------
    async def stream_items(
        self, env: Environment, batch_id: str, chunks: AsyncIterator[bytes], *, may_item: Callable[[str], bool] | None = None
    ) -> StreamResult:
        """Store the streamed items; ``may_item(task)`` (a public token without write on the
        batch) must allow each item's task, and such a caller must send at least one item."""
        if batch_id.count("_") != 1 or not all(batch_id.split("_")):
            raise ApiError(422, f"Invalid batchFriendlyId: {batch_id}")
        batch = await self.engine.db.run(lambda tx: tx.batch(env.id, batch_id), read=True)
        if batch is None:
            raise ApiError(422, f"Batch {batch_id} not found")
        if batch.sealed or batch.processing_completed_at is not None or batch.status != BATCH_PENDING:
            if batch.status == BATCH_ABORTED and not batch.sealed:
                raise ApiError(422, f"Batch {batch_id} is not in PENDING status (current: {batch.status})")
            return StreamResult(batch, 0, 0, True, batch.run_count)

        pending: list[tuple[int, str]] = []
        checked: dict[int, tuple[str, BatchItem]] = {}  # this request's items, already validated
        emitted = 0  # items read so far: an oversized line with no readable index gets this one
        try:
            async for line_no, line in batch_rules.ndjson_lines(chunks):
                item = self._ingest(batch, line_no, line, emitted, may_item)
                if item is None:
                    continue
                emitted += 1
                if emitted > batch.run_count:  # bounds one request's work (the SDK sends each item once)
                    raise ApiError(422, f"Too many items in one request: batch {batch.id} has {batch.run_count} runs")
                index, text, parsed = item
                pending.append((index, text))
                if parsed is not None:
                    checked.setdefault(index, (text, parsed))
        except BaseException:
            if pending:  # items accepted before an error stay enqueued
                await self._enqueue(env, batch.id, pending)
            raise
        if may_item is not None and not emitted:
            raise ApiError(403, "Unauthorized")
        return await self._store_items(env, batch.id, pending, checked)

    def _ingest(
        self, batch: Batch, line_no: int, line: bytes | batch_rules.Oversized, emitted: int,
        may_item: Callable[[str], bool] | None = None,
    ) -> tuple[int, str, BatchItem | None] | None:
        """One NDJSON line as ``(index, stored item, the validated item)``; None for a line
        that is only whitespace.
        ``may_item(task)``: may this caller trigger the item's task (403 otherwise)?"""
        if isinstance(line, batch_rules.Oversized):
            if may_item is not None and not may_item(line.task):
                raise ApiError(403, "Unauthorized")
            index = line.index if line.index is not None else emitted
            self._check_index(batch, index)
            marker = {"__oversized__": line.size, "index": index, "task": line.task}
            return index, json.dumps(marker), None
        try:
            text = line.decode("utf-8").strip(js_number.JS_SPACE)
        except UnicodeDecodeError:
            if self.config.bad_input == "production":
                raise ApiError(500, "Something went wrong") from None
            raise ApiError(400, f"Invalid UTF-8 at line {line_no}: The encoded data was not valid for encoding utf-8") from None
        if not text:
            return None
        try:
            data = parse_json(text.encode("utf-8", "surrogatepass"))
        except ValueError:
            detail = js_json.error_message(text) or "Number out of range"  # JS would read Infinity
            raise ApiError(400, f"Invalid JSON at line {line_no}: {detail}") from None
        try:
            item = BatchItem.model_validate(data)
        except ValidationError as exc:
            raise ApiError(422, batch_rules.invalid_item_message(data, zod_issues(exc))) from None
        if may_item is not None and not may_item(item.task):
            raise ApiError(403, "Unauthorized")
        self._check_index(batch, item.index)
        try:
            storable.check(item.task, "task")
            trigger_rules.check_storable(item, batch_item=True)
        except ApiError as exc:
            raise ApiError(422, f"Invalid item at index {item.index}: {exc.message}") from None
        return item.index, text, item

    @staticmethod
    def _check_index(batch: Batch, index: int) -> None:
        if index >= batch.run_count:
            raise ApiError(422, f"Item index {index} exceeds batch runCount {batch.run_count}")

    @unit
    def _enqueue(self, tx: Tx, now: int, env: Environment, batch_id: str, pending: list[tuple[int, str]]) -> None:
        """Store items without sealing (a request that failed part-way keeps what it sent)."""
        batch = tx.batch(env.id, batch_id)
        if batch is not None and not batch.sealed:
            tx.add_batch_items(batch.id, pending)

    @unit
    def _store_items(
        self, tx: Tx, now: int, env: Environment, batch_id: str, pending: list[tuple[int, str]],
        checked: dict[int, tuple[str, BatchItem]],
    ) -> StreamResult:
        """Store one request's items (an index already stored, or sent twice, keeps its first
        item) and seal the batch when they complete it: in one unit, so items sealed now are
        written once, with their runs."""
        batch = tx.batch(env.id, batch_id)
        assert batch is not None
        if batch.sealed:  # sealed by another request meanwhile: every index is taken
            return StreamResult(batch, 0, len(pending), True, batch.run_count)
        stored_count = tx.batch_item_count(batch.id)
        fresh = dict(reversed(pending))  # an index sent twice keeps its first item
        if stored_count + len(fresh) < batch.run_count:  # cannot complete it: store, no read-back
            accepted = tx.add_batch_items(batch.id, list(fresh.items()))
            return StreamResult(batch, accepted, len(pending) - accepted, False, stored_count + accepted)
        stored = tx.batch_items(batch.id) if stored_count else []
        for index, _ in stored:
            fresh.pop(index, None)
        accepted, dedup = len(fresh), len(pending) - len(fresh)
        enqueued = stored_count + accepted
        if enqueued < batch.run_count:
            tx.add_batch_items(batch.id, list(fresh.items()))
            return StreamResult(batch, accepted, dedup, False, enqueued)
        items = sorted([*stored, *fresh.items()])
        self._seal(tx, env, batch, items, now, checked, fresh=fresh)
        return StreamResult(batch, accepted, dedup, True, enqueued)

    def _seal(
        self, tx: Tx, env: Environment, batch: Batch, items: list[tuple[int, str]], now: int,
        checked: dict[int, tuple[str, BatchItem]] | None = None, *, fresh: dict[int, str] | None = None,
    ) -> list[tuple[Run, bool]]:
        """Seal and turn every item into a run, in index order, inside the caller's transaction.

        Items that need no stored state (no idempotency key, debounce, parent or locked
        version) are written in bulk; the others go through the single-trigger path one by
        one, after every earlier item is written, so later items see earlier ones exactly as
        separate triggers would. An item that cannot trigger still gets a run, pre-failed
        (§6.3): it counts as a created run, not as a batch error. ``checked``: items this
        request validated, by index with their stored text (an index stored earlier differs).
        ``fresh``: items not stored yet, by index; they are stored here with their runs.
        """
        batch.sealed = True
        batch.status = BATCH_PROCESSING
        parent = tx.run(env.id, batch.parent_run_id) if batch.parent_run_id else None
        drafter = batch_rules.Drafter(env, batch, now, self.config.dev_default_ttl)
        made: list[tuple[Run, bool]] = []
        unwritten: list[Run] = []
        for index, body in items:
            known = checked.get(index) if checked else None
            item = known[1] if known is not None and known[0] == body else None
            outcome = drafter.draft(index, body, item)
            if isinstance(outcome, Run):
                run, cached = batch_rules.with_parent(outcome, parent), False
                unwritten.append(run)
            elif batch_rules.needs_state(batch, outcome):
                tx.insert_runs(unwritten)
                unwritten.clear()
                try:
                    run, cached = self.runs.trigger_prepared(tx, env, outcome, now)
                except ApiError as exc:
                    draft = outcome.run
                    failed = batch_rules.pre_failed(env.id, batch, index, draft.task, exc.message, batch_rules.COULD_NOT_TRIGGER, now,
                                              payload=draft.payload, payload_type=draft.payload_type)
                    run, cached = batch_rules.with_parent(failed, parent), False
                    unwritten.append(run)
            elif outcome.metadata_too_large:
                draft = outcome.run
                message = f"Metadata exceeds maximum size of {METADATA_LIMIT} bytes"
                failed = batch_rules.pre_failed(env.id, batch, index, draft.task, message, batch_rules.COULD_NOT_TRIGGER, now,
                                          payload=draft.payload, payload_type=draft.payload_type)
                run, cached = batch_rules.with_parent(failed, parent), False
                unwritten.append(run)
            else:
                run, cached = outcome.run, False
                unwritten.append(run)
            made.append((run, cached))
        tx.insert_runs(unwritten)
        fresh = fresh or {}
        tx.add_sealed_batch_items(batch.id, [(index, body, run.id) for (index, body), (run, _) in zip(items, made)
                                             if index in fresh and (run.batch_id, run.batch_index) != (batch.id, index)])
        tx.set_batch_item_runs(batch.id, [(index, run.id) for (index, _), (run, _) in zip(items, made) if index not in fresh])
        # Every item got a run (failed items a pre-failed one), so the batch waits on its runs.
        batch.status = BATCH_PENDING
        if batch.api != "v2":  # the one-request v2 route never records its processing
            batch.processing_completed_at = now
        batch.updated_at = now
        tx.update_batch(batch)
        return made

    # -- one-request batches (v2 and v1 routes) -------------------------------------------
    @unit
    def trigger_items(
        self,
        tx: Tx,
        now: int,
        env: Environment,
        items: list[TaskBatchItem],
        *,
        api: str,
        parent_run_id: str | None = None,
        resume_parent: bool = False,
        idempotency_key: str | None = None,
        request_key: str | None = None,
    ) -> Created:
        """Create a batch and its runs at once (v2 ``tasks/batch``, the v1 routes)."""
        for index, item in enumerate(items):  # the first unstorable item refuses the batch (422)
            storable.check(item.task, f"items[{index}].task")
            trigger_rules.check_storable(item, batch_item=True, where=f"items[{index}]")
        storable.check(parent_run_id, "parentRunId")
        scoped = f"batch:{request_key}" if request_key and self.config.request_idempotency else None
        if scoped is not None:
            replayed = tx.request_key(env.id, scoped, now - REQUEST_KEY_TTL_MS)
            found = tx.batch(env.id, replayed) if replayed else None
            if found is not None:
                return Created(found, False, [])
        if idempotency_key is not None:
            existing = tx.batch_by_idempotency_key(env.id, idempotency_key)
            if existing is not None:
                runs = [tx.run(env.id, run_id) for run_id in tx.batch_run_ids(existing.id)]
                return Created(existing, True, [(run, True) for run in runs if run is not None])
        batch = Batch(
            id=ids.batch_id(),
            env_id=env.id,
            status=BATCH_PENDING,
            run_count=len(items),
            created_at=now,
            updated_at=now,
            api=api,
            idempotency_key=idempotency_key,
            parent_run_id=parent_run_id,
            resume_parent=resume_parent,
        )
        tx.insert_batch(batch)
        if parent_run_id and resume_parent:
            waits.wait_for_batch(tx, env, batch.id, parent_run_id, now)
        stored = []
        for index, item in enumerate(items):
            line: dict[str, Any] = {"index": index, "task": item.task}
            if "payload" in item.model_fields_set:
                line["payload"] = item.payload
            if item.options is not None:
                line["options"] = trigger_rules.options_record(item.options)
            stored.append((index, wire_json.stringify(line)))
        runs = self._seal(tx, env, batch, stored, now, fresh=dict(stored))
        if scoped is not None:
            tx.save_request_key(env.id, scoped, batch.id, now)
        return Created(batch, False, runs)

    # -- reading --------------------------------------------------------------------------
    @unit(read=True)
    def retrieve(self, tx: Tx, now: int, env: Environment, batch_id: str, *, should_retry: bool = True) -> BatchView:
        batch = tx.batch(env.id, batch_id)
        if batch is None:
            raise NotFound("Not found", should_retry=should_retry)
        return self._view(tx, batch)

    @unit(read=True)
    def all(self, tx: Tx, now: int, newest: int | None = None) -> list[BatchView]:
        """Every batch in creation order, or the ``newest`` few, newest first."""
        return [self._view(tx, batch) for batch in tx.all_batches(newest)]

    @unit(read=True)
    def find(self, tx: Tx, now: int, batch_id: str) -> BatchView | None:
        """A batch in any environment (dashboard and the Python API)."""
        batch = tx.batch_anywhere(batch_id)
        return None if batch is None else self._view(tx, batch)

    @staticmethod
    def _view(tx: Tx, batch: Batch) -> BatchView:
        runs = tx.batch_runs(batch.id)
        statuses = [status for _, status in runs]
        return BatchView(batch, batch_rules.status_of(batch, statuses), [run_id for run_id, _ in runs], statuses)
