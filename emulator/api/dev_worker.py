"""The routes ``trigger.dev dev`` (CLI 4.8.3) calls: login and project set-up with a personal
access token, worker registration, and the ``/engine/v1`` run engine with the environment key
(dev-worker protocol §b). Engine bodies arrive as ``text/plain`` JSON: parsed whatever the
content type. Handlers are thin: parse, call ``services.worker_engine``/``workers``, answer."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from .routing import Route

from ..core import schemas, worker_schemas
from ..core.clock import iso
from ..core.durations import idempotency_ttl_ms
from ..core.errors import ApiError
from ..core.workers import ACCESS_TOKEN_PREFIXES, PROJECT_ID, PROJECT_NAME
from ..service import Services
from . import http, presenters

BODY_LIMIT = 3_145_728
#: The development environment's settings (the webapp's defaults).
DEQUEUE_WITH_RUN_MS = 250
DEQUEUE_WITHOUT_RUN_MS = 1000
PRESENCE_EVERY_S = 4.0
PRESENCE_FOR_S = 30.0


def _pat(request: Request) -> str:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else header.strip()
    if not token.startswith(ACCESS_TOKEN_PREFIXES):
        raise ApiError(401, "Invalid or Missing Access Token")
    return token


async def _body(request: Request, model: Any, *, required: bool = True) -> Any:
    raw = await request.body()
    if len(raw) > BODY_LIMIT:
        raise ApiError(413, "Request body too large")
    if not raw.strip():
        if not required:
            return None
        raise ApiError(400, "Request body is empty")
    try:
        data = http.parse_json(raw)
    except ValueError:
        raise ApiError(400, "Invalid JSON") from None
    try:
        return schemas.validate(model, data), data
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


def routes(services: Services) -> list[Route]:
    engine, workers, worker_engine = services.engine, services.workers, services.worker_engine

    def origin(request: Request) -> str:
        return presenters.base_url(request, engine.config.base_url).rstrip("/")

    async def caller(request: Request):
        return (await http.authenticate(request, engine, allow_jwt=False)).env

    # -- login and project (personal access token) -----------------------------------------
    async def whoami(request: Request) -> Response:
        _pat(request)
        return http.json_response({"userId": "user_emulator", "email": "dev@emulator.local", "dashboardUrl": origin(request)})

    async def notifications(request: Request) -> Response:
        return http.json_response({"notification": None})

    async def project_env(request: Request) -> Response:
        _pat(request)
        key = engine.config.worker_key or (engine.config.keys[0] if engine.config.keys else None)
        if key is None:
            raise ApiError(404, "Project not found")
        env = await engine.environment_for_key(key)
        if env is None:
            raise ApiError(404, "Project not found")
        return http.json_response({"apiKey": key, "name": PROJECT_NAME, "apiUrl": origin(request),
                                   "projectId": PROJECT_ID, "defaultRuntime": None})

    async def envvars(request: Request) -> Response:
        env = await caller(request)
        base = origin(request)
        variables = {**await services.envvars.for_tasks(env), "TRIGGER_OTEL_EXPORTER_OTLP_ENDPOINT": f"{base}/otel",
                     "TRIGGER_API_URL": base, "TRIGGER_STREAM_URL": base}
        return http.json_response({"variables": variables})

    async def register(request: Request) -> Response:
        env = await caller(request)
        _, raw = await _body(request, worker_schemas.RegisterWorkerBody)
        worker = await workers.register(env, raw)
        return http.json_response({"id": worker.id, "version": worker.version, "contentHash": worker.content_hash})

    # -- the engine (environment key) ---------------------------------------------------------
    async def config(request: Request) -> Response:
        env = await caller(request)
        return http.json_response({"environmentId": env.id, "dequeueIntervalWithRun": DEQUEUE_WITH_RUN_MS,
                                   "dequeueIntervalWithoutRun": DEQUEUE_WITHOUT_RUN_MS,
                                   "maxConcurrentRuns": 10, "engineUrl": origin(request)})

    async def presence(request: Request) -> Response:
        env = await caller(request)

        async def events():
            yield f"event: start\ndata: Started {env.id}\n\n"
            waited = 0.0
            while waited < PRESENCE_FOR_S:
                await asyncio.sleep(PRESENCE_EVERY_S)
                waited += PRESENCE_EVERY_S
                yield f"event: time\ndata: {iso(engine.clock.now_ms())}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"cache-control": "no-cache"})

    async def dequeue(request: Request) -> Response:
        env = await caller(request)
        body, _ = await _body(request, worker_schemas.DequeueBody)
        return http.json_response({"dequeuedMessages": await worker_engine.dequeue(env, body.currentWorker)})

    async def start(request: Request) -> Response:
        env = await caller(request)
        await _body(request, worker_schemas.StartBody, required=False)
        p = request.path_params
        answer = await worker_engine.start_attempt(env, p["run"], p["snapshot"], origin(request), await services.envvars.for_tasks(env))
        return http.json_response(answer)

    async def complete(request: Request) -> Response:
        env = await caller(request)
        _, raw = await _body(request, worker_schemas.CompleteBody)
        p = request.path_params
        return http.json_response(await worker_engine.complete_attempt(env, p["run"], p["snapshot"], raw["completion"]))

    async def latest(request: Request) -> Response:
        env = await caller(request)
        return http.json_response(await worker_engine.latest(env, request.path_params["run"]))

    async def heartbeat(request: Request) -> Response:
        env = await caller(request)
        await worker_engine.check_run(env, request.path_params["run"])
        return http.json_response({"ok": True})

    async def debug_log(request: Request) -> Response:
        await caller(request)
        return Response(status_code=204)

    async def disconnect(request: Request) -> Response:
        env = await caller(request)
        body, _ = await _body(request, worker_schemas.DisconnectBody)
        return http.json_response({"cancelled": await worker_engine.disconnect(env, body.runFriendlyIds)})

    async def wait_duration(request: Request) -> Response:
        env = await caller(request)
        body, _ = await _body(request, worker_schemas.WaitDurationBody)
        ttl = idempotency_ttl_ms(body.idempotencyKeyTTL) if body.idempotencyKeyTTL else None
        wp = await worker_engine.wait_for_duration(env, request.path_params["run"], body.date, engine.clock.wall_ms(),
                                                   body.idempotencyKey, ttl)
        return http.json_response({"waitUntil": iso(body.date), "waitpoint": {"id": wp.id}})

    async def wait_token(request: Request) -> Response:
        env = await caller(request)
        await worker_engine.wait_for_token(env, request.path_params["run"], request.path_params["waitpoint"])
        return http.json_response({"success": True})

    async def list_workers(request: Request) -> Response:
        live = workers.live_ids()
        return http.json_response({"workers": [
            {"id": w.id, "version": w.version, "contentHash": w.content_hash, "createdAt": iso(w.created_at),
             "tasks": sorted(w.tasks), "live": w.id in live, "environmentKey": w.api_key}
            for w in await workers.all()
        ]})

    dev = "/engine/v1/dev/runs/{run}"
    return [
        Route("/api/v2/whoami", whoami, methods=["GET"]),
        Route("/api/v1/platform-notifications", notifications, methods=["GET"]),
        Route("/api/v1/projects/{ref}/dev", project_env, methods=["GET"]),
        Route("/api/v1/projects/{ref}/envvars", envvars, methods=["GET"]),
        Route("/api/v1/projects/{ref}/background-workers", register, methods=["POST"]),
        Route("/engine/v1/dev/config", config, methods=["GET"]),
        Route("/engine/v1/dev/presence", presence, methods=["GET"]),
        Route("/engine/v1/dev/dequeue", dequeue, methods=["POST"]),
        Route("/engine/v1/dev/disconnect", disconnect, methods=["POST"]),
        Route(dev + "/snapshots/{snapshot}/attempts/start", start, methods=["POST"]),
        Route(dev + "/snapshots/{snapshot}/attempts/complete", complete, methods=["POST"]),
        Route(dev + "/snapshots/{snapshot}/heartbeat", heartbeat, methods=["POST"]),
        Route(dev + "/snapshots/latest", latest, methods=["GET"]),
        Route(dev + "/logs/debug", debug_log, methods=["POST"]),
        Route("/engine/v1/runs/{run}/wait/duration", wait_duration, methods=["POST"]),
        Route("/engine/v1/runs/{run}/waitpoints/tokens/{waitpoint}/wait", wait_token, methods=["POST"]),
        Route("/__emulator/workers", list_workers, methods=["GET"]),
    ]


