"""Batch rules in plain Python: the batch rate limiter, NDJSON framing, pre-failed items and
the batch status lifecycle (contract triggering.md §5-8, runs.md §6). No SQL, no HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import AsyncIterator

from . import ids, limits
from .records import (
    BATCH_COMPLETED,
    BATCH_PARTIAL_FAILED,
    BATCH_PENDING,
    FINAL_STATUSES,
    SYSTEM_FAILURE,
    Batch,
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
        f"Batch item payload is too large ({size / 1024:.2f} KB). Maximum allowed size is "
        f"{MAX_LINE_BYTES / 1024:.2f} KB. Reduce the payload size or offload large data to external storage."
    )


def pre_failed_run(env_id: str, task: str, batch: Batch, index: int, message: str, code: str, now: int) -> Run:
    """§6.3: an item that could not trigger still gets a run, already SYSTEM_FAILURE."""
    run = Run(
        id=ids.run_id(),
        env_id=env_id,
        task=task or "unknown",
        status=SYSTEM_FAILURE,
        created_at=now,
        updated_at=now,
        queue=f"task/{task or 'unknown'}",
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
        and batch.processing_completed_at is not None
        and run_statuses
        and all(status in FINAL_STATUSES for status in run_statuses)
    ):
        return BATCH_COMPLETED
    return batch.status
