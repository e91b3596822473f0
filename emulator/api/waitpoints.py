"""``/api/v1/waitpoints/tokens`` (management.md §5): route-builder routes (secret key only, except
complete, which takes a public token scoped to the waitpoint) and the unauthenticated callback.
Completing a token continues a run blocked on it by ``wait.forToken`` (service/waits.py)."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from .routing import Route

from ..core import schemas, tokens, waitpoints
from ..core.clock import iso
from ..core.errors import ApiError
from ..core.limits import BODY_LIMIT
from ..core.waitpoints import Waitpoint
from ..core.wire_json import parse_json
from ..service import Services
from . import http, presenters

CREATE_BODY_LIMIT = 10_240
_JWT_TTL_S = 86_400


def _url(base: str, token: Waitpoint, api_key: str) -> str:
    return base.rstrip("/") + waitpoints.callback_path(token, api_key)


def retrieved(token: Waitpoint, base: str, api_key: str) -> dict[str, Any]:
    """``GET …/tokens/{id}`` (WPP): the key is always shown, the output as stored."""
    out: dict[str, Any] = {"id": token.id, "type": token.type, "url": _url(base, token, api_key),
                           "status": token.public_status, "idempotencyKey": token.idempotency_key,
                           "userProvidedIdempotencyKey": token.user_provided_idempotency_key}
    if token.idempotency_key_expires_at is not None:
        out["idempotencyKeyExpiresAt"] = iso(token.idempotency_key_expires_at)
    if token.inactive_idempotency_key is not None:
        out["inactiveIdempotencyKey"] = token.inactive_idempotency_key
    if token.output is not None:
        out["output"] = token.output
    out["outputType"] = token.output_type
    out["outputIsError"] = token.output_is_error
    if token.completed_after is not None:
        out["timeoutAt"] = out["completedAfter"] = iso(token.completed_after)
    if token.completed_at is not None:
        out["completedAt"] = iso(token.completed_at)
    out["createdAt"] = iso(token.created_at)
    out["tags"] = list(token.tags)
    return out


def list_item(token: Waitpoint, base: str, api_key: str) -> dict[str, Any]:
    """A ``GET …/tokens`` item (WPL): the key only if the user gave one, tags sorted."""
    out: dict[str, Any] = {"id": token.id, "url": _url(base, token, api_key), "status": token.public_status}
    if token.completed_at is not None:
        out["completedAt"] = iso(token.completed_at)
    if token.completed_after is not None:
        out["timeoutAt"] = out["completedAfter"] = iso(token.completed_after)
    if token.user_provided_idempotency_key:
        out["idempotencyKey"] = token.inactive_idempotency_key or token.idempotency_key
    if token.idempotency_key_expires_at is not None:
        out["idempotencyKeyExpiresAt"] = iso(token.idempotency_key_expires_at)
    out["tags"] = presenters.sorted_tags(token.tags)
    out["createdAt"] = iso(token.created_at)
    return out


def routes(services: Services) -> list[Route]:
    engine = services.engine
    service = services.waitpoints

    def base_of(request: Request) -> str:
        return presenters.base_url(request, engine.config.base_url)

    async def collection(request: Request) -> Response:
        caller = await http.authenticate(request, engine, allow_jwt=False)
        if request.method == "GET":
            query = waitpoints.parse_query(request.query_params, engine.clock.now_ms())
            listed = await service.list(caller.env, query)
            pagination: dict[str, str] = {}
            if listed.next is not None:
                pagination["next"] = listed.next
            if listed.previous is not None:
                pagination["previous"] = listed.previous
            base = base_of(request)
            data = [list_item(t, base, caller.env.api_key) for t in listed.tokens]
            return http.json_response({"data": data, "pagination": pagination})
        raw = await http.json_body(request, CREATE_BODY_LIMIT)
        try:
            body = schemas.validate(waitpoints.CreateTokenBody, raw)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        token, cached = await service.create(caller.env, body)
        now_s = engine.clock.now_ms() // 1000
        headers = {
            "x-trigger-jwt": tokens.mint(caller.env.api_key, caller.env.id, [f"write:waitpoints:{token.id}"],
                                         now_s, _JWT_TTL_S),
            "x-trigger-jwt-claims": tokens.claims_header(caller.env.id),
        }
        body_out = {"id": token.id, "isCached": cached, "url": _url(base_of(request), token, caller.env.api_key)}
        return http.json_response(body_out, 200, headers)

    async def retrieve(request: Request) -> Response:
        caller = await http.authenticate(request, engine, allow_jwt=False)
        token = await service.retrieve(caller.env, request.path_params["token_id"])
        return http.json_response(retrieved(token, base_of(request), caller.env.api_key))

    async def complete(request: Request) -> Response:
        if request.method in ("GET", "OPTIONS"):
            return http.action_route_verbs(request)
        caller = await http.authenticate(request, engine)
        token_id = request.path_params["token_id"]
        raw = await http.json_body(request, BODY_LIMIT)
        if not isinstance(raw, dict):
            raise ApiError(400, f"Validation error: Expected object, received {schemas.zod_type(raw)}")
        caller.require("write", ("waitpoints", token_id))
        await service.complete(caller.env, token_id, raw.get("data"), "data" in raw)
        return http.json_response({"success": True}, 200, http.cors_headers(request))

    async def callback(request: Request) -> Response:
        if request.method != "POST":
            raise ApiError(405, "Method not allowed", headers={"Allow": "POST"})
        length = request.headers.get("content-length")
        if not length:
            raise ApiError(411, "Content-Length header is required")
        digits = re.match(r"\s*[+-]?\d+", length)  # parseInt; junk is NaN, and NaN > limit is false
        if digits is not None and int(digits.group()) > BODY_LIMIT:
            raise ApiError(413, "Request body too large")
        try:
            body = parse_json(await request.body())
        except ValueError:
            body = {}  # "If the request body is not valid JSON, return an empty object"
        await service.callback(request.path_params["token_id"], request.path_params["hash"], body)
        return http.json_response({"success": True})

    every = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return [
        Route("/api/v1/waitpoints/tokens", collection, methods=["GET", "POST"]),
        Route("/api/v1/waitpoints/tokens/{token_id}", retrieve, methods=["GET"]),
        Route("/api/v1/waitpoints/tokens/{token_id}/complete", complete, methods=every),
        Route("/api/v1/waitpoints/tokens/{token_id}/callback/{hash}", callback, methods=every),
    ]
