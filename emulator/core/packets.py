"""Payload, output and metadata packets: how they are stored and how retrieve presents them.

The server keeps each packet as ``(data: str, dataType)`` (contract triggering.md §4.9,
runs.md §3.3). These rules are plain functions; the object store for offloaded packets lives
in the database and is reached through the engine.
"""

from __future__ import annotations

import json
from typing import Any

from . import wire_json

JSON = "application/json"
SUPERJSON = "application/super+json"
TEXT = "text/plain"
STORE = "application/store"

_MISSING = object()


def js_stringify(value: Any) -> str:
    """``JSON.stringify`` with the server's compact separators (lone surrogates escaped)."""
    return wire_json.stringify(value)


def store_trigger_payload(payload: Any, payload_type: str, *, present: bool) -> str | None:
    """A single trigger's payload as stored (PL): JSON values are serialized, strings of
    other types kept verbatim, and a non-string with a non-JSON type is dropped (a quirk)."""
    if not present:
        return None
    if payload_type == JSON:
        return js_stringify(payload)
    if isinstance(payload, str):
        return payload
    return None


def store_batch_payload(payload: Any, payload_type: str, *, present: bool) -> str | None:
    """Batch items differ (BPL): an ``application/json`` string is already serialized JSON."""
    if not present:
        return None
    if isinstance(payload, str):
        return payload
    if payload_type == JSON:
        return js_stringify(payload)
    return None


def store_metadata(metadata: Any, metadata_type: str) -> str | None:
    """Only truthy metadata is kept; JSON metadata is serialized, other strings kept as is."""
    if not metadata:
        return None
    if metadata_type == JSON or not isinstance(metadata, str):
        return js_stringify(metadata)
    return metadata


def present(data: str | None, data_type: str) -> Any:
    """What retrieve shows for a stored packet, or ``_MISSING`` to leave the field out."""
    if data is None or data == "":
        return _MISSING
    if data_type == JSON:
        try:
            return json.loads(data)
        except ValueError:
            return data
    if data_type == SUPERJSON:
        try:
            parsed = json.loads(data)
        except ValueError:
            return data
        if isinstance(parsed, dict):
            return parsed.get("json", _MISSING)
        return parsed
    return data


def is_missing(value: Any) -> bool:
    return value is _MISSING


def decode_for_python(data: str | None, data_type: str) -> Any:
    """The plugin's ``Run.payload``: superjson's ``json`` part, text as str, JSON parsed."""
    value = present(data, data_type)
    return None if value is _MISSING else value


def parse_metadata(data: str | None, data_type: str) -> dict[str, Any] | None:
    """Metadata as the SDK's ``record`` schema needs it, or None to leave it out."""
    if not data:
        return None
    try:
        value = json.loads(data)
    except ValueError:
        return None
    if data_type == SUPERJSON and isinstance(value, dict):
        value = value.get("json")
    return value if isinstance(value, dict) else None


def utf8_size(text: str | None) -> int:
    return 0 if text is None else len(text.encode("utf-8", "surrogatepass"))
