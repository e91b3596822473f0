"""``trigger-emulator serve``: the emulator as a local server for offline development."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..core import ids
from ..core.config import VERSION as __version__
from ..core.config import Config


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ..api.app import create_app

    base_url = f"http://{args.host}:{args.port}"
    keys = list(args.key or [])
    from ..core.limiter import parse_rate_limit

    config = Config(
        database=args.db,
        strict_keys=args.strict_keys,
        keys=keys,
        compat=args.compat,
        base_url=base_url,
        request_idempotency=args.request_idempotency == "on",
        batch_idempotency=args.batch_idempotency,
        strict_versions=args.strict_versions,
        metadata_get=args.metadata_get,
        run_results=args.run_results,
        bad_input=args.bad_input,
    )
    config.allowed_hosts = list(args.allowed_host or [])
    config.api_rate_limit = parse_rate_limit(args.rate_limit, config.api_rate_limit)
    config.batch_rate_limit = parse_rate_limit(args.batch_rate_limit, config.batch_rate_limit, "batch")
    from ..store.workers import stored_worker_key

    key = keys[0] if keys else os.environ.get("TRIGGER_SECRET_KEY") or stored_worker_key(args.db) or ids.random_key("tr_dev_")
    if not key.startswith("tr_"):
        key = ids.random_key("tr_dev_")
    problem = _database_problem(config)
    if problem is not None:
        print(f"trigger-emulator: {problem}", file=sys.stderr, flush=True)
        return 1
    if key.startswith("tr_dev_"):
        config.worker_key = key  # the environment `trigger dev` works in
    from ..api.socket import asgi
    from ..core.workers import ACCESS_TOKEN
    from ..service import Services

    services = Services(config)
    app = asgi(create_app(services, background_ticks=True), services)
    print(f"trigger-emulator {__version__} listening on {base_url}", flush=True)
    print(f"  database: {args.db}", flush=True)
    print(f"  export TRIGGER_API_URL={base_url}", flush=True)
    print(f"  export TRIGGER_SECRET_KEY={key}", flush=True)
    print(f"  export TRIGGER_ACCESS_TOKEN={ACCESS_TOKEN}   # for `npx trigger.dev dev`", flush=True)
    from ..api.server import Server

    _settle_heap()
    # No proxy sits in front of a local emulator: X-Forwarded-* headers are not trusted (a
    # page could send them), and uvicorn's access log is only built when it would be shown.
    quiet = args.log_level.lower() not in ("trace", "debug", "info")
    Server(uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level, lifespan="on",
                          proxy_headers=False, access_log=not quiet)).run()
    return 0


def _settle_heap() -> None:
    """The server owns its process: what start-up made (modules, the app, the validators)
    is moved out of the cyclic collector's reach and collections run less often. Full
    collections walking every start-up object were the server's latency tail (p99 about
    40 ms under 16 connections, 15 ms without them; bench/README.md)."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def _database_problem(config: Config) -> str | None:
    """Why the database cannot be used (a read-only or unreachable file), checked before
    the port is bound, so a bad ``--db`` fails at once instead of after startup."""
    import asyncio

    from ..service import Engine
    from ..store import StorageError

    async def probe() -> None:
        engine = Engine(config)
        await engine.open()
        await engine.close()

    try:
        asyncio.run(probe())
    except StorageError as exc:
        return str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trigger-emulator", description="Local emulator of the Trigger.dev API")
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the API over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3030)
    serve.add_argument("--db", default="trigger-emulator.sqlite3", help="SQLite file (':memory:' for none)")
    serve.add_argument("--key", action="append", help="a secret key to accept (repeatable)")
    serve.add_argument("--strict-keys", action="store_true", help="accept only the --key keys")
    serve.add_argument("--compat", choices=["production", "docs"], default="production")
    serve.add_argument("--rate-limit", default="generous", choices=["generous", "production", "off"],
                       help="global API limiter (production: 750 burst, +250 per 10 s)")
    serve.add_argument("--batch-rate-limit", default="production", choices=["generous", "production", "off"],
                       help="batch limiter (production: 1200 items burst, +100 per 10 s)")
    serve.add_argument("--request-idempotency", default="on", choices=["on", "off"],
                       help="replay retried requests (off: production's current no-op)")
    serve.add_argument("--batch-idempotency", default="cached", choices=["cached", "reject"],
                       help="a repeated batch idempotencyKey: 200 isCached (cached) or production's 422 (reject)")
    serve.add_argument("--allowed-host", action="append", metavar="NAME",
                       help="also answer requests for this Host (repeatable; '.example.com' adds subdomains, "
                            "'*' any host). localhost, loopback addresses and --host are always allowed")
    serve.add_argument("--strict-versions", action="store_true",
                       help="lockToVersion needs a deployed version even in an environment with none (production)")
    serve.add_argument("--metadata-get", default="parsed", choices=["parsed", "raw"],
                       help="GET .../metadata answers the parsed object (parsed) or production's raw string (raw)")
    serve.add_argument("--run-results", default="state", choices=["state", "production"],
                       help="GET .../result for every finished run (state) or only cancelled ones (production)")
    serve.add_argument("--bad-input", default="4xx", choices=["4xx", "production"],
                       help="input that crashes a production route: a 4xx, or production's 500")
    serve.add_argument("--log-level", default="warning")
    check = sub.add_parser("check-sdk", help="run the official SDK's scenarios against a base URL")
    check.add_argument("--base-url", default=os.environ.get("TRIGGER_API_URL"), help="default: $TRIGGER_API_URL")
    check.add_argument("--key", default=os.environ.get("TRIGGER_SECRET_KEY"), help="default: $TRIGGER_SECRET_KEY")
    check.add_argument("--sdk", default="@trigger.dev/sdk", help="SDK package in tests/contract (or sdk-4.3.0)")
    check.add_argument("--contract-dir", type=Path, default=None, help="the tests/contract folder (after npm ci)")
    check.add_argument("scenario", nargs="*", help="scenarios to run (default: all portable ones)")
    args = parser.parse_args(argv)
    if args.command == "check-sdk":
        from .sdkcheck import check

        if not args.base_url or not args.key:
            parser.error("check-sdk needs --base-url and --key (or TRIGGER_API_URL and TRIGGER_SECRET_KEY)")
        return check(args.base_url.rstrip("/"), args.key, package=args.sdk, contract_dir=args.contract_dir,
                     scenarios=args.scenario or None)
    if args.command == "serve":
        try:
            return _serve(args)
        except KeyboardInterrupt:
            return 0
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
