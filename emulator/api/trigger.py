"""``POST /api/v1/tasks/{taskIdentifier}/trigger``: parse, call the engine, serialize."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import Response
from .routing import Route

from ..core import js_number, schemas, tokens
from ..core.zod import js_length
from ..core.errors import ApiError
from ..service import Services
from . import http

TRIGGER_BODY_LIMIT = 3_145_728


def trigger_headers(request: Request) -> tuple[str | None, str | None]:
    """``HeadersSchema`` of the trigger route (pipeline step 6; the v3 batch create route uses it
    too) and the headers that win over body options."""
    issues = []
    key = request.headers.get("idempotency-key")
    if key is not None and js_length(key) > 2048:
        issues.append(
            {"code": "too_big", "maximum": 2048, "type": "string", "inclusive": True, "exact": False,
             "message": "idempotency-key must be 2048 characters or less", "path": ["idempotency-key"]}
        )
    engine_version = request.headers.get("x-trigger-engine-version")
    if engine_version is not None and engine_version not in ("V1", "V2"):
        issues.append(
            {"received": engine_version, "code": "invalid_enum_value", "options": ["V1", "V2"],
             "path": ["x-trigger-engine-version"],
             "message": f"Invalid enum value. Expected 'V1' | 'V2', received '{engine_version}'"}
        )
    link = request.headers.get("x-trigger-span-parent-as-link")
    if link is not None and math.isnan(js_number.number(link)):  # z.coerce.number(): "" is 0
        issues.append(
            {"code": "invalid_type", "expected": "number", "received": "nan",
             "path": ["x-trigger-span-parent-as-link"], "message": "Expected number, received nan"}
        )
    if issues:
        raise http.headers_error(issues)
    return key, request.headers.get("idempotency-key-ttl")


def routes(services: Services) -> list[Route]:
    engine = services.engine
    async def trigger(request: Request) -> Response:
        if request.method in ("GET", "OPTIONS"):
            return http.action_route_verbs(request)
        caller = await http.authenticate(request, engine)
        http.check_content_length(request, TRIGGER_BODY_LIMIT)
        task = request.path_params["task"]
        header_key, header_ttl = trigger_headers(request)
        raw = await http.json_body(request, TRIGGER_BODY_LIMIT)
        try:
            body = schemas.validate_trigger(raw)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        caller.require("trigger", ("tasks", task))
        await http.require_parent(caller, services.runs, body.options.parentRunId if body.options else None)
        run, cached = await services.runs.trigger(
            caller.env, task, body, header_key=header_key, header_ttl=header_ttl,
            request_key=request.headers.get("x-trigger-request-idempotency-key"),
        )
        scopes = [f"read:runs:{run.id}", f"write:inputStreams:{run.id}"]
        headers = tokens.jwt_headers(
            caller.env.api_key, caller.env.id, scopes, engine.clock.now_ms() // 1000, full_claims=True,
            realtime=caller.realtime,
        )
        headers.update(http.cors_headers(request))
        return http.json_response({"id": run.id, "isCached": cached}, 200, headers)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return [Route("/api/v1/tasks/{task:path}/trigger", trigger, methods=methods)]
