"""The emulator's private event-loop thread, and one HTTP exchange with an ASGI app made
directly (no second httpx round trip), with the caller's own framing."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Coroutine, TypeVar

import httpx

T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="trigger-emulator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 120) -> T:
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("the emulator's own thread cannot wait on itself")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.loop.close()


async def asgi_call(app: Any, method: str, url: str, headers: list, content: bytes) -> tuple[int, list, bytes]:
    """Call the ASGI app directly (no second httpx round) with the caller's framing."""
    parsed = httpx.URL(url)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": parsed.scheme, "path": parsed.path, "raw_path": parsed.raw_path.split(b"?")[0],
        "query_string": parsed.query, "root_path": "",
        "headers": [(k.lower(), v) for k, v in headers],
        "server": (parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)),
        "client": ("127.0.0.1", 123),
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
