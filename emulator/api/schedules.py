"""``/api/v1/schedules`` and ``/api/v1/timezones`` (management.md §3): legacy hand-written routes
(secret keys only, ``Invalid or Missing API Key``), zod issue bodies, three response shapes."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from .routing import Route

from ..core import schedules
from ..core.clock import iso
from ..core.errors import ApiError
from ..core.records import Environment
from ..core.schedules import Schedule
from ..core.zod_issues import coerce_int
from ..service import Services
from ..service.schedules import ScheduleService, options_of
from . import http, legacy

#: What the legacy routes answer to a verb they do not handle: a plain object Remix sends as 200.
_NOT_ALLOWED = {"status": 405, "body": "Method Not Allowed"}


def _generator(schedule: Schedule) -> dict[str, str]:
    return {"type": "CRON", "expression": schedule.cron, "description": schedule.description}


def _user_name(env: Environment) -> dict[str, str]:
    return {"userName": "Emulator"} if env.type == "DEVELOPMENT" else {}


def _shortcode(env: Environment) -> str:
    return hashlib.sha256(env.id.encode()).hexdigest()[:4]


def _optional(out: dict[str, Any], schedule: Schedule) -> None:
    """``window``, ``externalId`` and a user's ``deduplicationKey``, each omitted when unset."""
    if schedule.window is not None:
        out["window"] = schedule.window
    if schedule.external_id is not None:
        out["externalId"] = schedule.external_id
    if schedule.user_dedup_key:
        out["deduplicationKey"] = schedule.dedup_key


def _next_run(schedule: Schedule, now: int) -> tuple[str | None, str | None]:
    """(``nextRun``, ``nextRunEffectiveAt``); null for a cron with no next time at all."""
    runs = ScheduleService.next_runs(schedule, now)
    return (iso(runs[0][0]), iso(runs[0][1])) if runs else (None, None)


def upserted(schedule: Schedule, env: Environment, now: int) -> dict[str, Any]:
    """create / update (§3.3): ``nextRun`` is a date even when inactive."""
    out: dict[str, Any] = {"id": schedule.id, "type": schedule.type, "task": schedule.task, "active": schedule.active,
                           "generator": _generator(schedule), "timezone": schedule.timezone}
    _optional(out, schedule)
    out["environments"] = [{"id": env.id, "shortcode": _shortcode(env), "type": env.type, **_user_name(env)}]
    out["nextRun"], out["nextRunEffectiveAt"] = _next_run(schedule, now)
    return out


def retrieved(schedule: Schedule, env: Environment | None, now: int) -> dict[str, Any]:
    """retrieve / activate / deactivate (§3.5): ``nextRun`` null while inactive."""
    out: dict[str, Any] = {"id": schedule.id, "type": schedule.type, "task": schedule.task, "active": schedule.active}
    if schedule.active:
        out["nextRun"], out["nextRunEffectiveAt"] = _next_run(schedule, now)
    else:
        out["nextRun"] = out["nextRunEffectiveAt"] = None
    out["generator"] = _generator(schedule)
    out["timezone"] = schedule.timezone
    _optional(out, schedule)
    out["environments"] = [] if env is None or schedule.env_id is None else [{"id": env.id, "type": env.type}]
    return out


def list_item(schedule: Schedule, env: Environment, now: int) -> dict[str, Any]:
    """A list item (§3.4): ``externalId`` null when unset, ``nextRun`` a date even if inactive."""
    out: dict[str, Any] = {"id": schedule.id, "type": schedule.type, "task": schedule.task,
                           "generator": _generator(schedule), "timezone": schedule.timezone}
    if schedule.window is not None:
        out["window"] = schedule.window
    if schedule.user_dedup_key:
        out["deduplicationKey"] = schedule.dedup_key
    out["externalId"] = schedule.external_id
    out["active"] = schedule.active
    out["nextRun"], out["nextRunEffectiveAt"] = _next_run(schedule, now)
    environment: dict[str, Any] = {"id": env.id, "type": env.type, "slug": env.slug, **_user_name(env)}
    if env.branch:
        environment["branchName"] = env.branch
    out["environments"] = [environment]
    return out


def routes(services: Services) -> list[Route]:
    engine = services.engine
    service = services.schedules

    async def caller_env(request: Request) -> Environment:
        return (await http.authenticate(request, engine, http.LEGACY, allow_jwt=False)).env

    async def body_of(request: Request, *, create: bool):
        body = await legacy.read_json(request)
        issues = schedules.body_issues(body, create=create)
        if issues:
            raise legacy.invalid(issues)
        return options_of(body)

    async def collection(request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return http.json_response(_NOT_ALLOWED)
        env = await caller_env(request)
        if request.method == "POST":
            options = await body_of(request, create=True)
            schedule = await service.create(env, options)
            return http.json_response(upserted(schedule, env, engine.clock.now_ms()))
        page, issues = coerce_int(request.query_params, "page")
        per_page, more = coerce_int(request.query_params, "perPage")
        if issues or more:
            raise legacy.invalid(issues + more, "Invalid request parameters")
        per_page = min(per_page or schedules.DEFAULT_PER_PAGE, schedules.MAX_PER_PAGE)
        found = await service.list(env, page or 1, per_page)
        now = engine.clock.now_ms()
        return http.json_response({
            "data": [list_item(s, env, now) for s in found.schedules],
            "pagination": {"currentPage": found.page, "totalPages": found.total_pages, "count": found.count},
        })

    async def one(request: Request) -> Response:
        env = await caller_env(request)
        param = request.path_params["schedule_id"]
        now = engine.clock.now_ms()
        if request.method == "GET":
            return http.json_response(retrieved(await service.retrieve(env, param), env, now))
        if request.method == "DELETE":
            return http.json_response({"id": (await service.delete(env, param)).id})
        if request.method == "PUT":
            options = await body_of(request, create=False)
            schedule = await service.update(env, param, options)
            return http.json_response(upserted(schedule, env, engine.clock.now_ms()))
        # upstream falls off its switch (an unstructured 500); the emulator answers 405
        raise ApiError(405, "Method not allowed", headers={"Allow": "GET, PUT, DELETE"})

    async def activation(request: Request) -> Response:
        if request.method == "GET":
            raise ApiError(405, "Method not allowed", headers={"Allow": "POST"})
        if request.method != "POST":
            return http.json_response(_NOT_ALLOWED)
        env = await caller_env(request)
        active = request.url.path.endswith("/activate")
        schedule = await service.set_active(env, request.path_params["schedule_id"], active)
        return http.json_response(retrieved(schedule, env, engine.clock.now_ms()))

    async def timezones(request: Request) -> Response:
        names = schedules.timezones(include_utc=request.query_params.get("excludeUtc") != "true")
        headers = {"Access-Control-Allow-Origin": request.headers.get("origin", "*")}
        if request.method == "OPTIONS":
            return http.json_response({}, 200, {**headers, "Access-Control-Allow-Methods": "GET, OPTIONS",
                                                "Access-Control-Allow-Headers": "*"})
        return http.json_response({"timezones": names}, 200, headers)

    every = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return [
        Route("/api/v1/schedules", collection, methods=every),
        Route("/api/v1/schedules/{schedule_id}", one, methods=every),
        Route("/api/v1/schedules/{schedule_id}/activate", activation, methods=every),
        Route("/api/v1/schedules/{schedule_id}/deactivate", activation, methods=every),
        Route("/api/v1/timezones", timezones, methods=["GET", "OPTIONS"]),
    ]
