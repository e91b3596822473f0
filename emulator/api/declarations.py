"""``/__emulator/tasks`` and ``/__emulator/schedules``: what a deploy tells the server, declared
over HTTP instead (there is no deploy step). Authorized by a secret key: a declarative schedule
belongs to that key's environment; tasks belong to the project (every environment)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from .routing import Route

from ..core.errors import ApiError
from ..core.tasks import TaskDefinition, queue_name
from ..service import Services
from ..service.schedules import ScheduleOptions
from . import http
from .control import _optional_json
from .schedules import retrieved


def _string(body: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ApiError(400, f"{name} must be a non-empty string")
    return value


def routes(services: Services) -> list[Route]:
    engine = services.engine

    async def tasks(request: Request) -> Response:
        if request.method == "GET":
            return http.json_response({"tasks": [_task_json(t) for t in await services.queues.tasks()]})
        await http.authenticate(request, engine, allow_jwt=False)
        body = await _optional_json(request)
        slug = _string(body, "id", required=True)
        queue = body.get("queue")
        limit = body.get("concurrencyLimit")
        if isinstance(queue, dict):
            queue, limit = queue.get("name"), queue.get("concurrencyLimit", limit)
        if queue is not None and (not isinstance(queue, str) or not queue_name(queue)):
            raise ApiError(400, 'queue must be a queue name or {"name": …, "concurrencyLimit"?: …}')
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ApiError(400, "concurrencyLimit must be a non-negative integer")
        scheduled = body.get("scheduled", False)
        if not isinstance(scheduled, bool):
            raise ApiError(400, "scheduled must be true or false")
        task = TaskDefinition(slug, scheduled, queue_name(queue) if queue else None, limit)
        return http.json_response(_task_json(await services.queues.declare_task(task)))

    async def declare_schedule(request: Request) -> Response:
        caller = await http.authenticate(request, engine, allow_jwt=False)
        body = await _optional_json(request)
        options = ScheduleOptions(task=_string(body, "task", required=True), cron=_string(body, "cron", required=True),
                                  timezone=_string(body, "timezone"), window=_string(body, "window"))
        try:
            schedule = await services.schedules.declare(caller.env, options)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        return http.json_response(retrieved(schedule, caller.env, engine.clock.now_ms()))

    return [
        Route("/__emulator/tasks", tasks, methods=["GET", "POST"]),
        Route("/__emulator/schedules", declare_schedule, methods=["POST"]),
    ]


def _task_json(task: TaskDefinition) -> dict[str, Any]:
    return {"id": task.slug, "scheduled": task.scheduled, "queue": task.queue_name, "concurrencyLimit": task.concurrency_limit}
