"""Every size, count and time limit the API enforces, in one place (contract references inline)."""

#: Trigger and per-task batch bodies, and one NDJSON batch line (triggering.md §2.3, §7).
BODY_LIMIT = 3_145_728
#: ``POST /api/v1/tasks/batch`` bodies.
TASKS_BATCH_LIMIT = 1_000_000
#: Metadata PUT bodies (runs.md §4.7).
METADATA_BODY_LIMIT = 2 * 1024 * 1024
#: A run's stored metadata, as UTF-8 bytes of its JSON (triggering.md §4.8, runs.md §4.7).
METADATA_LIMIT = 262_144
#: Tags a run may have (triggering.md §4.6, runs.md §4.6).
MAX_TAGS = 10
#: Runs in one v3 batch (triggering.md §6).
MAX_RUN_COUNT = 1000
#: How long after completion a run's metadata may still change (runs.md §4.7).
UPDATABLE_WINDOW_MS = 3_600_000
#: How long a request idempotency key replays its first answer (triggering.md §2.6).
REQUEST_KEY_TTL_MS = 86_400_000
#: How deeply JSON may nest (objects and arrays) in any body the emulator parses. Deeper
#: bodies are refused as invalid JSON before parsing (production's V8 reads deeper ones).
MAX_JSON_DEPTH = 512
#: Bytes one stored packet object may hold (the documented 10 MB task output limit).
PACKET_OBJECT_LIMIT = 10 * 1024 * 1024
#: Seconds a presigned packet URL stays valid, on the wall clock (production: 300 s).
PRESIGNED_URL_TTL_S = 300
#: The tag feed's ``createdAt`` window: default and ceiling (realtime.md §5).
REALTIME_DEFAULT_CREATED_AT = "24h"
REALTIME_MAX_CREATED_AT_MS = 86_400_000
#: Rows in one multi-run snapshot (the native backend's cap, realtime.md §5).
REALTIME_MAX_LIST_RESULTS = 1000
#: ``Timeout-Seconds`` a stream read accepts, and the SSE keep-alive interval (realtime.md §8.2).
STREAM_TIMEOUT_RANGE_S = (1, 600)
STREAM_PING_INTERVAL_S = 10.0
#: ``streams.append`` bodies (realtime.md §8.3).
STREAM_APPEND_LIMIT = 512 * 1024
#: One ingest line and one emulator-written chunk (the batch line limit).
STREAM_LINE_LIMIT = BODY_LIMIT
#: Runs one schedule may fire in one clock move (a minutely cron moved a week is 10,080); the
#: ticks past it are skipped, as production skips ticks missed during downtime.
SCHEDULE_FIRES_PER_MOVE = 20_000
