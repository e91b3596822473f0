"""ASGI middleware in front of every route: injected faults, then the global API rate limiter
(contract triggering.md §2.5), which stamps ``x-ratelimit-*`` on every ``/api/*`` answer it
admits. Both answer before any route runs, so neither ever changes stored state."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

from ..core import js_number
from ..core.errors import ApiError
from ..core.faults import DEFAULT_MESSAGES, Fault
from ..core.limiter import TokenBucket
from .site_guard import IN_PROCESS, SiteGuard



class DropConnection(Exception):
    """Raised after a response has started: servers close the socket, clients see a reset."""


def _exempt_from_limits(path: str) -> bool:
    return (
        not path.startswith("/api/")
        or path.startswith(("/api/v1/packets/", "/api/v2/packets/"))
        or (path.startswith("/api/v3/batches/") and path.endswith("/items"))
    )


class BodyTimeout(ApiError):
    """The client stopped sending the body it announced."""

    def __init__(self) -> None:
        super().__init__(408, "Request body not received in time", headers={"Connection": "close"})


class ApiMiddleware:
    def __init__(self, app: Any, engine: Any) -> None:
        self.app = app
        self.engine = engine
        self.guard = SiteGuard(engine.config)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.guard.check(scope)
        if refusal is not None:
            await _respond(send, refusal[0], [(b"content-type", b"application/json")], refusal[1])
            return
        path, method = scope["path"], scope["method"]
        timeout = self.engine.config.body_timeout_s
        if timeout and method not in ("GET", "HEAD", "OPTIONS") and IN_PROCESS not in (scope.get("extensions") or ()):
            receive = _with_deadline(receive, timeout)
        if not path.startswith("/__emulator") and len(self.engine.faults):
            fault = self.engine.faults.pick(method, path)
            if fault is not None and await self._fault(fault, scope, receive, send):
                return
        limit = self.engine.config.api_rate_limit
        if limit is None or _exempt_from_limits(path):
            await self.app(scope, receive, send)
            return
        auth = _header(scope, b"authorization")
        if auth is None:
            await self.app(scope, receive, send)  # the route answers the 401
            return
        await self._limited(limit, auth, scope, receive, send)

    # -- faults ---------------------------------------------------------------------------
    async def _fault(self, fault: Fault, scope: dict, receive: Any, send: Any) -> bool:
        """Apply ``fault``; True when it answered (False: latency only, carry on)."""
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.drop:
            await _drop(send)
        if fault.lose_response:
            async def discard(message: dict) -> None:
                return None

            await self.app(scope, receive, discard)
            await _drop(send)
        if fault.status is None:
            return False
        headers: list[tuple[bytes, bytes]] = []
        if fault.body is None:
            body = json.dumps({"error": DEFAULT_MESSAGES.get(fault.status, "Error")}).encode()
            content_type = "application/json; charset=utf-8"
        elif isinstance(fault.body, str) and fault.content_type and "json" not in fault.content_type:
            body, content_type = fault.body.encode(), fault.content_type
        else:
            body = json.dumps(fault.body).encode()
            content_type = fault.content_type or "application/json"
        headers.append((b"content-type", content_type.encode()))
        if fault.should_retry is not None:
            headers.append((b"x-should-retry", b"true" if fault.should_retry else b"false"))
        if fault.reset_in_ms is not None:
            headers.append((b"x-ratelimit-reset", str(self.engine.clock.wall_ms() + fault.reset_in_ms).encode()))
        if fault.retry_after_s is not None:
            headers.append((b"retry-after", str(fault.retry_after_s).encode()))
        headers.extend((k.lower().encode(), v.encode()) for k, v in fault.headers.items())
        await _respond(send, fault.status, headers, body)
        return True

    # -- the global limiter ---------------------------------------------------------------
    async def _limited(self, limit: tuple[int, int, int], auth: bytes, scope: dict, receive: Any, send: Any) -> None:
        clock = self.engine.clock
        now = clock.now_ms()
        key = ("api", hashlib.sha256(auth).hexdigest())
        bucket = self.engine.buckets.get(key)
        capacity, refill, interval = limit
        if bucket is None or (bucket.capacity, bucket.refill, bucket.interval_ms) != limit:
            bucket = TokenBucket.full(capacity, refill, interval, now)
            self.engine.buckets[key] = bucket
        admitted, remaining, reset = bucket.take(1, now)
        # The SDK compares the reset with its own wall clock, so translate out of emulator time.
        reset_wall = clock.wall_ms() + (reset - now)
        stamp = [
            (b"x-ratelimit-limit", str(capacity).encode()),
            (b"x-ratelimit-remaining", str(max(0, remaining)).encode()),
            (b"x-ratelimit-reset", str(reset_wall).encode()),
        ]
        if not admitted:
            seconds = max(0, (reset - now) / 1000)
            seconds = int(seconds) if float(seconds).is_integer() else seconds  # JSON like JS prints it
            detail = (f"Rate limit exceeded {max(0, remaining)}/{capacity} requests remaining. "
                      f"Retry in {js_number.to_string(seconds)} seconds.")
            body = {
                "title": "Rate Limit Exceeded", "status": 429,
                "type": "https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/429",
                "detail": detail, "reset": reset_wall, "limit": capacity, "remaining": remaining,
                "secondsUntilReset": seconds, "error": detail,
            }
            # Express sends the problem pretty-printed, with a charset.
            content_type = b"application/problem+json; charset=utf-8"
            await _respond(send, 429, [(b"content-type", content_type), *stamp], json.dumps(body, indent=2).encode())
            return

        async def stamped(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                # A route's own limiter (the batch one) speaks for the answer it made.
                headers.extend((k, v) for k, v in stamp if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, stamped)


def _with_deadline(receive: Any, timeout: float) -> Any:
    """``receive`` that gives up when the client sends nothing for ``timeout`` seconds."""

    async def receive_in_time() -> dict:
        try:
            async with asyncio.timeout(timeout):
                return await receive()
        except TimeoutError:
            raise BodyTimeout() from None

    return receive_in_time


def _header(scope: dict, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value
    return None


async def _respond(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
    raise DropConnection("fault injection dropped the connection")
