"""A whole emulator inside this process, driven synchronously: the public Python API.

``LocalEmulator`` runs an ``Engine`` and its ASGI app on a private event-loop thread, so sync
and async callers (and a uvicorn server on a free port) all share one state and one clock.
httpx and ``requests`` traffic to the Trigger.dev hosts is routed to it. The pytest plugin is
a thin layer over this class.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
from datetime import datetime, timedelta
from typing import Any, Callable, Coroutine, Iterable, TypeVar
from unittest.mock import ANY

import httpx

from . import assertions, execution, ids, lifecycle, packets
from .app import create_app
from .clock import to_ms
from .config import Config
from .engine import Engine
from .intercept import Interceptor
from .middleware import DropConnection
from .views import Batch, Run

T = TypeVar("T")

DEFAULT_HOST = "https://api.trigger.dev"
KEY_PREFIXES = {"dev": "tr_dev_", "staging": "tr_stg_", "prod": "tr_prod_", "preview": "tr_preview_"}


class _LoopThread:
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


class LocalEmulator:
    """An emulator in this process. Use as a context manager, or call ``open``/``close``."""

    def __init__(self, config: Config | None = None, *, environment: str = "dev", secret_key: str | None = None) -> None:
        if environment not in KEY_PREFIXES:
            raise ValueError(f"environment must be one of {', '.join(KEY_PREFIXES)}")
        self.config = config or Config()
        self._initial_config = dataclasses.replace(self.config, keys=list(self.config.keys))
        self.engine = Engine(self.config)
        self.clock = _ClockControl(self)
        self.environment = environment
        self.secret_key = secret_key or ids.random_key(KEY_PREFIXES[environment])
        self.app = create_app(self.engine)
        self.base_url = DEFAULT_HOST
        self.url: str | None = None
        self.auto_execute = False
        self._loop: _LoopThread | None = None
        self._server: Any = None
        self._server_task: Any = None
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._executing = False
        self._interceptor: Interceptor | None = None
        #: Run ids a test has looked at through an assertion or ``run(id)``.
        self.asserted: set[str] = set()

    # -- lifecycle ------------------------------------------------------------------------
    def open(self) -> "LocalEmulator":
        if self._loop is None:
            self._loop = _LoopThread()
            self._call(self.engine.open())
        return self

    def close(self) -> None:
        if self._loop is None:
            return
        self.stop_intercepting()
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
        return self.open()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def reset(self) -> None:
        """Wipe every run, batch, environment and fault, put the clock back on the wall clock
        and the settings back to what the emulator was made with."""
        self._call(self.engine.reset())
        self.engine.clock.reset()
        for name in ("strict_keys", "compat", "dev_default_ttl", "batch_rate_limit", "api_rate_limit",
                     "request_idempotency", "batch_idempotency"):
            setattr(self.config, name, getattr(self._initial_config, name))
        self.config.keys = list(self._initial_config.keys)
        self._handlers.clear()
        self.asserted.clear()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coro.close()
            raise RuntimeError("the emulator is not open")
        return self._loop.call(coro)

    # -- HTTP -----------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one httpx request from the in-process app (a respx side effect)."""
        try:
            content = request.content
        except httpx.RequestNotRead:
            content = request.read()
        try:
            status, headers, body = self._call(self._dispatch(request.method, str(request.url), request.headers.raw, content))
        except DropConnection:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request) from None
        response = httpx.Response(status, headers=headers, content=body, request=request)
        if self.auto_execute and not self._executing and self._handlers:
            self.execute()
        return response

    async def _dispatch(self, method: str, url: str, headers: list, content: bytes):
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
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": content, "more_body": False}

        answer: dict = {"status": 500, "headers": [], "body": bytearray()}

        async def send(message):
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                answer["body"].extend(message.get("body", b""))

        await self.app(scope, receive, send)
        return answer["status"], answer["headers"], bytes(answer["body"])

    def client(self, **kwargs: Any) -> httpx.Client:
        """A sync httpx client whose requests go straight to this emulator, key preset."""
        headers = {"Authorization": f"Bearer {self.secret_key}", **kwargs.pop("headers", {})}
        return httpx.Client(transport=httpx.MockTransport(self.handle), base_url=self.base_url, headers=headers, **kwargs)

    def intercept(self, hosts: Iterable[str] = ()) -> Interceptor:
        """Route httpx (and ``requests``) calls for the Trigger.dev host, ``base_url`` and
        ``hosts`` to this emulator until ``stop_intercepting``."""
        self.stop_intercepting()
        wanted = {DEFAULT_HOST, *hosts}
        if self.url is None:
            wanted.add(self.base_url)
        self._interceptor = Interceptor(self.handle, wanted)
        self._interceptor.start()
        return self._interceptor

    def stop_intercepting(self) -> None:
        if self._interceptor is not None:
            self._interceptor.stop()
            self._interceptor = None

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve this emulator over a real socket (for other processes); returns its URL."""
        if self.url is not None:
            self.base_url = self.url
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

    # -- faults and limits ----------------------------------------------------------------
    @property
    def faults(self):
        """Fault injection: ``.add(api="trigger", status=500, times=2)`` (or ``method=``,
        ``path=`` with ``*``, ``task=``; ``every=``, ``probability=`` + ``seed=``;
        ``latency_ms=``, ``drop=True``, ``lose_response=True``; ``reset_in_ms=``,
        ``retry_after_s=``, ``should_retry=``, ``headers=``, ``body=``) returns its id;
        ``.remove(id)``, ``.clear()``, ``.list()``."""
        return self.engine.faults

    def rate_limit(self, api: Any = "keep", *, batch: Any = "keep") -> None:
        """Set the limiters: a preset (``"production"``, ``"generous"``), ``None`` for off, or
        ``{"limit": n, "refill": n, "interval_ms": n}``. Buckets start full again."""
        from .api_control import parse_rate_limit

        self.config.api_rate_limit = parse_rate_limit(api, self.config.api_rate_limit)
        self.config.batch_rate_limit = parse_rate_limit(batch, self.config.batch_rate_limit, "batch")
        self.engine.buckets.clear()

    # -- inspection -----------------------------------------------------------------------
    def _view(self, record) -> Run:
        view = Run.from_record(record)
        if record.payload_type == packets.STORE and record.payload:
            found = self._call(self._object(record.env_id, record.payload))
            if found is not None:
                content_type, data = found
                decoded = packets.decode_for_python(data.decode("utf-8", "replace"), content_type or packets.JSON)
                object.__setattr__(view, "payload", decoded)
        return view

    async def _object(self, env_id: str, path: str):
        async with self.engine.store.transaction() as tx:
            return await tx.get_object(env_id, path)

    def runs(self, task: str | None = None, *, status: str | None = None, tag: str | None = None,
             batch: str | None = None) -> list[Run]:
        """Every run of this emulator (all environments), in creation order."""
        out = []
        for record in self._call(self.engine.runs()):
            if task is not None and record.task != task:
                continue
            if batch is not None and record.batch_id != batch:
                continue
            if tag is not None and tag not in record.tags:
                continue
            if status is not None and record.public_status != status:
                continue
            out.append(self._view(record))
        return out

    def run(self, run_id: str) -> Run:
        record = self._call(self.engine.run_any(run_id))
        if record is None:
            raise KeyError(run_id)
        self.asserted.add(run_id)
        return self._view(record)

    def batches(self) -> list[Batch]:
        from .batches import BatchService

        return [Batch.from_view(v) for v in self._call(BatchService(self.engine).all())]

    def batch(self, batch_id: str) -> Batch:
        for batch in self.batches():
            if batch.id == batch_id:
                return batch
        raise KeyError(batch_id)

    # -- assertions -----------------------------------------------------------------------
    def assert_triggered(self, task: str, *, payload: Any = ANY, times: int | None = None, **options: Any) -> Run:
        """At least one run of ``task`` matching (exactly ``times`` runs if given); returns the latest."""
        assertions.check_options(options)
        expected = {"payload": payload, **options}
        runs = self.runs()
        matching = [r for r in runs if not assertions.mismatches(r, task, expected)]
        if (times is None and not matching) or (times is not None and len(matching) != times):
            raise AssertionError(assertions.failure(task, expected, runs, times=times, matched=len(matching)))
        self.asserted.update(r.id for r in matching)
        return matching[-1] if matching else None  # type: ignore[return-value]

    def assert_not_triggered(self, task: str | None = None) -> None:
        runs = self.runs(task)
        if runs:
            listed = "\n".join(f"  {r.id}  task={r.task!r}  status={r.status}  payload={r.payload!r}" for r in runs)
            what = f"no run of {task!r}" if task else "no runs"
            raise AssertionError(f"Expected {what}, but {len(runs)} were triggered:\n{listed}")

    def unasserted(self) -> list[Run]:
        return [r for r in self.runs() if r.id not in self.asserted]

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
    def start(self, run_id: str) -> Run:
        return self._view(self._call(self.engine.start(run_id)))

    def complete(self, run_id: str, output: Any = None) -> Run:
        return self._view(self._call(self.engine.complete(run_id, output)))

    def fail(self, run_id: str, error: str | dict[str, Any] = "Failed", *, status: str = "FAILED") -> Run:
        stored = lifecycle.built_in_error(error)
        return self._view(self._call(self.engine.fail(run_id, stored, status)))

    def cancel(self, run_id: str) -> Run:
        async def go():
            record = await self.engine.run_any(run_id)
            if record is None:
                raise KeyError(run_id)
            env = await self.engine.environment_by_id(record.env_id)
            return await self.engine.cancel(env, run_id)

        return self._view(self._call(go()))

    # -- Python task handlers -------------------------------------------------------------
    def task(self, task_id: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a handler that ``execute()`` calls for queued runs of ``task_id``."""

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            self._handlers[task_id] = handler
            return handler

        return register

    def execute(self, limit: int = 1000) -> list[Run]:
        """Run every QUEUED run that has a handler (and the runs those trigger), oldest first.
        A raising handler is retried up to the run's ``maxAttempts`` (default 1)."""
        if self._executing:
            return []
        self._executing = True
        done: list[Run] = []
        try:
            while len(done) < limit:
                queued = [r for r in self.runs(status="QUEUED") if r.task in self._handlers]
                if not queued:
                    break
                for run in queued:
                    done.append(self._execute_one(run))
        finally:
            self._executing = False
        return done

    def _execute_one(self, run: Run) -> Run:
        handler = self._handlers[run.task]
        attempts = max(1, run.max_attempts or 1)
        for attempt in range(1, attempts + 1):
            current = self.start(run.id)
            try:
                output = execution.call_handler(handler, current.payload, current)
            except Exception as exc:  # noqa: BLE001 - a task failure is data
                if attempt == attempts:
                    return self.fail(run.id, execution.error_of(exc))
                continue
            return self.complete(run.id, output)
        return self.run(run.id)  # pragma: no cover


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
