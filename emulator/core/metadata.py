"""Run metadata operations (runs.md §4.7), on plain dicts."""

from __future__ import annotations

import copy
import re
from typing import Any

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


def apply(current: dict[str, Any], operations: list[dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """Apply ``operations`` in order; returns the new metadata and whether any op applied."""
    result = copy.deepcopy(current)
    applied = False
    for op in operations:
        kind = op["type"]
        if kind == "update":
            result = copy.deepcopy(op["value"])
            applied = True
        elif kind == "set":
            key = op["key"]
            if key.startswith("$."):
                path = _path(key)
                if path:
                    _set_path(result, path, copy.deepcopy(op["value"]))
            else:
                result[key] = copy.deepcopy(op["value"])
            applied = True
        elif kind == "delete":
            if op["key"] in result:  # only literal top-level keys; path deletes are a no-op upstream
                del result[op["key"]]
                applied = True
        elif kind == "append":
            key, value = op["key"], copy.deepcopy(op["value"])
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


def strip_stream_keys(value: Any) -> Any:
    """List answers drop ``$$streams``, ``$$streamsVersion`` and ``$$streamsBaseUrl`` at any depth."""
    if isinstance(value, dict):
        return {k: strip_stream_keys(v) for k, v in value.items() if k not in ("$$streams", "$$streamsVersion", "$$streamsBaseUrl")}
    if isinstance(value, list):
        return [strip_stream_keys(v) for v in value]
    return value
