"""Which runs a realtime feed holds (contract realtime.md §5), and the keys a change to a run
wakes its waiters by. Pure rules: callers pass ``now`` in epoch ms."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Hashable

from .durations import parse_duration_ms
from .limits import REALTIME_DEFAULT_CREATED_AT, REALTIME_MAX_CREATED_AT_MS
from .records import Run

#: Tag characters the tag feed refuses (ESH ``UNSAFE_REALTIME_TAG_CHARS``).
_UNSAFE_TAG = re.compile(r'[\x00-\x1f\x7f\\"]')


@dataclass(frozen=True)
class Feed:
    """One subscription's rows: a single run, runs with every one of ``tags`` (created after
    ``created_after``), or the runs of a batch; always within one environment."""

    env_id: str
    run_id: str | None = None
    tags: tuple[str, ...] = ()
    batch_id: str | None = None
    created_after: int | None = None

    @property
    def single(self) -> bool:
        return self.run_id is not None

    def holds(self, run: Run) -> bool:
        """Does this feed contain ``run`` (as it is now)?"""
        return (
            run.env_id == self.env_id
            and (self.run_id is None or run.id == self.run_id)
            and (self.batch_id is None or run.batch_id == self.batch_id)
            and all(tag in run.tags for tag in self.tags)
            and (self.created_after is None or run.created_at > self.created_after)
        )

    def wake_keys(self) -> list[Hashable]:
        """Every run this feed can hold publishes at least one of these keys."""
        if self.run_id is not None:
            return [("run", self.run_id)]
        if self.batch_id is not None:
            return [("batch", self.batch_id)]
        if self.tags:
            return [("tag", self.env_id, self.tags[0])]
        return [("env", self.env_id)]


def run_keys(run: Run) -> list[Hashable]:
    """The keys a change to ``run`` publishes (see ``Feed.wake_keys``)."""
    keys: list[Hashable] = [("run", run.id), ("env", run.env_id)]
    if run.batch_id:
        keys.append(("batch", run.batch_id))
    keys.extend(("tag", run.env_id, tag) for tag in run.tags)
    return keys


def stream_key(run_id: str, key: str) -> Hashable:
    return ("stream", run_id, key)


def parse_tags(value: str | None) -> tuple[tuple[str, ...], dict[str, Any] | None]:
    """``tags=a,b`` as the route's zod schema reads it: ``(tags, None)`` or ``((), error body)``
    naming the first tag that is empty or holds a control character, ``\\`` or ``"``."""
    if not value:
        return (), None
    tags = value.split(",")
    for tag in tags:
        if not tag or _UNSAFE_TAG.search(tag):
            message = "Invalid tag: " + json.dumps(tag, ensure_ascii=False)
            return (), {"error": "Query Error", "details": [{"code": "custom", "message": message, "path": ["tags"]}]}
    return tuple(dict.fromkeys(tags)), None


def created_after(value: str | None, now: int) -> int | None:
    """The tag feed's lower bound on ``createdAt`` (exclusive): ``now`` minus the duration
    (default 24h), never more than 24h back; an unparseable duration means no bound at all,
    as on the Electric backend."""
    duration = parse_duration_ms(value if value is not None else REALTIME_DEFAULT_CREATED_AT)
    if duration is None:
        return None
    return now - min(duration, REALTIME_MAX_CREATED_AT_MS)
