"""Request bodies, validated with pydantic and reported in zod's words (``zod``). Fields use
the wire's camelCase names."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field

from .zod import (  # noqa: F401 - re-exported: the request models and their validation in one import
    _boolean,
    _enum,
    _field,
    _integer,
    _max_length,
    _non_negative_integer,
    _number,
    _string,
    ValidationError,
    _Zod,
    issue,
    validate,
    validation_message,
    validation_message_of,
    zod_type,
)

MACHINES = ("micro", "small-1x", "small-2x", "medium-1x", "medium-2x", "large-1x", "large-2x")



_TAG_MESSAGE = "Tags must be less than 128 characters"


def _tags(value: Any) -> str | list[str]:
    """``string (≤128) | string[] (each ≤128)``; the count limit is a 422 checked later."""
    if isinstance(value, str):
        if len(value) > 128:
            raise issue(_TAG_MESSAGE)
        return value
    if isinstance(value, list):
        for index, tag in enumerate(value):
            if not isinstance(tag, str):
                raise issue(f"Expected string, received {zod_type(tag)}", index)
            if len(tag) > 128:
                raise issue(_TAG_MESSAGE, index)
        return value
    kind = zod_type(value)
    raise issue(f"Expected string, received {kind}", "|", f"Expected array, received {kind}")


def _delay(value: Any) -> Any:
    """``z.string().or(z.coerce.date())``: JSON objects and arrays are not dates."""
    if isinstance(value, (dict, list)):
        raise issue(f"Expected string, received {zod_type(value)}", "|", "Invalid date")
    return value


def _ttl(value: Any) -> str | int:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise issue("Expected string, received number", "|", "Expected integer, received float")
        if value < 0:
            raise issue("Expected string, received number", "|", "Number must be greater than or equal to 0")
        return int(value)
    kind = zod_type(value)
    raise issue(f"Expected string, received {kind}", "|", f"Expected number, received {kind}")


def _string_or_number(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    kind = zod_type(value)
    raise issue(f"Expected string, received {kind}", "|", f"Expected number, received {kind}")



Str = Annotated[str, *_field(_string, {"type": "string"})]
Int = Annotated[int, *_field(_integer, {"type": "integer"})]
Num = Annotated[float, *_field(_number, {"type": "number"})]
Bool = Annotated[bool, *_field(_boolean, {"type": "boolean"})]
Key2048 = Annotated[str, *_field(_max_length(2048), {"type": "string", "maxLength": 2048})]
Key512 = Annotated[str, *_field(_max_length(512), {"type": "string", "maxLength": 512})]
Machine = Annotated[str, *_field(_enum(*MACHINES), {"enum": list(MACHINES)})]
Tags = Annotated[
    Union[str, list[str]],
    *_field(_tags, {"anyOf": [{"type": "string", "maxLength": 128}, {"type": "array", "items": {"type": "string", "maxLength": 128}}]}),
]
Delay = Annotated[Any, *_field(_delay, {"anyOf": [{"type": "string"}, {"type": "number"}]})]
Ttl = Annotated[Union[str, int], *_field(_ttl, {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 0}]})]
StrOrNum = Annotated[str, *_field(_string_or_number, {"anyOf": [{"type": "string"}, {"type": "number"}]})]



class IdempotencyKeyOptions(_Zod):
    key: Str
    scope: Annotated[str, *_field(_enum("run", "attempt", "global"), {"enum": ["run", "attempt", "global"]})]


class Debounce(_Zod):
    key: Key512
    delay: Str
    mode: Annotated[str, *_field(_enum("leading", "trailing"), {"enum": ["leading", "trailing"]})] = None
    maxDelay: Str = None


class QueueOption(_Zod):
    name: Str
    concurrencyLimit: Int = None


class TriggerOptions(_Zod):
    payloadType: Str = None
    payloadSize: Annotated[int, *_field(_non_negative_integer, {"type": "integer", "minimum": 0})] = None
    idempotencyKey: Key2048 = None
    idempotencyKeyTTL: Str = None
    idempotencyKeyOptions: IdempotencyKeyOptions = None
    delay: Delay = None
    ttl: Ttl = None
    debounce: Debounce = None
    tags: Tags = None
    metadata: Any = None
    metadataType: Str = None
    queue: QueueOption = None
    concurrencyKey: StrOrNum = None
    machine: Machine = None
    maxAttempts: Int = None
    maxDuration: Num = None
    priority: Num = None
    test: Bool = None
    region: Str = None
    lockToVersion: Str = None
    externalDeploymentId: Str = None
    parentRunId: Str = None
    resumeParentOnCompletion: Bool = None
    parentBatch: Str = None
    dependentAttempt: Str = None
    parentAttempt: Str = None
    dependentBatch: Str = None
    bulkActionId: Str = None


class TriggerBody(_Zod):
    payload: Any = None
    context: Any = None
    options: TriggerOptions = None


class RescheduleBody(_Zod):
    delay: Delay



def _positive_integer(value: Any) -> int:
    value = _integer(value)
    if value <= 0:
        raise issue("Number must be greater than 0")
    return value


def _task_identifiers(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise issue(f"Expected array, received {zod_type(value)}")
    if not value:
        raise issue("Array must contain at least 1 element(s)")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise issue(f"Expected string, received {zod_type(item)}", index)
        if not item:
            raise issue("String must contain at least 1 character(s)", index)
    return value


class CreateBatchBody(_Zod):
    runCount: Annotated[int, *_field(_positive_integer, {"type": "integer", "exclusiveMinimum": 0})]
    taskIdentifiers: Annotated[list[str], *_field(_task_identifiers, {"type": "array", "items": {"type": "string"}, "minItems": 1})] = None
    parentRunId: Str = None
    resumeParentOnCompletion: Bool = None
    idempotencyKey: Key2048 = None
    idempotencyKeyOptions: IdempotencyKeyOptions = None


class BatchItem(_Zod):
    """One NDJSON line of ``POST /api/v3/batches/{id}/items``."""

    index: Annotated[int, *_field(_non_negative_integer, {"type": "integer", "minimum": 0})]
    task: Str
    payload: Any = None
    options: TriggerOptions = None


class TaskBatchItem(_Zod):
    """An item of the v1/v2 ``tasks/batch`` bodies: it names its task."""

    task: Str
    payload: Any = None
    context: Any = None
    options: TriggerOptions = None


class BatchTriggerV2Body(_Zod):
    items: list[TaskBatchItem]
    parentRunId: Str = None
    resumeParentOnCompletion: Bool = None


class BatchTriggerV1Body(_Zod):
    items: list[TaskBatchItem]


class TaskBatchBody(_Zod):
    """``POST /api/v1/tasks/{task}/batch``: items are whole trigger bodies."""

    items: list[TriggerBody]


def _metadata_key(value: Any) -> str:
    from .metadata import is_safe_key

    _string(value)
    if not is_safe_key(value):
        raise issue(f"Unsafe metadata key: {value}")
    return value


MetadataKey = Annotated[str, *_field(_metadata_key, {"type": "string"})]


def _record(value: Any) -> dict:
    if not isinstance(value, dict):
        raise issue(f"Expected object, received {zod_type(value)}")
    return value


Record = Annotated[dict, *_field(_record, {"type": "object"})]


class _UpdateOp(_Zod):
    type: Literal["update"]
    value: Record


class _SetOp(_Zod):
    type: Literal["set"]
    key: MetadataKey
    value: Any = None


class _DeleteOp(_Zod):
    type: Literal["delete"]
    key: MetadataKey


class _AppendOp(_Zod):
    type: Literal["append"]
    key: MetadataKey
    value: Any = None


class _RemoveOp(_Zod):
    type: Literal["remove"]
    key: MetadataKey
    value: Any = None


class _IncrementOp(_Zod):
    type: Literal["increment"]
    key: MetadataKey
    value: Num


MetadataOperation = Annotated[
    Union[_UpdateOp, _SetOp, _DeleteOp, _AppendOp, _RemoveOp, _IncrementOp], Field(discriminator="type")
]


class UpdateMetadataBody(_Zod):
    metadata: Record = None
    operations: list[MetadataOperation] = None
    parentOperations: list[MetadataOperation] = None
    rootOperations: list[MetadataOperation] = None


class AddTagsBody(_Zod):
    tags: Tags


class ResetIdempotencyBody(_Zod):
    taskIdentifier: Annotated[str, *_field(lambda v: _min_one(v, "Task identifier is required"), {"type": "string", "minLength": 1})]


def _min_one(value: Any, message: str) -> str:
    _string(value)
    if not value:
        raise issue(message)
    return value
