"""The database schema, created on open (idempotent)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS environments (
    id TEXT PRIMARY KEY,
    api_key TEXT NOT NULL,
    type TEXT NOT NULL,
    branch TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (api_key, branch)
);
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    env_id TEXT NOT NULL,
    task TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    payload TEXT, payload_type TEXT NOT NULL,
    metadata TEXT, metadata_type TEXT NOT NULL,
    seed_metadata TEXT, seed_metadata_type TEXT NOT NULL,
    options TEXT NOT NULL,
    tags TEXT NOT NULL,
    idempotency_key TEXT, idempotency_key_expires_at INTEGER, idempotency_key_options TEXT,
    queue TEXT NOT NULL, concurrency_key TEXT, machine TEXT,
    max_attempts INTEGER, max_duration INTEGER, priority_ms INTEGER NOT NULL,
    is_test INTEGER NOT NULL, lock_to_version TEXT,
    ttl TEXT, delay_until INTEGER, queued_at INTEGER, expire_at INTEGER, expired_at INTEGER,
    started_at INTEGER, completed_at INTEGER, attempt_count INTEGER NOT NULL,
    output TEXT, output_type TEXT NOT NULL, error TEXT,
    batch_id TEXT, batch_index INTEGER,
    parent_id TEXT, root_id TEXT, depth INTEGER NOT NULL, trigger_function TEXT NOT NULL,
    debounce_key TEXT,
    due_at INTEGER,
    events TEXT NOT NULL,
    realtime_streams TEXT NOT NULL DEFAULT '[]',
    version INTEGER NOT NULL DEFAULT 0,
    created_version INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS runs_idempotency
    ON runs (env_id, task, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_due ON runs (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_env_created ON runs (env_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_env_task_created ON runs (env_id, task, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_task ON runs (task, seq);
CREATE INDEX IF NOT EXISTS runs_env_status_created ON runs (env_id, status, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_batch ON runs (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_parent ON runs (parent_id) WHERE parent_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS run_tags (
    run_id TEXT NOT NULL,
    env_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    created_at INTEGER
);
CREATE INDEX IF NOT EXISTS run_tags_run ON run_tags (run_id);
CREATE TABLE IF NOT EXISTS debounces (
    env_id TEXT NOT NULL,
    task TEXT NOT NULL,
    key TEXT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (env_id, task, key)
);
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    env_id TEXT NOT NULL,
    status TEXT NOT NULL,
    run_count INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sealed INTEGER NOT NULL,
    api TEXT NOT NULL,
    idempotency_key TEXT,
    idempotency_key_options TEXT,
    task_identifiers TEXT,
    parent_run_id TEXT,
    resume_parent INTEGER NOT NULL,
    processing_completed_at INTEGER,
    errors TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS batches_idempotency
    ON batches (env_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS batch_items (
    batch_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    body TEXT NOT NULL,
    run_id TEXT,
    PRIMARY KEY (batch_id, idx)
);
CREATE TABLE IF NOT EXISTS request_keys (
    env_id TEXT NOT NULL,
    key TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (env_id, key)
);
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- The change counter: every unit of work that writes runs takes the next number and stamps
-- it on them (runs.version), so a realtime offset means "changes after N", across restarts.
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT OR IGNORE INTO changes (id, version) VALUES (1, 0);
-- Realtime stream records: one NDJSON line each, in order per (run, stream).
CREATE TABLE IF NOT EXISTS stream_records (
    run_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    idx INTEGER NOT NULL,
    client_id TEXT NOT NULL,
    chunk_index INTEGER NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, stream, idx)
);
CREATE TABLE IF NOT EXISTS versions (
    env_id TEXT NOT NULL,
    version TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (env_id, version)
);
CREATE TABLE IF NOT EXISTS objects (
    env_id TEXT NOT NULL,
    path TEXT NOT NULL,
    content_type TEXT,
    data BLOB,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (env_id, path)
);
-- The dev worker's run engine (dev-worker protocol): snapshots, waitpoints (tokens too), workers, task logs.
-- Workers belong to an environment's key, not its id: they outlive a state reset, as the CLI does.
CREATE TABLE IF NOT EXISTS snapshots (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL,
    description TEXT NOT NULL,
    run_status TEXT NOT NULL,
    attempt_number INTEGER,
    created_at INTEGER NOT NULL,
    worker_id TEXT,
    batch_id TEXT,
    completed_waitpoints TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshots_run ON snapshots (run_id, seq);
CREATE TABLE IF NOT EXISTS waitpoints (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    env_id TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    completed_after INTEGER,
    completed_at INTEGER,
    output TEXT, output_type TEXT NOT NULL, output_is_error INTEGER NOT NULL,
    run_id TEXT,
    batch_id TEXT,
    idempotency_key TEXT,
    user_provided_idempotency_key INTEGER NOT NULL,
    idempotency_key_expires_at INTEGER,
    inactive_idempotency_key TEXT,
    tags TEXT NOT NULL,
    due_at INTEGER
);
CREATE INDEX IF NOT EXISTS waitpoints_pending_run ON waitpoints (run_id) WHERE status = 'PENDING' AND run_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS waitpoints_run ON waitpoints (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS waitpoints_pending_type ON waitpoints (type) WHERE status = 'PENDING';
CREATE INDEX IF NOT EXISTS waitpoints_batch ON waitpoints (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS waitpoints_env_type ON waitpoints (env_id, type, id);
CREATE UNIQUE INDEX IF NOT EXISTS waitpoints_idempotency
    ON waitpoints (env_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Which waitpoints block which run (the server's TaskRunWaitpoint), with a batch child's index.
CREATE TABLE IF NOT EXISTS run_waitpoints (
    run_id TEXT NOT NULL,
    waitpoint_id TEXT NOT NULL,
    batch_id TEXT,
    batch_index INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, waitpoint_id)
);
CREATE INDEX IF NOT EXISTS run_waitpoints_waitpoint ON run_waitpoints (waitpoint_id);
CREATE TABLE IF NOT EXISTS workers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    api_key TEXT NOT NULL,
    version TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    tasks TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS workers_key ON workers (api_key, seq);
CREATE TABLE IF NOT EXISTS run_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS run_logs_run ON run_logs (run_id, seq);
-- The management API (schedules, env vars, queues; its waitpoint tokens are the waitpoints above).
CREATE TABLE IF NOT EXISTS env_vars (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    env_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    is_secret INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (env_id, name)
);
CREATE INDEX IF NOT EXISTS env_vars_name ON env_vars (name);
CREATE TABLE IF NOT EXISTS queues (
    env_id TEXT NOT NULL,
    name TEXT NOT NULL,
    concurrency_limit INTEGER,
    concurrency_limit_base INTEGER,
    overridden_at INTEGER,
    override_percent REAL,
    paused INTEGER NOT NULL,
    PRIMARY KEY (env_id, name)
);
CREATE TABLE IF NOT EXISTS tasks (
    slug TEXT PRIMARY KEY,
    scheduled INTEGER NOT NULL,
    queue TEXT,
    concurrency_limit INTEGER,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS schedules (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    task TEXT NOT NULL,
    cron TEXT NOT NULL,
    description TEXT NOT NULL,
    timezone TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    user_dedup_key INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    external_id TEXT,
    window_seconds INTEGER,
    window_percent INTEGER,
    active INTEGER NOT NULL,
    env_id TEXT,
    last_fired INTEGER,
    next_fire_at INTEGER
);
CREATE INDEX IF NOT EXISTS schedules_env ON schedules (env_id, created_at DESC);
CREATE INDEX IF NOT EXISTS schedules_next_fire ON schedules (next_fire_at) WHERE next_fire_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS schedule_runs (
    run_id TEXT PRIMARY KEY,
    schedule_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS schedule_runs_schedule ON schedule_runs (schedule_id);
"""

#: Columns added after the first release: ``(table, column, definition)``, added to an older
#: database file when it is opened.
ADDED_COLUMNS = [
    ("runs", "realtime_streams", "TEXT NOT NULL DEFAULT '[]'"),
    ("runs", "version", "INTEGER NOT NULL DEFAULT 0"),
    ("runs", "created_version", "INTEGER NOT NULL DEFAULT 0"),
    ("waitpoints", "due_at", "INTEGER"),
    ("run_tags", "created_at", "INTEGER"),
]
#: What fills a column added to an older file (statements run right after it is added).
BACKFILLS = {
    ("waitpoints", "due_at"): "UPDATE waitpoints SET due_at = completed_after"
                              " WHERE status = 'PENDING' AND completed_after IS NOT NULL",
    # rebuilt with each run's creation time (the tag filter walks them in list order), once per tag
    ("run_tags", "created_at"): "DELETE FROM run_tags; INSERT INTO run_tags (run_id, env_id, tag, created_at)"
                                " SELECT DISTINCT r.id, r.env_id, t.value, r.created_at FROM runs r, json_each(r.tags) t",
}
#: Indexes on added columns (created once the columns exist).
AFTER_MIGRATION = """
CREATE INDEX IF NOT EXISTS runs_env_version ON runs (env_id, version);
CREATE INDEX IF NOT EXISTS waitpoints_due ON waitpoints (due_at) WHERE due_at IS NOT NULL;
-- run_tags mirrors runs.tags (store/runs.py writes it beside the run), one row per distinct
-- tag with the run's creation time, so a tag filter walks a page in list order.
CREATE INDEX IF NOT EXISTS run_tags_order ON run_tags (env_id, tag, created_at DESC, run_id DESC);
-- what earlier versions made instead
DROP INDEX IF EXISTS run_tags_lookup;
DROP TRIGGER IF EXISTS runs_tags_insert;
DROP TRIGGER IF EXISTS runs_tags_update;
DROP TRIGGER IF EXISTS runs_tags_delete;
"""


def migrate(conn) -> None:
    """Bring a database file made by an earlier version up to ``SCHEMA`` (autocommit
    connection: each column is added with its backfill in one transaction)."""
    for table, column, definition in ADDED_COLUMNS:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column in present:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            if column not in present:  # another process may have added it first
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
                for statement in BACKFILLS.get((table, column), "").split(";"):
                    if statement.strip():
                        conn.execute(statement)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    conn.executescript(AFTER_MIGRATION)
