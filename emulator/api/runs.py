"""Run endpoints after triggering: retrieve, cancel, reschedule, replay (runs.md §4)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from .routing import Route

from ..core import schemas
from ..core.errors import ApiError
from ..service import Services
from . import http, presenters


def routes(services: Services) -> list[Route]:
    engine = services.engine

    async def retrieve(request: Request) -> Response:
        caller = await http.authenticate(request, engine)
        found = await services.runs.retrieve(caller.env, request.path_params["run_id"])
        run = found.run  # a loader: the 404 comes before the 403
        resources = [("runs", run.id), ("tasks", run.task), *(("tags", tag) for tag in run.tags)]
        if run.batch_id:
            resources.append(("batch", run.batch_id))
        caller.require("read", *resources)
        return http.json_response(presenters.retrieve(found, engine.config.base_url, engine.signer))

    async def cancel(request: Request) -> Response:
        if request.method in ("GET", "HEAD"):
            raise http.no_loader(request)  # other verbs cancel, like POST
        caller = await http.authenticate(request, engine)
        run_id = request.path_params["run_id"]
        if caller.is_public:  # an action: the 403 comes before the 404
            found = await services.runs.find_in(caller.env, run_id)
            caller.require("write", *([("runs", found.id), ("tasks", found.task)] if found else [("runs", run_id)]))
        run = await services.runs.cancel(caller.env, run_id)
        return http.json_response({"id": run.id})

    async def reschedule(request: Request) -> Response:
        verb_answer = http.hand_written_action_verbs(request)
        if verb_answer is not None:
            return verb_answer
        caller = await http.authenticate(request, engine, http.LEGACY_RESCHEDULE, allow_jwt=False)
        raw = await request.body()
        try:
            data = http.parse_json(raw)
        except ValueError:  # upstream's request.json() throws outside any try: Remix's bare 500
            if engine.config.bad_input == "production":
                raise ApiError(500, body=b"Unexpected Server Error", media_type=None,
                               headers={"Content-Type": "text/plain"}) from None
            raise ApiError(400, "Invalid request body") from None
        try:
            body = schemas.validate(schemas.RescheduleBody, data)
        except ValueError:
            raise ApiError(400, "Invalid request body") from None
        found = await services.runs.reschedule(caller.env, request.path_params["run_id"], body.delay)
        return http.json_response(presenters.retrieve(found, engine.config.base_url, engine.signer))

    async def replay(request: Request) -> Response:
        http.post_only(request)
        caller = await http.authenticate(request, engine, allow_jwt=False)
        run = await services.runs.replay(caller.env, request.path_params["run_id"])
        return http.json_response({"id": run.id})

    return [
        Route("/api/v3/runs/{run_id}", retrieve, methods=["GET"]),
        Route("/api/v2/runs/{run_id}/cancel", cancel, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/api/v1/runs/{run_id}/reschedule", reschedule, methods=http.ANY_VERB),
        Route("/api/v1/runs/{run_id}/replay", replay, methods=http.ANY_VERB),
    ]

