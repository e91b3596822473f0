"""JSON as the server's ``JSON.parse`` reads it: strict JSON in UTF-8."""

from __future__ import annotations

import json
from typing import Any


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range")
    return value


def _finite_int(text: str) -> int:
    value = int(text)
    if len(text) > 300 and abs(value) > 1.7976931348623157e308:  # JS would read Infinity
        raise ValueError(f"{text[:20]}... is out of range")
    return value


def parse_json(raw: bytes) -> Any:
    """``JSON.parse`` as the server sees it: strict JSON in UTF-8; ValueError otherwise.
    Numbers past a double's range (which JS would make Infinity) are refused too."""
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_finite_int)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError("Invalid JSON") from exc
