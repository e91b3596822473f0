"""Request parsing shared by the thin route handlers: authentication, the route-builder
body pipeline (contract triggering.md §2.3, runs.md §1.5) and JSON answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from starlette.requests import Request
from starlette.responses import Response

from ..core import storable, tokens, wire_json
from ..core.errors import ApiError
from ..core.records import Environment
from ..core.wire_json import parse_json
from ..service.engine import Engine

# Which 401 wording a route family uses (runs.md §1.4).
BUILDER = ("Invalid or Missing API key", "Invalid API key")
LEGACY = ("Invalid or Missing API Key", "Invalid or Missing API Key")
LEGACY_RESCHEDULE = ("Invalid or missing API Key", "Invalid or missing API Key")

_PROBLEM_401 = {
    "title": "Unauthorized",
    "status": 401,
    "type": "https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/401",
    "detail": "No authorization header provided",
    "error": "No authorization header provided",
}
#: Every verb a Remix route receives (its action gets all but GET/HEAD).
ANY_VERB = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
FORBIDDEN = {"error": "Unauthorized", "code": "unauthorized", "param": "access_token", "type": "authorization"}


_dumps = wire_json.encode


#: Every Remix ``json()`` answer says so (and Express adds the charset to the 401 problem).
JSON_TYPE = "application/json; charset=utf-8"
PROBLEM_TYPE = "application/problem+json; charset=utf-8"


class JSON(Response):
    media_type = JSON_TYPE

    def render(self, content: Any) -> bytes:
        return _dumps(content)


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None, *,
                  media_type: str = JSON_TYPE) -> Response:
    return JSON(body, status_code=status, headers=dict(headers or {}), media_type=media_type)


def error_response(exc: ApiError) -> Response:
    content = exc.body if isinstance(exc.body, (bytes, str)) else _dumps(exc.body)
    return Response(content, status_code=exc.status, headers=exc.headers, media_type=exc.media_type)


def problem_401() -> ApiError:
    """The global middleware's answer to a missing header: pretty-printed, as Express sends it."""
    return ApiError(401, body=json.dumps(_PROBLEM_401, indent=2).encode(), media_type=PROBLEM_TYPE)


#: The plain 403 of the hand-written checks (parent runs, batch items).
UNAUTHORIZED = {"error": "Unauthorized"}


@dataclass
class Caller:
    env: Environment
    #: Scopes of a public access token, or None for a secret key (which may do anything).
    scopes: list | None = None
    #: The public access token's ``realtime`` claim, carried over to the tokens it gets back.
    realtime: Any = None

    @property
    def is_public(self) -> bool:
        return self.scopes is not None

    def can(self, action: str, *resources: tokens.Resource) -> bool:
        return self.scopes is None or tokens.can(self.scopes, action, *resources)

    def require(self, action: str, *resources: tokens.Resource, body: Any = FORBIDDEN) -> None:
        """403 unless a secret key, or a token granting ``action`` on any of ``resources``."""
        if not self.can(action, *resources):
            raise ApiError(403, "Unauthorized", body=body)

    def require_every(self, action: str, resources: list[tokens.Resource], unless: tuple[tokens.Resource, ...] = ()) -> None:
        """403 unless ``action`` on any of ``unless``, else on every one of ``resources``."""
        if self.scopes is not None and not tokens.can_every(self.scopes, action, resources, unless):
            raise ApiError(403, "Unauthorized", body=FORBIDDEN)


async def require_parent(caller: Caller, runs: Any, parent_id: str | None) -> None:
    """``canWriteParentRun``: a token naming a parent run must be able to write that run or
    its task (a type-level ``write:runs`` covers every run); 403 ``{"error":"Unauthorized"}``,
    also when the parent does not exist."""
    if not parent_id or caller.can("write", ("runs", None)):
        return
    parent = await runs.find_in(caller.env, parent_id)
    if parent is None or not caller.can("write", ("runs", parent.id), ("tasks", parent.task)):
        raise ApiError(403, "Unauthorized", body=UNAUTHORIZED)


async def authenticate(request: Request, engine: Engine, family=BUILDER, *, allow_jwt: bool = True) -> Caller:
    header = request.headers.get("authorization")
    if header is None:
        if request.url.path.startswith("/api/") and "/packets/" not in request.url.path:
            raise problem_401()
        raise ApiError(401, family[0])
    # Only the exact prefix "Bearer " is stripped (``bearer tr_...`` is an unknown key), and
    # only the route builder trims what is left.
    token = header[7:] if header.startswith("Bearer ") else header
    if family not in (LEGACY, LEGACY_RESCHEDULE):
        token = token.strip()
    if not token:
        raise ApiError(401, family[0])
    if allow_jwt and tokens.looks_like_jwt(token):
        return await _public_token(token, engine, family)
    env = await engine.environment_for_key(token, request.headers.get("x-trigger-branch"))
    if env is None:
        raise ApiError(401, family[1])
    if env.type == "PREVIEW" and not request.headers.get("x-trigger-branch"):
        raise ApiError(401, "x-trigger-branch header required for preview env")
    return Caller(env)


async def _public_token(token: str, engine: Engine, family) -> Caller:
    claims = tokens.unverified_subject(token)
    if not claims or claims.get("pub") is not True:
        raise ApiError(401, family[1])
    subject = claims.get("sub")
    if not isinstance(subject, str) or storable.problem(subject) is not None:
        raise ApiError(401, "Invalid Public Access Token")
    env = await engine.environment_by_id(subject)
    if env is None:
        raise ApiError(401, "Invalid Public Access Token")
    # Expiry is judged on the wall clock the SDK signs with (auth.createPublicToken), so moving
    # the emulator clock in a test never invalidates a token just made.
    verified = tokens.verify(token, env.api_key, engine.clock.wall_ms() // 1000)
    if verified is None:
        raise ApiError(401, "Public Access Token is invalid")
    scopes = verified.get("scopes")
    return Caller(env, scopes if isinstance(scopes, list) else [], verified.get("realtime"))


def check_content_length(request: Request, limit: int) -> None:
    """413 when Content-Length is missing (chunked) or over the route's limit."""
    raw = request.headers.get("content-length")
    try:
        length = int(raw) if raw is not None else None
    except ValueError:
        length = None
    if length is None or length > limit or length < 0:
        raise ApiError(413, "Request body too large")


async def bounded_body(request: Request, limit: int) -> bytes:
    """The whole body, 413 as soon as it is (or its Content-Length says it will be) larger
    than ``limit``: an oversized upload is never buffered."""
    raw = request.headers.get("content-length")
    if raw is not None and (not raw.isdigit() or int(raw) > limit):
        raise ApiError(413, "Request body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "Request body too large")
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(request: Request, limit: int | None = None) -> Any:
    """The route builder's body steps: size, empty, then JSON (falsy values are invalid)."""
    if limit is not None:
        check_content_length(request, limit)
    raw = await request.body()
    if limit is not None and len(raw) > limit:
        raise ApiError(413, "Request body too large")
    if not raw:
        raise ApiError(400, "Request body is empty")
    try:
        value = parse_json(raw)
    except ValueError:
        raise ApiError(400, "Invalid JSON") from None
    if value in (None, False, 0, ""):  # falsy JSON values (JS truthiness), 0.0 included
        raise ApiError(400, "Invalid JSON")
    return value


def headers_error(issues: list[dict[str, Any]]) -> ApiError:
    return ApiError(400, "Headers Error", body={"error": "Headers Error", "details": issues})


def cors_headers(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    if not origin:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": "x-trigger-jwt, x-trigger-jwt-claims",
        "Vary": "Origin",
    }


def require_auth_header(request: Request) -> None:
    """The global middleware's problem+json 401 answers before any route looks at the verb."""
    path = request.url.path
    if (request.headers.get("authorization") is None and request.method != "OPTIONS"
            and path.startswith("/api/") and "/packets/" not in path):
        raise problem_401()


def no_loader(request: Request) -> ApiError:
    """A GET on a Remix route that exports no loader: Remix's own 400."""
    require_auth_header(request)
    return ApiError(400, body={"message": "Unexpected Server Error"}, headers={"X-Remix-Error": "yes"})


def post_only(request: Request) -> None:
    """A builder route that exports only a POST action and no loader: GET/HEAD is Remix's 400,
    any other verb the builder's 405."""
    if request.method in ("GET", "HEAD"):
        raise no_loader(request)
    if request.method != "POST":
        require_auth_header(request)
        raise ApiError(405, "Method not allowed", headers={"Allow": "POST"})


def hand_written_action_verbs(request: Request) -> Response | None:
    """The hand-written ``tags`` and ``reschedule`` actions: GET has no loader (400); any other
    verb but POST returns ``{status: 405, ...}`` as a plain object, which Remix sends as 200."""
    if request.method in ("GET", "HEAD"):
        raise no_loader(request)
    if request.method != "POST":
        require_auth_header(request)
        return json_response({"status": 405, "body": "Method Not Allowed"})
    return None


def action_route_verbs(request: Request) -> Response:
    """What the route builder's action routes answer to GET (405, empty body) and OPTIONS
    (200 ``{}`` with CORS headers); every other verb is handled like POST (contract §2.3)."""
    if request.method == "OPTIONS":
        return preflight(request)
    require_auth_header(request)
    raise empty_405()


def empty_405() -> ApiError:
    """The route builder's loader: ``new Response(null, {status: 405})``, no content type."""
    return ApiError(405, body=b"", media_type=None)


def preflight(request: Request) -> Response:
    headers = {
        "Access-Control-Allow-Origin": request.headers.get("origin", "*"),
        "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
        "Access-Control-Allow-Headers": request.headers.get("access-control-request-headers", "*"),
        "Access-Control-Expose-Headers": "x-trigger-jwt, x-trigger-jwt-claims",
        "Access-Control-Max-Age": "86400",
    }
    return json_response({}, 200, headers)
