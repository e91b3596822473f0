"""Friendly ids: ``run_`` / ``batch_`` + ``c`` + 24 chars of ``[0-9a-z]`` (contract §2.7)."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.digits + string.ascii_lowercase


def _body() -> str:
    # 16 random bytes cover 36**24 (2**124) possible bodies; base36 them into 24 chars.
    number = int.from_bytes(secrets.token_bytes(16), "big")
    chars = []
    for _ in range(24):
        number, digit = divmod(number, 36)
        chars.append(_ALPHABET[digit])
    return "c" + "".join(chars)


def run_id() -> str:
    return "run_" + _body()


def batch_id() -> str:
    return "batch_" + _body()


def env_id() -> str:
    """Environment ids are bare cuids upstream (no prefix)."""
    return _body()


def random_key(prefix: str = "tr_dev_") -> str:
    alphabet = string.digits + string.ascii_letters
    return prefix + "".join(secrets.choice(alphabet) for _ in range(24))
