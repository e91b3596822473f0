"""The OpenAPI operations and response schemas of the management API (schedules, timezones, env
vars, waitpoint tokens, queues) and of the declaration control endpoints; ``openapi.py`` adds
them to the document."""

from __future__ import annotations

from typing import Any

from ..core import queues, waitpoints

_STR = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_DATE = {"type": "string", "format": "date-time"}
_NULLABLE_DATE = {"anyOf": [_DATE, {"type": "null"}]}
_NULLABLE_INT = {"anyOf": [_INT, {"type": "null"}]}


def _obj(required: list[str], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props, "additionalProperties": True}


_GENERATOR = _obj(["type", "expression", "description"], {"type": {"const": "CRON"}, "expression": _STR, "description": _STR})
_SCHEDULE = _obj(["id", "type", "task", "active", "generator", "timezone", "environments"], {
    "id": _STR, "type": {"enum": ["IMPERATIVE", "DECLARATIVE"]}, "task": _STR, "active": _BOOL,
    "deduplicationKey": _STR, "externalId": {"anyOf": [_STR, {"type": "null"}]}, "generator": _GENERATOR,
    "timezone": _STR, "window": _STR, "nextRun": _NULLABLE_DATE, "nextRunEffectiveAt": _NULLABLE_DATE,
    "environments": {"type": "array", "items": _obj(["id", "type"], {"id": _STR, "type": _STR, "userName": _STR})},
})
_OFFSET_PAGINATION = _obj(["currentPage", "totalPages", "count"], {"currentPage": _INT, "totalPages": _INT, "count": _INT})
_ENV_VAR = _obj(["name", "value", "isSecret"], {"name": _STR, "value": _STR, "isSecret": _BOOL})
_TOKEN_STATUS = {"enum": ["WAITING", "COMPLETED", "TIMED_OUT"]}
_QUEUE = _obj(["id", "name", "type", "running", "queued", "paused", "concurrencyLimit"], {
    "id": _STR, "name": _STR, "type": {"enum": ["task", "custom"]}, "running": _INT, "queued": _INT, "paused": _BOOL,
    "concurrencyLimit": _NULLABLE_INT,
    "concurrency": _obj(["current", "base", "override", "overriddenBy", "overriddenAt"], {
        "current": _NULLABLE_INT, "base": _NULLABLE_INT, "override": _NULLABLE_INT,
        "overriddenBy": {"anyOf": [_STR, {"type": "null"}]}, "overriddenAt": _NULLABLE_DATE}),
})

RESPONSES: dict[str, dict[str, Any]] = {
    "Schedule": _SCHEDULE,
    "ScheduleList": _obj(["data", "pagination"], {"data": {"type": "array", "items": _SCHEDULE}, "pagination": _OFFSET_PAGINATION}),
    "Timezones": _obj(["timezones"], {"timezones": {"type": "array", "items": _STR}}),
    "EnvVar": _ENV_VAR,
    "EnvVarList": {"type": "array", "items": _ENV_VAR},
    "Success": _obj(["success"], {"success": _BOOL}),
    "TokenCreated": _obj(["id", "isCached", "url"], {"id": _STR, "isCached": _BOOL, "url": _STR}),
    "Token": _obj(["id", "url", "status", "idempotencyKey", "outputType", "outputIsError", "createdAt", "tags"], {
        "id": _STR, "url": _STR, "status": _TOKEN_STATUS, "idempotencyKey": _STR, "output": _STR, "outputType": _STR,
        "outputIsError": _BOOL, "timeoutAt": _DATE, "completedAt": _DATE, "createdAt": _DATE,
        "tags": {"type": "array", "items": _STR}}),
    "TokenList": _obj(["data", "pagination"], {
        "data": {"type": "array", "items": _obj(["id", "url", "status", "tags", "createdAt"], {
            "id": _STR, "url": _STR, "status": _TOKEN_STATUS, "tags": {"type": "array", "items": _STR},
            "createdAt": _DATE})},
        "pagination": _obj([], {"next": _STR, "previous": _STR})}),
    "Queue": _QUEUE,
    "QueueList": _obj(["data", "pagination"], {"data": {"type": "array", "items": _QUEUE}, "pagination": _OFFSET_PAGINATION}),
    "TaskDeclaration": _obj(["id", "scheduled", "queue"], {"id": _STR, "scheduled": _BOOL, "queue": _STR}),
    "TaskList": _obj(["tasks"], {"tasks": {"type": "array"}}),
}

_SCHEDULE_BODY = {"type": "object", "required": ["task", "cron"], "properties": {
    "task": _STR, "cron": _STR, "externalId": _STR, "timezone": _STR,
    "window": {"type": "string", "pattern": r"^(0|[1-9]\d{0,2})[mh%]$"}}}
_CREATE_SCHEDULE_BODY = {**_SCHEDULE_BODY, "required": ["task", "cron", "deduplicationKey"],
                         "properties": {**_SCHEDULE_BODY["properties"], "deduplicationKey": _STR}}
_PAGE = [("page", {"type": "integer", "minimum": 1}), ("perPage", {"type": "integer", "minimum": 1})]
_TOKEN_QUERY = [
    ("page[size]", {"type": "integer", "minimum": 1, "maximum": 100}), ("page[after]", _STR), ("page[before]", _STR),
    ("filter[status]", _STR), ("filter[idempotencyKey]", _STR), ("filter[tags]", _STR),
    ("filter[createdAt][period]", _STR), ("filter[createdAt][from]", _STR), ("filter[createdAt][to]", _STR),
]
_ENVVARS = "/api/v1/projects/{projectRef}/envvars/{slug}"
_QUEUE_PATH = "/api/v1/queues/{queueParam}"

# (method, path, operationId, body model or schema, success status, response schema, query params)
OPERATIONS: list[tuple[str, str, str, Any, str, str, list]] = [
    ("post", "/api/v1/schedules", "createSchedule", _CREATE_SCHEDULE_BODY, "200", "Schedule", []),
    ("get", "/api/v1/schedules", "listSchedules", None, "200", "ScheduleList", _PAGE),
    ("get", "/api/v1/schedules/{scheduleId}", "retrieveSchedule", None, "200", "Schedule", []),
    ("put", "/api/v1/schedules/{scheduleId}", "updateSchedule", _SCHEDULE_BODY, "200", "Schedule", []),
    ("delete", "/api/v1/schedules/{scheduleId}", "deleteSchedule", None, "200", "Id", []),
    ("post", "/api/v1/schedules/{scheduleId}/activate", "activateSchedule", None, "200", "Schedule", []),
    ("post", "/api/v1/schedules/{scheduleId}/deactivate", "deactivateSchedule", None, "200", "Schedule", []),
    ("get", "/api/v1/timezones", "listTimezones", None, "200", "Timezones", [("excludeUtc", _STR)]),
    ("get", _ENVVARS, "listEnvVars", None, "200", "EnvVarList", []),
    ("post", _ENVVARS, "createEnvVar", {"type": "object", "required": ["name", "value"], "properties": {
        "name": _STR, "value": _STR, "isSecret": _BOOL}}, "200", "Success", []),
    ("post", _ENVVARS + "/import", "importEnvVars", {"type": "object", "required": ["variables"], "properties": {
        "variables": {"type": "object", "additionalProperties": _STR}, "override": _BOOL, "isSecret": _BOOL}},
     "200", "Success", []),
    ("get", _ENVVARS + "/{name}", "retrieveEnvVar", None, "200", "EnvVar", []),
    ("put", _ENVVARS + "/{name}", "updateEnvVar", {"type": "object", "required": ["value"], "properties": {"value": _STR}},
     "200", "Success", []),
    ("delete", _ENVVARS + "/{name}", "deleteEnvVar", None, "200", "Success", []),
    ("post", "/api/v1/waitpoints/tokens", "createWaitpointToken", waitpoints.CreateTokenBody, "200", "TokenCreated", []),
    ("get", "/api/v1/waitpoints/tokens", "listWaitpointTokens", None, "200", "TokenList", _TOKEN_QUERY),
    ("get", "/api/v1/waitpoints/tokens/{waitpointId}", "retrieveWaitpointToken", None, "200", "Token", []),
    ("post", "/api/v1/waitpoints/tokens/{waitpointId}/complete", "completeWaitpointToken",
     waitpoints.CompleteTokenBody, "200", "Success", []),
    ("post", "/api/v1/waitpoints/tokens/{waitpointId}/callback/{hash}", "waitpointCallback", {}, "200", "Success", []),
    ("get", "/api/v1/queues", "listQueues", None, "200", "QueueList", _PAGE),
    ("get", _QUEUE_PATH, "retrieveQueue", None, "200", "Queue", [("type", {"enum": list(queues.QUEUE_TYPES)})]),
    ("post", _QUEUE_PATH + "/pause", "pauseQueue", queues.PauseBody, "200", "Queue", []),
    ("post", _QUEUE_PATH + "/concurrency/override", "overrideQueueConcurrency", queues.OverrideBody, "200", "Queue", []),
    ("post", _QUEUE_PATH + "/concurrency/reset", "resetQueueConcurrency", queues.ResetBody, "200", "Queue", []),
    ("get", "/__emulator/tasks", "listDeclaredTasks", None, "200", "TaskList", []),
    ("post", "/__emulator/tasks", "declareTask", {"type": "object", "required": ["id"], "properties": {
        "id": {"type": "string", "minLength": 1}, "scheduled": _BOOL, "queue": _STR,
        "concurrencyLimit": {"type": "integer", "minimum": 0}}}, "200", "TaskDeclaration", []),
    ("post", "/__emulator/schedules", "declareSchedule", {"type": "object", "required": ["task", "cron"], "properties": {
        "task": {"type": "string", "minLength": 1}, "cron": {"type": "string", "minLength": 1}, "timezone": _STR,
        "window": _STR}}, "200", "Schedule", []),
]
UNAUTHENTICATED = {"/api/v1/timezones", "/api/v1/waitpoints/tokens/{waitpointId}/callback/{hash}"}
