"""``/api/v1/projects/{projectRef}/envvars/{slug}[/…]`` (management.md §4): secret keys only, the
key's own environment whatever ``{slug}`` says (production's quirk for non-branch keys)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from .routing import Route

from ..core import envvars
from ..core.errors import ApiError
from ..service import Services
from . import http, legacy

_BAD_REF = "Invalid project ref for this API key. Make sure you are using an API key associated with that project."
_OK = {"success": True}


def routes(services: Services) -> list[Route]:
    engine = services.engine
    service = services.envvars

    async def environment(request: Request):
        caller = await http.authenticate(request, engine, http.BUILDER, allow_jwt=False)
        wanted = engine.config.project_ref
        if wanted is not None and request.path_params["projectRef"] != wanted:
            raise ApiError(400, _BAD_REF)
        return caller.env

    async def collection(request: Request) -> Response:
        env = await environment(request)
        if request.method == "GET":
            return http.json_response(await service.list(env))
        body = await legacy.read_json(request)  # any other verb creates (upstream's action)
        issues = envvars.create_issues(body)
        if issues:
            raise legacy.invalid(issues)
        await service.create(env, body["name"], body["value"], body.get("isSecret"))
        return http.json_response(_OK)

    async def import_(request: Request) -> Response:
        if request.method == "GET":
            raise ApiError(405, "Method not allowed", headers={"Allow": "POST"})
        env = await environment(request)
        try:
            raw = await legacy.read_json(request)
        except ApiError:
            raw = None
        body = envvars.parse_import(raw)
        if body is None:
            raise ApiError(400, "Invalid body")
        await service.import_(env, body.variables, body.override, body.is_secret)
        return http.json_response(_OK)

    async def one(request: Request) -> Response:
        env = await environment(request)
        name = request.path_params["name"]
        if request.method == "GET":
            return http.json_response(await service.retrieve(env, name))
        if request.method == "DELETE":
            await service.delete(env, name)
            return http.json_response(_OK)
        if not await service.exists(name):  # checked before the body is read
            raise ApiError(404, envvars.NOT_FOUND)
        body = await legacy.read_json(request)
        issues = envvars.update_issues(body)
        if issues:
            raise legacy.invalid(issues)
        await service.update(env, name, body["value"])
        return http.json_response(_OK)

    base = "/api/v1/projects/{projectRef}/envvars/{slug}"
    return [
        Route(base, collection, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route(base + "/import", import_, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route(base + "/{name}", one, methods=["GET", "PUT", "POST", "DELETE"]),
    ]
