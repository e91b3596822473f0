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

    async def rooms(sid: str, data: Any, join: bool) -> None:
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

    async def notify(run_ids: set[str]) -> None:
        for run_id in run_ids:
            try:
                await sio.emit("run:notify", {"version": "1", "run": {"friendlyId": run_id}},
                               room=f"room:{run_id}", namespace=NAMESPACE)
            except Exception:  # pragma: no cover - a push is an optimisation; the CLI polls too
                log.exception("run:notify failed")

    def changed(run_ids: set[str]) -> None:
        try:
            asyncio.get_running_loop().create_task(notify(run_ids))
        except RuntimeError:  # no loop (a unit run outside the server): the CLI's poll covers it
            pass

    engine.snapshot_listeners.append(changed)
    wrapped = socketio.ASGIApp(sio, other_asgi_app=app, socketio_path="socket.io")
    wrapped.sio = sio  # ``await wrapped.sio.shutdown()`` before the loop stops
    return wrapped
