"""``POST /otel/v1/{traces,logs,metrics}``: where a dev worker's task processes export OTLP/HTTP
JSON. Logs are kept per run (``ctx.run.id``); traces and metrics are accepted and dropped."""

from __future__ import annotations

import json
from typing import Any, Iterator

from starlette.requests import Request
from starlette.responses import Response
from .routing import Route

from ..core.wire_json import parse_json
from ..service import Services
from . import http

BODY_LIMIT = 8 * 1024 * 1024


def _value(value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    for kind in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if kind in value:
            return value[kind]
    return None


def _attributes(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = _value(item.get("value"))
    return out


def _run_id(*attribute_sets: dict[str, Any]) -> str | None:
    for attributes in attribute_sets:
        for key in ("$metadata.ctx.run.id", "ctx.run.id", "$run.id", "run.id"):
            value = attributes.get(key)
            if isinstance(value, str) and value.startswith("run_"):
                return value
    return None


def log_lines(body: Any) -> Iterator[tuple[str, int | None, str, str]]:
    """``(run id, epoch ms, level, message)`` for every log record that names its run."""
    for resource_logs in body.get("resourceLogs", []) if isinstance(body, dict) else []:
        if not isinstance(resource_logs, dict):
            continue
        resource = _attributes((resource_logs.get("resource") or {}).get("attributes"))
        for scope in resource_logs.get("scopeLogs") or []:
            for record in (scope or {}).get("logRecords") or [] if isinstance(scope, dict) else []:
                if not isinstance(record, dict):
                    continue
                attributes = _attributes(record.get("attributes"))
                run_id = _run_id(attributes, resource)
                message = _value(record.get("body"))
                if run_id is None or message is None:
                    continue
                fields = {k: v for k, v in attributes.items() if not k.startswith(("$", "ctx."))}
                if fields:
                    message = f"{message} {json.dumps(fields, ensure_ascii=False, default=str)}"
                try:
                    at = int(record.get("timeUnixNano") or 0) // 1_000_000 or None
                except (TypeError, ValueError):
                    at = None
                yield run_id, at, str(record.get("severityText") or "INFO"), str(message)


def routes(services: Services) -> list[Route]:
    async def export(request: Request) -> Response:
        raw = await request.body()
        if request.path_params["signal"] == "logs" and raw and len(raw) <= BODY_LIMIT:
            try:
                body = parse_json(raw)
            except ValueError:
                body = None  # protobuf or broken: accepted, not kept
            lines = list(log_lines(body))
            if lines:
                await services.run_logs.add(lines)
        return http.json_response({})

    return [Route("/otel/v1/{signal:str}", export, methods=["POST"])]
