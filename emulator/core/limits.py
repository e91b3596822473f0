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
#: Runs one schedule may fire in one clock move (a minutely cron moved a week is 10,080); the
#: ticks past it are skipped, as production skips ticks missed during downtime.
SCHEDULE_FIRES_PER_MOVE = 20_000
