"""The Python API of the management families, mixed into ``LocalEmulator`` (so the pytest fixture
has it too): declared tasks, schedules, env vars, waitpoint tokens and queues."""

from __future__ import annotations

import contextlib
import os
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Iterator
from unittest.mock import ANY

from ..core import queues as queue_rules
from ..core import waitpoints as waitpoint_rules
from ..core.clock import from_ms, iso, to_ms
from ..core.envvars import REDACTED
from ..core.errors import ApiError
from ..core.records import Environment
from ..core.tasks import TaskDefinition, queue_name


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


@dataclass(frozen=True)
class WaitpointToken:
    """A snapshot of one waitpoint token."""

    id: str
    status: str  # WAITING | COMPLETED | TIMED_OUT
    output: Any
    output_type: str
    idempotency_key: str | None
    tags: list[str]
    timeout_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    env_id: str

    @classmethod
    def from_record(cls, token: waitpoint_rules.Waitpoint) -> "WaitpointToken":
        from ..core import packets

        output = packets.decode_for_python(token.output, token.output_type)
        if token.output_is_error and isinstance(token.output, str):
            output = packets.decode_for_python(token.output, packets.JSON)
        return cls(token.id, token.public_status, output, token.output_type,
                   token.idempotency_key if token.user_provided_idempotency_key else None, list(token.tags),
                   _dt(token.completed_after), _dt(token.completed_at), from_ms(token.created_at), token.env_id)


@dataclass(frozen=True)
class QueueInfo:
    """A snapshot of one queue (``name`` as the API shows it: no ``task/`` prefix)."""

    id: str
    name: str
    type: str  # task | custom
    paused: bool
    concurrency_limit: int | None
    running: int
    queued: int
    env_id: str

    @classmethod
    def from_record(cls, queue: queue_rules.Queue) -> "QueueInfo":
        return cls(queue.id, queue.shown_name, queue.kind, queue.paused, queue.concurrency_limit, queue.running,
                   queue.queued, queue.env_id)


@dataclass(frozen=True)
class ScheduleInfo:
    """A snapshot of one schedule; ``next_run`` is on the emulator clock (None while inactive)."""

    id: str
    type: str  # IMPERATIVE | DECLARATIVE
    task: str
    cron: str
    description: str
    timezone: str
    window: str | None
    external_id: str | None
    deduplication_key: str | None
    active: bool
    next_run: datetime | None
    last_run: datetime | None
    env_id: str | None

    @classmethod
    def from_record(cls, schedule: Any) -> "ScheduleInfo":
        return cls(schedule.id, schedule.type, schedule.task, schedule.cron, schedule.description, schedule.timezone,
                   schedule.window, schedule.external_id, schedule.dedup_key if schedule.user_dedup_key else None,
                   schedule.active, _dt(schedule.next_fire_at), _dt(schedule.last_fired), schedule.env_id)


class EnvVars(MutableMapping):
    """The variables of one environment, as a mapping (``emulator.envvars["API_KEY"] = "x"``).
    Secret values read back in plain text here; the HTTP API redacts them."""

    def __init__(self, emulator: Any, environment: str | None = None) -> None:
        self._emulator = emulator
        self._environment = environment

    def _env(self) -> Environment:
        return self._emulator._environment(self._environment)

    def _service(self):
        return self._emulator.services.envvars

    def for_environment(self, environment: str) -> "EnvVars":
        """The variables of another environment: ``dev``, ``staging``, ``prod`` or ``preview``."""
        return EnvVars(self._emulator, environment)

    def set(self, name: str, value: str, *, secret: bool | None = None) -> None:
        try:
            self._emulator._call(self._service().create(self._env(), name, value, secret))
        except ApiError as exc:
            raise ValueError(exc.message) from None

    def update(self, other: Any = (), /, **kwargs: str) -> None:  # type: ignore[override]
        for name, value in dict(other, **kwargs).items():
            self.set(name, value)

    def secret(self, name: str) -> bool:
        for var in self._emulator._call(self._service().all(self._env())):
            if var.name == name:
                return var.is_secret
        raise KeyError(name)

    def __getitem__(self, name: str) -> str:
        return self._emulator._call(self._service().resolved(self._env()))[name]

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        try:
            self._emulator._call(self._service().delete(self._env(), name))
        except ApiError:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._emulator._call(self._service().resolved(self._env())))

    def __len__(self) -> int:
        return len(self._emulator._call(self._service().resolved(self._env())))

    def __repr__(self) -> str:
        shown = {v.name: REDACTED if v.is_secret else v.value for v in self._emulator._call(self._service().all(self._env()))}
        return f"EnvVars({shown!r})"


class ManagementMixin:
    """``LocalEmulator``'s schedules, env vars, waitpoint tokens, queues and declared tasks."""

    services: Any
    engine: Any
    secret_key: str
    _call: Any  # LocalEmulator's: run a coroutine on the emulator's loop

    def _environment(self, environment: str | None = None) -> Environment:
        """The environment of this emulator's key (or a fresh key's, for another environment)."""
        from ..core import ids
        from ..core.environments import KEY_PREFIXES

        key = self.secret_key
        if environment is not None and not key.startswith(KEY_PREFIXES.get(environment, "\0")):
            if environment not in KEY_PREFIXES:
                raise ValueError(f"environment must be one of {', '.join(KEY_PREFIXES)}; got {environment!r}")
            key = self._other_keys.setdefault(environment, ids.random_key(KEY_PREFIXES[environment]))
        env = self._call(self.engine.environment_for_key(key))
        if env is None:
            raise RuntimeError(f"the emulator refuses the key {key[:12]}… (strict keys?)")
        return env

    @property
    def _other_keys(self) -> dict[str, str]:
        keys = self.__dict__.get("_management_keys")
        if keys is None:
            keys = self.__dict__["_management_keys"] = {}
        return keys

    # -- declared tasks -------------------------------------------------------------------
    def declare_task(self, task_id: str, *, scheduled: bool = False, queue: str | None = None,
                     concurrency_limit: int | None = None) -> None:
        """Tell the emulator about a task, as a deploy would: its queue (``queue=`` a custom
        queue's name) appears in every environment with ``concurrency_limit``, and
        ``scheduled=True`` lets schedules attach to it. Once any task is declared, schedules
        may only attach to declared scheduled tasks (production's 422s)."""
        custom = queue_name(queue) if queue else None
        self._call(self.services.queues.declare_task(TaskDefinition(task_id, scheduled, custom, concurrency_limit)))

    # -- schedules ------------------------------------------------------------------------
    def schedule(self, task: str, cron: str, *, timezone: str = "UTC", window: str | None = None,
                 environment: str | None = None) -> ScheduleInfo:
        """Declare ``schedules.task({id: task, cron})`` as a deploy would: a DECLARATIVE schedule
        of this emulator's environment (or ``environment``), firing on the emulator clock.
        Declaring it again updates it. Bad crons and timezones raise ``ValueError``."""
        from ..service.schedules import ScheduleOptions

        options = ScheduleOptions(task=task, cron=cron, timezone=timezone, window=window)
        try:
            found = self._call(self.services.schedules.declare(self._environment(environment), options))
        except ApiError as exc:
            raise ValueError(exc.message) from None
        return ScheduleInfo.from_record(found)

    def schedules(self, task: str | None = None) -> list[ScheduleInfo]:
        """Every schedule (all environments), newest first."""
        found = [ScheduleInfo.from_record(s) for s in self._call(self.services.schedules.all())]
        return [s for s in found if task is None or s.task == task]

    def assert_scheduled(self, task: str, *, cron: Any = ANY, timezone: Any = ANY, external_id: Any = ANY,
                         active: Any = ANY, type: Any = ANY) -> ScheduleInfo:
        """A schedule of ``task`` with these fields exists; returns it."""
        __tracebackhide__ = True
        wanted = {"cron": cron, "timezone": timezone, "external_id": external_id, "active": active, "type": type}
        found = self.schedules()
        for schedule in found:
            if schedule.task == task and all(getattr(schedule, k) == v for k, v in wanted.items()):
                return schedule
        shown = ", ".join(f"{k}={v!r}" for k, v in wanted.items() if v is not ANY)
        listed = "\n".join(f"  {s.id}  task={s.task!r}  cron={s.cron!r}  timezone={s.timezone!r}  active={s.active}"
                            f"  external_id={s.external_id!r}" for s in found) or "  (no schedules)"
        raise AssertionError(f"Expected a schedule of {task!r}{' with ' + shown if shown else ''}; schedules:\n{listed}")

    # -- env vars -------------------------------------------------------------------------
    @property
    def envvars(self) -> EnvVars:
        """This emulator's environment's variables (``.for_environment("prod")`` for another)."""
        return EnvVars(self)

    @contextlib.contextmanager
    def _task_environment(self, env_id: str) -> Iterator[None]:
        """``os.environ`` as a task of ``env_id`` sees it, while a Python handler runs."""
        env = self._call(self.engine.environment_by_id(env_id))
        variables = self._call(self.services.envvars.for_tasks(env))
        saved = {name: os.environ.get(name) for name in variables}
        os.environ.update(variables)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    # -- waitpoint tokens -----------------------------------------------------------------
    def create_token(self, *, timeout: str | datetime | None = None, idempotency_key: str | None = None,
                     idempotency_key_ttl: str | None = None, tags: str | list[str] | None = None,
                     environment: str | None = None, env_key: str | None = None) -> WaitpointToken:
        """``wait.createToken(...)``: a token of this emulator's environment (or ``environment``,
        or the environment of ``env_key``). A ``trigger dev`` task's ``wait.forToken`` finds
        tokens of ``worker_key``'s environment, which the ``trigger_dev_worker`` fixture makes
        this one's. Bad options raise ``ValueError`` with production's message."""
        from ..core import schemas

        raw: dict[str, Any] = {}
        for name, value in (("timeout", iso(to_ms(timeout)) if isinstance(timeout, datetime) else timeout),
                            ("idempotencyKey", idempotency_key), ("idempotencyKeyTTL", idempotency_key_ttl), ("tags", tags)):
            if value is not None:
                raw[name] = value
        if env_key is not None:
            env = self._call(self.engine.environment_for_key(env_key))
            if env is None:
                raise ValueError(f"the emulator refuses the key {env_key[:12]}…")
        else:
            env = self._environment(environment)
        try:
            token, _ = self._call(self.services.waitpoints.create(env, schemas.validate(waitpoint_rules.CreateTokenBody, raw)))
        except ApiError as exc:
            raise ValueError(exc.message) from None
        return WaitpointToken.from_record(token)

    def waitpoints(self, status: str | None = None) -> list[WaitpointToken]:
        """Every waitpoint token (all environments), oldest first; ``status`` is WAITING,
        COMPLETED or TIMED_OUT."""
        tokens = [WaitpointToken.from_record(t) for t in self._call(self.services.waitpoints.all())]
        return [t for t in tokens if status is None or t.status == status]

    def token(self, token: str | WaitpointToken) -> WaitpointToken:
        token_id = token.id if isinstance(token, WaitpointToken) else token
        found = self._call(self.services.waitpoints.find(token_id))
        if found is None:
            raise KeyError(token_id)
        return WaitpointToken.from_record(found)

    def complete_token(self, token: str | WaitpointToken, data: Any = None) -> WaitpointToken:
        """Complete a token as ``wait.completeToken(id, data)`` would (a no-op once completed
        or timed out); ``data=None`` completes it with no output. A task waiting on it
        (``wait.forToken``) resumes."""
        token_id = token.id if isinstance(token, WaitpointToken) else token
        try:
            self._call(self.services.waitpoints.complete(None, token_id, data, data is not None))
        except ApiError:
            raise KeyError(token_id) from None
        return self.token(token_id)

    # -- queues ---------------------------------------------------------------------------
    def queues(self, environment: str | None = None) -> list[QueueInfo]:
        """The queues of this emulator's environment (or ``environment``), by name."""
        env = self._environment(environment)
        return [QueueInfo.from_record(q) for q in self._call(self.services.queues.all(env))]

    def pause_queue(self, name: str, *, type: str = "task", environment: str | None = None) -> QueueInfo:
        """Pause a queue (``type="task"`` names a task's own queue, ``"custom"`` a custom one):
        its runs stay QUEUED and ``execute()`` skips them until ``resume_queue``."""
        return self._set_paused(name, type, environment, True)

    def resume_queue(self, name: str, *, type: str = "task", environment: str | None = None) -> QueueInfo:
        return self._set_paused(name, type, environment, False)

    def _set_paused(self, name: str, kind: str, environment: str | None, paused: bool) -> QueueInfo:
        if kind not in queue_rules.QUEUE_TYPES:
            raise ValueError(f"type must be one of {', '.join(queue_rules.QUEUE_TYPES)}; got {kind!r}")
        try:
            queue = self._call(self.services.queues.pause(self._environment(environment), name, kind, paused))
        except ApiError:
            raise KeyError(name) from None
        return QueueInfo.from_record(queue)

    def _runnable(self, runs: Iterable[Any]) -> list[Any]:
        """The runs ``execute()`` may pick: not on a paused (or zero-limit) queue."""
        blocked = self._call(self.services.queues.blocked())
        return [r for r in runs if (r.env_id, r.queue) not in blocked]
