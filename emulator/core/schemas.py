"""Request bodies, validated with pydantic and reported in zod's words (``zod``). Fields use
the wire's camelCase names."""

from __future__ import annotations

from typing import Annotated, Any, Union

from .durations import coerce_date_ms
from .metadata_body import MetadataOperation, UpdateMetadataBody  # noqa: F401 - re-exported
from .zod import (  # noqa: F401 - re-exported: the request models and their validation in one import
    MISSING,
    ValidationError,
    _boolean,
    _enum,
    _field,
    _integer,
    _max_length,
    _non_negative_integer,
    _number,
    _string,
    _Zod,
    at,
    custom,
    fail,
    format_issues,
    int_issue,
    invalid_date,
    is_aborting,
    js_length,
    too_big,
    too_small,
    type_issue,
    union,
    validate,
    validation_message,
    zod_issues,
    zod_type,
)

MACHINES = ("micro", "small-1x", "small-2x", "medium-1x", "medium-2x", "large-1x", "large-2x")

_TAG_MESSAGE = "Tags must be less than 128 characters"


def _tags(value: Any) -> str | list[str]:
    """``RunTags = z.union([RunTag, RunTag.array()])``, ``RunTag = z.string().max(128)``. A union
    member that only failed a check (a long tag) answers alone; when both fail on types, zod
    reports both. The count limit is a 422 checked later."""
    if isinstance(value, str):
        if js_length(value) > 128:
            raise fail(too_big(128, _TAG_MESSAGE, kind="string"))
        return value
    if isinstance(value, list):
        issues, typed = [], True
        for index, tag in enumerate(value):
            if not isinstance(tag, str):
                issues.append(at(type_issue("string", tag), index))
                typed = False
            elif js_length(tag) > 128:
                issues.append(at(too_big(128, _TAG_MESSAGE, kind="string"), index))
        if issues and typed:
            raise fail(*issues)
        if issues:
            raise fail(union([type_issue("string", value)], issues))
        return value
    raise fail(union([type_issue("string", value)], [type_issue("array", value)]))


def _delay(value: Any) -> Any:
    """``z.string().or(z.coerce.date())``: a string, or anything ``new Date(value)`` makes a
    valid date of (null, booleans, numbers in range, arrays that read as a date)."""
    if isinstance(value, str) or (value is not MISSING and coerce_date_ms(value) is not None):
        return value
    raise fail(union([type_issue("string", value)], [invalid_date()]))


def _ttl(value: Any) -> str | int:
    """``z.string().or(z.number().nonnegative().int())``: a number that fails its checks is a
    dirty member, reported alone (no ``, or``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        issues = []
        if value < 0:
            issues.append(too_small(0, "Number must be greater than or equal to 0"))
        if not float(value).is_integer():
            issues.append(int_issue())
        if issues:
            raise fail(*issues)
        return int(value)
    raise fail(union([type_issue("string", value)], [type_issue("number", value)]))


def _string_or_number(value: Any) -> str:
    """``concurrencyKey``: ``z.union([z.string(), z.number()]).transform(String)``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    raise fail(union([type_issue("string", value)], [type_issue("number", value)]))


def _external_id(value: Any) -> str | None:
    """``externalDeploymentId``: trimmed, "" dropped, then ``z.string().max(128)``."""
    if isinstance(value, str):
        value = value.strip() or None
        if value is not None and js_length(value) > 128:
            raise fail(too_big(128, "externalId must be at most 128 characters", kind="string"))
        return value
    raise fail(type_issue("string", value))


Str = Annotated[str, *_field(_string, {"type": "string"})]
Int = Annotated[int, *_field(_integer, {"type": "integer"})]
Num = Annotated[float, *_field(_number, {"type": "number"})]
Bool = Annotated[bool, *_field(_boolean, {"type": "boolean"})]
Key2048 = Annotated[
    str, *_field(_max_length(2048, "idempotencyKey must be 2048 characters or less"), {"type": "string", "maxLength": 2048})
]
Key512 = Annotated[str, *_field(_max_length(512), {"type": "string", "maxLength": 512})]
Machine = Annotated[str, *_field(_enum(*MACHINES), {"enum": list(MACHINES)})]
Tags = Annotated[
    Union[str, list[str]],
    *_field(_tags, {"anyOf": [{"type": "string", "maxLength": 128}, {"type": "array", "items": {"type": "string", "maxLength": 128}}]}),
]
Delay = Annotated[Any, *_field(_delay, {"anyOf": [{"type": "string"}, {"type": "number"}]})]
Ttl = Annotated[Union[str, int], *_field(_ttl, {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 0}]})]
StrOrNum = Annotated[str, *_field(_string_or_number, {"anyOf": [{"type": "string"}, {"type": "number"}]})]
ExternalId = Annotated[str, *_field(_external_id, {"type": "string", "maxLength": 128})]
NonNegativeInt = Annotated[int, *_field(_non_negative_integer, {"type": "integer", "minimum": 0})]


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
    """``TriggerTaskRequestBody.options``, fields in the server's order (issues follow it)."""

    dependentAttempt: Str = None
    parentAttempt: Str = None
    dependentBatch: Str = None
    parentBatch: Str = None
    parentRunId: Str = None
    resumeParentOnCompletion: Bool = None
    lockToVersion: Str = None
    externalDeploymentId: ExternalId = None
    queue: QueueOption = None
    concurrencyKey: StrOrNum = None
    delay: Delay = None
    idempotencyKey: Key2048 = None
    idempotencyKeyTTL: Str = None
    idempotencyKeyOptions: IdempotencyKeyOptions = None
    machine: Machine = None
    maxAttempts: Int = None
    maxDuration: Num = None
    metadata: Any = None
    metadataType: Str = None
    payloadType: Str = None
    payloadSize: NonNegativeInt = None
    tags: Tags = None
    test: Bool = None
    ttl: Ttl = None
    priority: Num = None
    bulkActionId: Str = None
    region: Str = None
    debounce: Debounce = None


class BatchQueueOption(_Zod):
    name: Str


class BatchItemOptions(_Zod):
    """``BatchTriggerTaskItem.options`` (v2 and NDJSON items): fewer fields, another order."""

    concurrencyKey: StrOrNum = None
    delay: Delay = None
    idempotencyKey: Key2048 = None
    idempotencyKeyTTL: Str = None
    idempotencyKeyOptions: IdempotencyKeyOptions = None
    lockToVersion: Str = None
    externalDeploymentId: ExternalId = None
    machine: Machine = None
    maxAttempts: Int = None
    maxDuration: Num = None
    metadata: Any = None
    metadataType: Str = None
    parentAttempt: Str = None
    payloadType: Str = None
    payloadSize: NonNegativeInt = None
    queue: BatchQueueOption = None
    tags: Tags = None
    test: Bool = None
    ttl: Ttl = None
    priority: Num = None
    region: Str = None
    debounce: Debounce = None


class TriggerBody(_Zod):
    payload: Any = None
    context: Any = None
    options: TriggerOptions = None


class RescheduleBody(_Zod):
    delay: Delay



def _positive_integer(value: Any) -> int:
    """``z.number().int().positive()``: both checks report."""
    _number(value)
    issues = [] if float(value).is_integer() else [int_issue()]
    if value <= 0:
        issues.append(too_small(0, "Number must be greater than 0", inclusive=False))
    if issues:
        raise fail(*issues)
    return int(value)


def _task_identifiers(value: Any) -> list[str]:
    """``z.array(z.string().min(1)).min(1)``: the array's own check first, then each item."""
    if not isinstance(value, list):
        raise fail(type_issue("array", value))
    issues = [] if value else [too_small(1, "Array must contain at least 1 element(s)", kind="array")]
    for index, item in enumerate(value):
        if not isinstance(item, str):
            issues.append(at(type_issue("string", item), index))
        elif not item:
            issues.append(at(too_small(1, "String must contain at least 1 character(s)", kind="string"), index))
    if issues:
        raise fail(*issues)
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

    index: NonNegativeInt
    task: Str
    payload: Any = None
    options: BatchItemOptions = None


class TaskBatchItem(_Zod):
    """An item of the v1/v2 ``tasks/batch`` bodies: it names its task."""

    task: Str
    payload: Any = None
    context: Any = None
    options: BatchItemOptions = None


class BatchTriggerV2Body(_Zod):
    items: list[TaskBatchItem]
    parentRunId: Str = None
    resumeParentOnCompletion: Bool = None


class BatchTriggerV1Body(_Zod):
    items: list[TaskBatchItem]


class TaskBatchBody(_Zod):
    """``POST /api/v1/tasks/{task}/batch``: items are whole trigger bodies."""

    items: list[TriggerBody]


class AddTagsBody(_Zod):
    tags: Tags


class ResetIdempotencyBody(_Zod):
    taskIdentifier: Annotated[str, *_field(lambda v: _min_one(v, "Task identifier is required"), {"type": "string", "minLength": 1})]


def _min_one(value: Any, message: str) -> str:
    _string(value)
    if not value:
        raise fail(too_small(1, message, kind="string"))
    return value


_STORE = "application/store"
_STORE_MESSAGE = "payload must be a non-empty string when options.payloadType is application/store"


def _bad_store_payload(raw: Any) -> bool:
    options = raw.get("options") if isinstance(raw, dict) else None
    if not isinstance(options, dict) or options.get("payloadType") != _STORE:
        return False
    payload = raw.get("payload")
    return not (isinstance(payload, str) and payload)


def validate_trigger(raw: Any) -> TriggerBody:
    """``TriggerTaskRequestBody`` with its ``superRefine``: an ``application/store`` payload must
    be a non-empty string. zod runs the refinement when the object is valid or only failed
    checks (sizes, ``.int()``), not after a type error, and reports it last."""
    try:
        body = TriggerBody.model_validate(raw)
        issues: list[dict[str, Any]] = []
    except ValidationError as exc:
        body, issues = None, zod_issues(exc)
    if _bad_store_payload(raw) and not any(is_aborting(issue) for issue in issues):
        issues.append(at(custom(_STORE_MESSAGE), "payload"))
    if issues:
        raise ValueError(format_issues(issues))
    assert body is not None
    return body
