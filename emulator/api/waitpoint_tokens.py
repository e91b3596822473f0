"""Waitpoint tokens (management.md §5), the part a dev worker's ``wait.forToken`` needs:
create, retrieve and complete. Thin handlers over ``services.tokens``."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..core import tokens
from ..core.clock import iso
from ..core.durations import parse_date_ms, parse_duration_ms
from ..core.errors import ApiError
from ..core.waitpoints import Waitpoint, wall_to_emulator
from ..service import Services
from . import http, presenters

_KEY_TTL = re.compile(r"^(\d+)([smhd])$")
#: A key TTL can reach no further than JavaScript's last Date from now (what can be stored).
_LONGEST_MS = 4_320_000_000_000_000
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def _callback_url(base: str, wp: Waitpoint) -> str:
    return f"{base.rstrip('/')}/api/v1/waitpoints/tokens/{wp.id}/callback/{wp.id.split('_', 1)[1]}"


def present(wp: Waitpoint, base: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": wp.id, "type": wp.type, "url": _callback_url(base, wp), "status": wp.public_status,
                           "idempotencyKey": wp.idempotency_key, "userProvidedIdempotencyKey": wp.user_provided_idempotency_key}
    if wp.idempotency_key_expires_at is not None:
        out["idempotencyKeyExpiresAt"] = iso(wp.idempotency_key_expires_at)
    if wp.output is not None:
        out["output"] = wp.output
    out["outputType"] = wp.output_type
    out["outputIsError"] = wp.output_is_error
    if wp.completed_after is not None:
        out["timeoutAt"] = out["completedAfter"] = iso(wp.completed_after)
    if wp.completed_at is not None:
        out["completedAt"] = iso(wp.completed_at)
    out["createdAt"] = iso(wp.created_at)
    out["tags"] = list(wp.tags)
    return out


def routes(services: Services) -> list[Route]:
    engine = services.engine

    async def create(request: Request) -> Response:
        caller = await http.authenticate(request, engine, allow_jwt=False)
        body = await http.json_body(request, 10_240)
        if not isinstance(body, dict):
            raise ApiError(400, "Validation error: Expected object, received " + type(body).__name__)
        now, wall = engine.clock.now_ms(), engine.clock.wall_ms()
        timeout = body.get("timeout")
        timeout_at = None
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
            date = parse_date_ms(timeout)  # None past JavaScript's Date range: no timeout
            timeout_at = wall_to_emulator(date, wall, now) if date is not None else None
        elif isinstance(timeout, str):
            date = parse_date_ms(timeout)
            if date is not None:
                timeout_at = wall_to_emulator(date, wall, now) if date > wall else None
            elif parse_duration_ms(timeout) is not None:
                timeout_at = now + parse_duration_ms(timeout)
        key = body.get("idempotencyKey")
        if key is not None and not isinstance(key, str):
            raise ApiError(400, 'Validation error: Expected string, received number at "idempotencyKey"')
        ttl = body.get("idempotencyKeyTTL")
        match = _KEY_TTL.match(ttl) if isinstance(ttl, str) else None
        key_ttl = min(int(match.group(1)) * _UNIT_MS[match.group(2)], _LONGEST_MS) if match else None
        tags = body.get("tags")
        tags = [tags] if isinstance(tags, str) else [str(t) for t in tags] if isinstance(tags, list) else []
        if len(tags) > 10:
            raise ApiError(422, f"Waitpoints can only have 10 tags, you're trying to set {len(tags)}.")
        wp, cached = await services.tokens.create(caller.env, timeout_at=timeout_at, idempotency_key=key,
                                                  key_ttl_ms=key_ttl, tags=tags)
        headers = tokens.jwt_headers(caller.env.api_key, caller.env.id, [f"write:waitpoints:{wp.id}"], now // 1000, full_claims=False)
        base = presenters.base_url(request, engine.config.base_url)
        return http.json_response({"id": wp.id, "isCached": cached, "url": _callback_url(base, wp)}, 200, headers)

    async def retrieve(request: Request) -> Response:
        caller = await http.authenticate(request, engine, allow_jwt=False)
        wp = await services.tokens.get(caller.env, request.path_params["token"])
        return http.json_response(present(wp, presenters.base_url(request, engine.config.base_url)))

    async def complete(request: Request) -> Response:
        if request.method in ("GET", "OPTIONS"):
            return http.action_route_verbs(request)
        caller = await http.authenticate(request, engine)
        token_id = request.path_params["token"]
        caller.require("write", ("waitpoints", token_id))
        body = await http.json_body(request, 3_145_728)
        if not isinstance(body, dict):
            raise ApiError(400, "Validation error: Expected object")
        await services.tokens.complete(caller.env, token_id, body.get("data"), has_data="data" in body)
        return http.json_response({"success": True}, 200, http.cors_headers(request))

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return [
        Route("/api/v1/waitpoints/tokens", create, methods=["POST"]),
        Route("/api/v1/waitpoints/tokens/{token}", retrieve, methods=["GET"]),
        Route("/api/v1/waitpoints/tokens/{token}/complete", complete, methods=methods),
    ]
