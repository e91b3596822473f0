"""Schedules (management.md §3): create/update with production's pipeline and quirks, list,
retrieve, delete, activate/deactivate, declarative schedules, and firing on the emulator clock
inside ``Engine.apply_due`` (every nominal tick the clock passes, in time order)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..core import schedules, trigger_rules
from ..core.errors import ApiError, NotFound
from ..core.limits import SCHEDULE_FIRES_PER_MOVE
from ..core.records import Environment
from ..core.schedules import Schedule
from ..core.schemas import QueueOption, TriggerBody, TriggerOptions
from ..core.tasks import TaskDefinition
from ..store import Tx
from .engine import Engine
from .runs import RunService
from .unit import unit

MISSING, HIDDEN, VISIBLE = "missing", "hidden", "visible"
log = logging.getLogger("trigger_emulator")
#: How many nominal times a fired run's payload lists (the docs say 5; production sends 10).
UPCOMING = 10


@dataclass
class ScheduleOptions:
    """What create/update (and a declaration) ask for, after zod."""

    task: str
    cron: str
    dedup_key: str | None = None
    external_id: str | None = None
    timezone: str | None = None
    window: str | None = None


@dataclass
class SchedulePage:
    schedules: list[Schedule]
    page: int
    total_pages: int
    count: int


def lookup(tx: Tx, param: str) -> Schedule | None:
    """``scheduleWhereClause``: a ``sched_`` id, else a deduplication key (project-wide)."""
    return tx.schedule(param) if param.startswith("sched_") else tx.schedule_by_key(param)


def visibility(schedule: Schedule | None, env: Environment) -> str:
    if schedule is None:
        return MISSING
    return VISIBLE if schedule.env_id in (None, env.id) else HIDDEN


class Unprocessable(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(422, message)


class ScheduleFires:
    """The ``DueSource`` of schedules: each nominal tick the clock passed creates one run (at most
    ``SCHEDULE_FIRES_PER_MOVE`` per schedule in one clock move; the rest are skipped)."""

    def __init__(self, service: "ScheduleService") -> None:
        self.service = service
        self._now: int | None = None
        self._fired: dict[str, int] = {}

    def earliest_due(self, tx: Tx, until: int) -> int | None:
        if until != self._now:  # a new unit of work, applying what fell due by its own now
            self._now, self._fired = until, {}
        due = tx.due_schedules(until, limit=1)
        return due[0].next_fire_at if due else None

    def apply_until(self, tx: Tx, until: int) -> int:
        fired = 0
        while True:
            due = tx.due_schedules(until)
            if not due:
                return fired
            for schedule in due:
                count = self._fired.get(schedule.id, 0)
                if count >= SCHEDULE_FIRES_PER_MOVE and self._now is not None:
                    log.warning("schedule %s fired %d runs in one clock move; skipping its ticks up to %s",
                                schedule.id, count, self._now)
                    schedule.next_fire_at = schedules.next_after(schedule.cron, schedule.timezone, self._now)
                    tx.update_schedule(schedule)
                    continue
                made = self.service.fire(tx, schedule)
                self._fired[schedule.id] = count + 1
                fired += made


class ScheduleService:
    def __init__(self, engine: Engine, runs: RunService) -> None:
        self.engine = engine
        self.runs = runs
        self.fires = ScheduleFires(self)
        #: schedule id -> ((cron, timezone), the ticks after its last fire): see ``_upcoming``.
        self._upcoming_cache: dict[str, tuple[tuple[str, str], list[int]]] = {}

    # -- the pipeline of create and update (§3.2) -----------------------------------------
    @staticmethod
    def _check(tx: Tx, options: ScheduleOptions) -> None:
        """Rows 3-7 of §3.2 (rows 8-9 are environments and plan limits the emulator has not)."""
        problem = schedules.cron_problem(options.cron)
        if problem is not None:
            raise Unprocessable(f"Invalid cron expression: {problem}")
        if options.timezone and not schedules.valid_timezone(options.timezone):
            raise Unprocessable(
                f"Invalid IANA timezone: '{options.timezone}'. View the list of valid timezones at "
                f"{schedules.APP_ORIGIN}/timezones"
            )
        if tx.any_task_declared():
            task = tx.task(options.task)
            if task is None:
                raise Unprocessable(f"Task with identifier {options.task} not found in project.")
            if not task.scheduled:
                raise Unprocessable(f"Task with identifier {options.task} is not a scheduled task.")

    @staticmethod
    def _describe(cron: str) -> str:
        """Row 11: cronstrue's description, after the declarative check."""
        try:
            return schedules.describe(cron)
        except ValueError as exc:  # production: cronstrue throws, a 500 the SDK retries
            raise Unprocessable(f"Invalid cron expression: {exc}") from None

    def _apply(self, schedule: Schedule, options: ScheduleOptions, description: str) -> bool:
        """Full replacement of what an update may change (never the task); True if the timing
        changed."""
        seconds, percent = schedules.window_fields(options.window)
        timezone = options.timezone if options.timezone is not None else "UTC"
        changed = (schedule.cron, schedule.timezone, schedule.window_seconds, schedule.window_percent) != (
            options.cron, timezone, seconds, percent)
        schedule.cron, schedule.description, schedule.timezone = options.cron, description, timezone
        schedule.external_id = options.external_id or None
        schedule.window_seconds, schedule.window_percent = seconds, percent
        return changed

    def _register(self, schedule: Schedule, now: int, *, carry: bool) -> None:
        """The next fire after ``now``. Without a carried ``lastTimestamp`` it becomes the cron's
        previous slot when that is later than the instance (a deploy or cron edit)."""
        if not carry:
            previous = schedules.previous_before(schedule.cron, schedule.timezone, now)
            schedule.last_fired = previous if previous is not None and previous > schedule.created_at else None
        schedule.next_fire_at = schedules.next_after(schedule.cron, schedule.timezone, now) if schedule.active else None

    def _upsert(self, tx: Tx, now: int, env: Environment, existing: Schedule | None, options: ScheduleOptions,
                dedup_key: str, user_key: bool) -> Schedule:
        if existing is not None and existing.type == schedules.DECLARATIVE:
            raise Unprocessable("Cannot update a declarative schedule")
        description = self._describe(options.cron)
        if existing is not None:
            changed = self._apply(existing, options, description)
            moved = existing.env_id != env.id
            existing.env_id = env.id
            existing.updated_at = now
            if moved:
                existing.last_fired = None  # a new instance: nothing fired there yet
                existing.next_fire_at = schedules.next_after(existing.cron, existing.timezone, now) if existing.active else None
            elif changed:
                self._register(existing, now, carry=False)
            tx.update_schedule(existing)
            return existing
        schedule = Schedule(schedules.schedule_id(), schedules.IMPERATIVE, options.task, options.cron, description,
                            "UTC", dedup_key, user_key, now, now, env_id=env.id)
        self._apply(schedule, options, description)
        schedule.next_fire_at = schedules.next_after(schedule.cron, schedule.timezone, now)
        tx.insert_schedule(schedule)
        return schedule

    @unit
    def create(self, tx: Tx, now: int, env: Environment, options: ScheduleOptions) -> Schedule:
        self._check(tx, options)
        user_key = bool(options.dedup_key)
        dedup_key = options.dedup_key if user_key else schedules.random_dedup_key()
        existing = tx.schedule_by_key(dedup_key)
        return self._upsert(tx, now, env, existing, options, dedup_key, user_key)

    @unit
    def update(self, tx: Tx, now: int, env: Environment, param: str, options: ScheduleOptions) -> Schedule:
        """PUT: refuses only a schedule hidden in another environment; an unknown id creates a
        new schedule (with a new id) instead of a 404."""
        existing = lookup(tx, param)
        if visibility(existing, env) == HIDDEN:
            raise NotFound(schedules.NOT_FOUND)
        self._check(tx, options)
        return self._upsert(tx, now, env, existing, options, schedules.random_dedup_key(), False)

    # -- reading --------------------------------------------------------------------------
    def _visible(self, tx: Tx, env: Environment, param: str) -> Schedule:
        found = lookup(tx, param)
        if visibility(found, env) != VISIBLE:
            raise NotFound(schedules.NOT_FOUND)
        assert found is not None
        return found

    @unit(read=True)
    def retrieve(self, tx: Tx, now: int, env: Environment, param: str) -> Schedule:
        return self._visible(tx, env, param)

    @unit(read=True)
    def list(self, tx: Tx, now: int, env: Environment, page: int, per_page: int) -> SchedulePage:
        count = tx.count_schedules(env.id)
        rows = tx.schedules(env.id, (page - 1) * per_page, per_page)
        return SchedulePage(rows, page, -(-count // per_page), count)

    @unit(read=True)
    def all(self, tx: Tx, now: int, env_id: str | None = None) -> list[Schedule]:
        return tx.schedules(env_id)

    @unit(read=True)
    def run_schedule(self, tx: Tx, now: int, run_id: str) -> Schedule | None:
        """The schedule that made ``run_id`` (``runs.retrieve``'s ``schedule``)."""
        return tx.schedule_of_run(run_id)

    @unit(read=True)
    def run_ids(self, tx: Tx, now: int, schedule_id: str) -> list[str]:
        return tx.scheduled_run_ids(schedule_id)

    # -- changing -------------------------------------------------------------------------
    @unit
    def delete(self, tx: Tx, now: int, env: Environment, param: str) -> Schedule:
        schedule = self._visible(tx, env, param)
        tx.delete_schedule(schedule.id)
        return schedule

    @unit
    def set_active(self, tx: Tx, now: int, env: Environment | None, param: str, active: bool) -> Schedule:
        """Deactivated, a schedule skips its ticks (``lastTimestamp`` is kept); activated, it
        fires from the next cron slot."""
        schedule = lookup(tx, param) if env is None else self._visible(tx, env, param)
        if schedule is None:
            raise NotFound(schedules.NOT_FOUND)
        if schedule.active != active:
            schedule.active = active
            schedule.updated_at = now
            schedule.next_fire_at = schedules.next_after(schedule.cron, schedule.timezone, now) if active else None
            tx.update_schedule(schedule)
        return schedule

    @unit
    def declare(self, tx: Tx, now: int, env: Environment, options: ScheduleOptions) -> Schedule:
        """A declarative schedule for (task, environment), as a deploy of ``schedules.task({cron})``
        makes it; declaring again updates it (same id). The task becomes a declared scheduled task."""
        problem = schedules.cron_problem(options.cron)
        if problem is not None:
            raise ValueError(f"Invalid cron expression: {problem}")
        if options.timezone and not schedules.valid_timezone(options.timezone):
            raise ValueError(f"Invalid IANA timezone: '{options.timezone}'")
        schedules.window_fields(options.window)
        description = schedules.describe(options.cron)
        task = tx.task(options.task) or TaskDefinition(options.task, created_at=now)
        task.scheduled = True
        tx.declare_task(task)
        existing = tx.declared_schedule(options.task, env.id)
        if existing is None:
            schedule = Schedule(schedules.schedule_id(), schedules.DECLARATIVE, options.task, options.cron, description,
                                "UTC", schedules.random_dedup_key(), False, now, now, env_id=env.id)
            self._apply(schedule, options, description)
            schedule.next_fire_at = schedules.next_after(schedule.cron, schedule.timezone, now)
            tx.insert_schedule(schedule)
            return schedule
        if self._apply(existing, options, description):
            self._register(existing, now, carry=False)
        existing.updated_at = now
        tx.update_schedule(existing)
        return existing

    # -- firing ---------------------------------------------------------------------------
    def fire(self, tx: Tx, schedule: Schedule) -> int:
        """The tick at ``schedule.next_fire_at``: one run of its task (skipped while inactive or
        without an environment), then the next tick. Returns how many runs it made."""
        nominal = schedule.next_fire_at
        assert nominal is not None
        env = tx.environment_by_id(schedule.env_id) if schedule.env_id else None
        if not schedule.active or env is None:
            schedule.next_fire_at = schedules.next_after(schedule.cron, schedule.timezone, nominal) if schedule.active else None
            tx.update_schedule(schedule)
            return 0
        try:  # everything that could fail comes before the first write: a bad tick is skipped
            upcoming = self._upcoming(schedule, nominal)
            payload = schedules.payload(schedule, nominal, upcoming)
            draft = self._draft(tx, env, schedule, payload, nominal)
        except Exception:  # noqa: BLE001 - one schedule must never wedge every unit of work
            log.exception("schedule %s could not fire at %s", schedule.id, nominal)
            schedule.next_fire_at = schedules.next_after(schedule.cron, schedule.timezone, nominal)
            tx.update_schedule(schedule)
            return 0
        run, _ = self.runs.trigger_prepared(tx, env, draft, nominal)
        tx.link_scheduled_run(run.id, schedule.id)
        schedule.last_fired = nominal
        schedule.next_fire_at = upcoming[0] if upcoming else None
        tx.update_schedule(schedule)
        return 1

    def _upcoming(self, schedule: Schedule, nominal: int) -> list[int]:
        """The 10 ticks after ``nominal``. Consecutive fires slide the previous fire's list by one
        tick instead of searching 10 afresh (a week of an hourly cron is 168 fires)."""
        zone = (schedule.cron, schedule.timezone)
        cached = self._upcoming_cache.get(schedule.id)
        if cached is not None and cached[0] == zone and cached[1] and cached[1][0] == nominal:
            following = schedules.next_after(schedule.cron, schedule.timezone, cached[1][-1])
            times = cached[1][1:] + ([] if following is None else [following])
        else:
            times = schedules.upcoming(schedule.cron, schedule.timezone, nominal, UPCOMING)
        self._upcoming_cache[schedule.id] = (zone, times)
        return times

    def _draft(self, tx: Tx, env: Environment, schedule: Schedule, payload: str, nominal: int) -> trigger_rules.Draft:
        """A plain trigger of the task (its declared queue), created at the nominal time."""
        options: dict[str, Any] = {"payloadType": "application/super+json"}
        task = tx.task(schedule.task)
        if task is not None and task.queue:
            options["queue"] = QueueOption(name=task.queue)
        body = TriggerBody(payload=payload, options=TriggerOptions(**options))
        return trigger_rules.prepare(env, schedule.task, body, nominal, dev_default_ttl=self.engine.config.dev_default_ttl)

    # -- presentation helpers -------------------------------------------------------------
    @staticmethod
    def next_runs(schedule: Schedule, now: int, count: int = 1) -> list[tuple[int, int]]:
        """The next ``count`` (nominal, effective) times after ``now``."""
        times = schedules.upcoming(schedule.cron, schedule.timezone, now, count + 1)
        return [(n, schedules.effective_at(schedule, n, times[i + 1]) if i + 1 < len(times) else n)
                for i, n in enumerate(times[:count])]


def options_of(body: dict[str, Any]) -> ScheduleOptions:
    return ScheduleOptions(task=body["task"], cron=body["cron"], dedup_key=body.get("deduplicationKey"),
                           external_id=body.get("externalId"), timezone=body.get("timezone"), window=body.get("window"))
