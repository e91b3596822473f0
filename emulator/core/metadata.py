"""Run metadata operations (runs.md §4.7), on plain dicts."""

from __future__ import annotations

import re
from typing import Any

from .limits import MAX_JSON_DEPTH
from .wire_json import copy, encode, nesting_depth

_UNSAFE = {"__proto__", "constructor", "prototype"}
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def is_safe_key(key: str) -> bool:
    if key == "__proto__":
        return False
    if key.startswith("$."):
        return not any(part in _UNSAFE for part in _path(key))
    return True


def _path(key: str) -> list[str | int]:
    out: list[str | int] = []
    for name, index in _SEGMENT.findall(key[2:]):
        out.append(int(index) if index else name)
    return out


def _set_path(target: dict[str, Any], path: list[str | int], value: Any) -> None:
    node: Any = target
    for step, nxt in zip(path, path[1:]):
        if isinstance(step, int):
            if not isinstance(node, list):
                return
            while len(node) <= step:
                node.append(None)
            if not isinstance(node[step], (dict, list)):
                node[step] = [] if isinstance(nxt, int) else {}
            node = node[step]
        else:
            if not isinstance(node, dict):
                return
            if not isinstance(node.get(step), (dict, list)):
                node[step] = [] if isinstance(nxt, int) else {}
            node = node[step]
    last = path[-1]
    if isinstance(last, int) and isinstance(node, list):
        while len(node) <= last:
            node.append(None)
        node[last] = value
    elif isinstance(last, str) and isinstance(node, dict):
        node[last] = value


class TooDeep(ValueError):
    """Metadata that would nest deeper than ``MAX_JSON_DEPTH``."""


def operations_of(models: list[Any]) -> list[dict[str, Any]]:
    """Validated operation models as plain dicts, their values as sent (never re-serialized)."""
    return [{"type": op.type, "key": getattr(op, "key", None), "value": getattr(op, "value", None)} for op in models]


def check_depth(value: Any) -> None:
    """TooDeep when ``value`` nests deeper than ``MAX_JSON_DEPTH`` (e.g. built by many
    appends or a long ``$.a.b…`` path), so every later reader can walk it."""
    try:
        deep = nesting_depth(encode(value)) > MAX_JSON_DEPTH
    except RecursionError:
        deep = True
    if deep:
        raise TooDeep(f"Metadata cannot be nested more than {MAX_JSON_DEPTH} levels deep")


def apply(current: dict[str, Any], operations: list[dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """Apply ``operations`` in order; returns the new metadata and whether any op applied.
    TooDeep when the result nests too deeply to store."""
    try:
        result, applied = _apply(current, operations)
    except RecursionError:
        raise TooDeep(f"Metadata cannot be nested more than {MAX_JSON_DEPTH} levels deep") from None
    check_depth(result)
    return result, applied


def _apply(current: dict[str, Any], operations: list[dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    result = copy(current)
    applied = False
    for op in operations:
        kind = op["type"]
        if kind == "update":
            result = copy(op["value"])
            applied = True
        elif kind == "set":
            key = op["key"]
            if key.startswith("$."):
                path = _path(key)
                if path:
                    _set_path(result, path, copy(op["value"]))
            else:
                result[key] = copy(op["value"])
            applied = True
        elif kind == "delete":
            if op["key"] in result:  # only literal top-level keys; path deletes are a no-op upstream
                del result[op["key"]]
                applied = True
        elif kind == "append":
            key, value = op["key"], copy(op["value"])
            old = result.get(key)
            result[key] = [value] if old is None else (old + [value] if isinstance(old, list) else [old, value])
            applied = True
        elif kind == "remove":
            old = result.get(op["key"])
            if isinstance(old, list):
                result[op["key"]] = [item for item in old if item != op["value"]]
                applied = True
        elif kind == "increment":
            old = result.get(op["key"])
            base = old if isinstance(old, (int, float)) and not isinstance(old, bool) else 0
            result[op["key"]] = base + op["value"]
            applied = True
    return result, applied


_STREAM_KEYS = ("$$streams", "$$streamsVersion", "$$streamsBaseUrl")


def strip_stream_keys(value: Any) -> Any:
    """List answers drop ``$$streams``, ``$$streamsVersion`` and ``$$streamsBaseUrl`` at any
    depth (iteratively: stored metadata may nest as deep as the JSON limit allows)."""
    if not isinstance(value, (dict, list)):
        return value
    root: Any = {} if isinstance(value, dict) else []
    stack = [(value, root)]
    while stack:
        source, target = stack.pop()
        items = ((k, v) for k, v in source.items() if k not in _STREAM_KEYS) if isinstance(source, dict) else enumerate(source)
        for key, child in items:
            if isinstance(child, (dict, list)):
                copied: Any = {} if isinstance(child, dict) else []
                stack.append((child, copied))
                child = copied
            if isinstance(target, dict):
                target[key] = child
            else:
                target.append(child)
    return root
