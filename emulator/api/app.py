"""The ASGI app: routes from each API family, errors in the contract's shape."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ..core.config import Config
from ..core.errors import ApiError
from ..service import Engine, Services
from ..store import StorageError
from . import (auth, batches, control, dashboard, dashboard_management, declarations, dev_worker, envvars, http, otel,
               queues, realtime, run_data, runs, schedules, streams, trigger, waitpoints)
from .middleware import ApiMiddleware
from .recording import Recorder

log = logging.getLogger("trigger_emulator")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return http.error_response(exc)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return http.json_response({"error": "Method not allowed"}, 405, exc.headers)
    if exc.status_code == 404:
        return http.json_response({"error": "Not found"}, 404)
    return http.json_response({"error": exc.detail or "Error"}, exc.status_code, exc.headers)


async def _storage(request: Request, exc: Exception) -> Response:
    """The database cannot take the write (the transaction was rolled back, so nothing
    acknowledged is lost): 507 for a full disk, 503 otherwise, naming the cause."""
    log.error("%s %s: %s", request.method, request.url.path, exc)
    full = "full" in str(exc).lower()
    return http.json_response({"error": str(exc)}, 507 if full else 503, {"x-should-retry": "true"})


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client hung up before its body arrived: nobody reads the answer, nothing to log."""
    return Response(status_code=400)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return http.json_response({"error": "Internal Server Error"}, 500)


def create_app(services: Services | None = None, *, config: Config | None = None, background_ticks: bool = False) -> Starlette:
    """An app over ``services`` (or new ones from ``config``).

    ``background_ticks`` applies due transitions in real time (the CLI server); in tests they
    are applied whenever a request reads the clock or the clock is moved.
    """
    services = services or Services(config or Config())
    engine = services.engine

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await engine.open()
        ticker = asyncio.create_task(_tick_forever(engine)) if background_ticks else None
        try:
            yield
        finally:
            if ticker is not None:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            await engine.close()

    routes = [
        *trigger.routes(services),
        *batches.routes(services),
        *runs.routes(services),
        *run_data.routes(services),
        *auth.routes(services),
        *realtime.routes(services),
        *streams.routes(services),
        *envvars.routes(services),
        *waitpoints.routes(services),
        *queues.routes(services),
        *schedules.routes(services),
        *declarations.routes(services),
        *control.routes(services),
        *control.fault_routes(services),
        *dashboard.routes(services),
        *dashboard_management.routes(services),
        *dev_worker.routes(services),
        *otel.routes(services),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(Recorder, engine=engine), Middleware(ApiMiddleware, engine=engine)],
        exception_handlers={
            ApiError: _api_error, HTTPException: _http_exception, StorageError: _storage,
            ClientDisconnect: _client_gone, Exception: _unexpected,
        },
    )
    app.state.services = services
    return app


async def _tick_forever(engine: Engine, interval: float = 0.25) -> None:
    while True:
        try:
            await engine.tick()
        except Exception:  # pragma: no cover - keep ticking whatever one pass hit
            log.exception("applying due transitions failed")
        await asyncio.sleep(interval)
