"""Text production cannot store: lone UTF-16 surrogates and NUL characters.

``JSON.parse`` accepts both (``"\\ud83d"`` is what ``JSON.stringify`` writes for a string cut
inside an emoji), but production's database refuses them in every raw text column: Prisma's
engine rejects a lone surrogate, Postgres ``text`` a NUL (SQLSTATE 22021). Production answers
500 there; the emulator answers 422 naming the first offending field, before anything is
written, so nothing is stored that could not be read back. Values production passes through
``JSON.stringify`` (JSON payloads, metadata, outputs) are stored losslessly instead, and the
two keys production cleans (``idempotencyKeyOptions.key``, ``debounce.key``) lose their NULs.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from .errors import ApiError

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_MESSAGE = "contains an unpaired UTF-16 surrogate, which Trigger.dev cannot store"
_NUL_MESSAGE = "contains a NUL character, which Trigger.dev cannot store"
#: Option fields production cleans of NUL instead of failing (``removeNullBytes``).
NUL_STRIPPED = ("idempotencyKeyOptions.key", "debounce.key")


class Unstorable(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(422, message)


def has_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def problem(text: str, *, nul: bool = True) -> str | None:
    """Why ``text`` cannot be stored as raw text, or None."""
    if has_surrogate(text):
        return _SURROGATE_MESSAGE
    if nul and "\x00" in text:
        return _NUL_MESSAGE
    return None


def check(text: Any, path: str, *, nul: bool = True) -> None:
    """422 when ``text`` (a string, else ignored) cannot be stored."""
    if isinstance(text, str):
        reason = problem(text, nul=nul)
        if reason is not None:
            raise Unstorable(f"{path} {reason}")


def check_all(value: Any, path: str, *, skip: tuple[str, ...] = (), nul_stripped: tuple[str, ...] = ()) -> None:
    """422 for the first string anywhere in ``value`` that cannot be stored; ``skip`` names
    sub-paths stored as JSON (lossless), ``nul_stripped`` those whose NULs are dropped."""
    for where, text in _strings(value, ""):
        if where in skip or any(where.startswith(s + ".") or where.startswith(s + "[") for s in skip):
            continue
        check(text, f"{path}.{where}" if path and where else (path or where), nul=where not in nul_stripped)


def strip_nul(text: str) -> str:
    return text.replace("\x00", "")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON value with its JS-style path, iteratively (no recursion)."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                stack.append((f"{where}.{key}" if where else str(key), child))
        elif isinstance(item, list):
            for index in range(len(item) - 1, -1, -1):
                stack.append((f"{where}[{index}]", item[index]))
