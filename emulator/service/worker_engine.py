"""The dev worker's side of the run engine: dequeue, attempts, snapshots and waits, each one
unit of work (dev-worker protocol §b-c). Answers are the worker schemas' shapes; errors carry
the run engine's statuses and messages."""

from __future__ import annotations

import json
from typing import Any

from ..core import ids, metadata, packets, snapshots, transitions
from ..core import waitpoints as wps
from ..core.clock import iso
from ..core.errors import ApiError
from ..core.records import DEQUEUED, EXECUTING, PENDING, PENDING_VERSION, RETRYING_AFTER_FAILURE, Environment, Run
from ..core.snapshots import Snapshot
from ..core.waitpoints import Waitpoint
from ..core.workers import MACHINE, ORG_ID, PROJECT_ID, Worker
from ..store import Tx
from . import waits
from .engine import Engine
from .runs import RunService
from .unit import unit
from .workers import WorkerService

NO_PERMISSION = "You don't have permissions for this run"
DISCONNECT_REASON = "Dev session ended (CLI exited)"
#: How many runs one dequeue hands out at most (the CLI keeps its own limit too).
MAX_CONCURRENT_RUNS = 10


def _no_permission() -> ApiError:
    return ApiError(401, NO_PERMISSION, body=NO_PERMISSION.encode(), media_type="text/plain")


class WorkerEngine:
    def __init__(self, engine: Engine, workers: WorkerService, runs: RunService) -> None:
        self.engine = engine
        self.workers = workers
        self.runs = runs

    @staticmethod
    def _run(tx: Tx, env: Environment, run_id: str) -> Run:
        run = tx.run(env.id, run_id)
        if run is None:
            raise _no_permission()
        return run

    # -- dequeue ----------------------------------------------------------------------------
    async def dequeue(self, env: Environment, worker_id: str) -> list[dict[str, Any]]:
        self.workers.seen(worker_id)
        return await self._dequeue(env, worker_id)

    @unit
    def _dequeue(self, tx: Tx, now: int, env: Environment, worker_id: str) -> list[dict[str, Any]]:
        current = tx.worker(env.api_key, worker_id)
        if current is None:
            return []
        busy = len(tx.all_runs([env.id], statuses=[DEQUEUED, EXECUTING, RETRYING_AFTER_FAILURE]))
        room = MAX_CONCURRENT_RUNS - busy
        if room <= 0:
            return []
        by_version = {w.version: w for w in reversed(tx.workers(env.api_key))}
        queued = tx.all_runs([env.id], statuses=[PENDING])
        queued.sort(key=lambda r: (r.queued_at or r.created_at) - r.priority_ms)
        blocked = set(tx.blocked_queues()) if queued else set()
        picked: list[tuple[Run, Worker]] = []
        for run in queued:
            if len(picked) >= room:
                break
            if (run.env_id, run.queue) in blocked:
                continue  # a paused queue (or one overridden to no concurrency) keeps its runs
            if run.lock_to_version:
                worker = by_version.get(run.lock_to_version)
                if worker is not None and not worker.has(run.task):
                    run.set_status(PENDING_VERSION, now)  # the locked version lacks the task
                    transitions.refresh_due(run)
                    tx.update_run(run)
                    continue
                if worker is None:
                    continue  # another emulator session's version: leave it queued
            elif current.has(run.task):
                worker = current
            else:
                continue  # no worker knows the task: tests, the dashboard or Python handlers run it
            picked.append((run, worker))
        messages = []
        for run, worker in picked:
            run.set_status(DEQUEUED, now)
            run.due_at = None  # a dequeued run no longer expires by TTL
            tx.update_run(run)
            snap = snapshots.make(
                run.id, snapshots.PENDING_EXECUTING, snapshots.DEQUEUED, now, run_status=run.status,
                attempt_number=run.attempt_count or None, worker_id=worker.id,
            )
            tx.insert_snapshot(snap)
            messages.append(self._message(env, run, snap, worker, now, len(picked)))
        return messages

    @staticmethod
    def _message(env: Environment, run: Run, snap: Snapshot, worker: Worker, now: int, length: int) -> dict[str, Any]:
        return {
            "version": "1",
            "snapshot": snapshots.wire(snap),
            "dequeuedAt": iso(now),
            "workerQueueLength": length,
            "completedWaitpoints": [],
            "backgroundWorker": {"id": ids.internal_id(worker.id), "friendlyId": worker.id, "version": worker.version},
            "deployment": {},
            "run": {
                "id": ids.internal_id(run.id), "friendlyId": run.id, "isTest": run.is_test, "isReplay": False,
                "machine": MACHINE, "attemptNumber": run.attempt_count + 1, "masterQueue": "dev", "traceContext": {},
            },
            "environment": {"id": env.id, "type": env.type},
            "organization": {"id": ORG_ID},
            "project": {"id": PROJECT_ID},
        }

    # -- attempts ---------------------------------------------------------------------------
    @unit
    def start_attempt(self, tx: Tx, now: int, env: Environment, run_id: str, snapshot_id: str,
                      base_url: str, user_vars: dict[str, str]) -> dict[str, Any]:
        run = self._run(tx, env, run_id)
        latest = tx.latest_snapshot(run.id)
        if latest is None or latest.id != snapshot_id:
            raise ApiError(409, "Snapshot changed inside startRunAttempt")
        if run.is_final or latest.status in (snapshots.FINISHED, snapshots.PENDING_CANCEL):
            raise ApiError(400, "Task run is already finished")
        if latest.status not in (snapshots.PENDING_EXECUTING, snapshots.EXECUTING):
            raise ApiError(400, "Task run is not locked")
        worker = tx.worker(env.api_key, latest.worker_id or "")
        snapshots.begin_attempt(run, now)
        tx.update_run(run)
        snap = snapshots.make(
            run.id, snapshots.EXECUTING, snapshots.ATTEMPT_STARTED, now, run_status=run.status,
            attempt_number=run.attempt_count, previous=latest,
        )
        tx.insert_snapshot(snap)
        parent = tx.run_anywhere(run.parent_id) if run.parent_id else None
        env_vars = {
            **user_vars,
            "TRIGGER_OTEL_EXPORTER_OTLP_ENDPOINT": f"{base_url}/otel",
            "TRIGGER_API_URL": base_url,
            "TRIGGER_STREAM_URL": base_url,
            "TRIGGER_RUN_ID": ids.internal_id(run.id),
            "TRIGGER_MACHINE_PRESET": MACHINE["name"],
        }
        return {
            "run": snapshots.run_ref(run.id, run.status, run.attempt_count),
            "snapshot": snapshots.wire(snap),
            "execution": self._execution(env, run, worker, parent, now),
            "envVars": env_vars,
        }

    @staticmethod
    def _execution(env: Environment, run: Run, worker: Worker | None, parent: Run | None, now: int) -> dict[str, Any]:
        task = (worker.tasks.get(run.task) if worker else None) or {"filePath": ""}
        payload = run.payload if run.payload is not None else ("" if run.payload_type != packets.JSON else "undefined")
        execution_run: dict[str, Any] = {
            "id": run.id, "payload": payload, "payloadType": run.payload_type, "tags": list(run.tags),
            "isTest": run.is_test, "isReplay": False, "createdAt": iso(run.created_at),
            "startedAt": iso(run.started_at or now), "durationMs": transitions.duration_ms(run),
            "costInCents": 0, "baseCostInCents": 0, "traceContext": {},
        }
        if worker is not None:
            execution_run["version"] = worker.version
        if run.max_attempts is not None:
            execution_run["maxAttempts"] = run.max_attempts
        max_duration = run.max_duration or task.get("maxDuration")
        if isinstance(max_duration, (int, float)):
            execution_run["maxDuration"] = max_duration
        meta = packets.parse_metadata(run.metadata, run.metadata_type)
        if meta is not None:
            execution_run["metadata"] = meta
        key = (run.idempotency_key_options or {}).get("key")
        if isinstance(key, str):
            execution_run["idempotencyKey"] = key
        if parent is not None:
            execution_run["parentTaskRunId"] = parent.id
            execution_run["rootTaskRunId"] = run.root_id or parent.id
        out: dict[str, Any] = {
            "attempt": {"number": run.attempt_count, "startedAt": iso(now)},
            "run": execution_run,
            "task": {"id": run.task, "filePath": task.get("filePath", ""), **({"exportName": task["exportName"]} if task.get("exportName") else {})},
            "queue": {"id": f"queue_{run.queue}", "name": run.queue},
            "environment": {"id": env.id, "slug": env.slug, "type": env.type},
            "organization": {"id": ORG_ID, "slug": "emulator", "name": "Emulator"},
            "project": {"id": PROJECT_ID, "ref": "proj_emulator", "slug": "emulator", "name": "Emulator local project"},
            "machine": MACHINE,
        }
        if run.batch_id:
            out["batch"] = {"id": run.batch_id}
        return out

    @unit
    def complete_attempt(self, tx: Tx, now: int, env: Environment, run_id: str, snapshot_id: str,
                         completion: dict[str, Any]) -> dict[str, Any]:
        run = self._run(tx, env, run_id)
        latest = tx.latest_snapshot(run.id)
        if latest is None or latest.id != snapshot_id:
            raise ApiError(400, "Snapshot ID doesn't match the latest snapshot")
        if latest.status == snapshots.FINISHED:
            raise ApiError(400, "Run is already finished")
        self._apply_metadata(tx, env, run, completion, now)
        attempt = latest.attempt_number
        if run.is_final or latest.status == snapshots.PENDING_CANCEL:
            status, description, outcome = snapshots.FINISHED, snapshots.CANCELLED, "RUN_FINISHED"
        elif completion.get("ok") is True:
            snapshots.finish(run, "COMPLETED_SUCCESSFULLY", now)
            output = completion.get("output")
            run.output = output if isinstance(output, str) else None
            run.output_type = str(completion.get("outputType") or packets.JSON)
            run.error = None
            status, description, outcome = snapshots.FINISHED, snapshots.SUCCEEDED, "RUN_FINISHED"
        else:
            error = completion.get("error") if isinstance(completion.get("error"), dict) else {"type": "STRING_ERROR", "raw": "Failed"}
            final = snapshots.status_from_error(error)
            if isinstance(completion.get("retry"), dict) and final == "COMPLETED_WITH_ERRORS":
                tx.clear_blockers(run.id)
                run.set_status(RETRYING_AFTER_FAILURE, now)
                status, description, outcome = snapshots.EXECUTING, snapshots.RETRYING, "RETRY_IMMEDIATELY"
            else:
                tx.clear_blockers(run.id)
                snapshots.finish(run, final, now)
                run.error = error if final != "CANCELED" else {"type": "STRING_ERROR", "raw": "Canceled by user"}
                transitions.release_idempotency_key(run)
                status, description, outcome = snapshots.FINISHED, snapshots.FAILED, "RUN_FINISHED"
        tx.update_run(run)
        snap = snapshots.make(run.id, status, description, now, run_status=run.status, attempt_number=attempt, previous=latest)
        tx.insert_snapshot(snap)
        return {"result": {"attemptStatus": outcome, "snapshot": snapshots.wire(snap),
                           "run": snapshots.run_ref(run.id, run.status, attempt)}}

    @staticmethod
    def _apply_metadata(tx: Tx, env: Environment, run: Run, completion: dict[str, Any], now: int) -> None:
        """``flushedMetadata``: the operations the task made since its last flush."""
        flushed = completion.get("flushedMetadata")
        if not isinstance(flushed, dict) or not isinstance(flushed.get("data"), str):
            return
        try:
            data = json.loads(flushed["data"])
        except ValueError:
            return
        if flushed.get("dataType") == packets.SUPERJSON and isinstance(data, dict):
            data = data.get("json")
        if not isinstance(data, dict):
            return
        for key, target_id in (("operations", run.id), ("parentOperations", run.parent_id), ("rootOperations", run.root_id)):
            ops = data.get(key)
            target = run if target_id == run.id else (tx.run(env.id, target_id) if target_id else None)
            if not isinstance(ops, list) or not ops or target is None:
                continue
            current = packets.parse_metadata(target.metadata, target.metadata_type) or {}
            try:
                changed, applied = metadata.apply(current, [op for op in ops if isinstance(op, dict)])
            except (ValueError, TypeError, KeyError):
                continue
            if applied:
                target.metadata = packets.js_stringify(changed)
                target.metadata_type = packets.JSON
                target.updated_at = now
                if target is not run:
                    tx.update_run(target)

    # -- snapshots ----------------------------------------------------------------------------
    @unit(read=True)
    def latest(self, tx: Tx, now: int, env: Environment, run_id: str) -> dict[str, Any]:
        run = self._run(tx, env, run_id)
        snap = tx.latest_snapshot(run.id)
        if snap is None:
            raise ApiError(404, "Failed to retrieve latest snapshot")
        execution: dict[str, Any] = {
            "version": "1",
            "snapshot": snapshots.wire(snap),
            "run": snapshots.run_ref(run.id, run.status, snap.attempt_number),
            "completedWaitpoints": self.completed(tx, snap),
        }
        if snap.batch_id:
            execution["batch"] = {"id": ids.internal_id(snap.batch_id), "friendlyId": snap.batch_id}
        return {"execution": execution}

    @staticmethod
    def completed(tx: Tx, snap: Snapshot) -> list[dict[str, Any]]:
        found = tx.waitpoints([c["id"] for c in snap.completed_waitpoints])
        return [
            wps.completed_wire(found[c["id"]], index=c.get("index"), batch_id=c.get("batch"))
            for c in snap.completed_waitpoints if c["id"] in found
        ]

    @unit(read=True)
    def history(self, tx: Tx, now: int, run_id: str) -> list[Snapshot]:
        """Every snapshot of a run, oldest first (the dashboard's run page)."""
        return tx.snapshots(run_id)

    @unit(read=True)
    def check_run(self, tx: Tx, now: int, env: Environment, run_id: str) -> Run:
        return self._run(tx, env, run_id)

    # -- waits ----------------------------------------------------------------------------------
    @unit
    def wait_for_duration(self, tx: Tx, now: int, env: Environment, run_id: str, date_ms: int, wall_ms: int,
                          idempotency_key: str | None, key_ttl_ms: int | None) -> Waitpoint:
        run = self._run(tx, env, run_id)
        wp = tx.waitpoint_by_idempotency_key(env.id, idempotency_key) if idempotency_key else None
        if wp is not None and wps.key_expired(wp, now):
            wps.retire_key(wp)
            tx.update_waitpoint(wp)
            wp = None
        if wp is None:
            wp = wps.new(
                env.id, wps.DATETIME, now, completed_after=wps.wall_to_emulator(date_ms, wall_ms, now),
                idempotency_key=idempotency_key,
                idempotency_key_expires_at=(now + key_ttl_ms) if idempotency_key and key_ttl_ms else None,
            )
            tx.insert_waitpoint(wp)
        if wps.fall_due(wp, now):  # a date already past completes now, before the run is blocked on it
            tx.update_waitpoint(wp)
        waits.block(tx, run, [(wp.id, None, None)], now)
        return wp

    @unit
    def wait_for_token(self, tx: Tx, now: int, env: Environment, run_id: str, token_id: str) -> None:
        run = self._run(tx, env, run_id)
        wp = tx.waitpoint(env.id, wps.friendly(token_id))
        if wp is None:
            raise ApiError(404, wps.NOT_FOUND)
        waits.block(tx, run, [(wp.id, None, None)], now)

    # -- session end ----------------------------------------------------------------------------
    @unit
    def disconnect(self, tx: Tx, now: int, env: Environment, run_ids: list[str]) -> int:
        """The CLI was killed: cancel the runs its watchdog names (their processes are gone)."""
        cancelled = 0
        for run_id in run_ids:
            run = tx.run(env.id, run_id)
            if run is None or run.is_final:
                continue
            self.runs.cancel_tree(tx, run, now, reason=DISCONNECT_REASON, finalize=True)
            cancelled += 1
        return cancelled

