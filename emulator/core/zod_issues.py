"""Raw zod 3 issue objects, as the legacy hand-written routes (schedules, env vars) return them in
``{"error": "Invalid request body", "issues": [...]}`` (management.md §2.2, family 1).

Those routes ``safeParse`` small flat objects, so a field list is enough: each field is checked
in declaration order, and every failing field adds one issue with zod's keys in zod's order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from . import zod

_MISSING = zod.MISSING
#: What JavaScript's ``Number(text)`` reads as a decimal number (hex and the like are rare here).
_JS_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?Infinity$")


def invalid_type(path: list[str | int], expected: str, value: Any) -> dict[str, Any]:
    return zod.at(zod.type_issue(expected, value), *path)


def custom(path: list[str | int], message: str) -> dict[str, Any]:
    return zod.at(zod.custom(message), *path)


_KIND_CHECK: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # string | boolean | object
    required: bool = True
    #: A refinement run after the type check passes: returns an error message or None.
    refine: Callable[[Any], str | None] | None = None


def object_issues(data: Any, fields: list[Field]) -> list[dict[str, Any]]:
    """``z.object({...}).safeParse(data).error.issues`` for a flat object of ``fields``."""
    if not isinstance(data, dict):
        return [invalid_type([], "object", data)]
    issues: list[dict[str, Any]] = []
    for field in fields:
        value = data.get(field.name, _MISSING)
        if value is _MISSING:
            if field.required:
                issues.append(invalid_type([field.name], field.kind, value))
            continue
        if not _KIND_CHECK[field.kind](value):
            issues.append(invalid_type([field.name], field.kind, value))
            continue
        if field.refine is not None:
            message = field.refine(value)
            if message is not None:
                issues.append(custom([field.name], message))
    return issues


def coerce_int(
    params: Mapping[str, str], name: str, *, minimum: int | None = None, maximum: int | None = None
) -> tuple[int | None, list[dict[str, Any]]]:
    """``z.coerce.number().int().positive()[.min(minimum)][.max(maximum)].optional()`` of a query
    parameter: its value (None when absent) and every issue zod reports (its checks all run)."""
    raw = params.get(name)
    if raw is None:
        return None, []
    text = raw.strip()
    if not text:
        number = 0.0  # Number("") is 0
    elif _JS_NUMBER.match(text):
        number = float(text)
    else:
        return None, [{"code": "invalid_type", "expected": "number", "received": "nan", "path": [name],
                       "message": "Expected number, received nan"}]
    issues: list[dict[str, Any]] = []
    if not number.is_integer():
        issues.append({"code": "invalid_type", "expected": "integer", "received": "float",
                       "message": "Expected integer, received float", "path": [name]})
    if number <= 0:
        issues.append({"code": "too_small", "minimum": 0, "type": "number", "inclusive": False, "exact": False,
                       "message": "Number must be greater than 0", "path": [name]})
    if minimum is not None and number < minimum:
        issues.append({"code": "too_small", "minimum": minimum, "type": "number", "inclusive": True, "exact": False,
                       "message": f"Number must be greater than or equal to {minimum}", "path": [name]})
    if maximum is not None and number > maximum:
        issues.append({"code": "too_big", "maximum": maximum, "type": "number", "inclusive": True, "exact": False,
                       "message": f"Number must be less than or equal to {maximum}", "path": [name]})
    return (None if issues else int(number)), issues
