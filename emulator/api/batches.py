"""Batch routes (contract triggering.md §6-8, runs.md §4.8): parse, call ``BatchService``,
serialize."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from .routing import Route

from ..core import schemas, tokens
from ..core.errors import ApiError
from ..service import Engine, Services
from ..service.batches import Created
from . import http, presenters
from .trigger import trigger_headers

V3_CREATE_LIMIT = 131_072
TASKS_BATCH_LIMIT = 1_000_000
TASK_BATCH_LIMIT = 3_145_728


def _validated(model, raw):
    try:
        return schemas.validate(model, raw)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


def _batch_jwt(engine: Engine, caller: http.Caller, batch_id: str, scopes: list[str]) -> dict[str, str]:
    return tokens.jwt_headers(caller.env.api_key, caller.env.id, scopes, engine.clock.now_ms() // 1000, full_claims=False)


def routes(services: Services) -> list[Route]:
    engine, service = services.engine, services.batches
    def docs() -> bool:
        return engine.config.compat == "docs"

    async def create(request: Request) -> Response:
        if request.method in ("GET", "OPTIONS"):
            return http.action_route_verbs(request)
        caller = await http.authenticate(request, engine)
        trigger_headers(request)
        body = _validated(schemas.CreateBatchBody, await http.json_body(request, V3_CREATE_LIMIT))
        type_level = (("batch", None), ("tasks", None))
        if body.taskIdentifiers:
            caller.require_every("batchTrigger", [("tasks", task) for task in body.taskIdentifiers], type_level)
        else:
            caller.require("batchTrigger", *type_level)
        await http.require_parent(caller, services.runs, body.parentRunId)
        created = await service.create(caller.env, body)
        batch = created.batch
        scopes = [f"read:batch:{batch.id}"]
        if request.headers.get("x-trigger-client") == "browser" and caller.can("batchTrigger", ("tasks", None)):
            scopes.append(f"write:batch:{batch.id}")
        headers = {**_batch_jwt(engine, caller, batch.id, scopes), **http.cors_headers(request)}
        answer = {"id": batch.id, "runCount": batch.run_count, "isCached": created.cached}
        if batch.idempotency_key is not None:
            answer["idempotencyKey"] = batch.idempotency_key
        return http.json_response(answer, 200 if created.cached else 202, headers)

    async def items(request: Request) -> Response:
        if request.method in ("GET", "HEAD"):  # the loader; every other verb streams like POST
            http.require_auth_header(request)
            raise ApiError(405, "Method not allowed. Use POST to stream batch items.")
        if request.headers.get("authorization") is None:
            await http.authenticate(request, engine)  # the global middleware's 401 comes first
        content_type = request.headers.get("content-type", "")
        if "application/x-ndjson" not in content_type and "application/ndjson" not in content_type:
            raise ApiError(415, "Content-Type must be application/x-ndjson or application/ndjson")
        caller = await http.authenticate(request, engine)
        batch_id = request.path_params["batch_id"]
        may_item = None  # write on the batch authorizes every item; else each item's task must
        if not caller.can("write", ("batch", batch_id)):
            may_item = lambda task: caller.can("batchTrigger", ("tasks", task))  # noqa: E731
        result = await service.stream_items(caller.env, batch_id, request.stream(), may_item=may_item)
        answer = {
            "id": result.batch.id,
            "itemsAccepted": result.accepted,
            "itemsDeduplicated": result.deduplicated,
            "sealed": result.sealed,
        }
        if not result.sealed:
            answer["enqueuedCount"] = result.enqueued
            answer["expectedCount"] = result.batch.run_count
        answer["runCount"] = result.batch.run_count
        return http.json_response(answer)

    async def tasks_batch_v2(request: Request) -> Response:
        if request.method in ("GET", "OPTIONS"):
            return http.action_route_verbs(request)
        caller = await http.authenticate(request, engine)
        body = _validated(schemas.BatchTriggerV2Body, await http.json_body(request, TASKS_BATCH_LIMIT))
        _check_count(len(body.items), 500, "Batch cannot be triggered with no items")
        caller.require_every("batchTrigger", [("tasks", task) for task in dict.fromkeys(item.task for item in body.items)])
        await http.require_parent(caller, services.runs, body.parentRunId)
        created = await service.trigger_items(
            caller.env, body.items, api="v2", parent_run_id=body.parentRunId,
            resume_parent=bool(body.resumeParentOnCompletion),
            request_key=request.headers.get("x-trigger-request-idempotency-key"),
        )
        headers = {**_batch_jwt(engine, caller, created.batch.id, [f"read:batch:{created.batch.id}"]), **http.cors_headers(request)}
        return http.json_response(
            {"id": created.batch.id, "isCached": False, "runCount": created.batch.run_count}, 202, headers
        )

    async def tasks_batch_v1(request: Request) -> Response:
        if request.method in ("GET", "OPTIONS"):
            return http.action_route_verbs(request)
        caller = await http.authenticate(request, engine)
        body = _validated(schemas.BatchTriggerV1Body, await http.json_body(request, TASKS_BATCH_LIMIT))
        _check_count(len(body.items), 1000 if docs() else 500, "Batch cannot be triggered with no items")
        caller.require_every("batchTrigger", [("tasks", task) for task in dict.fromkeys(item.task for item in body.items)])
        key = request.headers.get("idempotency-key")
        created = await service.trigger_items(caller.env, body.items, api="v1", idempotency_key=key)
        headers = {**_batch_jwt(engine, caller, created.batch.id, [f"read:batch:{created.batch.id}"]), **http.cors_headers(request)}
        if docs():
            return http.json_response(_docs_answer(created), 200, headers)
        answer = {"id": created.batch.id, "isCached": created.cached}
        if created.batch.idempotency_key is not None:
            answer["idempotencyKey"] = created.batch.idempotency_key
        answer["runs"] = [_v1_run(run, cached) for run, cached in created.runs]
        return http.json_response(answer, 202, headers)

    async def task_batch(request: Request) -> Response:
        http.post_only(request)
        caller = await http.authenticate(request, engine, allow_jwt=False)
        http.check_content_length(request, TASK_BATCH_LIMIT)
        task = request.path_params["task"]
        body = _validated(schemas.TaskBatchBody, await http.json_body(request, TASK_BATCH_LIMIT))
        limit = 1000 if docs() else 100
        if not body.items:
            raise ApiError(400, "No items to trigger")
        if len(body.items) > limit:
            raise ApiError(400, f"Too many items. Maximum allowed batch size is {limit}.")
        items = [
            schemas.TaskBatchItem.model_construct(
                _fields_set={"task", "options"} | ({"payload"} if "payload" in item.model_fields_set else set()),
                task=task, payload=item.payload, context=item.context, options=item.options,
            )
            for item in body.items
        ]
        created = await service.trigger_items(caller.env, items, api="v1-task")
        headers = _batch_jwt(engine, caller, created.batch.id, [f"read:batch:{created.batch.id}"])
        return http.json_response(_docs_answer(created), 200, headers)

    async def retrieve_v2(request: Request) -> Response:
        caller = await http.authenticate(request, engine)
        view = await service.retrieve(caller.env, request.path_params["batch_id"])
        caller.require("read", ("batch", view.batch.id), ("runs", None))  # a loader: 404 before 403
        return http.json_response(presenters.batch_v2(view))

    async def retrieve_v1(request: Request) -> Response:
        caller = await http.authenticate(request, engine)
        view = await service.retrieve(caller.env, request.path_params["batch_id"])
        caller.require("read", ("batch", view.batch.id), ("runs", None))  # a loader: 404 before 403
        return http.json_response(presenters.batch_v1(view))

    any_verb = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return [
        Route("/api/v3/batches", create, methods=any_verb),
        Route("/api/v3/batches/{batch_id}/items", items, methods=any_verb),
        Route("/api/v2/tasks/batch", tasks_batch_v2, methods=any_verb),
        Route("/api/v1/tasks/batch", tasks_batch_v1, methods=any_verb),
        Route("/api/v1/tasks/{task:path}/batch", task_batch, methods=any_verb),
        Route("/api/v2/batches/{batch_id}", retrieve_v2, methods=["GET"]),
        Route("/api/v1/batches/{batch_id}", retrieve_v1, methods=["GET"]),
    ]


def _check_count(count: int, maximum: int, empty_message: str) -> None:
    if count == 0:
        raise ApiError(400, empty_message)
    if count > maximum:
        raise ApiError(400, f"Batch size of {count} is too large. Maximum allowed batch size is {maximum}.")


def _v1_run(run, cached: bool) -> dict:
    out = {"id": run.id, "taskIdentifier": run.task, "isCached": cached}
    key = presenters.user_idempotency_key(run)
    if key is not None:
        out["idempotencyKey"] = key
    return out


def _docs_answer(created: Created) -> dict:
    return {"batchId": created.batch.id, "runs": [run.id for run, _ in created.runs]}
