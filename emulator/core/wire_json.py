"""JSON as the server's JavaScript reads and writes it: ``JSON.parse`` for request bodies and
``JSON.stringify`` for everything stored or answered.

One encoder serves storage and responses, so anything accepted can be stored and read back:
a lone UTF-16 surrogate (what ``JSON.stringify`` makes of a string cut inside an emoji) is
written as the ``\\udXXX`` escape JavaScript writes, and a non-finite number as ``null``.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from itertools import accumulate
from typing import Any

from .limits import MAX_JSON_DEPTH

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# A string (escapes already removed), or an unterminated one running to the end of the text.
_JSON_STRING = re.compile(rb'"[^"]*(?:"|\Z)')
_NESTING = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_NESTING = bytes(b for b in range(256) if b not in b"[{]}")


class TooDeep(ValueError):
    """A JSON text nested deeper than ``MAX_JSON_DEPTH``."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


#: Doubles with no fraction below this are written by ``JSON.stringify`` as plain integers.
_PLAIN_INTEGER_LIMIT = 1e21
_SAFE_INTEGER = 2**53


def _js_float(text: str) -> float | int:
    """A JSON number with a fraction or exponent as JS reads it; one with no fractional part
    becomes an int, so it is written back as JS writes it (``1.0`` -> ``1``, ``-0.0`` -> ``0``)."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range")
    if value.is_integer() and abs(value) < _PLAIN_INTEGER_LIMIT:
        return int(value)
    return value


def nesting_depth(raw: bytes) -> int:
    """How deeply ``[``/``{`` nest in a JSON text, strings skipped, without parsing it (0 when
    the text has too few brackets to exceed ``MAX_JSON_DEPTH`` at all)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be too deep: the common case costs two C-speed counts
    if b'"' in raw:
        # Drop escaped backslashes, then escaped quotes: what is left of a string has no
        # escapes, so one linear pass removes every string with its brackets.
        raw = _JSON_STRING.sub(b"", raw.replace(b"\\\\", b"").replace(b'\\"', b""))
    brackets = raw.translate(_NESTING, _NOT_NESTING)
    return max(accumulate(array("b", brackets)), default=0)
#: What only the number-by-number parse reads as JS does: a fraction or an exponent, or an
#: integer past 2**53 (16 digits or more). A match inside a string only costs that slower parse.
_JS_NUMBER = re.compile(rb"[0-9][.eE]|[0-9]{16}")


def _js_int(text: str) -> float | int:
    """A JSON integer as JS reads it: a double, so past 2**53 it is rounded (and written in
    exponent form from 1e21 on)."""
    value = int(text)
    if abs(value) < _SAFE_INTEGER:
        return value
    if len(text) > 300 and abs(value) > 1.7976931348623157e308:  # JS would read Infinity
        raise ValueError(f"{text[:20]}... is out of range")
    rounded = float(value)
    return int(rounded) if abs(rounded) < _PLAIN_INTEGER_LIMIT else rounded


# Built once (``json.loads`` with keyword arguments builds a decoder per call).
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_CHECKED_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_js_float, parse_int=_js_int)


def parse_json(raw: bytes) -> Any:
    """``JSON.parse`` as the server sees it: strict JSON in UTF-8; ValueError otherwise.
    Numbers past a double's range (which JS would make Infinity) and texts nested deeper than
    ``MAX_JSON_DEPTH`` are refused too (the depth is checked before parsing)."""
    if nesting_depth(raw) > MAX_JSON_DEPTH:
        raise TooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        text = raw.decode("utf-8")
        if _JS_NUMBER.search(raw) is None:  # small integers only: Python reads them as JS does
            return _DECODER.decode(text)
        return _CHECKED_DECODER.decode(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError("Invalid JSON") from exc


def _escape(match: re.Match[str]) -> str:
    return "\\u%04x" % ord(match.group())


def escape_surrogates(text: str) -> str:
    """``text`` with each lone surrogate written as JavaScript's ``\\udXXX`` escape (a valid
    pair has already been merged into one code point by Python's JSON parser)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(_escape, text)
    return text


def _finite(value: Any) -> Any:
    """A copy with non-finite floats as None (``JSON.stringify`` writes them as ``null``)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def js_number(value: Any) -> str:
    """How JavaScript writes a JSON value in text: integral numbers without ``.0``, exponents
    without leading zeros (``1e+300``); other values as ``stringify``."""
    if isinstance(value, float) and math.isfinite(value):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return re.sub(r"e([+-])0*(\d)", r"e\1\2", repr(value))
    return stringify(value)


# Built once (``json.dumps`` with keyword arguments builds an encoder per call).
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_LENIENT_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _dumps(value: Any) -> str:
    try:
        return _ENCODER.encode(value)
    except ValueError:
        return _LENIENT_ENCODER.encode(_finite(value))


def stringify(value: Any) -> str:
    """``JSON.stringify(value)``: compact, non-ASCII kept, lone surrogates escaped, so the
    text is always valid UTF-8 and ``parse_json`` gives ``value`` back."""
    return escape_surrogates(_dumps(value))


def encode(value: Any) -> bytes:
    """``stringify`` as UTF-8 bytes: every JSON answer's body (encoded once)."""
    text = _dumps(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(_escape, text).encode("utf-8")


def copy(value: Any) -> Any:
    """A deep copy of a JSON value, at C speed and with no Python recursion."""
    return json.loads(json.dumps(value))
