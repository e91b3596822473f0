"""Realtime run feeds in the Electric shape protocol (contract realtime.md §1-§7):
``/realtime/v1/runs/{id}``, ``/realtime/v1/runs?tags=…`` and ``/realtime/v1/batches/{id}``.

A request without a handle (or at offset ``-1``) gets the feed's snapshot; ``live=true`` is held
until a committed change touches the feed (``service.realtime``), the poll timeout passes, the
client leaves, or a reset or shutdown ends it.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from .routing import Route

from ..core import electric, feeds, tokens
from ..core.errors import ApiError, NotFound
from ..core.records import Run
from ..service import Services
from ..service.realtime import Rows
from . import http

Handler = Callable[[Request], Awaitable[Response]]
_LIST_HANDLE = re.compile(r"^runs_(\d{1,16})_")
_HANDLE = re.compile(r"^[\x21-\x7e]{1,200}$")
_OFFSET = re.compile(r"^\d{1,18}_\d{1,18}$")

#: Electric answers shapes as plain ``application/json`` (no charset; contract realtime.md §3).
SHAPE_TYPE = "application/json"


# -- shared by the realtime routes ----------------------------------------------------------
def authorize(caller: http.Caller, resources: list[tuple[str, str | None]], action: str = "read") -> None:
    """``anyResource``: a secret key passes; a public token needs ``action`` on one of them.
    (The one scope check of the realtime routes.)"""
    if caller.scopes is None:
        return
    if tokens.can(caller.scopes, action, *resources):
        return
    raise ApiError(403, "Unauthorized", body=http.FORBIDDEN)


def run_resources(run: Run) -> list[tuple[str, str | None]]:
    resources: list[tuple[str, str | None]] = [("runs", run.id), ("tasks", run.task)]
    resources += [("tags", tag) for tag in run.tags]
    if run.batch_id:
        resources.append(("batch", run.batch_id))
    return resources


async def _until_gone(receive: Callable[[], Awaitable[dict]]) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def client_gone(request: Request) -> asyncio.Task:
    """Finishes when the client closes its connection (cancel it when done)."""
    return asyncio.ensure_future(_until_gone(request.receive))


def cors_route(handler: Handler) -> Handler:
    """``corsStrategy: "all"``: OPTIONS answered, and errors carry CORS headers too."""

    async def wrapped(request: Request) -> Response:
        if request.method == "OPTIONS":
            return http.preflight(request)
        try:
            response = await handler(request)
        except ApiError as exc:
            response = http.error_response(exc)
        if "access-control-allow-origin" not in response.headers:
            response.headers["Access-Control-Allow-Origin"] = request.headers.get("origin", "*")
        return response

    return wrapped


def _realtime_claim(request: Request) -> Any:
    """The public token's ``realtime`` claim (already verified by ``authenticate``)."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else header.strip()
    if not tokens.looks_like_jwt(token):
        return None
    claims = tokens.unverified_subject(token) or {}
    realtime = claims.get("realtime")
    return realtime.get("skipColumns") if isinstance(realtime, dict) else None


# -- the feeds ----------------------------------------------------------------------------
def routes(services: Services) -> list[Route]:
    engine = services.engine
    realtime = services.realtime
    seq = itertools.count(1)

    def headers(handle: str, offset: str, *, schema: str | None = None, cursor: str | None = None) -> dict[str, str]:
        out = {
            "cache-control": "no-store",
            "electric-handle": handle,
            "electric-offset": offset,
            "electric-up-to-date": "true",
            "access-control-allow-origin": "*",
            "access-control-expose-headers": "*",
        }
        if schema is not None:
            out["electric-schema"] = schema
        if cursor is not None:
            out["electric-cursor"] = cursor
        return out

    def body(rows: Rows, skip: frozenset[str], *, snapshot: bool) -> list[dict[str, Any]]:
        messages = [
            electric.change(run, "insert" if snapshot or run.id in rows.inserted else "update", skip)
            for run in rows.runs
        ]
        return [*messages, electric.UP_TO_DATE]

    async def answer(request: Request, feed: feeds.Feed, new_handle: Callable[[], str]) -> Response:
        query = request.query_params
        offset = query.get("offset", electric.INITIAL_OFFSET)
        handle = query.get("handle") or query.get("shape_id")
        if handle is not None and not _HANDLE.match(handle):
            handle = None  # not a handle this server could have made (it goes back in a header)
        skip = electric.skip_columns(query.get("skipColumns"), _realtime_claim(request))
        if offset == electric.INITIAL_OFFSET or not handle or query.get("live") != "true":
            rows = await realtime.snapshot(feed)
            live_handle = new_handle() if offset == electric.INITIAL_OFFSET or not handle else handle
            offset_out = electric.encode_offset(rows.version, next(seq))
            return http.json_response(body(rows, skip, snapshot=True), 200, media_type=SHAPE_TYPE, headers=
                                      headers(live_handle, offset_out, schema=electric.schema_header(skip)))
        gone = client_gone(request)
        try:
            rows = await realtime.live(feed, electric.offset_version(offset), engine.config.realtime_poll_timeout, gone)
        finally:
            gone.cancel()
        cursor = next(seq)
        if rows.stale:
            fresh = new_handle()
            return http.json_response([electric.MUST_REFETCH], 409, media_type=SHAPE_TYPE, headers={
                "electric-handle": fresh, "cache-control": "no-store",
                "access-control-allow-origin": "*", "access-control-expose-headers": "*"})
        if rows.runs:
            offset_out = electric.encode_offset(rows.version, cursor)
        else:  # unchanged: the client's own offset back (in the form this server makes)
            offset_out = offset if _OFFSET.match(offset) else electric.encode_offset(rows.version, 0)
        return http.json_response(body(rows, skip, snapshot=False), 200, headers(handle, offset_out, cursor=str(cursor)),
                                  media_type=SHAPE_TYPE)

    def unique() -> str:
        return f"{next(seq)}_{secrets.token_hex(4)}"

    async def run_feed(request: Request) -> Response:
        caller = await http.authenticate(request, engine)
        run = await realtime.find_run(caller.env, request.path_params["run_id"])
        if run is None:
            raise NotFound("Not found", should_retry=False)
        authorize(caller, run_resources(run))
        feed = feeds.Feed(caller.env.id, run_id=run.id)
        return await answer(request, feed, lambda: f"run-{electric.internal_id(run.id)}")

    async def tag_feed(request: Request) -> Response:
        caller = await http.authenticate(request, engine)
        tags, problem = feeds.parse_tags(request.query_params.get("tags"))
        if problem is not None:
            raise ApiError(400, "Query Error", body=problem)
        authorize(caller, [("runs", None), ("tags", None), *(("tags", tag) for tag in tags)])
        handle = request.query_params.get("handle") or request.query_params.get("shape_id")
        pinned = _LIST_HANDLE.match(handle or "")
        if pinned and request.query_params.get("offset", "-1") != "-1":
            floor: int | None = int(pinned.group(1)) or None  # the window fixed by the snapshot
        else:
            floor = feeds.created_after(request.query_params.get("createdAt"), engine.clock.now_ms())
        feed = feeds.Feed(caller.env.id, tags=tags, created_after=floor)
        return await answer(request, feed, lambda: f"runs_{max(floor or 0, 0)}_{unique()}")

    async def batch_feed(request: Request) -> Response:
        caller = await http.authenticate(request, engine)
        batch = await realtime.find_batch(caller.env, request.path_params["batch_id"])
        if batch is None:
            raise NotFound("Not found", should_retry=True)
        authorize(caller, [("batch", batch.id), ("runs", None)])
        feed = feeds.Feed(caller.env.id, batch_id=batch.id)
        return await answer(request, feed, lambda: f"batch_{batch.id}_{unique()}")

    async def waiting(request: Request) -> Response:
        """How many live polls and stream reads are held open right now."""
        return http.json_response({"waiting": len(engine.notifier)})

    methods = ["GET", "OPTIONS"]
    return [
        Route("/__emulator/realtime", waiting, methods=["GET"]),
        Route("/realtime/v1/runs/{run_id}", cors_route(run_feed), methods=methods),
        Route("/realtime/v1/runs", cors_route(tag_feed), methods=methods),
        Route("/realtime/v1/batches/{batch_id}", cors_route(batch_feed), methods=methods),
    ]
