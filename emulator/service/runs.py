"""Run operations with no HTTP: trigger, retrieve, cancel, reschedule, replay and the outcomes
a test or the dashboard sets. Each public method is one unit of work (``@unit``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core import ids, js_number, packets, storable, transitions, trigger_rules
from ..core.clock import DATETIME_MAX_MS, DATETIME_MIN_MS
from ..core.durations import resolve_delay
from ..core.errors import ApiError, NotFound
from ..core.limits import METADATA_LIMIT, REQUEST_KEY_TTL_MS
from ..core.records import DELAYED, Environment, Run
from ..core.schemas import TriggerBody, TriggerOptions
from ..store import Tx
from . import waits
from .engine import Engine
from . import versions
from .unit import unit


@dataclass
class Retrieved:
    run: Run
    children: list[Run]
    parent: Run | None
    root: Run | None
    #: The schedule that made the run (``schedule`` in retrieve), if any.
    schedule: Any = None


class RunService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def config(self):
        return self.engine.config

    # -- trigger --------------------------------------------------------------------------
    @unit
    def trigger(
        self,
        tx: Tx,
        now: int,
        env: Environment,
        task: str,
        body: TriggerBody,
        *,
        header_key: str | None = None,
        header_ttl: str | None = None,
        request_key: str | None = None,
    ) -> tuple[Run, bool]:
        """Returns ``(run, is_cached)``: the new run, the idempotent hit or the debounced run.

        ``request_key`` (``x-trigger-request-idempotency-key``) replays the run a retried
        request made before its answer was lost, for 24 hours.
        """
        draft = trigger_rules.prepare(
            env, task, body, now, dev_default_ttl=self.config.dev_default_ttl, header_key=header_key, header_ttl=header_ttl
        )
        scoped = "trigger:" + request_key if request_key and self.config.request_idempotency else None
        if scoped is not None:
            replayed = tx.request_key(env.id, scoped, now - REQUEST_KEY_TTL_MS)
            found = tx.run(env.id, replayed) if replayed else None
            if found is not None:
                return found, False
        run, cached = self.trigger_prepared(tx, env, draft, now)
        if scoped is not None:
            tx.save_request_key(env.id, scoped, run.id, now)
        return run, cached

    def trigger_prepared(self, tx: Tx, env: Environment, draft: trigger_rules.Draft, now: int) -> tuple[Run, bool]:
        """One prepared trigger against stored state (also each batch item's path). A child
        triggered to resume its parent blocks a parent that a dev worker executes."""
        run, cached = self._trigger_prepared(tx, env, draft, now)
        options = draft.run.options
        if options.get("parentRunId") and options.get("resumeParentOnCompletion"):
            parent = tx.run(env.id, options["parentRunId"])
            if parent is not None and not parent.is_final:
                waits.wait_for_child(tx, parent, run, now)
        return run, cached

    def _trigger_prepared(self, tx: Tx, env: Environment, draft: trigger_rules.Draft, now: int) -> tuple[Run, bool]:
        """In the server's order: parent status, idempotency key, locked version, then insert."""
        run = draft.run
        parent_id = run.options.get("parentRunId")
        resume_parent = bool(run.options.get("resumeParentOnCompletion"))
        parent = None
        if parent_id:
            self._check_friendly_id(parent_id)
            parent = tx.run(env.id, parent_id)
            if parent is not None and resume_parent and parent.is_final:
                raise trigger_rules.Unprocessable(
                    f"Cannot trigger {run.task} as the parent run has a status of {parent.status}"
                )
        key = draft.idempotency_key
        if key:
            existing = tx.run_by_idempotency_key(env.id, run.task, key)
            if existing is not None:
                if not transitions.releases_key(existing, now):
                    if resume_parent and parent_id and parent is None:
                        raise NotFound("Parent run not found in the calling environment")
                    return existing, True
                transitions.release_idempotency_key(existing)
                tx.update_run(existing)
        elif key == "" and tx.run_by_idempotency_key(env.id, run.task, "") is not None:
            # "" is never looked up but is a value of the unique index: every later insert
            # collides, and the server gives up after its retries.
            raise trigger_rules.Unprocessable(f"Failed to trigger {run.task} after 2 attempts.")
        versions.check_lock(tx, env.id, run.lock_to_version, strict=self.config.strict_versions)
        if draft.metadata_too_large:
            raise ApiError(413, f"Metadata exceeds maximum size of {METADATA_LIMIT} bytes")
        if parent is not None:
            run.parent_id = parent.id
            run.root_id = parent.root_id or parent.id
            run.depth = parent.depth + 1
        if resume_parent and run.trigger_function == "trigger":
            run.trigger_function = "triggerAndWait"  # shown even when no parent was found
        if draft.debounce is not None:
            mapped = tx.debounced_run_id(env.id, run.task, draft.debounce.key)
            existing = tx.run(env.id, mapped) if mapped else None
            if existing is not None and existing.status == DELAYED:
                if trigger_rules.push_debounced(existing, draft, now):
                    tx.update_run(existing)
                    return existing, False
            tx.insert_run(run)
            tx.set_debounce(env.id, run.task, draft.debounce.key, run.id)
            return run, False
        tx.insert_run(run)
        return run, False

    def _check_friendly_id(self, value: str) -> None:
        """``RunId.fromFriendlyId``: exactly one ``_`` with text on both sides; production's
        throw becomes a 500 there (``Config.bad_input = "production"``), a 400 here."""
        if value.count("_") == 1 and all(value.split("_")):
            return
        if self.config.bad_input == "production":
            raise ApiError(500, "Something went wrong")
        raise ApiError(400, "Invalid friendly ID format")

    # -- reading --------------------------------------------------------------------------
    @staticmethod
    def _run(tx: Tx, env: Environment | None, run_id: str, message: str = "Not found", **kw: Any) -> Run:
        run = tx.run(env.id, run_id) if env is not None else tx.run_anywhere(run_id)
        if run is None:
            raise NotFound(message, **kw)
        return run

    @unit(read=True)
    def retrieve(self, tx: Tx, now: int, env: Environment, run_id: str) -> Retrieved:
        return self._related(tx, self._run(tx, env, run_id, should_retry=True))

    @staticmethod
    def _related(tx: Tx, run: Run) -> Retrieved:
        children = tx.children(run.id)
        parent = tx.run_anywhere(run.parent_id) if run.parent_id else None
        root = tx.run_anywhere(run.root_id) if run.root_id else None
        return Retrieved(run, children, parent, root, tx.schedule_of_run(run.id))

    @unit(read=True)
    def find(self, tx: Tx, now: int, run_id: str) -> Run | None:
        """A run in any environment (control API, dashboard and the Python API)."""
        return tx.run_anywhere(run_id)

    @unit(read=True)
    def find_in(self, tx: Tx, now: int, env: Environment, run_id: str) -> Run | None:
        """A run of ``env``, or None (authorization looks before it acts)."""
        if storable.problem(run_id) is not None:
            return None
        return tx.run(env.id, run_id)

    @unit(read=True)
    def all(self, tx: Tx, now: int, env_ids: list[str] | None = None, **filters: Any) -> list[Run]:
        """Runs in creation order, filtered in SQL (``task``, ``batch``, ``tag``, ``statuses``)."""
        return tx.all_runs(env_ids, **filters)

    # -- post-trigger actions -------------------------------------------------------------
    @unit
    def cancel(self, tx: Tx, now: int, env: Environment | None, run_id: str) -> Run:
        run = self._run(tx, env, run_id, "Resource not found")
        self.cancel_tree(tx, run, now)
        return run

    def cancel_tree(self, tx: Tx, run: Run, now: int, *, reason: str | None = None, finalize: bool = False,
                    child: bool = False) -> None:
        """Cancel ``run`` and its descendants inside the caller's unit. A run a dev worker
        executes gets ``PENDING_CANCEL`` (or ``FINISHED`` with ``finalize``, no worker left); a
        descendant that never started gets ``finishedAt`` (the run asked for does not)."""
        if transitions.cancel(run, now, finish=child):
            if reason is not None:
                run.error = {"type": "STRING_ERROR", "raw": reason}
            tx.update_run(run)
            waits.cancel_execution(tx, run, now, finalize=finalize)
        for descendant in tx.children(run.id):
            self.cancel_tree(tx, descendant, now, reason=reason, finalize=finalize, child=True)

    @unit
    def reschedule(self, tx: Tx, now: int, env: Environment, run_id: str, delay: Any) -> Retrieved:
        """``parseDelay`` again: a string must be a future date or a duration (else 400); a JSON
        number, boolean or null is already a Date and is used as it is, even a past one. Resolved
        inside the unit, on the clock every process shares."""
        until = resolve_delay(delay, now)
        if until is None:
            raise ApiError(400, f"Invalid delay: {delay}")
        if not DATETIME_MIN_MS <= until <= DATETIME_MAX_MS:
            # Past the years 1-9999 production's database cannot store the date either (500).
            shown = js_number.to_string(delay) if isinstance(delay, (int, float)) and not isinstance(delay, bool) else delay
            raise ApiError(400, f"Invalid delay: {shown}")
        run = tx.run(env.id, run_id)
        if run is None:
            raise NotFound("Run not found")
        if run.status != DELAYED:
            raise ApiError(400, "Cannot reschedule a run that is not delayed")
        transitions.delay(run, until, now)
        tx.update_run(run)
        return self._related(tx, run)

    @unit
    def replay(self, tx: Tx, now: int, env: Environment, run_id: str) -> Run:
        original = self._run(tx, env, run_id, "Resource not found")
        options: dict[str, Any] = {"payloadType": original.payload_type}
        for name in ("queue", "concurrencyKey", "machine", "test"):
            if name in original.options:
                options[name] = original.options[name]
        run = Run(
            id=ids.run_id(),
            env_id=env.id,
            task=original.task,
            status="PENDING",
            created_at=now,
            updated_at=now,
            payload=original.payload,
            payload_type=original.payload_type,
            metadata=original.seed_metadata,
            metadata_type=original.seed_metadata_type,
            seed_metadata=original.seed_metadata,
            seed_metadata_type=original.seed_metadata_type,
            options=options,
            tags=list(original.tags),
            queue=original.queue,
            concurrency_key=original.concurrency_key,
            machine=original.machine,
            max_attempts=original.max_attempts,
            max_duration=original.max_duration,
            is_test=original.is_test,
            ttl=trigger_rules.effective_ttl(TriggerOptions(), env, self.config.dev_default_ttl),
        )
        transitions.enqueue(run, now)
        run.events = [[run.status, now]]
        tx.insert_run(run)
        return run

    # -- outcomes (control API, dashboard, Python API) ------------------------------------
    @unit
    def _outcome(self, tx: Tx, now: int, run_id: str, action: Any, env: Environment | None) -> Run:
        run = self._run(tx, env, run_id, "Run not found")
        action(run, now)
        tx.update_run(run)
        waits.end_execution(tx, run, now)
        return run

    async def start(self, run_id: str, env: Environment | None = None) -> Run:
        return await self._outcome(run_id, transitions.start, env)

    async def complete(self, run_id: str, output: Any = None, env: Environment | None = None) -> Run:
        data = None if output is None else packets.js_stringify(output)
        return await self._outcome(run_id, lambda run, at: transitions.complete(run, data, packets.JSON, at), env)

    async def fail(self, run_id: str, error: dict[str, Any], status: str = "FAILED", env: Environment | None = None) -> Run:
        return await self._outcome(run_id, lambda run, at: transitions.fail(run, error, at, status), env)

    async def expire(self, run_id: str, env: Environment | None = None) -> Run:
        return await self._outcome(run_id, transitions.expire_now, env)
