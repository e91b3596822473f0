"""Environment variables: records and the repository's rules (management.md §4), no SQL.

One value per (environment, key); a key "exists in the project" when any environment has a
value for it (the emulator is one project)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .zod_issues import Field, object_issues

#: Dropped on write and hidden on read (EVR ``removeBlacklistedVariables``).
RESERVED = frozenset({"TRIGGER_SECRET_KEY", "TRIGGER_API_URL"})
REDACTED = "<redacted>"
#: ``environmentFullTitle``: the words of the import clash message.
ENV_TITLES = {"DEVELOPMENT": "Development", "STAGING": "Staging", "PRODUCTION": "Production", "PREVIEW": "Preview"}

CREATE_FIELDS = [Field("name", "string"), Field("value", "string"), Field("isSecret", "boolean", required=False)]
UPDATE_FIELDS = [Field("value", "string")]

NOT_FOUND = "Environment variable not found"
VALUE_NOT_FOUND = "Environment variable value not found"
NONE_VALID = "You must set at least one valid variable."
NOT_ALLOWED = " All the variables submitted are not allowed."
ALREADY_SET = "Some of the variables are already set for these environments. Set override to true to override them."


@dataclass
class EnvVar:
    env_id: str
    name: str
    value: str
    is_secret: bool = False
    version: int = 1
    created_at: int = 0
    updated_at: int = 0
    seq: int | None = None


@dataclass
class ImportBody:
    variables: dict[str, str]
    override: bool
    is_secret: bool | None


class EnvVarError(Exception):
    """A repository failure: 400 ``{"error": message, "variableErrors"?: [...]}``."""

    def __init__(self, message: str, variable_errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.variable_errors = variable_errors


def create_issues(body: Any) -> list[dict[str, Any]]:
    return object_issues(body, CREATE_FIELDS)


def update_issues(body: Any) -> list[dict[str, Any]]:
    return object_issues(body, UPDATE_FIELDS)


def _string_record(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def parse_import(body: Any) -> ImportBody | None:
    """``ImportEnvironmentVariablesRequestBody``; None for any failure (the route's bare
    ``Invalid body``)."""
    if not isinstance(body, dict) or not _string_record(body.get("variables")):
        return None
    if "parentVariables" in body and not _string_record(body["parentVariables"]):
        return None
    for flag in ("override", "isSecret"):
        if flag in body and not isinstance(body[flag], bool):
            return None
    source = body.get("source")
    if "source" in body and not _valid_source(source):
        return None
    return ImportBody(dict(body["variables"]), body.get("override") is True, body.get("isSecret"))


def _valid_source(source: Any) -> bool:
    if not isinstance(source, dict):
        return False
    if source.get("type") == "user":
        return isinstance(source.get("userId"), str)
    if source.get("type") == "integration":
        return isinstance(source.get("integration"), str)
    return False


def writable(variables: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What a write keeps: reserved keys and blank keys/values are dropped; an empty result
    is the repository's 400."""
    kept = [(k, v) for k, v in variables if k not in RESERVED]
    removed_reserved = len(kept) != len(variables)
    kept = [(k, v) for k, v in kept if k.strip() and v.strip()]
    if not kept:
        raise EnvVarError(NONE_VALID + (NOT_ALLOWED if removed_reserved else ""))
    return kept


def clash_errors(clashing: list[str], env_type: str) -> EnvVarError:
    title = ENV_TITLES.get(env_type, env_type.title())
    return EnvVarError(ALREADY_SET, [{"key": key, "error": f"Variable already set in {title}."} for key in clashing])


def listed_name(key: str) -> str:
    """Read paths rebuild names from ``environmentvariable:<project>:<env>:<KEY>`` with
    ``split(":")[3]``, so a key with a ``:`` is listed cut at it (§4.2 quirk)."""
    return key.split(":")[0]


def shown(var: EnvVar) -> dict[str, Any]:
    if var.is_secret:
        return {"name": listed_name(var.name), "value": REDACTED, "isSecret": True}
    return {"name": listed_name(var.name), "value": var.value, "isSecret": False}


def visible(variables: list[EnvVar]) -> list[EnvVar]:
    return [v for v in variables if v.name not in RESERVED]
