"""Waitpoint tokens (``wait.createToken`` / ``completeToken``; management.md §5), the part the
dev worker needs: create (idempotent, with a timeout on the emulator clock), complete and
retrieve. The records are the shared ``waitpoints`` (core/waitpoints.py), so a fuller token API
can take these functions over unchanged."""

from __future__ import annotations

import secrets
from typing import Any

from ..core import packets, storable
from ..core import waitpoints as wps
from ..core.errors import ApiError, NotFound
from ..core.records import Environment
from ..core.waitpoints import Waitpoint
from ..store import Tx
from . import waits
from .engine import Engine
from .unit import unit


def friendly(token_id: str) -> str:
    """Routes accept the friendly id or the bare internal one."""
    return token_id if token_id.startswith("waitpoint_") else f"waitpoint_{token_id}"


class WaitpointTokenService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @unit
    def create(self, tx: Tx, now: int, env: Environment, *, timeout_at: int | None = None, idempotency_key: str | None = None,
               key_ttl_ms: int | None = None, tags: list[str] | None = None) -> tuple[Waitpoint, bool]:
        storable.check(idempotency_key, "idempotencyKey")  # raw text columns upstream: 422, not 500
        for index, tag in enumerate(tags or []):
            storable.check(tag, f"tags[{index}]")
        if idempotency_key is not None:
            existing = tx.waitpoint_by_idempotency_key(env.id, idempotency_key)
            if existing is not None:
                expires = existing.idempotency_key_expires_at
                if expires is None or expires >= now:
                    return existing, True
                existing.inactive_idempotency_key = existing.idempotency_key
                existing.idempotency_key = secrets.token_urlsafe(18)
                tx.update_waitpoint(existing)
        wp = wps.new(
            env.id, wps.MANUAL, now, completed_after=timeout_at,
            idempotency_key=idempotency_key if idempotency_key is not None else secrets.token_urlsafe(18),
            user_provided_idempotency_key=idempotency_key is not None,
            idempotency_key_expires_at=(now + key_ttl_ms) if idempotency_key is not None and key_ttl_ms else None,
            tags=list(tags or []),
        )
        tx.insert_waitpoint(wp)
        return wp, False

    @unit
    def complete(self, tx: Tx, now: int, env: Environment | None, token_id: str, data: Any = None, *, has_data: bool = True) -> Waitpoint:
        """Complete a MANUAL waitpoint with ``data`` (a string as text, anything else as
        superjson); runs blocked on it continue. Completing twice changes nothing."""
        wp = tx.waitpoint(env.id if env is not None else None, friendly(token_id))
        if wp is None or wp.type != wps.MANUAL:
            raise NotFound("Waitpoint not found")
        if not has_data:
            output, output_type = None, None
        elif isinstance(data, str):
            storable.check(data, "data")  # kept as raw text, as upstream's stringifyIO does
            output, output_type = data, packets.TEXT
        else:
            output, output_type = packets.js_stringify({"json": data}), packets.SUPERJSON
        waits.complete(tx, wp, now, output, output_type)
        return wp

    @unit(read=True)
    def get(self, tx: Tx, now: int, env: Environment | None, token_id: str) -> Waitpoint:
        wp = tx.waitpoint(env.id if env is not None else None, friendly(token_id))
        if wp is None:
            raise ApiError(404, "Waitpoint not found")
        return wp
