"""Queues (management.md §6): the record, how a queue parameter names one, override and reset
rules and the request bodies, in plain Python.

A queue exists in an environment once a run names it, a declared task names it, or an action
(pause, override) stored its state; its id is derived from (environment, name), so it is the same
id whichever way the queue came to be known."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import unquote

from .schemas import _enum, _field, _Zod
from .zod import fail, int_issue, too_big, too_small, type_issue

#: What an environment's ``maximumConcurrencyLimit`` is on a self-hosted server
#: (``DEFAULT_ORG_EXECUTION_CONCURRENCY_LIMIT``); overrides above it are refused.
ENV_CONCURRENCY_LIMIT = 300
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
_ID_ALPHABET = "123456789abcdefghijkmnopqrstuvwxyz"
QUEUE_TYPES = ("task", "custom", "id")


@dataclass
class Queue:
    env_id: str
    name: str  # stored name: ``task/<id>`` for a task's own queue
    concurrency_limit: int | None = None
    concurrency_limit_base: int | None = None
    overridden_at: int | None = None
    override_percent: float | None = None
    paused: bool = False
    running: int = 0
    queued: int = 0

    @property
    def id(self) -> str:
        return queue_id(self.env_id, self.name)

    @property
    def kind(self) -> str:
        return "task" if self.name.startswith("task/") else "custom"

    @property
    def shown_name(self) -> str:
        return self.name[len("task/"):] if self.name.startswith("task/") else self.name

    @property
    def orderable_name(self) -> str:
        return self.shown_name

    @property
    def blocked(self) -> bool:
        """Paused, or overridden to no concurrency: its queued runs wait."""
        return self.paused or self.concurrency_limit == 0


def queue_id(env_id: str, name: str) -> str:
    """``queue_`` + 21 characters, stable for (environment, name)."""
    digest = int.from_bytes(hashlib.sha256(f"{env_id}\0{name}".encode()).digest(), "big")
    chars = []
    for _ in range(21):
        digest, index = divmod(digest, len(_ID_ALPHABET))
        chars.append(_ID_ALPHABET[index])
    return "queue_" + "".join(chars)


def wanted_name(param: str, kind: str) -> str | None:
    """The stored name a ``{queueParam}`` of ``type`` names (None for ``id``: match the id).
    The SDK sends ``encodeURIComponent(name.replace("/", "%2F"))``; the server decodes it."""
    if kind == "id":
        return None
    name = unquote(param).replace("%2F", "/")
    if kind == "task":
        return "task/" + (name[len("task/"):] if name.startswith("task/") else name)
    return name


def clamp(limit: int | None) -> int | None:
    return None if limit is None else max(0, min(limit, ENV_CONCURRENCY_LIMIT))


def materialize_percent(percent: float) -> int:
    return min(max(int(ENV_CONCURRENCY_LIMIT * percent // 100), 1), ENV_CONCURRENCY_LIMIT)


def override(queue: Queue, limit: int | None, percent: float | None, at: int) -> str | None:
    """Override the limit; returns the 400 message when refused. The base is the limit before
    the first override, kept across re-overrides."""
    if percent is not None:
        new_limit = materialize_percent(percent)
    else:
        assert limit is not None
        if limit > ENV_CONCURRENCY_LIMIT:
            return f"Concurrency limit ({limit}) cannot exceed the environment limit ({ENV_CONCURRENCY_LIMIT})"
        new_limit = limit
    if queue.overridden_at is None:
        queue.concurrency_limit_base = queue.concurrency_limit
    queue.concurrency_limit = new_limit
    queue.overridden_at = at
    queue.override_percent = percent
    return None


def reset(queue: Queue) -> bool:
    """Back to the base limit; False when the queue is not overridden."""
    if queue.overridden_at is None:
        return False
    queue.concurrency_limit = queue.concurrency_limit_base
    queue.concurrency_limit_base = None
    queue.overridden_at = None
    queue.override_percent = None
    return True


# -- request bodies (route builder: "Validation error: ...") ------------------------------
QueueType = Annotated[str, *_field(_enum(*QUEUE_TYPES), {"enum": list(QUEUE_TYPES)})]
Action = Annotated[str, *_field(_enum("pause", "resume"), {"enum": ["pause", "resume"]})]


def _limit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(type_issue("number", value))
    if isinstance(value, float) and not value.is_integer():
        raise fail(int_issue())
    if value < 0:
        raise fail(too_small(0, "Number must be greater than or equal to 0"))
    if value > 100_000:
        raise fail(too_big(100_000, "Number must be less than or equal to 100000"))
    return int(value)


def _percent(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(type_issue("number", value))
    if value <= 0:
        raise fail(too_small(0, "Number must be greater than 0", inclusive=False))
    if value > 100:
        raise fail(too_big(100, "Number must be less than or equal to 100"))
    return float(value)


class PauseBody(_Zod):
    type: QueueType = "id"
    action: Action


class OverrideBody(_Zod):
    type: QueueType = "id"
    concurrencyLimit: Annotated[int, *_field(_limit, {"type": "integer", "minimum": 0, "maximum": 100000})] = None
    percent: Annotated[float, *_field(_percent, {"type": "number", "exclusiveMinimum": 0, "maximum": 100})] = None


class ResetBody(_Zod):
    type: QueueType = "id"


EXACTLY_ONE = "Validation error: Provide exactly one of `concurrencyLimit` or `percent`"
