"""Python task handlers: ``@emulator.task("id")`` registers one, ``emulator.execute()`` runs
every queued run that has one, with retries up to ``maxAttempts``."""

from __future__ import annotations

import asyncio
import inspect
import threading
import traceback
from typing import Any, Callable

Handler = Callable[..., Any]


def call_handler(handler: Handler, payload: Any, run: Any) -> Any:
    """Call a sync or async handler with ``(payload)`` or ``(payload, run)``."""
    try:
        wants_run = len(inspect.signature(handler).parameters) >= 2
    except (TypeError, ValueError):
        wants_run = False
    args = (payload, run) if wants_run else (payload,)
    if inspect.iscoroutinefunction(handler):
        return _run_coroutine(handler(*args))
    result = handler(*args)
    if inspect.isawaitable(result):
        return _run_coroutine(result)
    return result


def _run_coroutine(coro) -> Any:
    """Run a coroutine to completion even when this thread already has a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="trigger-emulator-handler")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def error_of(exc: BaseException) -> dict[str, str]:
    return {
        "name": type(exc).__name__,
        "message": str(exc),
        "stackTrace": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }
