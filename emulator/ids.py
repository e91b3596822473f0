"""Friendly ids: ``run_`` / ``batch_`` + ``c`` + 24 chars of ``[0-9a-z]`` (contract §2.7)."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.digits + string.ascii_lowercase


def _body() -> str:
    return "c" + "".join(secrets.choice(_ALPHABET) for _ in range(24))


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
