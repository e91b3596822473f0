"""Friendly ids: ``run_`` / ``batch_`` + a 25-char cuid (contract §2.7).

Like ``@bugsnag/cuid``: ``c`` + timestamp (8) + counter (4) + fingerprint (4) + random (8),
all base36, so ids minted later sort later, which keeps list ordering by
``(createdAt, id)`` in creation order for runs created in the same millisecond.
"""

from __future__ import annotations

import itertools
import os
import random
import secrets
import string
import time

_ALPHABET = string.digits + string.ascii_lowercase
#: Every two-digit base-36 string, so a number is written two digits a step.
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_counter = itertools.count()
#: An id's random part is not a secret (cuid uses ``Math.random``); keys and tokens use ``secrets``.
_noise = random.Random(secrets.randbits(64))
os.register_at_fork(after_in_child=lambda: _noise.seed(secrets.randbits(64)))  # a forked child draws its own


def _base36(number: int, width: int) -> str:
    """``number`` in ``width`` base-36 digits (the low ones, like cuid's ``slice(-width)``)."""
    chars = []
    for _ in range(width // 2):
        number, pair = divmod(number, 1296)
        chars.append(_PAIRS[pair])
    if width % 2:
        chars.append(_ALPHABET[number % 36])
    return "".join(reversed(chars))


_FINGERPRINT = _base36(os.getpid() * 7919 + 104729, 4)


def _body() -> str:
    # _base36(n, 8) and _base36(n, 4), unrolled (a batch mints a thousand ids at once)
    pairs = _PAIRS
    stamp = int(time.time() * 1000)
    count = next(_counter)
    noise = _noise.getrandbits(41)  # 36**8 > 2**41
    return "".join((
        "c", pairs[stamp // 2176782336 % 1296], pairs[stamp // 1679616 % 1296], pairs[stamp // 1296 % 1296], pairs[stamp % 1296],
        pairs[count // 1296 % 1296], pairs[count % 1296], _FINGERPRINT,
        pairs[noise // 2176782336 % 1296], pairs[noise // 1679616 % 1296], pairs[noise // 1296 % 1296], pairs[noise % 1296],
    ))


def run_id() -> str:
    return "run_" + _body()


def batch_id() -> str:
    return "batch_" + _body()


def friendly_id(prefix: str) -> str:
    """``<prefix>_`` + a cuid: snapshots, waitpoints and workers (the bare cuid is the internal id)."""
    return f"{prefix}_" + _body()


def internal_id(friendly: str) -> str:
    """``run_abc`` -> ``abc``: the id the engine API shows beside a friendly id."""
    return friendly.split("_", 1)[1] if "_" in friendly else friendly


def env_id() -> str:
    """Environment ids are bare cuids upstream (no prefix)."""
    return _body()


def random_key(prefix: str = "tr_dev_") -> str:
    alphabet = string.digits + string.ascii_letters
    return prefix + "".join(secrets.choice(alphabet) for _ in range(24))
