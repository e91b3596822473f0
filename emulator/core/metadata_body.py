"""The metadata PUT body (``FlushedRunMetadata``, runs.md §4.7): operations as a discriminated
union, keys guarded against prototype pollution."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field

from .metadata import is_safe_key
from .zod import _field, _number, _string, _Zod, custom, fail, type_issue

Num = Annotated[float, *_field(_number, {"type": "number"})]


def _metadata_key(value: Any) -> str:
    _string(value)
    if not is_safe_key(value):
        raise fail(custom("Metadata key may not reference __proto__, constructor, or prototype"))
    return value


MetadataKey = Annotated[str, *_field(_metadata_key, {"type": "string"})]


def _record(value: Any) -> dict:
    if not isinstance(value, dict):
        raise fail(type_issue("object", value))
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


