"""Fault injection rules, in plain Python: which requests a rule matches and whether it fires.

A rule that fires answers before any route runs, so it never changes stored state (a failed
trigger creates no run) and SDK retries stay honest. ``lose_response`` is the exception: the
request is processed, then the connection drops, to show what request idempotency is for.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from . import storable

#: API names a rule may use instead of a method and path pattern.
APIS: dict[str, tuple[str, str]] = {
    "trigger": ("POST", "/api/v1/tasks/*/trigger"),
    "batch.create": ("POST", "/api/v3/batches"),
    "batch.items": ("POST", "/api/v3/batches/*/items"),
    "batch.v2": ("POST", "/api/v2/tasks/batch"),
    "batch.retrieve": ("GET", "/api/v2/batches/*"),
    "runs.retrieve": ("GET", "/api/v3/runs/*"),
    "runs.list": ("GET", "/api/v1/runs"),
    "runs.cancel": ("POST", "/api/v2/runs/*/cancel"),
    "runs.reschedule": ("POST", "/api/v1/runs/*/reschedule"),
    "runs.replay": ("POST", "/api/v1/runs/*/replay"),
    "idempotencyKeys.reset": ("POST", "/api/v1/idempotencyKeys/*/reset"),
    "packets": ("PUT", "/api/v2/packets/*"),
}

DEFAULT_MESSAGES = {
    400: "Bad request",
    401: "Invalid API key",
    403: "Unauthorized",
    404: "Not found",
    408: "Request timeout",
    409: "Conflict",
    422: "Unprocessable entity",
    429: "Rate limit exceeded",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
#: RFC 9110 field names (tokens) and values (visible Latin-1, spaces and tabs inside).
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_FIELD_VALUE = re.compile(r"^(?:[\x21-\x7e\x80-\xff](?:[\x20\x09\x21-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?\Z")
_TASK_IN_PATH = re.compile(r"^/api/v1/tasks/(.+)/(?:trigger|batch)$")
_ids = itertools.count(1)


class FaultError(ValueError):
    """A rule that cannot be built; the message says why."""


@dataclass
class Fault:
    id: str
    method: str | None = None
    path: str | None = None
    task: str | None = None
    status: int | None = None
    body: Any = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    every: int | None = None
    probability: float | None = None
    seed: int | None = None
    latency_ms: int = 0
    drop: bool = False
    lose_response: bool = False
    #: For 429s: ``x-ratelimit-reset`` this many ms after now (the SDK waits until then).
    reset_in_ms: int | None = None
    retry_after_s: int | None = None
    should_retry: bool | None = None
    seen: int = 0
    fired: int = 0
    _random: random.Random | None = field(default=None, repr=False)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path and not fnmatch.fnmatchcase(path, self.path):
            return False
        if self.task is not None:
            match = _TASK_IN_PATH.match(path)
            if not match or match.group(1) != self.task:
                return False
        return True

    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def should_fire(self) -> bool:
        """Count one matching call and decide; call only for matching requests."""
        if self.exhausted():
            return False
        self.seen += 1
        if self.every is not None and self.seen % self.every != 0:
            return False
        if self.probability is not None:
            if self._random is None:
                self._random = random.Random(self.seed)
            if self._random.random() >= self.probability:
                return False
        self.fired += 1
        return True

    def describe(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if not k.startswith("_") and v not in (None, {}, False)}
        out["seen"], out["fired"] = self.seen, self.fired
        return out


def build(spec: dict[str, Any]) -> Fault:
    """A rule from its JSON/keyword form; FaultError for anything that does not make sense."""
    spec = dict(spec)
    api = spec.pop("api", None)
    if api is not None:
        if api not in APIS:
            raise FaultError(f"unknown api {api!r}; one of: {', '.join(APIS)}")
        method, path = APIS[api]
        spec.setdefault("method", method)
        spec.setdefault("path", path)
    allowed = {f for f in Fault.__dataclass_fields__ if not f.startswith("_") and f not in ("id", "seen", "fired")}
    unknown = set(spec) - allowed
    if unknown:
        raise FaultError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
    checks = {
        "method": str, "path": str, "task": str, "content_type": str, "status": int, "times": int, "every": int,
        "seed": int, "latency_ms": int, "reset_in_ms": int, "retry_after_s": int, "probability": (int, float),
        "drop": bool, "lose_response": bool, "should_retry": bool, "headers": dict,
    }
    for name, kind in checks.items():
        value = spec.get(name)
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            raise FaultError(f"{name} must be {getattr(kind, '__name__', 'a number')}")
    status = spec.get("status")
    if status is not None and not 400 <= status <= 599:
        raise FaultError("status must be between 400 and 599")
    if status is None and not (spec.get("drop") or spec.get("lose_response") or spec.get("latency_ms")):
        raise FaultError("a fault needs a status, drop, lose_response or latency_ms")
    for name in ("times", "every", "latency_ms", "reset_in_ms", "retry_after_s"):
        if spec.get(name) is not None and spec[name] < (1 if name in ("times", "every") else 0):
            raise FaultError(f"{name} is out of range")
    if spec.get("latency_ms", 0) > 600_000:
        raise FaultError("latency_ms is at most 600000")
    probability = spec.get("probability")
    if probability is not None and not 0 <= probability <= 1:
        raise FaultError("probability must be between 0 and 1")
    headers = spec.get("headers") or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise FaultError("headers must map strings to strings")
    for name, value in headers.items():
        if not _TOKEN.match(name):
            raise FaultError(f"header name {name!r} is not a valid HTTP header name")
        if not _FIELD_VALUE.match(value):
            raise FaultError(f"header {name!r} has a value that is not a valid HTTP header value (CR, LF, NUL or non-Latin-1)")
    content_type = spec.get("content_type")
    if content_type is not None and not _FIELD_VALUE.match(content_type):
        raise FaultError("content_type is not a valid HTTP header value")
    for name in ("method", "path", "task"):
        if isinstance(spec.get(name), str) and storable.has_surrogate(spec[name]):
            raise FaultError(f"{name} contains an unpaired UTF-16 surrogate")
    body = spec.get("body")
    if isinstance(body, str) and storable.has_surrogate(body) and content_type and "json" not in content_type:
        raise FaultError("a text body cannot contain an unpaired UTF-16 surrogate")
    spec["headers"] = headers
    return Fault(id=f"fault_{next(_ids)}", **spec)


class FaultSet:
    """The active rules of one emulator; thread-safe (the Python API and requests share it)."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, **spec: Any) -> str:
        fault = build(spec)
        with self._lock:
            self._rules.append(fault)
        return fault.id

    def add_spec(self, spec: dict[str, Any]) -> Fault:
        fault = build(spec)
        with self._lock:
            self._rules.append(fault)
        return fault

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [f for f in self._rules if f.id != fault_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self._rules]

    def __len__(self) -> int:
        return len(self._rules)

    def pick(self, method: str, path: str) -> Fault | None:
        """The first rule that matches and fires for this request, if any."""
        if not self._rules:
            return None
        with self._lock:
            for fault in self._rules:
                if fault.matches(method, path) and fault.should_fire():
                    return fault
        return None
