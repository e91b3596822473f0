"""zod's issues for pydantic: the field checks every request model uses, the raw issues they
produce, and the two ways the server reports them.

The real server validates with zod 3 and reports either the raw issue array (``Headers
Error`` details, the tags route, NDJSON items) or zod-validation-error v1's string
(``Validation error: <message> at "<path>"``, issues joined by ``; ``, union alternatives by
``, or ``). Each check here raises the issues zod would, keys in zod's order (``makeIssue``
spreads the issue data, then adds ``path`` and ``message``); unknown keys are stripped as zod
does.
"""

from __future__ import annotations

import copy
import re
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from .wire_json import escape_surrogates

class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: The value a check sees for an absent required field (zod's ``undefined``).
MISSING = _Missing()


def zod_type(value: Any) -> str:
    if value is MISSING:
        return "undefined"
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


def js_length(text: str) -> int:
    """A JS string's ``length``: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# -- issue constructors (relative path: set with ``at``) ----------------------------------
def type_issue(expected: str, value: Any) -> dict[str, Any]:
    received = zod_type(value)
    message = "Required" if received == "undefined" else f"Expected {expected}, received {received}"
    return {"code": "invalid_type", "expected": expected, "received": received, "path": [], "message": message}


def int_issue() -> dict[str, Any]:
    """``.int()`` failing: its issue data carries ``message``, so ``path`` comes last."""
    return {"code": "invalid_type", "expected": "integer", "received": "float",
            "message": "Expected integer, received float", "path": []}


def too_small(minimum: int, message: str, *, inclusive: bool = True, kind: str = "number") -> dict[str, Any]:
    return {"code": "too_small", "minimum": minimum, "type": kind, "inclusive": inclusive, "exact": False,
            "message": message, "path": []}


def too_big(maximum: int, message: str, *, kind: str = "number") -> dict[str, Any]:
    return {"code": "too_big", "maximum": maximum, "type": kind, "inclusive": True, "exact": False,
            "message": message, "path": []}


def custom(message: str) -> dict[str, Any]:
    return {"code": "custom", "message": message, "path": []}


def invalid_date() -> dict[str, Any]:
    return {"code": "invalid_date", "path": [], "message": "Invalid date"}


def union(*alternatives: list[dict[str, Any]]) -> dict[str, Any]:
    """No member of a union matched: each member's own issues, as zod nests them."""
    return {"code": "invalid_union", "unionErrors": [{"issues": list(alt), "name": "ZodError"} for alt in alternatives],
            "path": [], "message": "Invalid input"}


def at(issue: dict[str, Any], *sub: str | int) -> dict[str, Any]:
    """``issue`` at ``sub`` below the field being checked (e.g. a bad tag's index)."""
    issue["path"] = list(sub)
    return issue


def fail(*issues: dict[str, Any]) -> PydanticCustomError:
    """The error a check raises: one or more zod issues for this field. A lone surrogate
    quoted from the input is written as its ``\\udXXX`` escape (pydantic's Rust core cannot
    carry it)."""
    return PydanticCustomError("zod", "{m}", {"m": escape_surrogates(issues[0]["message"]), "issues": list(issues)})


def is_aborting(issue: dict[str, Any]) -> bool:
    """Does zod abort the enclosing object on this issue (so no refinement runs after it)?
    Failed checks (``.int()``, sizes, refinements) only make it dirty."""
    if issue["code"] in ("too_small", "too_big", "custom"):
        return False
    return not (issue["code"] == "invalid_type" and issue.get("expected") == "integer")


# -- the field checks ----------------------------------------------------------------------
def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise fail(type_issue("string", value))
    return value


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(type_issue("number", value))
    return value


def _is_integer(value: float | int) -> bool:
    return isinstance(value, int) or value.is_integer()


def _integer(value: Any) -> int:
    _number(value)
    if not _is_integer(value):
        raise fail(int_issue())
    return int(value)


def _non_negative_integer(value: Any) -> int:
    """``.int().nonnegative()``: both checks report."""
    _number(value)
    issues = [] if _is_integer(value) else [int_issue()]
    if value < 0:
        issues.append(too_small(0, "Number must be greater than or equal to 0"))
    if issues:
        raise fail(*issues)
    return int(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise fail(type_issue("boolean", value))
    return value


def _max_length(limit: int, message: str | None = None):
    def check(value: Any) -> str:
        _string(value)
        if js_length(value) > limit:
            raise fail(too_big(limit, message or f"String must contain at most {limit} character(s)", kind="string"))
        return value

    return check


def _enum(*choices: str):
    expected = " | ".join(f"'{c}'" for c in choices)

    def check(value: Any) -> str:
        if not isinstance(value, str):
            received = zod_type(value)
            message = "Required" if received == "undefined" else f"Expected {expected}, received {received}"
            raise fail({"expected": expected, "received": received, "code": "invalid_type", "path": [], "message": message})
        if value not in choices:
            raise fail({"received": value, "code": "invalid_enum_value", "options": list(choices), "path": [],
                        "message": f"Invalid enum value. Expected {expected}, received '{value}'"})
        return value

    return check


def _field(check, schema: dict[str, Any]):
    return [PlainValidator(check), WithJsonSchema(schema)]


_MODELS: dict[str, type[BaseModel]] = {}


class _Zod(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _MODELS[cls.__name__] = cls  # a ValidationError names its model (``title``)


# -- from pydantic's errors to zod's issues ------------------------------------------------
#: The tags of the one discriminated union (metadata operations): pydantic puts the member's
#: tag in the location, zod does not.
UNION_TAGS = ("update", "set", "delete", "append", "remove", "increment")


def _clean_loc(loc: tuple) -> list[str | int]:
    """pydantic's location as zod's path: no validator names, no discriminated-union tags."""
    parts: list[str | int] = []
    for position, part in enumerate(loc):
        if isinstance(part, str) and part.startswith("function-"):
            continue
        if position and isinstance(loc[position - 1], int) and part in UNION_TAGS:
            continue
        parts.append(part)
    return parts


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _member(annotation: Any, tag: str) -> Any:
    """The member of a discriminated union of models whose ``type`` literal is ``tag``."""
    for option in get_args(annotation):
        literal = option.model_fields.get("type") if isinstance(option, type) and issubclass(option, BaseModel) else None
        if literal is not None and tag in get_args(literal.annotation):
            return option
    return None


def _missing_issues(model: type[BaseModel] | None, loc: tuple) -> list[dict[str, Any]]:
    """What zod says about an absent required field: the field's own check run on ``undefined``."""
    annotation: Any = model
    info = None
    for part in loc:
        if isinstance(part, str) and part.startswith("function-"):
            continue
        annotation = _unwrap(annotation)
        if isinstance(part, int):
            args = get_args(annotation)
            annotation = args[0] if args else None
            continue
        if get_origin(annotation) is Union and _member(annotation, part) is not None:
            annotation = _member(annotation, part)
            continue
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel) and part in annotation.model_fields):
            return [type_issue("unknown", MISSING)]
        info = annotation.model_fields[part]
        annotation = info.annotation
    for meta in info.metadata if info is not None else []:
        if isinstance(meta, PlainValidator):
            try:
                meta.func(MISSING)
            except PydanticCustomError as exc:
                return copy.deepcopy(exc.context["issues"])
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [type_issue("object", MISSING)]
    if get_origin(annotation) is list:
        return [type_issue("array", MISSING)]
    return [type_issue("unknown", MISSING)]


def _pydantic_issue(error: dict) -> dict[str, Any]:
    kind = error["type"]
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return type_issue("object", error.get("input"))
    if kind == "list_type":
        return type_issue("array", error.get("input"))
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        expected = " | ".join(f"'{t}'" for t in UNION_TAGS)
        return {"code": "invalid_union_discriminator", "options": list(UNION_TAGS), "path": [],
                "message": f"Invalid discriminator value. Expected {expected}"}
    return custom(error.get("msg", "Invalid input"))


def _rebase(issue: dict[str, Any], prefix: list[str | int]) -> dict[str, Any]:
    out = dict(issue)
    out["path"] = prefix + list(issue.get("path", []))
    if "unionErrors" in out:
        out["unionErrors"] = [
            {"issues": [_rebase(inner, prefix) for inner in member["issues"]], "name": member["name"]}
            for member in out["unionErrors"]
        ]
    return out


def zod_issues(exc: ValidationError) -> list[dict[str, Any]]:
    """The raw zod issue array for ``exc`` (what ``error.issues`` / ``details`` hold)."""
    model = _MODELS.get(exc.title)
    out: list[dict[str, Any]] = []
    for error in exc.errors(include_url=False):
        if error["type"] == "zod":
            issues = error["ctx"]["issues"]
        elif error["type"] == "missing":
            issues = _missing_issues(model, error["loc"])
        else:
            issues = [_pydantic_issue(error)]
        prefix = _clean_loc(tuple(error["loc"]))
        out.extend(_rebase(issue, prefix) for issue in issues)
    return out


# -- zod-validation-error v1 ---------------------------------------------------------------
_IDENTIFIER = re.compile(r"[$_A-Za-z\u00c0-\uffff]")  # unanchored, like its /[$_\p{ID_Start}].../u


def _join_path(path: list[str | int]) -> str:
    if len(path) == 1:
        return str(path[0])
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif '"' in part:
            out += '["' + part.replace('"', '\\"') + '"]'
        elif not _IDENTIFIER.search(part):
            out += f'["{part}"]'
        else:
            out += ("." if out else "") + part
    return out


def issue_message(issue: dict[str, Any]) -> str:
    """``getMessageFromZodIssue``: one issue with its path; unions joined by ``, or ``."""
    if issue["code"] == "invalid_union":
        seen: list[str] = []
        for member in issue["unionErrors"]:
            text = "; ".join(issue_message(inner) for inner in member["issues"])
            if text not in seen:
                seen.append(text)
        return ", or ".join(seen)
    path = issue.get("path") or []
    if len(path) == 1 and isinstance(path[0], int):
        return f"{issue['message']} at index {path[0]}"
    if path:
        return f'{issue["message"]} at "{_join_path(path)}"'
    return issue["message"]


def format_issues(issues: list[dict[str, Any]]) -> str:
    """``fromZodError(error).toString()``."""
    reason = "; ".join(issue_message(issue) for issue in issues[:99])
    return f"Validation error: {reason}" if reason else "Validation error"


def validation_message(exc: ValidationError) -> str:
    return format_issues(zod_issues(exc))


def validate(model: type[BaseModel], data: Any):
    """Parse ``data`` into ``model``; ValueError carries the zod-style message."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValueError(validation_message(exc)) from None
