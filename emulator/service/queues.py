"""Queues per environment (management.md §6) and declared tasks: list, retrieve, pause/resume,
concurrency override/reset. A paused queue's runs stay QUEUED; the Python handlers skip it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..core import queues
from ..core.errors import ApiError, NotFound
from ..core.queues import Queue
from ..core.records import Environment
from ..core.tasks import TaskDefinition
from ..store import Tx
from .engine import Engine
from .unit import unit


@dataclass
class QueuePage:
    queues: list[Queue]
    page: int
    total_pages: int
    count: int


def known_queues(tx: Tx, env: Environment) -> dict[str, Queue]:
    """Every queue of ``env`` by stored name: declared tasks' queues, queues its runs name and
    stored state (pauses, overrides), with the runs' counts."""
    known: dict[str, Queue] = {}
    for task in tx.tasks():
        known.setdefault(task.queue_name, Queue(env.id, task.queue_name, queues.clamp(task.concurrency_limit)))
    counts = tx.run_queue_counts(env.id)
    for name in counts:
        known.setdefault(name, Queue(env.id, name))
    for stored in tx.stored_queues(env.id):
        known[stored.name] = stored
    for name, queue in known.items():
        queue.running, queue.queued = counts.get(name, (0, 0))
    return known


def _find(tx: Tx, env: Environment, param: str, kind: str, message: str) -> Queue:
    known = known_queues(tx, env)
    name = queues.wanted_name(param, kind)
    if name is None:
        wanted = param.replace("%2F", "/")
        found = next((q for q in known.values() if q.id == wanted), None)
    else:
        found = known.get(name)
    if found is None:
        raise NotFound(message)
    return found


class QueueService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @unit(read=True)
    def list(self, tx: Tx, now: int, env: Environment, page: int, per_page: int) -> QueuePage:
        ordered = sorted(known_queues(tx, env).values(), key=lambda q: (q.orderable_name.casefold(), q.orderable_name))
        count = len(ordered)
        start = (page - 1) * per_page
        return QueuePage(ordered[start:start + per_page], page, math.ceil(count / per_page), count)

    @unit(read=True)
    def retrieve(self, tx: Tx, now: int, env: Environment, param: str, kind: str) -> Queue:
        return _find(tx, env, param, kind, "queue-not-found")

    @unit
    def pause(self, tx: Tx, now: int, env: Environment, param: str, kind: str, paused: bool) -> Queue:
        queue = _find(tx, env, param, kind, "queue-not-found")
        queue.paused = paused
        tx.save_queue(queue)
        return queue

    @unit
    def override(self, tx: Tx, now: int, env: Environment, param: str, kind: str, limit: int | None,
                 percent: float | None) -> Queue:
        queue = _find(tx, env, param, kind, "Queue not found")
        refused = queues.override(queue, limit, percent, now)
        if refused:
            raise ApiError(400, refused)
        tx.save_queue(queue)
        return queue

    @unit
    def reset(self, tx: Tx, now: int, env: Environment, param: str, kind: str) -> Queue:
        queue = _find(tx, env, param, kind, "Queue not found")
        if not queues.reset(queue):
            raise ApiError(400, "Queue is not overridden")
        tx.save_queue(queue)
        return queue

    @unit(read=True)
    def all(self, tx: Tx, now: int, env: Environment) -> list[Queue]:
        return sorted(known_queues(tx, env).values(), key=lambda q: (q.orderable_name.casefold(), q.orderable_name))

    @unit(read=True)
    def blocked(self, tx: Tx, now: int) -> set[tuple[str, str]]:
        """(environment id, queue name) of the queues whose runs must wait."""
        return set(tx.blocked_queues())

    # -- declared tasks -------------------------------------------------------------------
    @unit
    def declare_task(self, tx: Tx, now: int, task: TaskDefinition) -> TaskDefinition:
        existing = tx.task(task.slug)
        task.created_at = existing.created_at if existing else now
        tx.declare_task(task)
        return task

    @unit(read=True)
    def tasks(self, tx: Tx, now: int) -> list[TaskDefinition]:
        return tx.tasks()
