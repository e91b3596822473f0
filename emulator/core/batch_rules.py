"""Batch rules in plain Python: the batch rate limiter, NDJSON framing, pre-failed items and
the batch status lifecycle (contract triggering.md §5-8, runs.md §6). No SQL, no HTTP."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import AsyncIterator

from . import ids, js_number, limits, packets, trigger_rules, wire_json
from .errors import ApiError
from .schemas import BatchItem, ValidationError, validation_message
from .records import (
    BATCH_COMPLETED,
    BATCH_PARTIAL_FAILED,
    BATCH_PENDING,
    FINAL_STATUSES,
    SYSTEM_FAILURE,
    Batch,
    Environment,
    Run,
)

MAX_RUN_COUNT = limits.MAX_RUN_COUNT
MAX_LINE_BYTES = limits.BODY_LIMIT
_SNIFF_INDEX = re.compile(rb'"index"\s*:\s*(\d+)')
_BLANK = re.compile(rb"[ \t\r\n]+")
_SNIFF_TASK = re.compile(rb'"task"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclass
class Oversized:
    """A line over the 3 MiB limit: kept only as its size and what could be sniffed."""

    size: int
    index: int | None
    task: str


async def ndjson_lines(chunks: AsyncIterator[bytes], max_line: int = MAX_LINE_BYTES) -> AsyncIterator[tuple[int, bytes | Oversized]]:
    """``(line number from 1, line)`` for every non-blank line of a streamed body."""
    buffer = bytearray()
    dropped = 0  # bytes of the current line past max_line, not kept
    line_no = 0

    def finish(line: bytes, extra: int):
        if extra or len(line) > max_line:
            head = bytes(line[:512])
            index = _SNIFF_INDEX.search(head)
            task = _SNIFF_TASK.search(head)
            return Oversized(
                len(line) + extra,
                int(index.group(1)) if index else None,
                task.group(1).decode("utf-8", "replace") if task else "",
            )
        return bytes(line)

    async for chunk in chunks:
        start = 0
        while True:
            if not buffer:
                # Blank lines cost nothing: jump over them at C speed (a body of 20 MB of
                # newlines would otherwise be 20 million turns of this loop).
                blank = _BLANK.match(chunk, start)
                if blank is not None:
                    end = chunk.rfind(b"\n", start, blank.end()) + 1
                    if end > start:
                        line_no += chunk.count(b"\n", start, end)
                        start = end
            newline = chunk.find(b"\n", start)
            piece = chunk[start:] if newline < 0 else chunk[start:newline]
            if len(buffer) + len(piece) > max_line + 1:
                keep = max(0, max_line + 1 - len(buffer))
                buffer += piece[:keep]
                dropped += len(piece) - keep
            else:
                buffer += piece
            if newline < 0:
                break
            line_no += 1
            if bytes(buffer).strip():
                yield line_no, finish(buffer, dropped)
            buffer = bytearray()
            dropped = 0
            start = newline + 1
    if bytes(buffer).strip():
        yield line_no + 1, finish(buffer, dropped)


def oversized_message(size: int) -> str:
    return (
        f"Batch item payload is too large ({size / 1024:.1f} KB). Maximum allowed size is "
        f"{MAX_LINE_BYTES / 1024:.1f} KB. Reduce the payload size or offload large data to external storage."
    )


def invalid_item_message(data: object, issues: list[dict]) -> str:
    """``Invalid item at index N: `` + zod's ``error.message`` (the issues, pretty-printed);
    a missing or non-number ``index`` is "unknown index"."""
    index = data.get("index") if isinstance(data, dict) else None
    known = isinstance(index, (int, float)) and not isinstance(index, bool)
    where = f"index {js_number.to_string(index)}" if known else "unknown index"
    return f"Invalid item at {where}: {json.dumps(issues, indent=2, ensure_ascii=False)}"


def failed_item_payload(payload: object) -> str:
    """A pre-failed run's payload: a string as sent, anything else ``JSON.stringify(p ?? "")``."""
    return payload if isinstance(payload, str) else packets.js_stringify("" if payload is None else payload)


COULD_NOT_TRIGGER = "BATCH_ITEM_COULD_NOT_TRIGGER"
#: The one-request v2 route discards an item's real error and says this.
V2_ITEM_FAILED = "Trigger failed for batch item (queue limit, entitlement, or validation error)"


def _stored(body: str) -> dict:
    """A stored item, read back as its request's body was (numbers as JS reads them)."""
    return wire_json.parse_json(body.encode("utf-8", "surrogatepass"))


def item_draft(
    env: Environment, batch: Batch, index: int, body: str, now: int, dev_default_ttl: str, *, item: BatchItem | None = None,
) -> trigger_rules.Draft | Run:
    """An item's draft run (exactly a single trigger's rules), or its pre-failed run when it
    cannot trigger. ``body``: the stored item; ``item``: the same, already validated and
    checked storable by the request that streamed it (so not done twice)."""
    data = _stored(body) if item is None else None
    if data is not None and "__oversized__" in data:
        task = str(data.get("task", ""))
        return pre_failed(env.id, batch, index, task, oversized_message(data["__oversized__"]), "PAYLOAD_TOO_LARGE", now)
    try:
        checked = item is not None
        if item is None:
            item = BatchItem.model_validate(data)
        # an item reads as a trigger body (its payload, sent or not, and its options)
        draft = trigger_rules.prepare(env, item.task, item, now, dev_default_ttl=dev_default_ttl, batch_item=True, checked=checked)
    except (ApiError, ValidationError) as exc:
        message = exc.message if isinstance(exc, ApiError) else validation_message(exc)
        data = _stored(body) if data is None else data
        options = data.get("options")
        payload_type = options.get("payloadType") if isinstance(options, dict) else None
        return pre_failed(env.id, batch, index, str(data.get("task", "")), message, COULD_NOT_TRIGGER, now,
                          payload=failed_item_payload(data.get("payload")),
                          payload_type=payload_type if isinstance(payload_type, str) else packets.JSON)
    draft.run.batch_id = batch.id
    draft.run.batch_index = index
    draft.run.trigger_function = "batchTriggerAndWait" if batch.resume_parent else "batchTrigger"
    if batch.parent_run_id:
        draft.run.options = {**draft.run.options, "parentRunId": batch.parent_run_id}
        if batch.resume_parent:
            draft.run.options["resumeParentOnCompletion"] = True
    return draft


class Drafter:
    """The drafts of one batch's items as it seals (``item_draft`` each). Items of one task
    sent without options make the same run but for its id, payload and index, so the first
    such item's draft is made by the rules and the others are copies of it with those three
    set: a thousand-item batch is mostly such items."""

    def __init__(self, env: Environment, batch: Batch, now: int, dev_default_ttl: str) -> None:
        self.env, self.batch, self.now, self.dev_default_ttl = env, batch, now, dev_default_ttl
        self._templates: dict[tuple[str, bool], trigger_rules.Draft] = {}

    def draft(self, index: int, body: str, item: BatchItem | None = None) -> trigger_rules.Draft | Run:
        """``item_draft(...)`` for this batch; ``item``: the validated item, when known."""
        if item is None or item.options is not None:
            return item_draft(self.env, self.batch, index, body, self.now, self.dev_default_ttl, item=item)
        sent = "payload" in item.model_fields_set
        template = self._templates.get((item.task, sent))
        if template is None:
            outcome = item_draft(self.env, self.batch, index, body, self.now, self.dev_default_ttl, item=item)
            if (isinstance(outcome, trigger_rules.Draft) and not needs_state(self.batch, outcome)
                    and not outcome.metadata_too_large):
                self._templates[(item.task, sent)] = outcome
            return outcome
        first = template.run
        run = _copy_run(first)
        run.id = ids.run_id()
        run.payload = packets.store_batch_payload(item.payload, first.payload_type, present=sent)
        run.batch_index = index
        return trigger_rules.Draft(run=run, idempotency_key=None, idempotency_ttl_ms=template.idempotency_ttl_ms,
                                   debounce=None, metadata_too_large=False)


def _copy_run(run: Run) -> Run:
    """A copy of a new run with lists and dicts of its own (``dataclasses.replace`` is several
    times slower: it validates every field again)."""
    copy = Run.__new__(Run)
    copy.__dict__.update(run.__dict__)
    copy.options = dict(run.options)
    copy.tags = list(run.tags)
    copy.events = [list(event) for event in run.events]
    copy.realtime_streams = list(run.realtime_streams)
    return copy


def needs_state(batch: Batch, draft: trigger_rules.Draft) -> bool:
    """Must the item go through the single-trigger path (a key, debounce, parent or version)?"""
    run = draft.run
    return (
        draft.idempotency_key is not None or draft.debounce is not None or bool(batch.parent_run_id)
        or bool(run.options.get("parentRunId")) or bool(run.lock_to_version)
    )


def with_parent(run: Run, parent: Run | None) -> Run:
    """A pre-failed run hangs under the batch's parent like the item's run would have."""
    if parent is not None:
        run.parent_id = parent.id
        run.root_id = parent.root_id or parent.id
        run.depth = parent.depth + 1
    return run


def pre_failed(env_id: str, batch: Batch, index: int, task: str, message: str, code: str, now: int,
               *, payload: str | None = "{}", payload_type: str = packets.JSON) -> Run:
    if batch.api == "v2" and code == COULD_NOT_TRIGGER:
        message = V2_ITEM_FAILED
    return pre_failed_run(env_id, task, batch, index, message, code, now, payload, payload_type)


def pre_failed_run(env_id: str, task: str, batch: Batch, index: int, message: str, code: str, now: int,
                   payload: str | None = "{}", payload_type: str = packets.JSON) -> Run:
    """§6.3: an item that could not trigger still gets a run, already SYSTEM_FAILURE, with the
    item's payload and no tags, key, metadata, delay or TTL."""
    run = Run(
        id=ids.run_id(),
        env_id=env_id,
        task=task or "unknown",
        status=SYSTEM_FAILURE,
        created_at=now,
        updated_at=now,
        queue=f"task/{task or 'unknown'}",
        payload=payload,
        payload_type=payload_type,
        completed_at=now,
        error={"type": "INTERNAL_ERROR", "code": code, "message": message},
        batch_id=batch.id,
        batch_index=index,
        trigger_function="batchTriggerAndWait" if batch.resume_parent else "batchTrigger",
    )
    run.events = [[SYSTEM_FAILURE, now]]
    return run


def status_of(batch: Batch, run_statuses: list[str]) -> str:
    """The shown status: PENDING/PARTIAL_FAILED become COMPLETED once every run is final."""
    if (
        batch.status in (BATCH_PENDING, BATCH_PARTIAL_FAILED)
        and batch.sealed
        and run_statuses
        and all(status in FINAL_STATUSES for status in run_statuses)
    ):
        return BATCH_COMPLETED
    return batch.status
