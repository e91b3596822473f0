"""Request bodies of the dev worker's engine routes (``@trigger.dev/core`` worker schemas),
validated like every other body and reported in zod's words."""

from __future__ import annotations

from typing import Annotated, Any

from .durations import parse_date_ms
from .schemas import Bool, Key2048, Str
from .zod import _field, _Zod, at, fail, invalid_date, type_issue


def _date_ms(value: Any) -> int:
    parsed = parse_date_ms(value)
    if parsed is None:
        raise fail(invalid_date())
    return parsed


def _record(value: Any) -> dict:
    if not isinstance(value, dict):
        raise fail(type_issue("object", value))
    return value


def _string_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise fail(type_issue("array", value))
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise fail(at(type_issue("string", item), index))
    return value


DateMs = Annotated[int, *_field(_date_ms, {"type": "string", "format": "date-time"})]
Record = Annotated[dict, *_field(_record, {"type": "object"})]
StringList = Annotated[list, *_field(_string_list, {"type": "array", "items": {"type": "string"}})]


class DequeueBody(_Zod):
    currentWorker: Str
    oldWorkers: StringList = None


class Completion(_Zod):
    ok: Bool
    id: Str
    output: Str = None
    outputType: Str = None
    error: Record = None
    retry: Record = None
    flushedMetadata: Record = None


class CompleteBody(_Zod):
    completion: Completion


class WaitDurationBody(_Zod):
    date: DateMs
    idempotencyKey: Key2048 = None
    idempotencyKeyTTL: Str = None


class DisconnectBody(_Zod):
    runFriendlyIds: StringList


class RegisterWorkerBody(_Zod):
    metadata: Record


class StartBody(_Zod):
    isWarmStart: Bool = None
