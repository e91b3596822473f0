"""The OpenAPI 3.1 document of the endpoints the emulator implements (``GET /openapi.json``).

Request bodies come from the same pydantic models that validate them; responses describe what
the routes answer (the fields the official SDK requires, plus the error shape)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..core import schemas, worker_schemas
from ..core.config import VERSION as __version__
from . import openapi_management

_STR = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_DATE = {"type": "string", "format": "date-time"}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": _STR},
    "additionalProperties": True,
}


def _obj(required: list[str], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props, "additionalProperties": True}


_RUN_COMMON = {
    "id": _STR, "status": {"enum": ["PENDING_VERSION", "QUEUED", "DEQUEUED", "EXECUTING", "WAITING", "COMPLETED",
                                    "CANCELED", "FAILED", "CRASHED", "SYSTEM_FAILURE", "DELAYED", "EXPIRED", "TIMED_OUT"]},
    "taskIdentifier": _STR, "idempotencyKey": _STR, "version": _STR,
    "isQueued": _BOOL, "isExecuting": _BOOL, "isWaiting": _BOOL, "isCompleted": _BOOL, "isSuccess": _BOOL,
    "isFailed": _BOOL, "isCancelled": _BOOL, "isTest": _BOOL, "createdAt": _DATE, "updatedAt": _DATE,
    "startedAt": _DATE, "finishedAt": _DATE, "delayedUntil": _DATE, "ttl": _STR, "expiredAt": _DATE,
    "tags": {"type": "array", "items": _STR}, "costInCents": {"type": "number"}, "baseCostInCents": {"type": "number"},
    "durationMs": {"type": "number"}, "metadata": {"type": "object"},
}
_RUN_REQUIRED = ["id", "status", "taskIdentifier", "isQueued", "isExecuting", "isWaiting", "isCompleted", "isSuccess",
                 "isFailed", "isCancelled", "isTest", "createdAt", "updatedAt", "tags", "costInCents",
                 "baseCostInCents", "durationMs"]
RESPONSES: dict[str, dict[str, Any]] = {
    "Run": _obj(_RUN_REQUIRED + ["depth", "triggerFunction", "relatedRuns"], {
        **_RUN_COMMON, "depth": _INT,
        "triggerFunction": {"enum": ["trigger", "triggerAndWait", "batchTrigger", "batchTriggerAndWait"]},
        "batchId": _STR, "payloadPresignedUrl": _STR, "outputPresignedUrl": _STR,
        "error": _obj(["message"], {"message": _STR}), "relatedRuns": {"type": "object"},
        "attemptCount": _INT, "attempts": {"type": "array"},
    }),
    "RunList": _obj(["data", "pagination"], {
        "data": {"type": "array", "items": _obj(_RUN_REQUIRED + ["env"], {**_RUN_COMMON, "env": _obj(["id", "name"], {"id": _STR, "name": _STR})})},
        "pagination": _obj([], {"next": _STR, "previous": _STR}),
    }),
    "Trigger": _obj(["id"], {"id": _STR, "isCached": _BOOL}),
    "Id": _obj(["id"], {"id": _STR}),
    "BatchCreated": _obj(["id", "runCount", "isCached"], {"id": _STR, "runCount": _INT, "isCached": _BOOL, "idempotencyKey": _STR}),
    "BatchItems": _obj(["id", "itemsAccepted", "itemsDeduplicated", "sealed"], {
        "id": _STR, "itemsAccepted": _INT, "itemsDeduplicated": _INT, "sealed": _BOOL, "enqueuedCount": _INT,
        "expectedCount": _INT}),
    "Batch": _obj(["id", "status", "createdAt", "updatedAt", "runCount", "runs"], {
        "id": _STR, "status": {"enum": ["PENDING", "PROCESSING", "COMPLETED", "PARTIAL_FAILED", "ABORTED"]},
        "createdAt": _DATE, "updatedAt": _DATE, "runCount": _INT, "runs": {"type": "array", "items": _STR},
        "processing": _obj(["errors"], {"errors": {"type": "array"}, "completedAt": _DATE})}),
    "BatchV1": _obj(["id", "isCached", "runs"], {"id": _STR, "isCached": _BOOL, "runs": {"type": "array"}}),
    "TaskBatch": _obj(["batchId", "runs"], {"batchId": _STR, "runs": {"type": "array", "items": _STR}}),
    "Message": _obj(["message"], {"message": _STR}),
    "Metadata": _obj(["metadata"], {"metadata": {"type": "object"}}),
    "Result": _obj(["ok", "id", "taskIdentifier"], {"ok": _BOOL, "id": _STR, "taskIdentifier": _STR}),
    "BatchResults": _obj(["id", "items"], {"id": _STR, "items": {"type": "array"}}),
    "Presigned": _obj(["presignedUrl"], {"presignedUrl": _STR, "storagePath": _STR}),
    "Clock": _obj(["now"], {"now": _DATE}),
    # The dev worker (trigger.dev dev); waitpoint tokens are openapi_management's.
    "WhoAmI": _obj(["userId", "email", "dashboardUrl"], {"userId": _STR, "email": _STR, "dashboardUrl": _STR}),
    "ProjectEnv": _obj(["apiKey", "name", "apiUrl", "projectId"], {"apiKey": _STR, "name": _STR, "apiUrl": _STR, "projectId": _STR}),
    "EnvVars": _obj(["variables"], {"variables": {"type": "object", "additionalProperties": _STR}}),
    "Worker": _obj(["id", "version", "contentHash"], {"id": _STR, "version": _STR, "contentHash": _STR}),
    "DevConfig": _obj(["environmentId", "dequeueIntervalWithRun", "dequeueIntervalWithoutRun", "maxConcurrentRuns", "engineUrl"], {
        "environmentId": _STR, "dequeueIntervalWithRun": _INT, "dequeueIntervalWithoutRun": _INT, "maxConcurrentRuns": _INT,
        "engineUrl": _STR}),
    "Dequeued": _obj(["dequeuedMessages"], {"dequeuedMessages": {"type": "array"}}),
    "AttemptStarted": _obj(["run", "snapshot", "execution", "envVars"], {
        "run": {"type": "object"}, "snapshot": {"type": "object"}, "execution": {"type": "object"},
        "envVars": {"type": "object", "additionalProperties": _STR}}),
    "AttemptCompleted": _obj(["result"], {"result": _obj(["attemptStatus", "snapshot", "run"], {
        "attemptStatus": {"enum": ["RUN_FINISHED", "RETRY_IMMEDIATELY", "RETRY_QUEUED", "RUN_PENDING_CANCEL"]},
        "snapshot": {"type": "object"}, "run": {"type": "object"}})}),
    "LatestSnapshot": _obj(["execution"], {"execution": _obj(["version", "snapshot", "run", "completedWaitpoints"], {
        "version": _STR, "snapshot": {"type": "object"}, "run": {"type": "object"}, "completedWaitpoints": {"type": "array"}})}),
    "Cancelled": _obj(["cancelled"], {"cancelled": _INT}),
    "WaitDuration": _obj(["waitUntil", "waitpoint"], {"waitUntil": _DATE, "waitpoint": _obj(["id"], {"id": _STR})}),
    "Workers": _obj(["workers"], {"workers": {"type": "array"}}),
    "Ok": _obj(["ok"], {"ok": _BOOL}),
    "Error": _ERROR,
    # Realtime (contract realtime.md): Electric shape messages, each value a string or null.
    "ShapeMessages": {"type": "array", "items": _obj([], {
        "key": _STR, "value": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
        "headers": _obj([], {"operation": {"enum": ["insert", "update", "delete"]},
                             "control": {"enum": ["up-to-date", "must-refetch"]}})})},
    "StreamVersion": _obj(["version"], {"version": {"enum": ["v1", "v2"]}}),
    "Claims": _obj(["sub", "pub"], {"sub": _STR, "pub": _BOOL}),
    "Waiting": _obj(["waiting"], {"waiting": _INT}),
    "Written": _obj(["ok", "written"], {"ok": _BOOL, "written": _INT}),
}
_SHAPE_PARAMS = [
    ("offset", _STR), ("handle", _STR), ("live", {"enum": ["true", "false"]}), ("cursor", _STR), ("log", _STR),
    ("skipColumns", _STR),
]

_LIST_PARAMS = [
    ("page[size]", {"type": "integer", "minimum": 1, "maximum": 100}), ("page[after]", _STR), ("page[before]", _STR),
    ("filter[status]", _STR), ("filter[taskIdentifier]", _STR), ("filter[version]", _STR), ("filter[tag]", _STR),
    ("filter[batch]", _STR), ("filter[queue]", _STR), ("filter[machine]", _STR), ("filter[isTest]", {"enum": ["true", "false"]}),
    ("filter[createdAt][from]", _STR), ("filter[createdAt][to]", _STR), ("filter[createdAt][period]", _STR),
    ("filter[schedule]", _STR), ("filter[bulkAction]", _STR), ("filter[region]", _STR),
]

# (method, path, operationId, body model or media, success status, response schema, query params)
OPERATIONS: list[tuple[str, str, str, Any, str, str, list]] = [
    ("post", "/api/v1/tasks/{taskIdentifier}/trigger", "triggerTask", schemas.TriggerBody, "200", "Trigger", []),
    ("post", "/api/v3/batches", "createBatch", schemas.CreateBatchBody, "202,200", "BatchCreated", []),
    ("post", "/api/v3/batches/{batchId}/items", "streamBatchItems", "ndjson", "200", "BatchItems", []),
    ("post", "/api/v2/tasks/batch", "batchTriggerV2", schemas.BatchTriggerV2Body, "202", "BatchCreated", []),
    ("post", "/api/v1/tasks/batch", "batchTriggerV1", schemas.BatchTriggerV1Body, "202", "BatchV1", []),
    ("post", "/api/v1/tasks/{taskIdentifier}/batch", "batchTriggerTask", schemas.TaskBatchBody, "200", "TaskBatch", []),
    ("get", "/api/v2/batches/{batchId}", "retrieveBatch", None, "200", "Batch", []),
    ("get", "/api/v1/batches/{batchId}", "retrieveBatchV1", None, "200", "Batch", []),
    ("get", "/api/v1/batches/{batchId}/results", "batchResults", None, "200", "BatchResults", []),
    ("get", "/api/v3/runs/{runId}", "retrieveRun", None, "200", "Run", []),
    ("get", "/api/v1/runs", "listRuns", None, "200", "RunList", _LIST_PARAMS),
    ("get", "/api/v1/projects/{projectRef}/runs", "listProjectRuns", None, "200", "RunList", _LIST_PARAMS + [("filter[env]", _STR)]),
    ("post", "/api/v2/runs/{runId}/cancel", "cancelRun", None, "200", "Id", []),
    ("post", "/api/v1/runs/{runId}/reschedule", "rescheduleRun", schemas.RescheduleBody, "200", "Run", []),
    ("post", "/api/v1/runs/{runId}/replay", "replayRun", None, "200", "Id", []),
    ("post", "/api/v1/runs/{runId}/tags", "addTags", schemas.AddTagsBody, "200", "Message", []),
    ("get", "/api/v1/runs/{runId}/metadata", "getMetadata", None, "200", "Metadata", []),
    ("put", "/api/v1/runs/{runId}/metadata", "updateMetadata", schemas.UpdateMetadataBody, "200", "Metadata", []),
    ("get", "/api/v1/runs/{runId}/result", "runResult", None, "200", "Result", []),
    ("post", "/api/v1/idempotencyKeys/{key}/reset", "resetIdempotencyKey", schemas.ResetIdempotencyBody, "200", "Id", []),
    ("put", "/api/v2/packets/{path}", "presignPacket", None, "200", "Presigned", []),
    ("get", "/healthz", "health", None, "200", "Ok", []),
    ("get", "/__emulator/clock", "getClock", None, "200", "Clock", []),
    ("post", "/__emulator/clock", "moveClock", {"type": "object", "properties": {"advance": {"anyOf": [_STR, {"type": "number", "minimum": 0}]}, "set": _DATE}}, "200", "Clock", []),
    ("post", "/__emulator/runs/{runId}/{action}", "runOutcome", {"type": "object", "properties": {"output": {}, "error": {}, "status": _STR}}, "200", "Run", []),
    ("get", "/__emulator/faults", "listFaults", None, "200", "Ok", []),
    ("post", "/__emulator/faults", "addFault", {"type": "object"}, "200", "Id", []),
    ("delete", "/__emulator/faults", "clearFaults", None, "200", "Ok", []),
    ("post", "/__emulator/rate-limits", "setRateLimits", {"type": "object"}, "200", "Ok", []),
    ("post", "/__emulator/reset", "resetState", None, "200", "Ok", []),
    ("post", "/api/v1/auth/jwt/claims", "publicTokenClaims", None, "200", "Claims", []),
    ("get", "/realtime/v1/runs/{runId}", "subscribeToRun", None, "200,409", "ShapeMessages", _SHAPE_PARAMS),
    ("get", "/realtime/v1/runs", "subscribeToRunsWithTag", None, "200,409", "ShapeMessages",
     _SHAPE_PARAMS + [("tags", _STR), ("createdAt", _STR)]),
    ("get", "/realtime/v1/batches/{batchId}", "subscribeToBatch", None, "200,409", "ShapeMessages", _SHAPE_PARAMS),
    ("get", "/realtime/v1/streams/{runId}/{streamKey}", "readStream", None, "200", "EventStream", []),
    ("put", "/realtime/v1/streams/{runId}/{target}/{streamKey}", "createStream", None, "202", "StreamVersion", []),
    ("post", "/realtime/v1/streams/{runId}/{target}/{streamKey}", "ingestStream", "ndjson", "200", "Empty", []),
    ("head", "/realtime/v1/streams/{runId}/{target}/{streamKey}", "streamLastChunk", None, "200", "Empty", []),
    ("post", "/realtime/v1/streams/{runId}/{target}/{streamKey}/append", "appendToStream", "text", "200", "Ok", []),
    ("post", "/realtime/v1/streams/{runId}/input/{streamKey}", "sendInputStream", {"type": "object", "properties": {"data": {}}},
     "200", "Ok", []),
    ("get", "/realtime/v1/streams/{runId}/input/{streamKey}", "readInputStream", None, "200", "EventStream", []),
    ("post", "/__emulator/runs/{runId}/streams/{streamKey}", "writeStream",
     {"type": "object", "required": ["chunks"], "properties": {"chunks": {"type": "array"}}}, "200", "Written", []),
    ("get", "/__emulator/realtime", "realtimeWaiting", None, "200", "Waiting", []),
]
_DEV = "/engine/v1/dev/runs/{runId}"
OPERATIONS += [
    ("get", "/api/v2/whoami", "whoAmI", None, "200", "WhoAmI", []),
    ("get", "/api/v1/projects/{projectRef}/dev", "projectDevEnvironment", None, "200", "ProjectEnv", []),
    ("get", "/api/v1/projects/{projectRef}/envvars", "devEnvVars", None, "200", "EnvVars", []),
    ("post", "/api/v1/projects/{projectRef}/background-workers", "registerWorker", worker_schemas.RegisterWorkerBody, "200", "Worker", []),
    ("get", "/engine/v1/dev/config", "devConfig", None, "200", "DevConfig", []),
    ("post", "/engine/v1/dev/dequeue", "devDequeue", worker_schemas.DequeueBody, "200", "Dequeued", []),
    ("post", "/engine/v1/dev/disconnect", "devDisconnect", worker_schemas.DisconnectBody, "200", "Cancelled", []),
    ("post", _DEV + "/snapshots/{snapshotId}/attempts/start", "startAttempt", worker_schemas.StartBody, "200", "AttemptStarted", []),
    ("post", _DEV + "/snapshots/{snapshotId}/attempts/complete", "completeAttempt", worker_schemas.CompleteBody, "200", "AttemptCompleted", []),
    ("post", _DEV + "/snapshots/{snapshotId}/heartbeat", "heartbeat", {"type": "object"}, "200", "Ok", []),
    ("get", _DEV + "/snapshots/latest", "latestSnapshot", None, "200", "LatestSnapshot", []),
    ("post", "/engine/v1/runs/{runId}/wait/duration", "waitForDuration", worker_schemas.WaitDurationBody, "200", "WaitDuration", []),
    ("post", "/engine/v1/runs/{runId}/waitpoints/tokens/{waitpointId}/wait", "waitForToken", None, "200", "Success", []),
    ("get", "/__emulator/workers", "listWorkers", None, "200", "Workers", []),
]
_UNAUTHENTICATED = {"/__emulator/workers", "/healthz", "/__emulator/clock", "/__emulator/faults", "/__emulator/rate-limits",
                    "/__emulator/reset", "/__emulator/realtime"}
# The management API: schedules, env vars, waitpoint tokens (create, list, retrieve, complete,
# callback), queues and the declaration control endpoints.
OPERATIONS += openapi_management.OPERATIONS
RESPONSES.update(openapi_management.RESPONSES)
_UNAUTHENTICATED |= openapi_management.UNAUTHENTICATED
#: What a success answer carries when it is not JSON.
_NOT_JSON = {"EventStream": {"text/event-stream": {"schema": {"type": "string"}}}, "Empty": None}


def _body_schema(body: Any, components: dict[str, Any]) -> dict[str, Any]:
    if isinstance(body, type) and issubclass(body, BaseModel):
        schema = body.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            components[name] = definition
        components[body.__name__] = schema
        return {"$ref": f"#/components/schemas/{body.__name__}"}
    return body


def document() -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for method, path, op_id, body, status, response, query in OPERATIONS:
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
            for name in _path_names(path)
        ]
        params += [{"name": name, "in": "query", "required": False, "schema": schema} for name, schema in query]
        operation: dict[str, Any] = {
            "operationId": op_id,
            "parameters": params,
            "responses": {
                **{code: _success(response) for code in status.split(",")},
                "default": {"description": "An error in the contract's shape", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}},
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Error"}},
                    # the engine's "You don't have permissions for this run" and some stream
                    # route errors are plain text upstream
                    **({"text/plain": {"schema": {"type": "string"}}}
                       if path.startswith(("/engine/", "/realtime/v1/streams")) else {}),
                }},
            },
        }
        if path not in _UNAUTHENTICATED:
            operation["security"] = [{"secretKey": []}]
        if body == "ndjson":
            operation["requestBody"] = {"required": True, "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}
        elif body == "text":
            operation["requestBody"] = {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}}
        elif body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _body_schema(body, components)}}}
        paths.setdefault(path, {})[method] = operation
    components.update(RESPONSES)
    return {
        "openapi": "3.1.0",
        "info": {"title": "trigger-emulator", "version": __version__,
                 "description": "The Trigger.dev REST API as emulated locally, plus the emulator's own control endpoints."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {"secretKey": {"type": "http", "scheme": "bearer"}}},
    }


def _success(response: str) -> dict[str, Any]:
    if response in _NOT_JSON:
        content = _NOT_JSON[response]
        return {"description": "Success", **({"content": content} if content else {})}
    return {"description": "Success", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{response}"}}}}


def _path_names(path: str) -> list[str]:
    import re

    return re.findall(r"\{([^}]+)\}", path)
