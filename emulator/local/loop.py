"""The emulator's private event-loop thread, and one HTTP exchange with an ASGI app made
directly (no second httpx round trip), with the caller's own framing."""

from __future__ import annotations

import asyncio
import threading
from asyncio import events
from typing import Any, Coroutine, TypeVar

import httpx

from ..api.site_guard import IN_PROCESS

T = TypeVar("T")
_local = threading.local()


def _private_loop() -> asyncio.AbstractEventLoop:
    loop = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = _local.loop = asyncio.new_event_loop()
    return loop


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="trigger-emulator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 120) -> T:
        """Run ``coro`` on this thread's loop (what must live there: a served uvicorn)."""
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("the emulator's own thread cannot wait on itself")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 120) -> T:
        """Run one request or operation for a synchronous caller. A thread with no event loop
        running (a plain test) runs it right there on a private loop of its own: no thread hop
        each way. A thread inside a running loop (an async test) hands it to this thread.
        Either way the state is shared: the store serializes units with a thread lock."""
        if threading.current_thread() is not self._thread and events._get_running_loop() is None:
            return run_here(coro)
        return self.call(coro, timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.loop.close()


def run_here(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end on this thread's private loop, as a task. Most in-process
    requests never wait on anything (an in-memory store answers in the calling thread), so the
    task's first step is taken here at once, with the loop marked running as during any step,
    instead of starting the loop for it (its turns and selector polls cost ~10 µs a request);
    a task that is not done after that step is run on the loop as usual. Anything unexpected
    in the loop's queue takes the usual path too."""
    loop = _private_loop()
    task = loop.create_task(coro)
    ready = getattr(loop, "_ready", None)  # asyncio's own loops' queue of ready handles
    step = ready[0] if ready is not None and len(ready) == 1 else None
    if step is None or getattr(step, "_callback", None) is None or getattr(step._callback, "__self__", None) is not task:
        return loop.run_until_complete(task)  # another loop (uvloop's), or not what we know
    ready.popleft()
    events._set_running_loop(loop)
    try:
        step._run()
    finally:
        events._set_running_loop(None)
    if not task.done() or ready:  # it waits on something, or started work of its own
        loop.run_until_complete(task)
    return task.result()


async def asgi_call(app: Any, method: str, url: "httpx.URL | str", headers: list, content: bytes) -> tuple[int, list, bytes]:
    """Call the ASGI app directly (no second httpx round) with the caller's framing."""
    parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": parsed.scheme, "path": parsed.path, "raw_path": parsed.raw_path.split(b"?")[0],
        "query_string": parsed.query, "root_path": "",
        "headers": [(k.lower(), v) for k, v in headers],
        "server": (parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)),
        "client": ("127.0.0.1", 123),
        # No server sets this: the site guard's Host allow-list exempts in-process calls,
        # which answer as api.trigger.dev and which no browser can make.
        "extensions": {IN_PROCESS: {}},
    }
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            # The caller is still waiting for this answer: it never disconnects (a long-poll
            # watching for a disconnect is ended by its own timeout or a state change).
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": content, "more_body": False}

    answer: dict = {"status": 500, "headers": [], "body": bytearray()}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = message.get("headers", [])
        elif message["type"] == "http.response.body":
            answer["body"].extend(message.get("body", b""))

    await app(scope, receive, send)
    return answer["status"], answer["headers"], bytes(answer["body"])
