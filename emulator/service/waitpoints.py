"""Waitpoint tokens (management.md §5): create (idempotent), retrieve, list, complete, the
callback URL, and timeouts that fall due on the emulator clock inside ``Engine.apply_due``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core import ids, waitpoints
from ..core.errors import ApiError, NotFound
from ..core.records import Environment
from ..core.waitpoints import TokenQuery, Waitpoint
from ..store import Tx
from .engine import Engine
from .unit import unit


@dataclass
class Listed:
    tokens: list[Waitpoint]
    next: str | None
    previous: str | None


class WaitpointTimeouts:
    """The ``DueSource`` of token timeouts."""

    def earliest_due(self, tx: Tx, until: int) -> int | None:
        due = tx.due_waitpoints(until, limit=1)
        return due[0].due_at if due else None

    def apply_until(self, tx: Tx, until: int) -> int:
        applied = 0
        while True:
            due = tx.due_waitpoints(until)
            if not due:
                return applied
            for waitpoint in due:
                if waitpoints.apply_due(waitpoint, until):
                    applied += 1
                tx.update_waitpoint(waitpoint)


class WaitpointService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.timeouts = WaitpointTimeouts()

    @unit
    def create(self, tx: Tx, now: int, env: Environment, body: waitpoints.CreateTokenBody) -> tuple[Waitpoint, bool]:
        """Returns ``(token, is_cached)``. A live idempotency key returns its token whatever
        its status; an expired one is retired and a new token made."""
        tags = waitpoints.tag_list(body.tags)
        too_many = waitpoints.check_tag_count(tags)
        if too_many:
            raise ApiError(422, too_many)
        key = body.idempotencyKey
        if key is not None:
            existing = tx.waitpoint_by_key(env.id, key)
            if existing is not None:
                if not waitpoints.key_expired(existing, now):
                    return existing, True
                waitpoints.retire_key(existing)
                tx.update_waitpoint(existing)
        timeout = waitpoints.timeout_at(body.timeout, "timeout" in body.model_fields_set, now)
        token = Waitpoint(
            id=ids.env_id(),  # a bare cuid
            env_id=env.id,
            status=waitpoints.PENDING,
            idempotency_key=key if key is not None else waitpoints.random_key(),
            user_provided_key=key is not None,
            created_at=now,
            idempotency_key_expires_at=waitpoints.key_expires_at(body.idempotencyKeyTTL, now) if key is not None else None,
            completed_after=timeout,
            tags=tags,
            due_at=None if timeout is None else max(timeout, now),
        )
        tx.insert_waitpoint(token)
        return token, False

    @unit(read=True)
    def retrieve(self, tx: Tx, now: int, env: Environment, token_id: str) -> Waitpoint:
        token = tx.waitpoint(env.id, waitpoints.internal_id(token_id))
        if token is None:
            raise NotFound(waitpoints.NOT_FOUND)
        return token

    @unit(read=True)
    def list(self, tx: Tx, now: int, env: Environment, query: TokenQuery) -> Listed:
        rows = tx.waitpoints(env.id, query)
        tokens, nxt, previous = waitpoints.page(rows, query)
        return Listed(tokens, nxt, previous)

    @unit
    def complete(self, tx: Tx, now: int, env: Environment | None, token_id: str, data: Any, sent: bool) -> Waitpoint:
        """``data`` as sent (``sent`` False: no ``data`` key, no output). Completing a
        completed or timed-out token changes nothing."""
        token = tx.waitpoint(None if env is None else env.id, waitpoints.internal_id(token_id))
        if token is None:
            raise NotFound(waitpoints.NOT_FOUND)
        output, output_type = waitpoints.stringify_io(data) if sent else (None, None)
        if waitpoints.complete(token, output, output_type, now):
            tx.update_waitpoint(token)
        return token

    @unit
    def callback(self, tx: Tx, now: int, token_id: str, given_hash: str, body: Any) -> None:
        """``POST …/callback/{hash}``: no auth, the URL's HMAC is the credential."""
        token = tx.waitpoint(None, waitpoints.internal_id(token_id))
        env = None if token is None else tx.environment_by_id(token.env_id)
        if token is None or env is None:
            raise NotFound(waitpoints.NOT_FOUND)
        if not waitpoints.hash_matches(token.id, given_hash, env.api_key):
            raise ApiError(401, "Invalid URL, hash doesn't match")
        output, output_type = waitpoints.stringify_io(body)
        if waitpoints.complete(token, output, output_type, now):
            tx.update_waitpoint(token)

    @unit(read=True)
    def all(self, tx: Tx, now: int, env_ids: list[str] | None = None, newest: int | None = None) -> list[Waitpoint]:
        return tx.all_waitpoints(env_ids, newest)

    @unit(read=True)
    def find(self, tx: Tx, now: int, token_id: str) -> Waitpoint | None:
        return tx.waitpoint(None, waitpoints.internal_id(token_id))
