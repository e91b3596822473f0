"""The emulator's state and rules, with no HTTP: what routes, the Python API and the pytest
plugin all call. Every method reads the one clock, applies whatever fell due, then acts, all
inside one store transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import ids, lifecycle, packets, triggering
from .clock import Clock
from .config import Config
from .durations import parse_date_ms, resolve_delay
from .errors import ApiError, NotFound
from .faults import FaultSet
from .records import DELAYED, ENV_TYPES, Environment, Run
from .schemas import TriggerBody, TriggerOptions
from .store import Duplicate, Store, Tx

REQUEST_KEY_TTL_MS = 86_400_000
_KEY = re.compile(r"^tr_(dev|stg|prod|preview)_[A-Za-z0-9_]+$")


def key_environment_type(api_key: str) -> str | None:
    """The environment type a secret key names, or None for a malformed key."""
    match = _KEY.match(api_key)
    return ENV_TYPES[match.group(1)] if match else None


@dataclass
class Retrieved:
    run: Run
    children: list[Run]
    parent: Run | None
    root: Run | None


class Engine:
    def __init__(self, config: Config | None = None, clock: Clock | None = None) -> None:
        self.config = config or Config()
        self.clock = clock or Clock()
        self.store = Store(self.config.database)
        self._environments: dict[tuple[str, str | None], Environment] = {}
        #: Per-environment limiter state, on the emulator clock (reset with the state).
        self.buckets: dict[tuple[str, str], Any] = {}
        self.faults = FaultSet()
        #: A list while exchanges are being recorded for golden fixtures (``recording.Recorder``).
        self.recording: list[dict[str, Any]] | None = None

    async def open(self) -> None:
        await self.store.open()

    async def close(self) -> None:
        await self.store.close()

    # -- environments ---------------------------------------------------------------------
    async def environment_for_key(self, api_key: str, branch: str | None = None) -> Environment | None:
        """The environment a secret key selects, created on first use unless keys are strict."""
        cached = self._environments.get((api_key, branch))
        if cached is not None:
            return cached
        env_type = key_environment_type(api_key)
        if env_type is None:
            return None
        if self.config.strict_keys and api_key not in self.config.keys:
            return None
        if env_type != "PREVIEW":
            branch = None
        async with self.store.transaction() as tx:
            env = await tx.environment(api_key, branch)
            if env is None:
                env = Environment(ids.env_id(), api_key, env_type, branch, self.clock.now_ms())
                await tx.insert_environment(env)
                env = await tx.environment(api_key, branch)
        assert env is not None
        self._environments[(api_key, branch)] = env
        return env

    async def environment_by_id(self, env_id: str) -> Environment | None:
        for env in self._environments.values():
            if env.id == env_id:
                return env
        async with self.store.transaction() as tx:
            return await tx.environment_by_id(env_id)

    # -- due transitions ------------------------------------------------------------------
    async def apply_due(self, tx: Tx, now: int) -> int:
        applied = 0
        while True:
            due = await tx.due_runs(now)
            if not due:
                return applied
            for run in due:
                if lifecycle.apply_due(run, now):
                    applied += 1
                await tx.update_run(run)

    async def tick(self) -> int:
        """Apply every transition that has fallen due by now. Returns how many were applied."""
        now = self.clock.now_ms()
        async with self.store.transaction() as tx:
            return await self.apply_due(tx, now)

    async def next_due_at(self) -> int | None:
        async with self.store.transaction() as tx:
            return await tx.next_due_at()

    # -- trigger --------------------------------------------------------------------------
    async def trigger(
        self,
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
        now = self.clock.now_ms()
        draft = triggering.prepare(
            env, task, body, now, dev_default_ttl=self.config.dev_default_ttl, header_key=header_key, header_ttl=header_ttl
        )
        for _ in range(3):
            try:
                async with self.store.transaction() as tx:
                    await self.apply_due(tx, now)
                    if request_key and self.config.request_idempotency:
                        replay = await self._replayed(tx, env, "trigger:" + request_key, now)
                        if replay is not None:
                            return replay, False
                    run, cached = await self.trigger_prepared(tx, env, draft, now)
                    if request_key and self.config.request_idempotency:
                        await tx.save_request_key(env.id, "trigger:" + request_key, run.id, now)
                    return run, cached
            except Duplicate:
                continue  # another writer claimed the key between our lookup and insert
        raise ApiError(500, "Something went wrong")

    async def _replayed(self, tx: Tx, env: Environment, key: str, now: int) -> Run | None:
        run_id = await tx.request_key(env.id, key, now - REQUEST_KEY_TTL_MS)
        return None if run_id is None else await tx.run(env.id, run_id)

    async def trigger_prepared(self, tx: Tx, env: Environment, draft: triggering.Draft, now: int) -> tuple[Run, bool]:
        run = draft.run
        parent_id = run.options.get("parentRunId")
        resume_parent = bool(run.options.get("resumeParentOnCompletion"))
        parent = None
        if parent_id:
            parent = await tx.run(env.id, parent_id)
            if parent is not None and resume_parent and parent.is_final:
                raise triggering.Unprocessable(
                    f"Cannot trigger {run.task} as the parent run has a status of {parent.status}"
                )
        if draft.idempotency_key is not None:
            existing = await tx.run_by_idempotency_key(env.id, run.task, draft.idempotency_key)
            if existing is not None:
                if not lifecycle.releases_key(existing, now):
                    return existing, True
                lifecycle.release_idempotency_key(existing)
                await tx.update_run(existing)
        if draft.metadata_too_large:
            raise ApiError(413, f"Metadata exceeds maximum size of {triggering.METADATA_LIMIT} bytes")
        if parent is not None:
            run.parent_id = parent.id
            run.root_id = parent.root_id or parent.id
            run.depth = parent.depth + 1
            if resume_parent and run.trigger_function == "trigger":
                run.trigger_function = "triggerAndWait"
        if draft.debounce is not None:
            mapped = await tx.debounced_run_id(env.id, run.task, draft.debounce.key)
            existing = await tx.run(env.id, mapped) if mapped else None
            if existing is not None and existing.status == DELAYED:
                if triggering.push_debounced(existing, draft, now):
                    await tx.update_run(existing)
                    return existing, False
            await tx.insert_run(run)
            await tx.set_debounce(env.id, run.task, draft.debounce.key, run.id)
            return run, False
        await tx.insert_run(run)
        return run, False

    # -- reading --------------------------------------------------------------------------
    async def _run(self, tx: Tx, env: Environment, run_id: str, message: str = "Not found", **kw: Any) -> Run:
        run = await tx.run(env.id, run_id)
        if run is None:
            raise NotFound(message, **kw)
        return run

    async def retrieve(self, env: Environment, run_id: str) -> Retrieved:
        now = self.clock.now_ms()
        async with self.store.transaction(read=True) as tx:
            await self.apply_due(tx, now)
            run = await self._run(tx, env, run_id, should_retry=True)
            return await self._related(tx, run)

    async def _related(self, tx: Tx, run: Run) -> Retrieved:
        children = await tx.children(run.id)
        parent = await tx.run_anywhere(run.parent_id) if run.parent_id else None
        root = await tx.run_anywhere(run.root_id) if run.root_id else None
        return Retrieved(run, children, parent, root)

    async def run_any(self, run_id: str) -> Run | None:
        """A run in any environment (control API and the Python API)."""
        now = self.clock.now_ms()
        async with self.store.transaction(read=True) as tx:
            await self.apply_due(tx, now)
            return await tx.run_anywhere(run_id)

    async def runs(self, env_ids: list[str] | None = None) -> list[Run]:
        now = self.clock.now_ms()
        async with self.store.transaction(read=True) as tx:
            await self.apply_due(tx, now)
            return await tx.all_runs(env_ids)

    # -- post-trigger actions -------------------------------------------------------------
    async def cancel(self, env: Environment, run_id: str) -> Run:
        now = self.clock.now_ms()
        async with self.store.transaction() as tx:
            await self.apply_due(tx, now)
            run = await self._run(tx, env, run_id, "Resource not found")
            await self._cancel_tree(tx, run, now)
            return run

    async def _cancel_tree(self, tx: Tx, run: Run, now: int) -> None:
        if lifecycle.cancel(run, now):
            await tx.update_run(run)
        for child in await tx.children(run.id):
            await self._cancel_tree(tx, child, now)

    async def reschedule(self, env: Environment, run_id: str, delay: Any) -> Retrieved:
        now = self.clock.now_ms()
        if isinstance(delay, (int, float)) and not isinstance(delay, bool):
            until = parse_date_ms(delay)  # a JSON number is a date, with no past check (edge case)
        else:
            until = resolve_delay(delay, now) if isinstance(delay, str) else None
        if until is None:
            raise ApiError(400, f"Invalid delay: {delay if isinstance(delay, str) else packets.js_stringify(delay)}")
        async with self.store.transaction() as tx:
            await self.apply_due(tx, now)
            run = await tx.run(env.id, run_id)
            if run is None:
                raise NotFound("Run not found")
            if run.status != DELAYED:
                raise ApiError(400, "Cannot reschedule a run that is not delayed")
            lifecycle.delay(run, until, now)
            await tx.update_run(run)
            return await self._related(tx, run)

    async def replay(self, env: Environment, run_id: str) -> Run:
        now = self.clock.now_ms()
        async with self.store.transaction() as tx:
            await self.apply_due(tx, now)
            original = await self._run(tx, env, run_id, "Resource not found")
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
                ttl=triggering.effective_ttl(TriggerOptions(), env, self.config.dev_default_ttl),
            )
            lifecycle.enqueue(run, now)
            run.events = [[run.status, now]]
            await tx.insert_run(run)
            return run

    # -- outcomes (control API) -----------------------------------------------------------
    async def _control(self, run_id: str, action, env: Environment | None = None) -> Run:
        now = self.clock.now_ms()
        async with self.store.transaction() as tx:
            await self.apply_due(tx, now)
            run = await tx.run(env.id, run_id) if env is not None else await tx.run_anywhere(run_id)
            if run is None:
                raise NotFound("Run not found")
            action(run, now)
            await tx.update_run(run)
            return run

    async def start(self, run_id: str, env: Environment | None = None) -> Run:
        return await self._control(run_id, lifecycle.start, env)

    async def complete(self, run_id: str, output: Any = None, env: Environment | None = None) -> Run:
        data = None if output is None else packets.js_stringify(output)
        return await self._control(run_id, lambda run, at: lifecycle.complete(run, data, packets.JSON, at), env)

    async def fail(self, run_id: str, error: dict[str, Any], status: str = "FAILED", env: Environment | None = None) -> Run:
        return await self._control(run_id, lambda run, at: lifecycle.fail(run, error, at, status), env)

    async def expire(self, run_id: str, env: Environment | None = None) -> Run:
        return await self._control(run_id, lifecycle.expire_now, env)

    # -- clock and state ------------------------------------------------------------------
    async def advance_ms(self, delta_ms: int) -> int:
        from datetime import timedelta

        from .clock import ClockError

        try:
            delta = timedelta(milliseconds=delta_ms)
        except OverflowError:
            raise ClockError("The emulator clock cannot move that far") from None
        self.clock.advance(delta)
        await self.tick()
        return self.clock.now_ms()

    async def set_clock_ms(self, at_ms: int) -> int:
        from .clock import ClockError, from_ms

        try:
            moment = from_ms(at_ms)
        except (OverflowError, ValueError, OSError):
            raise ClockError("That time is out of the emulator clock's range") from None
        self.clock.set(moment)
        await self.tick()
        return self.clock.now_ms()

    async def reset(self) -> None:
        async with self.store.transaction() as tx:
            await tx.wipe()
        self._environments.clear()
        self.buckets.clear()
        self.faults.clear()
