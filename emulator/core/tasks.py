"""Declared tasks: what a deploy would tell the server about a task (there is no deploy here).

A schedule may only be attached to a task declared with ``scheduled=True`` (management.md §3.2
rows 6-7) once any task has been declared; a declared task's queue (its own ``task/<id>``, or a
custom one) exists in every environment, with the declared concurrency limit."""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUEUE_CHARS = re.compile(r"[^a-zA-Z0-9_\-/]")


@dataclass
class TaskDefinition:
    slug: str
    scheduled: bool = False
    #: The custom queue's name, or None for the task's own ``task/<slug>`` queue.
    queue: str | None = None
    concurrency_limit: int | None = None
    created_at: int = 0

    @property
    def queue_name(self) -> str:
        return self.queue if self.queue else f"task/{self.slug}"


def queue_name(name: str) -> str:
    """A custom queue's name as the server stores it: ``[A-Za-z0-9_\\-/]``, at most 128."""
    return _QUEUE_CHARS.sub("", name)[:128]
