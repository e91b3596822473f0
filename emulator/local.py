"""A whole emulator inside this process, driven synchronously.

``LocalEmulator`` runs an ``Engine`` and its ASGI app on a private event-loop thread, so sync
and async callers (and a uvicorn server on a free port) all share one state and one clock.
httpx traffic to the Trigger.dev hosts is routed to it with respx. The pytest plugin is a thin
layer over this class.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from datetime import datetime, timedelta
from typing import Any, Coroutine, TypeVar

import httpx

from . import ids
from .app import create_app
from .clock import to_ms
from .config import Config
from .engine import Engine
from .views import Run

T = TypeVar("T")

DEFAULT_HOST = "https://api.trigger.dev"
_KEY_PREFIX = {"dev": "tr_dev_", "staging": "tr_stg_", "prod": "tr_prod_", "preview": "tr_preview_"}


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="trigger-emulator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 60) -> T:
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("the emulator's own thread cannot wait on itself")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.loop.close()


class LocalEmulator:
    """An emulator in this process. Use as a context manager, or call ``start``/``close``."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        environment: str = "dev",
        secret_key: str | None = None,
    ) -> None:
        if environment not in _KEY_PREFIX:
            raise ValueError(f"environment must be one of {', '.join(_KEY_PREFIX)}")
        self.config = config or Config()
        self.engine = Engine(self.config)
        self.clock = _ClockControl(self)
        self.secret_key = secret_key or ids.random_key(_KEY_PREFIX[environment])
        self.app = create_app(self.engine)
        self.base_url = DEFAULT_HOST
        self.url: str | None = None
        self._loop: _LoopThread | None = None
        self._transport = httpx.ASGITransport(app=self.app)
        self._server: Any = None
        self._server_task: Any = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> "LocalEmulator":
        if self._loop is None:
            self._loop = _LoopThread()
            self._call(self.engine.open())
        return self

    def close(self) -> None:
        if self._loop is None:
            return
        if self._server is not None:
            self._server.should_exit = True
            try:
                self._loop.call(asyncio.wait_for(asyncio.shield(self._server_task), 10))
            except Exception:
                pass
            self._server = None
        self._call(self.engine.close())
        self._loop.stop()
        self._loop = None

    def __enter__(self) -> "LocalEmulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coro.close()
            raise RuntimeError("the emulator is not started")
        return self._loop.call(coro)

    # -- HTTP -----------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one httpx request from the in-process app (a respx side effect)."""
        try:
            content = request.content
        except httpx.RequestNotRead:
            content = request.read()
        status, headers, body = self._call(self._dispatch(request.method, str(request.url), request.headers.raw, content))
        return httpx.Response(status, headers=headers, content=body, request=request)

    async def _dispatch(self, method: str, url: str, headers: list, content: bytes):
        # A stream keeps the caller's framing: no Content-Length is invented for a chunked body.
        inner = httpx.Request(method, url, headers=headers, stream=httpx.ByteStream(content))
        response = await self._transport.handle_async_request(inner)
        body = await response.aread()
        return response.status_code, response.headers.raw, body

    def client(self, **kwargs: Any) -> httpx.Client:
        """A sync httpx client whose requests go straight to this emulator, key preset."""
        headers = {"Authorization": f"Bearer {self.secret_key}", **kwargs.pop("headers", {})}
        return httpx.Client(
            transport=httpx.MockTransport(self.handle), base_url=self.base_url, headers=headers, **kwargs
        )

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve this emulator over a real socket (for other processes); returns its URL."""
        if self.url is not None:
            return self.url
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        bound_port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, lifespan="off", log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)

        async def boot() -> None:
            self._server_task = asyncio.ensure_future(self._server.serve(sockets=[sock]))
            while not self._server.started:
                if self._server_task.done():
                    self._server_task.result()
                await asyncio.sleep(0.005)

        self._call(boot())
        self.url = f"http://{host}:{bound_port}"
        self.base_url = self.url
        self.config.base_url = self.url
        return self.url

    # -- inspection -----------------------------------------------------------------------
    def runs(
        self, task: str | None = None, *, status: str | None = None, tag: str | None = None, batch: str | None = None
    ) -> list[Run]:
        """Every run of this emulator (all environments), in creation order."""
        records = self._call(self.engine.runs())
        out = []
        for record in records:
            view = Run.from_record(record)
            if task is not None and view.task != task:
                continue
            if status is not None and view.status != status:
                continue
            if tag is not None and tag not in view.tags:
                continue
            if batch is not None and view.batch_id != batch:
                continue
            out.append(view)
        return out

    def run(self, run_id: str) -> Run:
        record = self._call(self.engine.run_any(run_id))
        if record is None:
            raise KeyError(run_id)
        return Run.from_record(record)

    # -- time -----------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.engine.clock.now()

    def advance(self, delta: timedelta | float | None = None, *, seconds: float = 0, minutes: float = 0,
                hours: float = 0, days: float = 0) -> datetime:
        """Move the clock forward and apply everything that fell due, in time order."""
        if isinstance(delta, (int, float)):
            delta = timedelta(seconds=delta)
        total = (delta or timedelta(0)) + timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
        self._call(self.engine.advance_ms(int(total.total_seconds() * 1000)))
        return self.now()

    # -- outcomes -------------------------------------------------------------------------
    def start_run(self, run_id: str) -> Run:
        return Run.from_record(self._call(self.engine.start(run_id)))

    def complete(self, run_id: str, output: Any = None) -> Run:
        return Run.from_record(self._call(self.engine.complete(run_id, output)))

    def fail(self, run_id: str, error: str | dict[str, Any] = "Failed", *, status: str = "FAILED") -> Run:
        if isinstance(error, str):
            error = {"message": error}
        stored = {
            "type": "BUILT_IN_ERROR",
            "name": str(error.get("name", "Error")),
            "message": str(error.get("message", "")),
            "stackTrace": str(error.get("stackTrace", "")),
        }
        return Run.from_record(self._call(self.engine.fail(run_id, stored, status)))

    def cancel(self, run_id: str) -> Run:
        record = self._call(self.engine.run_any(run_id))
        if record is None:
            raise KeyError(run_id)

        async def go():
            env = await self.engine.environment_by_id(record.env_id)
            return await self.engine.cancel(env, run_id)

        self._call(go())
        return self.run(run_id)

    def reset(self) -> None:
        self._call(self.engine.reset())


class _ClockControl:
    def __init__(self, emulator: LocalEmulator) -> None:
        self._emulator = emulator

    def now(self) -> datetime:
        return self._emulator.now()

    def advance(self, *args: Any, **kwargs: Any) -> datetime:
        return self._emulator.advance(*args, **kwargs)

    def set(self, moment: datetime) -> datetime:
        self._emulator._call(self._emulator.engine.set_clock_ms(to_ms(moment)))
        return self._emulator.now()
