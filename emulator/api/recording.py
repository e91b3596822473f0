"""Recording exchanges (for golden fixtures) and normalizing what is volatile in them.

``Recorder`` is ASGI middleware that, while ``engine.recording`` is a list, appends one
``{"request": …, "response": …}`` per exchange. ``Normalizer`` turns ids, cursors, timestamps,
tokens and the server's address into stable placeholders, and ``Normalizer.restore`` turns
placeholders in a recorded request back into the live values of a replay."""

from __future__ import annotations

import json
import re
from typing import Any

_ID = re.compile(r"\b(run|batch)_c[0-9a-z]{24}\b")
_ENV = re.compile(r"(?<![_0-9a-z])c[0-9a-z]{24}(?![0-9a-z])")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_BASE = re.compile(r"https?://(?:127\.0\.0\.1|localhost|api\.trigger\.dev|testserver)(?::\d+)?")
_PLACEHOLDER = re.compile(r"<(run|batch|env|cursor):\d+>")
_KEPT_HEADERS = ("content-type", "x-should-retry", "allow", "retry-after", "x-ratelimit-limit")


class Recorder:
    def __init__(self, app: Any, engine: Any) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        log = getattr(self.engine, "recording", None)
        if scope["type"] != "http" or log is None or scope["path"].startswith(("/__emulator/faults", "/openapi")):
            await self.app(scope, receive, send)
            return
        body = bytearray()

        async def tapped_receive():
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        answer: dict[str, Any] = {"body": bytearray()}

        async def tapped_send(message):
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                answer["body"].extend(message.get("body", b""))
            await send(message)

        await self.app(scope, tapped_receive, tapped_send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        log.append({
            "request": {
                "method": scope["method"],
                "path": scope["path"],
                "query": scope.get("query_string", b"").decode("latin-1"),
                "content_type": headers.get("content-type"),
                "body": bytes(body).decode("utf-8", "replace"),
            },
            "response": {
                "status": answer.get("status"),
                "headers": {k.lower(): v for k, v in answer.get("headers", []) if k.lower() in _KEPT_HEADERS or k.lower().startswith("x-trigger-jwt")},
                "body": bytes(answer["body"]).decode("utf-8", "replace"),
            },
        })


class Normalizer:
    """Placeholders numbered by first appearance; one instance per recording or replay."""

    def __init__(self) -> None:
        self.forward: dict[str, str] = {}
        self.backward: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def _name(self, kind: str, value: str) -> str:
        if value not in self.forward:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            placeholder = f"<{kind}:{self.counts[kind]}>"
            self.forward[value] = placeholder
            self.backward[placeholder] = value
        return self.forward[value]

    def text(self, value: str) -> str:
        value = _JWT.sub("<jwt>", value)
        value = _BASE.sub("<base>", value)
        value = _ID.sub(lambda m: self._name(m.group(1), m.group(0)), value)
        value = _ENV.sub(lambda m: self._name("env", m.group(0)), value)
        return _TIME.sub("<time>", value)

    def value(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if key == "durationMs" and isinstance(value, (int, float)):
            return "<ms>"  # wall time between two calls of a recording
        if isinstance(value, str):
            if key in ("next", "previous"):
                return self._name("cursor", value)
            if key in ("x-ratelimit-reset",):
                return "<ms>"
            return self.text(value)
        return value

    def body(self, raw: str) -> Any:
        try:
            return self.value(json.loads(raw))
        except ValueError:
            return self.text(raw)

    def exchange(self, exchange: dict[str, Any]) -> dict[str, Any]:
        request, response = exchange["request"], exchange["response"]
        headers = dict(response["headers"])
        if "x-trigger-jwt-claims" in headers:
            headers["x-trigger-jwt-claims"] = self.body(headers["x-trigger-jwt-claims"])
        return {
            "request": {**request, "path": self.text(request["path"]), "query": self._query(request["query"]),
                        "body": self._request_body(request["body"])},
            "response": {"status": response["status"], "headers": self.value(headers), "body": self.body(response["body"])},
        }

    def _query(self, query: str) -> str:
        from urllib.parse import parse_qsl, urlencode

        pairs = [(k, self._name("cursor", v) if k in ("page[after]", "page[before]") and v in self.forward_cursors() else self.text(v))
                 for k, v in parse_qsl(query, keep_blank_values=True)]
        return urlencode(pairs)

    def forward_cursors(self) -> set[str]:
        return {value for value, name in self.forward.items() if name.startswith("<cursor:")}

    def _request_body(self, raw: str) -> str:
        # Bodies are replayed as text; only ids are placeholders (dates and keys stay real).
        out = _ID.sub(lambda m: self._name(m.group(1), m.group(0)), raw)
        return out

    def restore(self, value: str) -> str:
        """Put the live values of this (replay) normalizer back in place of placeholders."""
        return _PLACEHOLDER.sub(lambda m: self.backward.get(m.group(0), m.group(0)), value)
