"""JavaScript's number conversions: ``Number(string)`` (what ``z.coerce.number()`` does to a
header or query value) and ``String(number)`` (how a number is printed in a message)."""

from __future__ import annotations

import math
import re
from decimal import Decimal

# ECMAScript WhiteSpace and LineTerminator, which ``Number()`` trims.
JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_RADIX = {"x": (re.compile(r"[0-9a-fA-F]+"), 16), "o": (re.compile(r"[0-7]+"), 8), "b": (re.compile(r"[01]+"), 2)}


def number(text: str) -> float:
    """``Number(text)``: NaN for anything that is not a JS numeric string ("" is 0)."""
    stripped = text.strip(JS_SPACE)
    if not stripped:
        return 0.0
    if len(stripped) > 2 and stripped[0] == "0" and stripped[1].lower() in _RADIX:
        pattern, base = _RADIX[stripped[1].lower()]
        return float(int(stripped[2:], base)) if pattern.fullmatch(stripped[2:]) else math.nan
    if not _DECIMAL.fullmatch(stripped):
        return math.nan
    return float(stripped.replace("Infinity", "inf"))


def to_string(value: float | int) -> str:
    """``String(value)`` for a number: ``1.5``, ``10000000000000000``, ``1e+21``, ``1e-7``."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    _, digits_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digits_tuple))
    k = len(digits)
    n = exponent + k  # the decimal point sits after n digits
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = f"{mantissa}e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return sign + text
