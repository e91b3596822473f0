"""``POST /api/v1/auth/jwt/claims``: the claims ``auth.createPublicToken`` signs locally with the
secret key (contract realtime.md §2): ``{"sub": <environment id>, "pub": true}``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from .routing import Route

from ..service import Services
from . import http

_FAMILY = ("Invalid or Missing API key", "Invalid or Missing API key")


def routes(services: Services) -> list[Route]:
    engine = services.engine

    async def claims(request: Request) -> Response:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return http.action_route_verbs(request)
        caller = await http.authenticate(request, engine, _FAMILY, allow_jwt=False)
        return http.json_response({"sub": caller.env.id, "pub": True})

    return [Route("/api/v1/auth/jwt/claims", claims, methods=["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"])]
