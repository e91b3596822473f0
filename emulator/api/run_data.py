"""Run list, tags, metadata, idempotency-key reset, results and packets (runs.md §4.2,
§4.6-4.10; triggering.md §9): parse, call ``RunData``, serialize."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from .routing import Route

from ..core import presigned, run_query, schemas
from ..core.clock import real_time_s
from ..core.limits import PACKET_OBJECT_LIMIT
from ..core.errors import ApiError
from ..service import Services
from . import http, presenters

METADATA_BODY_LIMIT = 2 * 1024 * 1024
PACKETS_PREFIX = presigned.OBJECTS_PREFIX
_PAT = ("Invalid or Missing PAT", "Invalid or Missing PAT")


def routes(services: Services) -> list[Route]:
    engine, data = services.engine, services.run_data

    async def list_runs(request: Request) -> Response:
        project = "projectRef" in request.path_params
        # The project route takes personal access tokens upstream (secret keys here, for
        # convenience); a public access token is refused with production's words.
        caller = await http.authenticate(request, engine, _PAT if project else http.BUILDER, allow_jwt=not project)
        query = run_query.parse(dict(request.query_params), engine.clock.now_ms())
        type_level = (("runs", None), ("tasks", None))
        if query.tasks:
            caller.require_every("read", [("tasks", task) for task in query.tasks], type_level)
        else:
            caller.require("read", *type_level)
        if not project:
            query.env_slugs = None  # filter[env] only matters on the project route
        page = await data.list_runs(caller.env, query)
        pagination = {}
        if page.next is not None:
            pagination["next"] = page.next
        if page.previous is not None:
            pagination["previous"] = page.previous
        return http.json_response({"data": [presenters.list_item(run, caller.env) for run in page.runs], "pagination": pagination})

    async def add_tags(request: Request) -> Response:
        verb_answer = http.hand_written_action_verbs(request)
        if verb_answer is not None:
            return verb_answer
        caller = await http.authenticate(request, engine, http.LEGACY, allow_jwt=False)
        try:
            raw = http.parse_json(await request.body())
        except ValueError:  # upstream's catch-all answers 500 (the SDK then retries it)
            if engine.config.bad_input == "production":
                raise ApiError(500, "Something went wrong, please try again.") from None
            raise ApiError(400, "Invalid request body") from None
        try:
            body = schemas.AddTagsBody.model_validate(raw)
        except schemas.ValidationError as exc:  # the route answers zod's raw issues
            body = {"error": "Invalid request body", "issues": schemas.zod_issues(exc)}
            raise ApiError(400, "Invalid request body", body=body) from None
        tags = [body.tags] if isinstance(body.tags, str) else list(body.tags)
        message = await data.add_tags(caller.env, request.path_params["run_id"], tags)
        return http.json_response({"message": message})

    async def metadata(request: Request) -> Response:
        if request.method == "GET":
            caller = await http.authenticate(request, engine, http.LEGACY, allow_jwt=False)
            value, kind = await data.get_metadata(caller.env, request.path_params["run_id"])
            return http.json_response({"metadata": value, "metadataType": kind})
        if request.method != "PUT":
            http.require_auth_header(request)
            raise ApiError(405, "Method not allowed", headers={"Allow": "PUT"})
        caller = await http.authenticate(request, engine, allow_jwt=False)
        raw = await http.json_body(request, METADATA_BODY_LIMIT)
        try:
            body = schemas.validate(schemas.UpdateMetadataBody, raw)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        result = await data.update_metadata(caller.env, request.path_params["run_id"], body)
        return http.json_response({"metadata": result})

    async def reset_key(request: Request) -> Response:
        if request.method == "GET":
            http.require_auth_header(request)
            raise http.empty_405()
        caller = await http.authenticate(request, engine)
        raw = await http.json_body(request)
        try:
            body = schemas.validate(schemas.ResetIdempotencyBody, raw)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        caller.require("write", ("runs", None))  # type-level: no run-scoped token resets keys
        key = request.path_params["key"]
        await data.reset_idempotency_key(caller.env, key, body.taskIdentifier)
        return http.json_response({"id": key})

    async def run_result(request: Request) -> Response:
        caller = await http.authenticate(request, engine, http.LEGACY, allow_jwt=False)
        return http.json_response(await data.result(caller.env, request.path_params["run_id"]))

    async def batch_results(request: Request) -> Response:
        caller = await http.authenticate(request, engine, http.LEGACY, allow_jwt=False)
        return http.json_response(await data.batch_results(caller.env, request.path_params["batch_id"]))

    async def presign(request: Request) -> Response:
        if request.method != "PUT":
            raise ApiError(405, "Method not allowed", headers={"Allow": "PUT"})
        caller = await http.authenticate(request, engine, (http.BUILDER[0], http.BUILDER[0]), allow_jwt=False)
        path = request.path_params["path"]
        if not presigned.safe_path(path):
            raise ApiError(400, "Invalid packet storage path")
        url = engine.signer.url(engine.config.base_url, "PUT", caller.env.id, path, real_time_s())
        if request.url.path.startswith("/api/v1/"):
            return http.json_response({"presignedUrl": url})
        return http.json_response({"presignedUrl": url, "storagePath": path})

    async def objects(request: Request) -> Response:
        """A presigned URL's object: the signature in the query is the only credential."""
        env_id, path = request.path_params["env_id"], request.path_params["path"]
        method = "PUT" if request.method == "PUT" else "GET"
        query = request.query_params
        refusal = engine.signer.refusal(method, env_id, path, query.get("expires"), query.get("signature"), real_time_s())
        if refusal is not None:
            raise ApiError(403, refusal)
        if method == "PUT":
            body = await http.bounded_body(request, PACKET_OBJECT_LIMIT)
            await data.put_object(env_id, path, request.headers.get("content-type"), body)
            return Response(b"", status_code=200)
        found = await data.get_object(env_id, path)
        if found is None:
            raise ApiError(404, "Not found")
        content_type, body = found
        # Exactly the stored type, as S3 answers (no charset added); none stored, none sent.
        return Response(body, headers={"content-type": content_type} if content_type else None)

    return [
        Route("/api/v1/runs", list_runs, methods=["GET"]),
        Route("/api/v1/projects/{projectRef}/runs", list_runs, methods=["GET"]),
        Route("/api/v1/runs/{run_id}/tags", add_tags, methods=http.ANY_VERB),
        Route("/api/v1/runs/{run_id}/metadata", metadata, methods=["GET", "PUT", "POST", "PATCH", "DELETE"]),
        Route("/api/v1/runs/{run_id}/result", run_result, methods=["GET"]),
        Route("/api/v1/batches/{batch_id}/results", batch_results, methods=["GET"]),
        Route("/api/v1/idempotencyKeys/{key}/reset", reset_key, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/api/v2/packets/{path:path}", presign, methods=["GET", "PUT", "POST", "DELETE"]),
        Route("/api/v1/packets/{path:path}", presign, methods=["GET", "PUT", "POST", "DELETE"]),
        Route(PACKETS_PREFIX + "/{env_id}/{path:path}", objects, methods=["GET", "PUT"]),
    ]
