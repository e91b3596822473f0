"""Realtime streams over HTTP (contract realtime.md §8, the v1 format): the SSE read a frontend
or ``runs.subscribeToRun().withStreams()`` makes, the write routes a task's ``streams.pipe`` /
``streams.append`` use, input streams, and the control route a test feeds a stream through."""

from __future__ import annotations

import codecs
import re
from typing import Any, AsyncIterator

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from .routing import Route

from ..core.errors import ApiError, NotFound
from ..core.records import Run
from ..core.limits import STREAM_APPEND_LIMIT, STREAM_LINE_LIMIT, STREAM_TIMEOUT_RANGE_S
from ..service import Services
from ..service.streams import INPUT_PREFIX
from . import http
from .realtime import authorize, client_gone, cors_route, run_resources

_TARGETS = ("self", "parent", "root")
_JS_INT = re.compile(r"^\s*([+-]?\d+)")
_EVENT_ID = re.compile(r"^(\d+)-(\d+)$")
INPUT_BODY_LIMIT = 1024 * 1024


#: Larger indexes than any stream can reach (and still an SQLite integer).
_MAX_INDEX = 2**62


def js_parse_int(value: str) -> int | None:
    """``parseInt``: the leading integer (clamped to what SQLite stores), or None for NaN."""
    match = _JS_INT.match(value)
    return max(-_MAX_INDEX, min(_MAX_INDEX, int(match.group(1)[:20]))) if match else None


def _text(status: int, message: str) -> ApiError:
    return ApiError(status, message, body=message, media_type="text/plain")


def _after_index(last_event_id: str | None) -> int:
    """The record index a ``Last-Event-ID`` has seen: ``<ms>-<index>`` as sent, or a bare
    number (``streams.read({startIndex})`` sends ``startIndex - 1``); from the start otherwise."""
    if not last_event_id:
        return -1
    match = _EVENT_ID.match(last_event_id.strip())
    if match:
        return min(_MAX_INDEX, int(match.group(2)[:20]))
    return min(_MAX_INDEX, int(last_event_id.strip()[:20])) if last_event_id.strip().isdigit() else -1


def _timeout(raw: str | None, strict: bool) -> tuple[int | None, ApiError | None]:
    """``Timeout-Seconds`` as the read routes check it: the run-stream read tests the parsed
    value for truthiness (so garbage and 0 mean the default), the input read does not."""
    if raw is None:
        return None, None
    value = js_parse_int(raw)
    if value is None:
        return None, _text(400, "Invalid timeout seconds") if strict else None
    if not strict and value == 0:
        return None, None
    low, high = STREAM_TIMEOUT_RANGE_S
    if value < low:
        return None, _text(400, "Timeout seconds must be greater than 0")
    if value > high:
        return None, _text(400, "Timeout seconds must be less than 600")
    return value, None


def _check_target(target: str) -> None:
    if target not in _TARGETS:
        options = " | ".join(f"'{t}'" for t in _TARGETS)
        detail = {"received": target, "code": "invalid_enum_value", "options": list(_TARGETS), "path": ["target"],
                  "message": f"Invalid enum value. Expected {options}, received '{target}'"}
        raise ApiError(400, "Params Error", body={"error": "Params Error", "details": [detail]})


class EventStream(StreamingResponse):
    """A ``text/event-stream`` answer fed by ``events(gone)``; ``gone`` finishes when the
    client closes the connection."""

    def __init__(self, events: Any, headers: dict[str, str]) -> None:
        super().__init__((), 200, headers, media_type="text/event-stream")
        self.events = events

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        gone = client_gone(Request(scope, receive))
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            async for chunk in self.events(gone):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the client went away mid-write
        finally:
            gone.cancel()


def routes(services: Services) -> list[Route]:
    engine = services.engine
    streams = services.streams

    def sse(request: Request, run_id: str, key: str, timeout: int | None) -> Response:
        after = _after_index(request.headers.get("last-event-id"))
        idle = float(timeout) if timeout else engine.config.realtime_stream_timeout

        async def events(gone) -> AsyncIterator[bytes]:
            async for records in streams.follow(run_id, key, after, idle, gone):
                if records is None:
                    yield b": ping\n\n"
                    continue
                yield "".join(f"id: {r.created_at}-{r.idx}\ndata: {r.data}\n\n" for r in records).encode()

        headers = {"cache-control": "no-cache", "access-control-allow-origin": request.headers.get("origin", "*")}
        return EventStream(events, headers)

    # -- reading ----------------------------------------------------------------------------
    async def readable(request: Request, *, strict: bool) -> tuple[Run, int | None]:
        """The run a stream read names, once the caller may read it, and the read's timeout."""
        caller = await http.authenticate(request, engine)
        run = await services.realtime.find_run(caller.env, request.path_params["run_id"])
        if run is None:
            raise NotFound("Not found", should_retry=False)
        authorize(caller, run_resources(run))
        timeout, problem = _timeout(request.headers.get("timeout-seconds"), strict=strict)
        if problem is not None:
            raise problem
        return run, timeout

    async def read(request: Request) -> Response:
        run, timeout = await readable(request, strict=False)
        return sse(request, run.id, request.path_params["key"], timeout)

    async def read_input(request: Request) -> Response:
        run, timeout = await readable(request, strict=True)
        return sse(request, run.id, INPUT_PREFIX + request.path_params["key"], timeout)

    # -- writing (from inside a task) -------------------------------------------------------
    async def write(request: Request) -> Response:
        caller = await http.authenticate(request, engine, allow_jwt=False)
        run_id, target, key = (request.path_params[n] for n in ("run_id", "target", "key"))
        _check_target(target)
        if request.method == "PUT":
            await streams.create(caller.env, run_id, target, key)
            return http.json_response({"version": "v1"}, 202)
        await streams.check_target(caller.env, run_id, target)
        if "content-length" not in request.headers and "transfer-encoding" not in request.headers:
            raise _text(400, "No body provided")
        client_id = request.headers.get("x-client-id") or "default"
        raw = request.headers.get("x-resume-from-chunk")
        first = 0
        if raw:
            parsed = js_parse_int(raw)
            if parsed is None or parsed < 0:
                raise _text(400, f"Invalid X-Resume-From-Chunk header value: {raw}")
            first = parsed
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        pending = ""
        try:
            async for piece in request.stream():
                pending += decoder.decode(piece)
                *lines, pending = pending.split("\n")
                if len(pending) > STREAM_LINE_LIMIT:
                    raise ApiError(413, "Request body too large")
                first = await _ingest(caller.env, run_id, target, key, client_id, first, lines)
            pending += decoder.decode(b"", final=True)
            await _ingest(caller.env, run_id, target, key, client_id, first, [pending])
        except ClientDisconnect:
            pass  # what arrived is kept; the writer resumes from X-Last-Chunk-Index
        return Response(None, 200)

    async def _ingest(env, run_id: str, target: str, key: str, client_id: str, first: int, lines: list[str]) -> int:
        lines = [line for line in lines if line.strip()]
        if lines:
            await streams.ingest(env, run_id, target, key, client_id, first, lines)
        return first + len(lines)

    async def last_chunk(request: Request) -> Response:
        caller = await http.authenticate(request, engine, allow_jwt=False)
        run_id, target, key = (request.path_params[n] for n in ("run_id", "target", "key"))
        _check_target(target)
        if await services.realtime.find_run(caller.env, run_id) is None:
            raise NotFound("Not found", should_retry=False)
        await streams.check_target(caller.env, run_id, target)
        if request.method != "HEAD":
            raise _text(405, "Only HEAD requests are allowed for this endpoint")
        client_id = request.headers.get("x-client-id") or "default"
        index = await streams.last_chunk_index(caller.env, run_id, target, key, client_id)
        return Response(None, 200, {"X-Last-Chunk-Index": str(index)})

    async def append(request: Request) -> Response:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return Response(None, 405)
        caller = await http.authenticate(request, engine, allow_jwt=False)
        http.check_content_length(request, STREAM_APPEND_LIMIT)
        run_id, target, key = (request.path_params[n] for n in ("run_id", "target", "key"))
        _check_target(target)
        text = (await request.body()).decode("utf-8", "replace")
        await streams.append(caller.env, run_id, target, key, text)
        return http.json_response({"ok": True})

    async def send_input(request: Request) -> Response:
        caller = await http.authenticate(request, engine)
        http.check_content_length(request, INPUT_BODY_LIMIT)
        run_id = request.path_params["run_id"]
        authorize(caller, [("inputStreams", run_id)], "write")
        try:
            body = http.parse_json(await request.body())
        except ValueError:
            body = None
        await streams.send_input(caller.env, run_id, request.path_params["key"], body)
        return http.json_response({"ok": True})

    # -- the control route a test writes through --------------------------------------------
    async def control_write(request: Request) -> Response:
        caller = await http.authenticate(request, engine, allow_jwt=False)
        raw = await request.body()
        try:
            body = http.parse_json(raw) if raw.strip() else None
        except ValueError:
            raise ApiError(400, "Invalid JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("chunks"), list):
            raise ApiError(400, 'Send {"chunks": [...]}: each chunk is written as one JSON line')
        await streams.write(request.path_params["run_id"], request.path_params["key"], body["chunks"], env=caller.env)
        return http.json_response({"ok": True, "written": len(body["chunks"])})

    base = "/realtime/v1/streams/{run_id}"
    writes = ["PUT", "POST", "PATCH", "DELETE"]
    return [
        Route(base + "/input/{key}", cors_route(send_input), methods=["POST", "OPTIONS"]),
        Route(base + "/input/{key}", cors_route(read_input), methods=["GET"]),
        Route(base + "/{key}", cors_route(read), methods=["GET", "OPTIONS"]),
        Route(base + "/{target}/{key}", write, methods=writes),
        Route(base + "/{target}/{key}", last_chunk, methods=["GET", "HEAD"]),
        Route(base + "/{target}/{key}/append", append, methods=["GET", "HEAD", "OPTIONS", *writes]),
        Route("/__emulator/runs/{run_id}/streams/{key}", control_write, methods=["POST"]),
    ]

