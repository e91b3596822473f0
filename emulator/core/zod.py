"""zod's wording for pydantic: the field checks every request model uses and the messages
they produce.

The real server validates with zod and reports through zod-validation-error v1
(``Validation error: <message> at "<path>"``, issues joined by ``; ``, union alternatives by
``, or ``). Unknown keys are stripped as zod does.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from .wire_json import escape_surrogates

def zod_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def issue(message: str, *sub: str | int) -> PydanticCustomError:
    """A zod issue; ``sub`` extends the field's path (e.g. the index of a bad tag). A lone
    surrogate quoted from the input is written as its ``\\udXXX`` escape (pydantic's Rust
    core cannot carry it)."""
    return PydanticCustomError("zod", "{m}", {"m": escape_surrogates(message), "sub": list(sub)})


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise issue(f"Expected string, received {zod_type(value)}")
    return value


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise issue(f"Expected number, received {zod_type(value)}")
    return value


def _integer(value: Any) -> int:
    _number(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise issue("Expected integer, received float")
        value = int(value)
    return value


def _non_negative_integer(value: Any) -> int:
    value = _integer(value)
    if value < 0:
        raise issue("Number must be greater than or equal to 0")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise issue(f"Expected boolean, received {zod_type(value)}")
    return value


def _max_length(limit: int):
    def check(value: Any) -> str:
        _string(value)
        if len(value) > limit:
            raise issue(f"String must contain at most {limit} character(s)")
        return value

    return check


def _enum(*choices: str):
    expected = " | ".join(f"'{c}'" for c in choices)

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise issue(f"Expected {expected}, received {zod_type(value)}")
        if value not in choices:
            raise issue(f"Invalid enum value. Expected {expected}, received '{value}'")
        return value

    return check


def _field(check, schema: dict[str, Any]):
    return [PlainValidator(check), WithJsonSchema(schema)]



class _Zod(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False)


_UNION_TAGS = {"update", "set", "delete", "append", "remove", "increment"}


def _format_path(loc: tuple, sub: list) -> str:
    parts: list[str | int] = []
    for position, part in enumerate(loc):
        if isinstance(part, str) and part.startswith("function-"):
            continue
        if position and isinstance(loc[position - 1], int) and part in _UNION_TAGS:
            continue  # pydantic names the union member after the index; zod does not
        parts.append(part)
    parts.extend(sub)
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _zod_message(error: dict) -> str:
    kind = error["type"]
    if kind == "zod":
        return error["ctx"]["m"]
    if kind == "missing":
        return "Required"
    received = zod_type(error.get("input"))
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"Expected object, received {received}"
    if kind == "list_type":
        return f"Expected array, received {received}"
    if kind == "union_tag_invalid":
        expected = " | ".join(t.strip() for t in str(error["ctx"].get("expected_tags", "")).split(","))
        return f"Invalid discriminator value. Expected {expected}"
    if kind == "union_tag_not_found":
        return "Invalid discriminator value. Expected 'update' | 'set' | 'delete' | 'append' | 'remove' | 'increment'"
    return error.get("msg", "Invalid input")


def validation_message_of(error: dict) -> str:
    """One issue's message, without its path."""
    return _zod_message(error)


def validation_message(exc: ValidationError) -> str:
    """zod-validation-error v1's ``toString()`` for the issues of ``exc``."""
    messages = []
    for error in exc.errors(include_url=False):
        sub = list(error.get("ctx", {}).get("sub", [])) if error["type"] == "zod" else []
        if "|" in sub:
            # a union: each alternative reports its own message at the same path
            split = sub.index("|")
            first, rest = sub[:split], sub[split + 1 :]
            alternatives = [error["ctx"]["m"], *rest]
            path = _format_path(tuple(error["loc"]), first)
            suffix = f' at "{path}"' if path else ""
            messages.append(", or ".join(f"{m}{suffix}" for m in alternatives))
            continue
        path = _format_path(tuple(error["loc"]), sub)
        message = _zod_message(error)
        messages.append(f'{message} at "{path}"' if path else message)
    return "Validation error: " + "; ".join(messages)


def validate(model: type[BaseModel], data: Any):
    """Parse ``data`` into ``model``; ValueError carries the zod-style message."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValueError(validation_message(exc)) from None
