"""Realtime streams with no HTTP (contract realtime.md §8, the v1 format): what a task writes
to a run's streams (create, NDJSON ingest, append, input streams), what a test writes through
the control API, and a reader that follows a stream as it grows."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

from ..core import packets
from ..core.errors import ApiError
from ..core.feeds import stream_key
from ..core.limits import STREAM_PING_INTERVAL_S
from ..core.records import Environment, Run
from ..store import StreamRecord, Tx
from . import notifier
from .engine import Engine
from .unit import unit

#: Input streams live beside the run's own streams under this prefix (R-sin).
INPUT_PREFIX = "$trigger.input:"


def _text_error(status: int, message: str) -> ApiError:
    return ApiError(status, message, body=message, media_type="text/plain")


class StreamService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- what a task writes ---------------------------------------------------------------
    @staticmethod
    def _target(tx: Tx, env: Environment, run_id: str, target: str) -> Run:
        run = tx.run(env.id, run_id)
        if run is None:
            raise _text_error(404, "Run not found")
        target_id = {"self": run.id, "parent": run.parent_id, "root": run.root_id}.get(target)
        found = tx.run(env.id, target_id) if target_id else None
        if found is None:
            raise _text_error(404, "Target not found")
        return found

    @staticmethod
    def _register(tx: Tx, run: Run, key: str, now: int) -> None:
        """Add ``key`` to the run's ``realtimeStreams`` (a change its feeds show)."""
        if key not in run.realtime_streams:
            run.realtime_streams = [*run.realtime_streams, key]
            run.updated_at = now
            tx.update_run(run)

    @unit
    def create(self, tx: Tx, now: int, env: Environment, run_id: str, target: str, key: str) -> Run:
        run = self._target(tx, env, run_id, target)
        if run.completed_at is not None:
            raise _text_error(400, "Cannot initialize a realtime stream on a completed run")
        self._register(tx, run, key, now)
        return run

    @unit
    def ingest(self, tx: Tx, now: int, env: Environment, run_id: str, target: str, key: str, client_id: str,
               first_chunk: int, lines: list[str]) -> None:
        run = self._target(tx, env, run_id, target)
        tx.append_stream_records(run.id, key, client_id, first_chunk, lines, now)

    @unit(read=True)
    def check_target(self, tx: Tx, now: int, env: Environment, run_id: str, target: str) -> Run:
        return self._target(tx, env, run_id, target)

    @unit(read=True)
    def last_chunk_index(self, tx: Tx, now: int, env: Environment, run_id: str, target: str, key: str,
                         client_id: str) -> int:
        run = self._target(tx, env, run_id, target)
        return tx.last_chunk_index(run.id, key, client_id)

    @unit
    def append(self, tx: Tx, now: int, env: Environment, run_id: str, target: str, key: str, text: str) -> None:
        run = self._target(tx, env, run_id, target)
        if run.completed_at is not None:
            raise _text_error(400, "Cannot append to a realtime stream on a completed run")
        self._register(tx, run, key, now)
        tx.append_stream_records(run.id, key, "", 0, [packets.js_stringify(text)], now)

    @unit
    def send_input(self, tx: Tx, now: int, env: Environment, run_id: str, key: str, body: Any) -> None:
        """``body`` is the parsed request (``{"data": …}``), None when it was not JSON."""
        run = tx.run(env.id, run_id)
        if run is None:
            raise ApiError(404, body={"ok": False, "error": "Run not found"})
        if run.completed_at is not None:
            raise ApiError(400, body={"ok": False, "error": "Cannot send to input stream on a completed run"})
        if not isinstance(body, dict):
            raise ApiError(400, body={"ok": False, "error": "Invalid request body"})
        # JSON.stringify(undefined) is undefined: a body without "data" stores "undefined".
        line = packets.js_stringify(body["data"]) if "data" in body else "undefined"
        tx.append_stream_records(run.id, INPUT_PREFIX + key, "", 0, [line], now)

    # -- what a test writes ---------------------------------------------------------------
    @unit
    def write(self, tx: Tx, now: int, run_id: str, key: str, chunks: list[Any], env: Environment | None = None) -> Run:
        """Append ``chunks`` (each serialized as one JSON line, as ``streams.pipe`` sends
        them) to the run's stream ``key``, creating it on the run first."""
        run = tx.run(env.id, run_id) if env is not None else tx.run_anywhere(run_id)
        if run is None:
            raise ApiError(404, "Run not found")
        if run.completed_at is not None:
            raise ApiError(400, "Cannot append to a realtime stream on a completed run")
        self._register(tx, run, key, now)
        tx.append_stream_records(run.id, key, "emulator", 0, [packets.js_stringify(c) for c in chunks], now)
        return run

    # -- reading --------------------------------------------------------------------------
    @unit(read=True)
    def records(self, tx: Tx, now: int, run_id: str, key: str, after: int = -1) -> list[StreamRecord]:
        return tx.stream_records(run_id, key, after)

    async def follow(self, run_id: str, key: str, after: int, idle_timeout: float,
                     gone: asyncio.Future | None = None) -> AsyncIterator[list[StreamRecord] | None]:
        """Records after index ``after`` as they are written: batches of records, and None
        for a keep-alive after 10 s of silence. Ends after ``idle_timeout`` seconds without
        data, when the client is gone, or on reset or shutdown."""
        loop = asyncio.get_running_loop()
        with self.engine.notifier.watch([stream_key(run_id, key)]) as watch:
            last_data = last_sent = loop.time()
            while True:
                records = await self.records(run_id, key, after)
                if records:
                    after = records[-1].idx
                    last_data = last_sent = loop.time()
                    yield records
                    continue
                idle_end = last_data + idle_timeout
                outcome = await watch.wait(min(idle_end, last_sent + STREAM_PING_INTERVAL_S) - loop.time(), gone)
                if outcome == notifier.CHANGE:
                    continue
                if outcome != notifier.TIMEOUT or loop.time() >= idle_end:
                    return
                last_sent = loop.time()
                yield None
