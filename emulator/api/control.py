"""The emulator's own control surface: ``/healthz`` and ``/__emulator/*`` (clock, reset,
run outcomes). Run outcomes are authorized by the run's environment key, like the public API."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from .routing import Route

from ..core import transitions
from ..core.clock import ClockError, iso
from ..core.durations import parse_date_ms, parse_duration_ms
from ..core.errors import ApiError
from ..core.limiter import parse_rate_limit
from ..service import Services
from . import http, presenters


async def _optional_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = http.parse_json(raw)
    except ValueError:
        raise ApiError(400, "Invalid JSON") from None
    if not isinstance(value, dict):
        raise ApiError(400, "Request body must be a JSON object")
    return value


def routes(services: Services) -> list[Route]:
    engine = services.engine
    async def healthz(request: Request) -> Response:
        return http.json_response({"ok": True, "now": iso(engine.clock.now_ms())})

    async def clock(request: Request) -> Response:
        if request.method == "GET":
            await engine.tick()
            return http.json_response({"now": iso(engine.clock.now_ms())})
        body = await _optional_json(request)
        try:
            if "advance" in body:
                amount = body["advance"]
                if isinstance(amount, (int, float)) and not isinstance(amount, bool) and 0 <= amount < 1e13:
                    delta_ms = int(amount * 1000)
                else:
                    delta_ms = parse_duration_ms(amount)
                if delta_ms is None:
                    raise ApiError(400, f"advance must be a duration like \"1h30m\" or seconds, got {amount!r}")
                now = await engine.advance_ms(delta_ms)
            elif "set" in body:
                at = parse_date_ms(body["set"]) if isinstance(body["set"], str) else None
                if at is None:
                    raise ApiError(400, f"set must be an ISO 8601 time, got {body['set']!r}")
                now = await engine.set_clock_ms(at)
            else:
                raise ApiError(400, 'Send {"advance": "<duration>"} or {"set": "<ISO time>"}')
        except ClockError as exc:
            raise ApiError(400, str(exc)) from None
        return http.json_response({"now": iso(now)})

    async def reset(request: Request) -> Response:
        await engine.reset()
        return http.json_response({"ok": True})

    async def outcome(request: Request) -> Response:
        caller = await http.authenticate(request, engine, allow_jwt=False)
        run_id = request.path_params["run_id"]
        action = request.path_params["action"]
        body = await _optional_json(request)
        if action == "start":
            await services.runs.start(run_id, env=caller.env)
        elif action == "complete":
            await services.runs.complete(run_id, body.get("output"), env=caller.env)
        elif action == "fail":
            error = body.get("error", {"message": "Failed"})
            if isinstance(error, str):
                error = {"message": error}
            if not isinstance(error, dict):
                raise ApiError(400, 'error must be {"message": "..."} or a string')
            status = body.get("status", "FAILED")
            stored = transitions.built_in_error(error)
            try:
                await services.runs.fail(run_id, stored, status, env=caller.env)
            except ValueError as exc:
                raise ApiError(400, str(exc)) from None
        elif action == "expire":
            await services.runs.expire(run_id, env=caller.env)
        else:
            raise ApiError(404, "Not found")
        found = await services.runs.retrieve(caller.env, run_id)
        return http.json_response(presenters.retrieve(found, engine.config.base_url, engine.signer))

    async def versions(request: Request) -> Response:
        """Deployed worker versions of the Bearer key's environment (what ``lockToVersion`` may
        name): GET lists, POST ``{"versions": [...], "replace"?: bool}`` adds, DELETE clears."""
        caller = await http.authenticate(request, engine, allow_jwt=False)
        if request.method == "GET":
            listed = await services.versions.list(caller.env)
        elif request.method == "DELETE":
            listed = await services.versions.deploy(caller.env, [], replace=True)
        else:
            body = await _optional_json(request)
            wanted = body.get("versions")
            if not isinstance(wanted, list) or not all(isinstance(v, str) and v for v in wanted):
                raise ApiError(400, 'Send {"versions": ["<version>", ...]} (non-empty strings)')
            listed = await services.versions.deploy(caller.env, wanted, replace=body.get("replace") is True)
        return http.json_response({"environment": caller.env.slug, "versions": listed})

    async def openapi(request: Request) -> Response:
        from .openapi import document

        return http.json_response(document())

    return [
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/__emulator/clock", clock, methods=["GET", "POST"]),
        Route("/__emulator/reset", reset, methods=["POST"]),
        Route("/__emulator/runs/{run_id}/{action}", outcome, methods=["POST"]),
        Route("/__emulator/versions", versions, methods=["GET", "POST", "DELETE"]),
    ]


def fault_routes(services: Services) -> list[Route]:
    engine = services.engine
    from ..core.faults import FaultError

    async def faults(request: Request) -> Response:
        if request.method == "GET":
            return http.json_response({"faults": engine.faults.list()})
        if request.method == "DELETE":
            engine.faults.clear()
            return http.json_response({"ok": True})
        body = await _optional_json(request)
        try:
            fault = engine.faults.add_spec(body)
        except FaultError as exc:
            raise ApiError(400, str(exc)) from None
        return http.json_response({"id": fault.id})

    async def one_fault(request: Request) -> Response:
        if not engine.faults.remove(request.path_params["fault_id"]):
            raise ApiError(404, "Not found")
        return http.json_response({"ok": True})

    async def rate_limit(request: Request) -> Response:
        body = await _optional_json(request)
        try:
            engine.config.api_rate_limit = parse_rate_limit(body.get("api", "keep"), engine.config.api_rate_limit)
            engine.config.batch_rate_limit = parse_rate_limit(body.get("batch", "keep"), engine.config.batch_rate_limit, "batch")
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        engine.buckets.clear()
        return http.json_response(
            {"api": engine.config.api_rate_limit and list(engine.config.api_rate_limit),
             "batch": engine.config.batch_rate_limit and list(engine.config.batch_rate_limit)}
        )

    return [
        Route("/__emulator/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/__emulator/faults/{fault_id}", one_fault, methods=["DELETE"]),
        Route("/__emulator/rate-limits", rate_limit, methods=["POST"]),
    ]
