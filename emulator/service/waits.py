"""Blocking and continuing runs on waitpoints, inside a caller's unit of work (the run engine's
``waitpointSystem``): a worker-executed run blocked on waitpoints gets an
``EXECUTING_WITH_WAITPOINTS`` snapshot; once every blocker is completed it gets a new
``EXECUTING`` snapshot carrying them (``completedWaitpoints``), which is how a task resumes.

What completes waitpoints: DATETIME dates and token timeouts fall due on the emulator clock
(``WaitpointsFallingDue``, one of the engine's due sources, applied in time order with everything
else that falls due); ``settle`` (the engine's settler, at the end of every write and after due
run transitions) completes RUN waitpoints when their run is final however it got there (a worker,
a test, the dashboard, a cancel or a TTL), and BATCH waitpoints when every run of their sealed
batch is final; ``complete`` is a token completed through the API, its callback URL, the
dashboard or the Python API. Each continues the runs it unblocks.
"""

from __future__ import annotations

from ..core import packets, snapshots
from ..core import waitpoints as wps
from ..core.records import FINAL_STATUSES as _FINAL
from ..core.records import Environment, Run
from ..core.snapshots import Snapshot
from ..core.waitpoints import Waitpoint
from ..store import Tx

_BLOCKABLE = (snapshots.EXECUTING, snapshots.EXECUTING_WITH_WAITPOINTS)


def worker_snapshot(tx: Tx, run_id: str) -> Snapshot | None:
    """The run's latest snapshot when a dev worker executes it, else None."""
    latest = tx.latest_snapshot(run_id)
    return latest if latest is not None and latest.is_active else None


def block(tx: Tx, run: Run, blockers: list[tuple[str, str | None, int | None]], now: int, batch_id: str | None = None) -> bool:
    """Block a worker-executed ``run`` on ``(waitpoint id, batch id, index)``; it continues
    at once if they are all complete already. False when no worker executes the run."""
    latest = tx.latest_snapshot(run.id)
    if latest is None or latest.status not in _BLOCKABLE:
        return False
    for waitpoint_id, batch, index in blockers:
        tx.block_run(run.id, waitpoint_id, now, batch, index)
    if latest.status == snapshots.EXECUTING:
        tx.insert_snapshot(snapshots.make(
            run.id, snapshots.EXECUTING_WITH_WAITPOINTS, snapshots.BLOCKED, now, run_status=run.status,
            attempt_number=latest.attempt_number, previous=latest, batch_id=batch_id,
        ))
    continue_if_unblocked(tx, run.id, now)
    return True


def continue_if_unblocked(tx: Tx, run_id: str, now: int) -> bool:
    latest = tx.latest_snapshot(run_id)
    if latest is None or latest.status != snapshots.EXECUTING_WITH_WAITPOINTS:
        return False
    blockers = tx.blockers(run_id)
    found = tx.waitpoints([b[0] for b in blockers])
    if not blockers or any(wp_id not in found or not found[wp_id].is_completed for wp_id, _, _ in blockers):
        return False
    run = tx.run_anywhere(run_id)
    completed = [{"id": wp_id, "index": index, "batch": batch} for wp_id, batch, index in blockers]
    tx.insert_snapshot(snapshots.make(
        run_id, snapshots.EXECUTING, snapshots.CONTINUED, now, run_status=run.status if run else "EXECUTING",
        attempt_number=latest.attempt_number, previous=latest, batch_id=latest.batch_id, completed_waitpoints=completed,
    ))
    tx.clear_blockers(run_id)
    return True


def wait_for_child(tx: Tx, parent: Run, child: Run, now: int) -> None:
    """``triggerAndWait`` / a ``batchTriggerAndWait`` item: the child's RUN waitpoint blocks the parent."""
    if worker_snapshot(tx, parent.id) is None:
        return
    wp = run_waitpoint(tx, child, now)
    block(tx, parent, [(wp.id, child.batch_id, child.batch_index)], now)


def run_waitpoint(tx: Tx, run: Run, now: int) -> Waitpoint:
    """The RUN waitpoint a run's result completes, made on first need."""
    wp = tx.run_waitpoint(run.id)
    if wp is None:
        wp = wps.new(run.env_id, wps.RUN, now, run_id=run.id)
        tx.insert_waitpoint(wp)
    return wp


def wait_for_batch(tx: Tx, env: Environment, batch_id: str, parent_id: str, now: int) -> None:
    """``batchTriggerAndWait`` phase 1: the parent is blocked on the batch at once."""
    parent = tx.run(env.id, parent_id)
    if parent is None or worker_snapshot(tx, parent.id) is None:
        return
    wp = tx.batch_waitpoint(batch_id)
    if wp is None:
        wp = wps.new(env.id, wps.BATCH, now, batch_id=batch_id)
        tx.insert_waitpoint(wp)
    block(tx, parent, [(wp.id, None, None)], now, batch_id=batch_id)


def complete(tx: Tx, wp: Waitpoint, now: int, output: str | None = None, output_type: str | None = None,
             is_error: bool = False) -> bool:
    """Complete ``wp`` (a no-op once completed) and continue the runs it unblocks."""
    if not wps.complete(wp, output, output_type, now, is_error=is_error):
        return False
    tx.update_waitpoint(wp)
    for run_id in tx.blocked_runs([wp.id]):
        continue_if_unblocked(tx, run_id, now)
    return True


class WaitpointsFallingDue:
    """The engine's ``DueSource`` of waitpoints: a DATETIME waitpoint completes at its date, a
    token times out at its timeout; blocked runs continue at that moment."""

    def earliest_due(self, tx: Tx, until: int) -> int | None:
        due = tx.due_waitpoints(until, limit=1)
        return due[0].due_at if due else None

    def apply_until(self, tx: Tx, until: int) -> int:
        applied = 0
        while True:
            due = tx.due_waitpoints(until)
            if not due:
                return applied
            for wp in due:
                at = wp.due_at if wp.due_at is not None else until
                if wps.fall_due(wp, until):
                    applied += 1
                wp.due_at = None
                tx.update_waitpoint(wp)
                for run_id in tx.blocked_runs([wp.id]):
                    continue_if_unblocked(tx, run_id, at)


def settle(tx: Tx, now: int) -> int:
    """Complete every RUN waitpoint whose run is final and every BATCH waitpoint whose sealed
    batch is done; continue the runs they unblock. Returns how many completed."""
    if not tx.any_pending_waitpoints():
        return 0
    touched: list[str] = []
    for wp in tx.settled_run_waitpoints():
        run = tx.run_anywhere(wp.run_id or "")
        if run is None:
            continue
        at = run.completed_at if run.completed_at is not None else now
        if run.status == "COMPLETED_SUCCESSFULLY":
            changed = wps.complete(wp, run.output, run.output_type, at)
        else:
            changed = wps.complete(wp, wps.run_error_output(run.error), packets.JSON, at, is_error=True)
        if changed:
            tx.update_waitpoint(wp)
            touched.append(wp.id)
    for wp in tx.pending_batch_waitpoints():
        batch = tx.batch(wp.env_id, wp.batch_id or "")
        if batch is None or batch.processing_completed_at is None:
            continue
        statuses = tx.batch_run_statuses(batch.id)
        if len(statuses) >= batch.run_count and all(s in _FINAL for s in statuses):
            if wps.complete(wp, None, None, now):
                tx.update_waitpoint(wp)
                touched.append(wp.id)
    for run_id in tx.blocked_runs(touched):
        continue_if_unblocked(tx, run_id, now)
    return len(touched)


def end_execution(tx: Tx, run: Run, now: int) -> None:
    """A run a worker executes was completed or failed by a test or the dashboard: the worker
    is told it is ``FINISHED`` (the CLI then stops the task's process without reporting)."""
    latest = worker_snapshot(tx, run.id)
    if latest is None or not run.is_final:
        return
    tx.clear_blockers(run.id)
    tx.insert_snapshot(snapshots.make(
        run.id, snapshots.FINISHED, snapshots.SUCCEEDED if run.status == "COMPLETED_SUCCESSFULLY" else snapshots.FAILED,
        now, run_status=run.status, attempt_number=latest.attempt_number, previous=latest,
    ))


def cancel_execution(tx: Tx, run: Run, now: int, *, finalize: bool = False) -> None:
    """A canceled run that a worker executes: ``PENDING_CANCEL`` (the CLI stops the process and
    reports), or ``FINISHED`` at once when no worker process is left to report."""
    latest = worker_snapshot(tx, run.id)
    if latest is None:
        return
    tx.clear_blockers(run.id)
    status, description = (snapshots.FINISHED, snapshots.CANCELLED) if finalize else (snapshots.PENDING_CANCEL, snapshots.CANCELLING)
    tx.insert_snapshot(snapshots.make(
        run.id, status, description, now, run_status=run.status, attempt_number=latest.attempt_number, previous=latest,
    ))

