"""What one trigger asks for, decided in plain Python (contract triggering.md §3-4).

``prepare`` turns a validated body into a draft run plus the idempotency and debounce
requests; the engine then resolves those against stored state. Nothing here touches SQL
or HTTP; errors carry the contract's status and message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import ids, packets, storable, transitions
from .durations import (
    IDEMPOTENCY_DEFAULT_TTL_MS,
    idempotency_ttl_ms,
    parse_duration_ms,
    resolve_delay,
    stringify_duration,
)
from .errors import ApiError
from .records import DELAYED, PENDING, Environment, Run
from .schemas import BatchItem, Debounce, TriggerBody, TriggerOptions

METADATA_LIMIT = 262_144
_QUEUE_CHARS = re.compile(r"[^a-zA-Z0-9_\-/]")
_INT4_MAX = 2_147_483_647
#: Options production only parses (a bad one is ignored or reported) or sanitizes before storing.
_PARSED_ONLY = ("delay", "idempotencyKeyTTL", "debounce.delay", "debounce.maxDelay", "queue.name")
_DURATION_FORMATS = (
    "Supported formats: {number}s, {number}m, {number}h or {number}hr, {number}d, {number}w, "
    'optionally combined (for example "2h30m").'
)


#: ``options.delay`` was not sent (JSON ``null`` is sent: zod coerces it to the epoch).
_ABSENT = object()


class Unprocessable(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(422, message)


@dataclass
class Draft:
    """A run not yet stored, and what must be checked against stored state first."""

    run: Run
    idempotency_key: str | None
    idempotency_ttl_ms: int
    debounce: Debounce | None
    metadata_too_large: bool


#: A trigger sent without options reads these (never changed: each use only reads it).
_NO_OPTIONS = TriggerOptions()


def options_record(options: TriggerOptions) -> dict[str, Any]:
    """The options as stored on the run: validated fields as JSON, ``metadata`` as sent (user
    JSON is never round-tripped through the models, whose serializer has a depth limit)."""
    out = options.model_dump(exclude_unset=True, mode="json", exclude={"metadata"})
    if "metadata" in options.model_fields_set:
        out["metadata"] = options.metadata
    return out


def check_storable(body: TriggerBody, *, batch_item: bool = False, where: str = "") -> None:
    """422 for text production's database cannot store (``storable``), after schema
    validation and before anything is written; NULs production strips are stripped here."""
    options = body.options or _NO_OPTIONS
    prefix = f"{where}." if where else ""
    payload_type = options.payloadType or packets.JSON
    if isinstance(body.payload, str) and (batch_item or payload_type != packets.JSON):
        storable.check(body.payload, f"{prefix}payload")  # kept verbatim, not as JSON
    if body.options is None:
        return  # no option text to check
    skip = _PARSED_ONLY
    if options.metadataType in (None, packets.JSON) or not isinstance(options.metadata, str):
        skip += ("metadata",)  # stored as JSON.stringify writes it: lossless
    dumped = options.model_dump(exclude_unset=True, exclude={"metadata"})
    if "metadata" in options.model_fields_set and "metadata" not in skip:
        dumped["metadata"] = options.metadata
    storable.check_all(dumped, f"{prefix}options", skip=skip, nul_stripped=storable.NUL_STRIPPED)
    if options.idempotencyKeyOptions is not None:
        options.idempotencyKeyOptions.key = storable.strip_nul(options.idempotencyKeyOptions.key)
    if options.debounce is not None:
        options.debounce.key = storable.strip_nul(options.debounce.key)


def normalize_tags(tags: str | list[str] | None) -> list[str]:
    """A string becomes ``[string]``; blank tags are dropped; order and duplicates kept."""
    if tags is None:
        return []
    items = [tags] if isinstance(tags, str) else list(tags)
    return [t for t in items if t.strip()]


def check_tag_count(tags: Any) -> None:
    """Counted before blanks are dropped; a single string is never counted (a quirk)."""
    if isinstance(tags, list) and len(tags) > 10:
        raise Unprocessable(f"Runs can only have 10 tags, you're trying to set {len(tags)}.")


def queue_name(options: TriggerOptions, task: str) -> str:
    if options.queue is not None:
        name = _QUEUE_CHARS.sub("", options.queue.name)[:128]
        if name:
            return name
    return f"task/{task}"


def effective_ttl(options: TriggerOptions, env: Environment, dev_default: str) -> str | None:
    """Per-trigger ttl, else the development default; numeric ``0`` means none at all."""
    ttl = options.ttl
    if isinstance(ttl, int):
        return stringify_duration(ttl)
    if isinstance(ttl, str):
        return ttl
    if env.type == "DEVELOPMENT":
        return dev_default or None
    return None


def validate_debounce(debounce: Debounce, delay_option: Any, now: int) -> int:
    """§4.5.1: the 422s in the server's order (``triggerTask.server.ts``). Returns the initial
    ``delayUntil``: the explicit ``delay`` when one was sent (JS ``??``), else ``debounce.delay``.

    ``delay_option`` is ``_ABSENT`` when the trigger sent no ``delay``."""
    d = debounce.delay
    initial = resolve_delay(d if delay_option is _ABSENT else delay_option, now)
    if initial is None:
        raise Unprocessable(f"Debounce requires a valid delay duration. Provided: {d}")
    if resolve_delay(d, now) is None:
        raise Unprocessable(f"Invalid debounce delay: {d}. {_DURATION_FORMATS}")
    delay_ms = parse_duration_ms(d)
    if delay_ms is None:  # only a future date gets here
        raise Unprocessable(
            f"Invalid debounce delay: {d}. debounce.delay must be a duration, not a date, because it is "
            f"re-applied every time the run is pushed back. {_DURATION_FORMATS}"
        )
    if debounce.maxDelay is not None:
        max_ms = parse_duration_ms(debounce.maxDelay)
        if max_ms is None:
            raise Unprocessable(f"Invalid debounce maxDelay: {debounce.maxDelay}. {_DURATION_FORMATS}")
        if max_ms <= delay_ms:
            raise Unprocessable(
                f"debounce.maxDelay ({debounce.maxDelay}) must be longer than debounce.delay ({d}). "
                "A debounced run is only pushed back while it stays inside maxDelay, so with these values "
                "every trigger would create its own run."
            )
    return initial


def prepare(
    env: Environment,
    task: str,
    body: TriggerBody | BatchItem,
    now: int,
    *,
    dev_default_ttl: str,
    header_key: str | None = None,
    header_ttl: str | None = None,
    batch_item: bool = False,
    checked: bool = False,
) -> Draft:
    """The run a trigger makes (a batch item reads as a trigger body); ``checked``:
    ``check_storable`` already ran on ``body``."""
    if not checked:
        check_storable(body, batch_item=batch_item)
    options = body.options or _NO_OPTIONS
    payload_type = options.payloadType or packets.JSON
    payload_sent = "payload" in body.model_fields_set

    check_tag_count(options.tags)
    delay = options.delay if "delay" in options.model_fields_set else _ABSENT
    delay_until = None if delay is _ABSENT else resolve_delay(delay, now)
    if options.debounce is not None:
        delay_until = validate_debounce(options.debounce, delay, now)

    store_payload = packets.store_batch_payload if batch_item else packets.store_trigger_payload
    metadata_type = options.metadataType or packets.JSON
    metadata = packets.store_metadata(options.metadata, metadata_type)
    # The header wins even when it is "" (only a missing header falls back to the body); an
    # empty key is stored as it is, with no expiry, and never looked up (§4.4).
    key = header_key if header_key is not None else options.idempotencyKey
    # An invalid or empty TTL header falls back to the body's TTL, then to 30 days.
    key_ttl = idempotency_ttl_ms(header_ttl, options.idempotencyKeyTTL) if key is not None else IDEMPOTENCY_DEFAULT_TTL_MS

    max_duration = None
    if options.maxDuration is not None:
        max_duration = int(min(max(options.maxDuration, 5), _INT4_MAX))
    priority_ms = 0
    if options.priority is not None:
        priority_ms = round(max(min(options.priority * 1000.0, _INT4_MAX), -_INT4_MAX - 1))  # clamped before rounding: 1e306 s is no overflow

    run = Run(
        id=ids.run_id(),
        env_id=env.id,
        task=task,
        status=PENDING,
        created_at=now,
        updated_at=now,
        payload=store_payload(body.payload, payload_type, present=payload_sent),
        payload_type=payload_type,
        metadata=metadata,
        metadata_type=metadata_type,
        seed_metadata=metadata,
        seed_metadata_type=metadata_type,
        options=options_record(options) if body.options is not None else {},
        tags=normalize_tags(options.tags),
        idempotency_key=key,
        idempotency_key_expires_at=(now + key_ttl) if key else None,
        idempotency_key_options=(
            options.idempotencyKeyOptions.model_dump(mode="json") if options.idempotencyKeyOptions else None
        ),
        queue=queue_name(options, task),
        concurrency_key=options.concurrencyKey,
        machine=options.machine,
        max_attempts=None if options.maxAttempts is None else max(min(options.maxAttempts, _INT4_MAX), -_INT4_MAX - 1),
        max_duration=max_duration,
        priority_ms=priority_ms,
        is_test=bool(options.test),
        lock_to_version=options.lockToVersion,
        ttl=effective_ttl(options, env, dev_default_ttl),
        debounce_key=options.debounce.key if options.debounce else None,
    )
    run.events = [[PENDING, now]]
    if delay_until is not None:
        run.status = DELAYED
        run.events = [[DELAYED, now]]
        run.delay_until = delay_until
        transitions.refresh_due(run)
    else:
        transitions.enqueue(run, now)
        run.events = [[PENDING, now]]
    return Draft(
        run=run,
        idempotency_key=key,
        idempotency_ttl_ms=key_ttl,
        debounce=options.debounce,
        metadata_too_large=packets.utf8_size(metadata) > METADATA_LIMIT,
    )


def push_debounced(existing: Run, draft: Draft, now: int) -> bool:
    """§4.5.2: push ``existing`` later for a new trigger. False when ``maxDelay`` is exceeded
    and a new run must be created instead."""
    debounce = draft.debounce
    assert debounce is not None
    new_until = (now + (parse_duration_ms(debounce.delay) or 0)) // 1000 * 1000
    if debounce.maxDelay is not None:
        bound = existing.created_at + (parse_duration_ms(debounce.maxDelay) or 0)
        if new_until > bound:
            return False
    if existing.delay_until is None or new_until > existing.delay_until:
        existing.delay_until = new_until
    if debounce.mode == "trailing":
        incoming = draft.run
        existing.payload = incoming.payload
        existing.payload_type = incoming.payload_type
        existing.metadata = incoming.metadata
        existing.metadata_type = incoming.metadata_type
        existing.tags = list(incoming.tags)
        existing.max_attempts = incoming.max_attempts
        existing.max_duration = incoming.max_duration
        existing.machine = incoming.machine
    existing.updated_at = now
    transitions.refresh_due(existing)
    return True
