"""A whole emulator inside this process, driven synchronously: the public Python API.

``LocalEmulator`` runs an ``Engine`` and its ASGI app on a private event-loop thread, so sync
and async callers (and a uvicorn server on a free port) all share one state and one clock.
httpx and ``requests`` traffic to the Trigger.dev hosts is routed to it. The pytest plugin is
a thin layer over this class.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
from datetime import datetime, timedelta
from typing import Any, Callable, Coroutine, TypeVar
from unittest.mock import ANY

import httpx

from ..api.app import create_app
from ..api.middleware import DropConnection
from ..api.snapshots import Batch, Run
from ..core import ids, packets, transitions
from ..core.config import Config
from ..core.environments import KEY_PREFIXES
from ..core.errors import NotFound
from ..core.records import PUBLIC_STATUS
from ..core.limiter import parse_rate_limit
from ..service import Services
from . import assertions, handlers
from .dev_workers import ClockControl, DevWorkersMixin
from .intercept import DEFAULT_HOST, Intercepting
from .loop import LoopThread, asgi_call
from .management import ManagementMixin
from .streams import StreamWriting
from .versions import Versions

T = TypeVar("T")

_DEFAULT_BASE_URL = Config.__dataclass_fields__["base_url"].default
COMPAT_MODES = ("production", "docs")


class LocalEmulator(Intercepting, DevWorkersMixin, ManagementMixin, StreamWriting, Versions):
    """An emulator in this process. Use as a context manager, or call ``open``/``close``."""

    def __init__(self, config: Config | None = None, *, environment: str = "dev", secret_key: str | None = None) -> None:
        if environment not in KEY_PREFIXES:
            raise ValueError(f"environment must be one of {', '.join(KEY_PREFIXES)}")
        self.config = config or Config()
        if self.config.worker_key is None:
            self.config.worker_key = ids.random_key("tr_dev_")  # stable across reset()
        self._initial_config = dataclasses.replace(self.config, keys=list(self.config.keys))
        self.services = Services(self.config)
        self.engine = self.services.engine
        self.clock = ClockControl(self)
        self.environment = environment
        self.secret_key = secret_key or ids.random_key(KEY_PREFIXES[environment])
        self.app = create_app(self.services)
        self.base_url = DEFAULT_HOST
        if self.config.base_url == _DEFAULT_BASE_URL:
            self.config.base_url = DEFAULT_HOST  # in process, the emulator answers as the Trigger.dev host
        self.url: str | None = None
        self.auto_execute = False
        self._loop: LoopThread | None = None
        self._server: Any = None
        self._server_task: Any = None
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._executing = False
        self._interceptor = None
        #: Run ids a test has looked at through an assertion or ``run(id)``.
        self.asserted: set[str] = set()

    # -- lifecycle ------------------------------------------------------------------------
    def open(self) -> "LocalEmulator":
        if self._loop is None:
            self._loop = LoopThread()
            self._call(self.engine.open())
        return self

    def close(self) -> None:
        if self._loop is None:
            return
        if self._interceptor is not None:
            self._interceptor.close()
            self._interceptor = None
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._call(asyncio.wait_for(self._socket.sio.shutdown(), 5))
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
        """Wipe every run, batch, schedule, waitpoint and fault (environments stay, with their
        ids), put the clock back on the wall clock and the settings back to what the emulator
        was made with."""
        self._call(self.engine.reset())
        self._call(self.engine.reset_clock())
        for name in ("strict_keys", "compat", "dev_default_ttl", "batch_rate_limit", "api_rate_limit",
                     "request_idempotency", "batch_idempotency", "strict_versions", "metadata_get",
                     "run_results", "bad_input"):
            setattr(self.config, name, getattr(self._initial_config, name))
        self.config.keys = list(self._initial_config.keys)
        self._handlers.clear()
        self.asserted.clear()

    def configure(
        self,
        *,
        environment: str | None = None,
        compat: str | None = None,
        auto_execute: bool | None = None,
        strict_keys: bool | None = None,
        new_key: bool = False,
    ) -> "LocalEmulator":
        """Change settings; ``new_key=True`` mints a fresh secret key for ``environment``.
        ``strict_keys=True`` then accepts only that key. Bad values raise ``ValueError`` naming
        them."""
        if environment is not None:
            if environment not in KEY_PREFIXES:
                raise ValueError(f"environment must be one of {', '.join(KEY_PREFIXES)}; got {environment!r}")
            self.environment = environment
        if compat is not None:
            if compat not in COMPAT_MODES:
                raise ValueError(f"compat must be one of {', '.join(COMPAT_MODES)}; got {compat!r}")
            self.config.compat = compat
        if new_key:
            self.secret_key = ids.random_key(KEY_PREFIXES[self.environment])
        if strict_keys is not None:
            self.config.strict_keys = bool(strict_keys)
            self.config.keys = [self.secret_key] if strict_keys else list(self._initial_config.keys)
        if auto_execute is not None:
            self.auto_execute = bool(auto_execute)
        return self

    def assert_all_asserted(self) -> None:
        """Fail when a triggered run was never looked at by an assertion or ``run(id)``."""
        __tracebackhide__ = True
        left = self.unasserted()
        if left:
            listed = "\n".join(f"  {r.id}  task={r.task!r}  payload={r.payload!r}" for r in left)
            raise AssertionError(f"{len(left)} triggered run(s) were never asserted:\n{listed}")

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coro.close()
            raise RuntimeError("the emulator is not open")
        return self._loop.run(coro)

    # -- HTTP -----------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one httpx request from the in-process app (what the intercepted transport returns)."""
        try:
            content = request.content
        except httpx.RequestNotRead:
            content = request.read()
        try:
            status, headers, body = self._call(asgi_call(self.app, request.method, request.url, request.headers.raw, content))
        except DropConnection:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request) from None
        response = httpx.Response(status, headers=headers, content=body, request=request)
        if self.auto_execute and not self._executing and self._handlers:
            self.execute()
        return response

    def client(self, **kwargs: Any) -> httpx.Client:
        """A sync httpx client whose requests go straight to this emulator, key preset."""
        headers = {"Authorization": f"Bearer {self.secret_key}", **kwargs.pop("headers", {})}
        return httpx.Client(transport=httpx.MockTransport(self.handle), base_url=self.base_url, headers=headers, **kwargs)

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
        from ..api.server import Server
        from ..api.socket import asgi

        self._socket = asgi(self.app, self.services)
        config = uvicorn.Config(self._socket, lifespan="off", log_level="warning", access_log=False)
        self._server = Server(config)

        async def boot() -> None:
            self._server_task = asyncio.ensure_future(self._server.serve(sockets=[sock]))
            while not self._server.started:
                if self._server_task.done():
                    self._server_task.result()
                await asyncio.sleep(0.005)

        self._loop.call(boot())
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
        return await self.services.run_data.get_object(env_id, path)

    def runs(self, task: str | None = None, *, status: str | None = None, tag: str | None = None,
             batch: str | None = None) -> list[Run]:
        """Every run of this emulator (all environments), in creation order; the filters are
        applied in SQL, so only matching runs are converted."""
        statuses = None if status is None else [s for s, public in PUBLIC_STATUS.items() if public == status]
        records = self._call(self.services.runs.all(task=task, batch=batch, tag=tag, statuses=statuses))
        return [self._view(record) for record in records]

    def run(self, run_id: str) -> Run:
        record = self._call(self.services.runs.find(run_id))
        if record is None:
            raise KeyError(run_id)
        self.asserted.add(run_id)
        return self._view(record)

    def batches(self) -> list[Batch]:
        return [Batch.from_view(v) for v in self._call(self.services.batches.all())]

    def batch(self, batch_id: str) -> Batch:
        found = self._call(self.services.batches.find(batch_id))
        if found is None:
            raise KeyError(batch_id)
        return Batch.from_view(found)

    # -- assertions -----------------------------------------------------------------------
    def assert_triggered(self, task: str, *, payload: Any = ANY, times: int | None = None, **options: Any) -> Run:
        """At least one run of ``task`` matching (exactly ``times`` runs if given); returns the latest."""
        __tracebackhide__ = True
        assertions.check_options(options)
        expected = {"payload": payload, **options}
        matching = [r for r in self.runs(task) if not assertions.mismatches(r, task, expected)]
        if (times is None and not matching) or (times is not None and len(matching) != times):
            raise AssertionError(assertions.failure(task, expected, self.runs(), times=times, matched=matching))
        self.asserted.update(r.id for r in matching)
        return matching[-1] if matching else None  # type: ignore[return-value]

    def assert_not_triggered(self, task: str | None = None) -> None:
        __tracebackhide__ = True
        runs = self.runs(task)
        if runs:
            listed = "\n".join(f"  {r.id}  task={r.task!r}  status={r.status}  payload={r.payload!r}" for r in runs)
            what = f"no run of {task!r}" if task else "no runs"
            verb = "was" if len(runs) == 1 else "were"
            raise AssertionError(f"Expected {what}, but {len(runs)} {verb} triggered:\n{listed}")

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
        return self._view(self._call(self.services.runs.start(run_id)))

    def complete(self, run_id: str, output: Any = None) -> Run:
        return self._view(self._call(self.services.runs.complete(run_id, output)))

    def fail(self, run_id: str, error: str | dict[str, Any] = "Failed", *, status: str = "FAILED") -> Run:
        stored = transitions.built_in_error(error)
        return self._view(self._call(self.services.runs.fail(run_id, stored, status)))

    def cancel(self, run_id: str) -> Run:
        try:
            return self._view(self._call(self.services.runs.cancel(None, run_id)))
        except NotFound:
            raise KeyError(run_id) from None

    # -- Python task handlers -------------------------------------------------------------
    def task(self, task_id: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a handler that ``execute()`` calls for queued runs of ``task_id``."""

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            self._handlers[task_id] = handler
            return handler

        return register

    def execute(self, limit: int = 1000) -> list[Run]:
        """Run every QUEUED run that has a handler (and the runs those trigger), oldest first,
        except on paused queues. A raising handler is retried up to ``maxAttempts`` (default 1);
        it sees its environment's variables in ``os.environ``."""
        if self._executing:
            return []
        self._executing = True
        done: list[Run] = []
        try:
            while len(done) < limit:
                claimed = self._claimed()
                queued = [r for r in self._runnable(self.runs(status="QUEUED")) if r.task in self._handlers
                          and r.task not in claimed.get(r.env_id, ())]
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
                with self._task_environment(run.env_id):
                    output = handlers.call_handler(handler, current.payload, current)
            except Exception as exc:  # noqa: BLE001 - a task failure is data
                if attempt == attempts:
                    return self.fail(run.id, handlers.error_of(exc))
                continue
            return self.complete(run.id, output)
        return self.run(run.id)  # pragma: no cover
