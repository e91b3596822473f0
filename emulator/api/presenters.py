"""Runs as the API shows them (runs.md §3): optional fields left out, never ``null``."""

from __future__ import annotations

from typing import Any

from ..core import packets, transitions
from ..core.clock import iso, real_time_s
from ..core.metadata import strip_stream_keys
from ..core.presigned import UrlSigner
from ..core.records import Run, boolean_helpers
from ..service import Retrieved


def _locale_key(tag: str) -> tuple:
    # JS localeCompare (ICU root collation) approximated: case-insensitive first, lower before upper.
    return (tag.casefold(), tag.swapcase())


def sorted_tags(tags: list[str]) -> list[str]:
    return sorted(tags, key=_locale_key)


def user_idempotency_key(run: Run) -> str | None:
    """``getUserProvidedIdempotencyKey``: the user's key when valid ``idempotencyKeyOptions``
    (``{key: string, scope: run|attempt|global}``) were sent, even after the key was released;
    else the stored key (the hash), None once released."""
    options = run.idempotency_key_options
    if options and isinstance(options.get("key"), str) and options.get("scope") in ("run", "attempt", "global"):
        return options["key"]
    return run.idempotency_key


def common_fields(run: Run) -> dict[str, Any]:
    out: dict[str, Any] = {"id": run.id, "status": run.public_status, "taskIdentifier": run.task}
    key = user_idempotency_key(run)
    if key is not None:
        out["idempotencyKey"] = key
    if run.lock_to_version:
        out["version"] = run.lock_to_version
    out.update(boolean_helpers(run.status))
    out["isTest"] = run.is_test
    out["createdAt"] = iso(run.created_at)
    out["updatedAt"] = iso(run.updated_at)
    if run.started_at is not None:
        out["startedAt"] = iso(run.started_at)
    if run.completed_at is not None:
        out["finishedAt"] = iso(run.completed_at)
    if run.delay_until is not None:
        out["delayedUntil"] = iso(run.delay_until)
    if run.ttl:
        out["ttl"] = run.ttl
    if run.expired_at is not None:
        out["expiredAt"] = iso(run.expired_at)
    out["tags"] = sorted_tags(run.tags)
    out["costInCents"] = 0
    out["baseCostInCents"] = 0
    out["durationMs"] = transitions.duration_ms(run)
    metadata = packets.parse_metadata(run.metadata, run.metadata_type)
    if metadata is not None:
        out["metadata"] = metadata
    return out


def related_run(run: Run) -> dict[str, Any]:
    out = common_fields(run)
    out["depth"] = run.depth
    out["triggerFunction"] = run.trigger_function
    if run.batch_id:
        out["batchId"] = run.batch_id
    return out


def base_url(request, configured: str) -> str:
    """The address the caller reached us on (what the dev worker's CLI is told). Served, the
    Host has passed the site guard's allow-list; packet URLs never use it (``_packet_url``)."""
    host = request.headers.get("host")
    return f"{request.scope.get('scheme', 'http')}://{host}" if host else configured


def _packet_url(base: str, run: Run, data: str | None, signer: UrlSigner) -> str:
    """A presigned GET URL at the server's own base URL (never the request's Host)."""
    return signer.url(base, "GET", run.env_id, data or "", real_time_s())


def list_item(run: Run, env) -> dict[str, Any]:
    """A ``GET /api/v1/runs`` item: the stored key (the hash; left out when released or ""),
    list-specific fallbacks, ``env``."""
    out = common_fields(run)
    out.pop("idempotencyKey", None)
    if run.idempotency_key:
        out["idempotencyKey"] = run.idempotency_key
    if run.is_final and "finishedAt" not in out:
        out["finishedAt"] = iso(run.updated_at)
    if "metadata" in out:
        out["metadata"] = strip_stream_keys(out["metadata"])
    out["depth"] = run.depth
    out["taskKind"] = "STANDARD"
    out["env"] = {"id": env.id, "name": env.slug}
    return out


def retrieve(found: Retrieved, base_url: str, signer: UrlSigner) -> dict[str, Any]:
    run = found.run
    out = related_run(run)

    def put_packet(name: str, data: str | None, data_type: str) -> None:
        """``<name>``, or ``<name>PresignedUrl`` for a packet kept in object storage."""
        if data_type == packets.STORE and data:
            out[f"{name}PresignedUrl"] = _packet_url(base_url, run, data, signer)
        elif not packets.is_missing(value := packets.present(data, data_type)):
            out[name] = value

    put_packet("payload", run.payload, run.payload_type)
    if run.status == "COMPLETED_SUCCESSFULLY":
        put_packet("output", run.output, run.output_type)
    error = transitions.error_for_api(run.error)
    if error is not None:
        out["error"] = error
    if found.schedule is not None:
        out["schedule"] = schedule_details(found.schedule)
    related: dict[str, Any] = {}
    if found.root is not None:
        related["root"] = related_run(found.root)
    if found.parent is not None:
        related["parent"] = related_run(found.parent)
    related["children"] = [related_run(child) for child in found.children]
    out["relatedRuns"] = related
    out["attemptCount"] = run.attempt_count
    out["attempts"] = []
    return out


def schedule_details(schedule) -> dict[str, Any]:
    """``RunScheduleDetails``: the user's own deduplication key only."""
    out: dict[str, Any] = {"id": schedule.id}
    if schedule.external_id is not None:
        out["externalId"] = schedule.external_id
    if schedule.user_dedup_key:
        out["deduplicationKey"] = schedule.dedup_key
    out["generator"] = {"type": "CRON", "expression": schedule.cron, "description": schedule.description}
    return out


def batch_v2(view) -> dict[str, Any]:
    """``GET /api/v2/batches/{id}`` (runs.md §4.8)."""
    batch = view.batch
    out: dict[str, Any] = {"id": batch.id, "status": view.status}
    if batch.idempotency_key is not None:
        out["idempotencyKey"] = batch.idempotency_key
    out["createdAt"] = iso(batch.created_at)
    out["updatedAt"] = iso(batch.updated_at)
    if batch.processing_completed_at is not None:
        out["processingCompletedAt"] = iso(batch.processing_completed_at)
    out["runCount"] = batch.run_count
    out["runs"] = view.run_ids
    processing: dict[str, Any] = {}
    if batch.processing_completed_at is not None:
        processing["completedAt"] = iso(batch.processing_completed_at)
    processing["errors"] = [dict(e) for e in batch.errors]
    out["processing"] = processing
    return out


def batch_v1(view) -> dict[str, Any]:
    """``GET /api/v1/batches/{id}``: no ``processing``; once processed, the counts of items that
    got a run (pre-failed ones included) and of items that got none (not run outcomes);
    ``errors`` when non-empty."""
    out = batch_v2(view)
    out.pop("processing")
    out.pop("processingCompletedAt", None)
    if view.batch.processing_completed_at is not None:
        out["successfulRunCount"] = len(view.run_ids)
        out["failedRunCount"] = len(view.batch.errors)
    if view.batch.errors:
        out["errors"] = [dict(e) for e in view.batch.errors]
    return out
