"""Waitpoint tokens (management.md §5): create (idempotent), retrieve, list, complete and the
callback URL. Tokens are MANUAL waitpoints, the same records the run engine blocks runs on
(service/waits.py): completing one continues the runs waiting on it (``wait.forToken``), and
its timeout falls due on the emulator clock inside ``Engine.apply_due``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core import storable, waitpoints
from ..core.errors import ApiError, NotFound
from ..core.records import Environment
from ..core.waitpoints import TokenQuery, Waitpoint
from ..store import Tx
from . import waits
from .engine import Engine
from .unit import unit


@dataclass
class Listed:
    tokens: list[Waitpoint]
    next: str | None
    previous: str | None


class WaitpointService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @unit
    def create(self, tx: Tx, now: int, env: Environment, body: waitpoints.CreateTokenBody) -> tuple[Waitpoint, bool]:
        """Returns ``(token, is_cached)``. A live idempotency key returns its waitpoint whatever
        its status; an expired one is retired and a new token made."""
        tags = waitpoints.tag_list(body.tags)
        too_many = waitpoints.check_tag_count(tags)
        if too_many:
            raise ApiError(422, too_many)
        key = body.idempotencyKey
        storable.check(key, "idempotencyKey")  # raw text columns upstream: 422, not 500
        for index, tag in enumerate(tags):
            storable.check(tag, f"tags[{index}]")
        if key is not None:
            existing = tx.waitpoint_by_idempotency_key(env.id, key)
            if existing is not None:
                if not waitpoints.key_expired(existing, now):
                    return existing, True
                waitpoints.retire_key(existing)
                tx.update_waitpoint(existing)
        token = waitpoints.new(
            env.id, waitpoints.MANUAL, now,
            idempotency_key=key,
            idempotency_key_expires_at=waitpoints.key_expires_at(body.idempotencyKeyTTL, now) if key is not None else None,
            completed_after=waitpoints.timeout_at(body.timeout, "timeout" in body.model_fields_set, now),
            tags=tags,
        )
        tx.insert_waitpoint(token)
        return token, False

    @unit(read=True)
    def retrieve(self, tx: Tx, now: int, env: Environment, token_id: str) -> Waitpoint:
        token = tx.waitpoint(env.id, waitpoints.friendly(token_id))
        if token is None:
            raise NotFound(waitpoints.NOT_FOUND)
        return token

    @unit(read=True)
    def list(self, tx: Tx, now: int, env: Environment, query: TokenQuery) -> Listed:
        rows = tx.tokens(env.id, query)
        tokens, nxt, previous = waitpoints.page(rows, query)
        return Listed(tokens, nxt, previous)

    @unit
    def complete(self, tx: Tx, now: int, env: Environment | None, token_id: str, data: Any, sent: bool) -> Waitpoint:
        """``data`` as sent (``sent`` False: no ``data`` key, no output); ``env`` None: any
        environment's. Completing a completed or timed-out token changes nothing; a run
        waiting on it (``wait.forToken``) continues."""
        token = tx.waitpoint(None if env is None else env.id, waitpoints.friendly(token_id))
        if token is None:
            raise NotFound(waitpoints.NOT_FOUND)
        output, output_type = waitpoints.stringify_io(data) if sent else (None, None)
        waits.complete(tx, token, now, output, output_type)
        return token

    @unit
    def callback(self, tx: Tx, now: int, token_id: str, given_hash: str, body: Any) -> None:
        """``POST …/callback/{hash}``: no auth, the URL's HMAC is the credential."""
        token = tx.waitpoint(None, waitpoints.friendly(token_id))
        env = None if token is None else tx.environment_by_id(token.env_id)
        if token is None or env is None:
            raise NotFound(waitpoints.NOT_FOUND)
        if not waitpoints.hash_matches(token, given_hash, env.api_key):
            raise ApiError(401, "Invalid URL, hash doesn't match")
        output, output_type = waitpoints.stringify_io(body)
        waits.complete(tx, token, now, output, output_type)

    @unit(read=True)
    def all(self, tx: Tx, now: int, env_ids: list[str] | None = None, newest: int | None = None) -> list[Waitpoint]:
        """Tokens (MANUAL waitpoints), oldest first; ``newest``: the newest that many, newest first."""
        return tx.all_tokens(env_ids, newest)

    @unit(read=True)
    def find(self, tx: Tx, now: int, token_id: str) -> Waitpoint | None:
        return tx.waitpoint(None, waitpoints.friendly(token_id))
