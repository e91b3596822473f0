"""The socket.io ``/dev-worker`` namespace (python-socketio, ASGI) mounted beside the app, so a
resume is pushed to ``trigger dev`` at once instead of waiting for its 5 s snapshot poll:
``run:subscribe`` / ``run:unsubscribe`` join and leave ``room:<run id>``, and every new
snapshot of a run emits ``run:notify`` into its room."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio

from ..service import Services

NAMESPACE = "/dev-worker"
#: A snapshot change this soon after the previous one of the same run is pushed again after
#: each of these delays (seconds).
FOLLOW_UP_WITHIN_S = 2.0
FOLLOW_UPS_S = (0.4, 1.2)
log = logging.getLogger("trigger_emulator")


def _token(environ: dict[str, Any]) -> str:
    header = environ.get("HTTP_AUTHORIZATION", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else header.strip()


def asgi(app: Any, services: Services) -> Any:
    """``app`` with socket.io in front of it (lifespan and every other path go to ``app``)."""
    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=[], logger=False, engineio_logger=False)
    engine = services.engine

    @sio.on("connect", namespace=NAMESPACE)
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        token = _token(environ)
        return bool(token) and await engine.environment_for_key(token) is not None

    #: The loop socket.io serves on, learnt from its first event: a unit of work may run on
    #: another thread's loop (the Python API runs a sync caller's work on that caller's thread).
    served: dict[str, asyncio.AbstractEventLoop] = {}

    async def rooms(sid: str, data: Any, join: bool) -> None:
        served["loop"] = asyncio.get_running_loop()
        ids = data.get("runFriendlyIds") if isinstance(data, dict) else None
        for run_id in ids if isinstance(ids, list) else []:
            if isinstance(run_id, str):
                await (sio.enter_room if join else sio.leave_room)(sid, f"room:{run_id}", namespace=NAMESPACE)

    @sio.on("run:subscribe", namespace=NAMESPACE)
    async def subscribe(sid: str, data: Any = None) -> None:
        await rooms(sid, data, True)

    @sio.on("run:unsubscribe", namespace=NAMESPACE)
    async def unsubscribe(sid: str, data: Any = None) -> None:
        await rooms(sid, data, False)

    last: dict[str, float] = {}

    async def emit(run_id: str) -> None:
        try:
            await sio.emit("run:notify", {"version": "1", "run": {"friendlyId": run_id}},
                           room=f"room:{run_id}", namespace=NAMESPACE)
        except Exception:  # pragma: no cover - a push is an optimisation; the CLI polls too
            log.exception("run:notify failed")

    async def notify(run_ids: set[str]) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for run_id in run_ids:
            await emit(run_id)
            # The CLI drops a notification that arrives while it still handles the previous
            # snapshot change ("already in progress"), then waits for its 5 s poll: a change
            # right after another one is pushed again once that handling is over.
            if now - last.get(run_id, float("-inf")) < FOLLOW_UP_WITHIN_S:
                for delay in FOLLOW_UPS_S:
                    loop.call_later(delay, lambda r=run_id: track(loop.create_task(emit(r))))
            last[run_id] = now
        if len(last) > 10_000:
            last.clear()

    pending: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks

    def track(task: asyncio.Task) -> None:
        pending.add(task)
        task.add_done_callback(pending.discard)

    def changed(run_ids: set[str]) -> None:
        loop = served.get("loop")
        if loop is None or loop.is_closed():
            return  # no worker has subscribed to anything yet
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is loop:
            track(loop.create_task(notify(run_ids)))
        else:
            loop.call_soon_threadsafe(lambda: track(loop.create_task(notify(run_ids))))

    engine.snapshot_listeners.append(changed)
    wrapped = socketio.ASGIApp(sio, other_asgi_app=app, socketio_path="socket.io")
    wrapped.sio = sio  # ``await wrapped.sio.shutdown()`` before the loop stops
    wrapped.state = app.state  # what api.server.Server reads to end realtime waiters on shutdown
    return wrapped
