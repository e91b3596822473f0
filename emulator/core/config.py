"""Settings of one emulator instance; every field has the default a test suite wants."""

from __future__ import annotations

from dataclasses import dataclass, field

from .limiter import GENEROUS_LIMIT, PRODUCTION_BATCH_LIMIT

VERSION = "0.1.0"


@dataclass
class Config:
    #: SQLite path; ``:memory:`` keeps everything in this process.
    database: str = ":memory:"
    #: Only the keys in ``keys`` are accepted (401 "Invalid API key" otherwise).
    strict_keys: bool = False
    #: Keys known up front: ``{"tr_dev_...": "dev"}`` style is not needed, the prefix names the type.
    keys: list[str] = field(default_factory=list)
    #: ``production`` answers as the production server does; ``docs`` as the public docs describe.
    compat: str = "production"
    #: TTL given to runs in development environments when the trigger names none.
    dev_default_ttl: str = "10m"
    #: Batch rate limiter (contract §6.4): ``(capacity, refill, refill interval in ms)`` per
    #: environment, charged ``runCount`` at create; None turns it off.
    batch_rate_limit: tuple[int, int, int] | None = PRODUCTION_BATCH_LIMIT
    #: Global API rate limiter (contract §2.5) per caller: ``(capacity, refill, interval ms)``.
    #: Generous by default, so its headers are always there; ``None`` turns it off.
    api_rate_limit: tuple[int, int, int] | None = GENEROUS_LIMIT
    #: ``x-trigger-request-idempotency-key``: True replays the first answer to a retried
    #: trigger (what the server intends); False is production's current no-op.
    request_idempotency: bool = True
    #: A repeated batch ``idempotencyKey``: ``cached`` answers 200 ``isCached:true`` (what the
    #: server intends), ``reject`` the production snapshot's 422.
    batch_idempotency: str = "cached"
    #: ``lockToVersion`` in an environment with no deployed version (``emu.deploy``): False
    #: accepts any version; True answers production's 422 (no worker has that version).
    strict_versions: bool = False
    #: ``GET /api/v1/runs/{id}/metadata``: ``parsed`` answers the object the SDK's schema
    #: expects; ``raw`` production's stored string (or null), which the SDK rejects.
    metadata_get: str = "parsed"
    #: ``GET /api/v1/runs/{id}/result``: ``state`` answers a result for every finished run;
    #: ``production`` only for cancelled runs (upstream reads attempt rows V2 runs never have).
    run_results: str = "state"
    #: Bad input that crashes a production route (non-JSON tags and reschedule bodies, a
    #: malformed ``parentRunId``, NDJSON that is not UTF-8): ``4xx`` answers a client error,
    #: ``production`` the 500 production answers.
    bad_input: str = "4xx"
    #: Base URL the emulator is reachable at: presigned packet URLs point here, and when
    #: served, its host is one the emulator answers for.
    base_url: str = "http://127.0.0.1:3030"
    #: The secret key of the development environment ``trigger dev`` works in (what
    #: ``GET /api/v1/projects/{ref}/dev`` hands the CLI); None: the first ``keys`` entry.
    worker_key: str | None = None
    #: Environment variables every task gets in every environment (``trigger dev`` attempts and
    #: Python handlers), under each environment's own from the env-var API, which win a clash.
    env_vars: dict[str, str] = field(default_factory=dict)
    #: Host names a served emulator answers for besides localhost, loopback addresses and
    #: the base URL's host (DNS-rebinding guard): ``"dev.example"``, ``".example"`` for a
    #: domain and its subdomains, ``"*"`` for any host (turns the guard off).
    allowed_hosts: list[str] = field(default_factory=list)
    #: Seconds a served request may leave its body unsent before it is answered 408 and the
    #: connection closed (a Content-Length larger than the body would hang it for good).
    body_timeout_s: float = 10.0
    #: How long a live realtime request (``/realtime/v1/...&live=true``) is held when nothing
    #: changes, in seconds (Electric's ~20 s). State changes answer it at once.
    realtime_poll_timeout: float = 20.0
    #: A realtime stream read (SSE) ends after this many seconds without data, unless the
    #: request sends ``Timeout-Seconds`` (production's inactivity timeout).
    realtime_stream_timeout: float = 60.0
    #: The project's ref (``proj_…``). None: the env-var routes take any ``{projectRef}``;
    #: set, they refuse others with production's 400 (management.md §4.1).
    project_ref: str | None = None
