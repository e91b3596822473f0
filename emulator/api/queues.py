"""``/api/v1/queues`` (management.md §6): route-builder routes; retrieve also takes a public
token with ``read:queues``. Note the two 404 strings (``queue-not-found`` vs ``Queue not found``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from .routing import Route

from ..core import queues, schemas
from ..core.clock import iso
from ..core.errors import ApiError
from ..core.queues import Queue
from ..core.run_query import QueryError
from ..core.zod_issues import coerce_int
from ..service import Services
from . import http


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def queue_item(queue: Queue, *, with_percent: bool = False) -> dict[str, Any]:
    """``toQueueItem``: ``concurrencyLimit`` is null, never omitted, when unlimited."""
    out: dict[str, Any] = {
        "id": queue.id,
        "name": queue.shown_name,
        "type": queue.kind,
        "running": queue.running,
        "queued": queue.queued,
        "paused": queue.paused,
        "concurrencyLimit": queue.concurrency_limit,
        "concurrency": {
            "current": queue.concurrency_limit,
            "base": queue.concurrency_limit_base,
            "override": queue.concurrency_limit if queue.overridden_at is not None else None,
            "overriddenBy": None,
            "overriddenAt": None if queue.overridden_at is None else iso(queue.overridden_at),
        },
        "releaseConcurrencyOnWaitpoint": True,
    }
    if with_percent:
        out["concurrencyLimitOverridePercent"] = _number(queue.override_percent)
    return out


def _type_issue(value: str) -> dict[str, Any]:
    options = list(queues.QUEUE_TYPES)
    expected = " | ".join(f"'{o}'" for o in options)
    return {"received": value, "code": "invalid_enum_value", "options": options, "path": ["type"],
            "message": f"Invalid enum value. Expected {expected}, received '{value}'"}


def routes(services: Services) -> list[Route]:
    engine = services.engine
    service = services.queues

    async def body_of(request: Request, model: type) -> Any:
        raw = await http.json_body(request)
        try:
            return schemas.validate(model, raw)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None

    async def list_queues(request: Request) -> Response:
        caller = await http.authenticate(request, engine, allow_jwt=False)
        page, issues = coerce_int(request.query_params, "page")
        per_page, more = coerce_int(request.query_params, "perPage")
        if issues or more:
            raise QueryError(issues + more)
        per_page = min(per_page or queues.DEFAULT_PER_PAGE, queues.MAX_PER_PAGE)
        found = await service.list(caller.env, page or 1, per_page)
        data = [queue_item(q, with_percent=True) for q in found.queues]
        pagination = {"currentPage": found.page, "totalPages": found.total_pages, "count": found.count}
        return http.json_response({"data": data, "pagination": pagination})

    async def retrieve(request: Request) -> Response:
        caller = await http.authenticate(request, engine)
        kind = request.query_params.get("type", "id")
        if kind not in queues.QUEUE_TYPES:
            raise QueryError([_type_issue(kind)])
        caller.require("read", ("queues", None))
        queue = await service.retrieve(caller.env, request.path_params["queue"], kind)
        return http.json_response(queue_item(queue, with_percent=True), 200, http.cors_headers(request))

    async def pause(request: Request) -> Response:
        if request.method in ("GET", "OPTIONS"):
            return http.action_route_verbs(request)
        caller = await http.authenticate(request, engine, allow_jwt=False)
        body = await body_of(request, queues.PauseBody)
        queue = await service.pause(caller.env, request.path_params["queue"], body.type, body.action == "pause")
        return http.json_response(queue_item(queue))

    async def override(request: Request) -> Response:
        if request.method in ("GET", "OPTIONS"):
            return http.action_route_verbs(request)
        caller = await http.authenticate(request, engine, allow_jwt=False)
        body = await body_of(request, queues.OverrideBody)
        if (body.concurrencyLimit is None) == (body.percent is None):
            raise ApiError(400, queues.EXACTLY_ONE)
        queue = await service.override(caller.env, request.path_params["queue"], body.type, body.concurrencyLimit,
                                       body.percent)
        return http.json_response(queue_item(queue))

    async def reset(request: Request) -> Response:
        if request.method in ("GET", "OPTIONS"):
            return http.action_route_verbs(request)
        caller = await http.authenticate(request, engine, allow_jwt=False)
        body = await body_of(request, queues.ResetBody)
        queue = await service.reset(caller.env, request.path_params["queue"], body.type)
        return http.json_response(queue_item(queue))

    every = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return [
        Route("/api/v1/queues", list_queues, methods=["GET"]),
        Route("/api/v1/queues/{queue}", retrieve, methods=["GET"]),
        Route("/api/v1/queues/{queue}/pause", pause, methods=every),
        Route("/api/v1/queues/{queue}/concurrency/override", override, methods=every),
        Route("/api/v1/queues/{queue}/concurrency/reset", reset, methods=every),
    ]
