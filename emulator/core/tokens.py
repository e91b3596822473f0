"""Public access tokens: the HS256 JWTs the server returns and accepts (contract §2.2, §2.6)."""

from __future__ import annotations

import base64
import hmac
import json
import warnings

import jwt

#: One compact encoder, built once (``json.dumps`` with separators builds one per call).
_compact = json.JSONEncoder(separators=(",", ":")).encode

ISSUER = "https://id.trigger.dev"
AUDIENCE = "https://api.trigger.dev"


def claims_header(env_id: str, scopes: list[str] | None = None, realtime: object = None) -> str:
    """``x-trigger-jwt-claims``: the full claims on trigger, only sub/pub on batch routes."""
    claims: dict = {"sub": env_id, "pub": True}
    if scopes is not None:
        claims["scopes"] = scopes
        if realtime is not None:
            claims["realtime"] = realtime
    return _compact(claims)


def mint(secret_key: str, env_id: str, scopes: list[str], now_s: int, ttl_s: int = 3600, realtime: object = None) -> str:
    payload = {
        "sub": env_id,
        "pub": True,
        "scopes": scopes,
        "iat": now_s,
        "exp": now_s + ttl_s,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    if realtime is not None:
        payload["realtime"] = realtime  # the caller's own claim, carried over (never a scope)
    # Compact JWS, HS256, exactly what jwt.encode writes (PyJWT verifies it in ``verify``), in
    # a tenth of the time: it is minted on every trigger. Upstream signs with the environment's
    # API key whatever its length; so do we.
    body = _b64(_compact(payload).encode())
    signing_input = _HEADER + b"." + body
    signature = hmac.digest(secret_key.encode(), signing_input, "sha256")
    return (signing_input + b"." + _b64(signature)).decode()


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


_HEADER = _b64(b'{"alg":"HS256","typ":"JWT"}')


def jwt_headers(
    secret_key: str, env_id: str, scopes: list[str], now_s: int, *, full_claims: bool, realtime: object = None
) -> dict[str, str]:
    return {
        "x-trigger-jwt": mint(secret_key, env_id, scopes, now_s, realtime=realtime),
        "x-trigger-jwt-claims": claims_header(env_id, scopes if full_claims else None, realtime),
    }


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("ey")


def unverified_subject(token: str) -> dict | None:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, RecursionError):  # a hostile token: malformed or absurdly nested
        return None
    return claims if isinstance(claims, dict) else None


def verify(token: str, secret_key: str, now_s: int) -> dict | None:
    """Claims of a valid public token, else None. ``now_s`` is the emulator clock's."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            claims = jwt.decode(
                token,
                secret_key,
                algorithms=["HS256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
    except (jwt.PyJWTError, ValueError, RecursionError):  # a hostile token: malformed or absurdly nested
        return None
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and exp < now_s:
        return None
    return claims


#: A resource a scope may grant: ``(type, id)``, or ``(type, None)`` for the whole type.
Resource = tuple[str, "str | None"]
#: ``withActionAliases``: when an action is not granted, ``write`` grants these too.
_WRITE_ALIASES = frozenset({"trigger", "batchTrigger", "update"})


def _parse(scope: object) -> tuple[str, str | None, str | None] | None:
    """``parseScope``: ``action:type[:id…]``; an empty type or id counts as absent."""
    if not isinstance(scope, str):
        return None  # production throws on a non-string scope (500); it grants nothing here
    parts = scope.split(":")
    if not parts[0]:
        return None
    kind = parts[1] if len(parts) > 1 and parts[1] else None
    ident = (":".join(parts[2:]) or None) if len(parts) > 2 else None
    return parts[0], kind, ident


def _matches(scopes: list, action: str, resource: Resource) -> bool:
    kind, ident = resource
    for scope in scopes:
        parsed = _parse(scope)
        if parsed is None:
            continue
        s_action, s_type, s_id = parsed
        if s_action == "admin" and s_type is None:
            return True  # bare "admin" only: "admin:runs" is no wildcard
        if s_action not in (action, "*"):
            continue
        if s_type == "all":
            return True
        if s_type != kind:
            continue
        if s_id is None or s_id == ident:
            return True  # a type-level scope covers every id; an id scope never a whole type
    return False


def can(scopes: list, action: str, *resources: Resource) -> bool:
    """``buildJwtAbility().can`` with the action aliases: any of ``resources`` granted."""
    if not resources:
        return False  # an empty resource list is always denied
    if any(_matches(scopes, action, r) for r in resources):
        return True
    return action in _WRITE_ALIASES and any(_matches(scopes, "write", r) for r in resources)


def can_every(scopes: list, action: str, resources: list[Resource], unless: tuple[Resource, ...] = ()) -> bool:
    """``everyResource(resources, unless)``: any of ``unless`` granted, else every resource
    (none at all is denied)."""
    if unless and can(scopes, action, *unless):
        return True
    return bool(resources) and all(can(scopes, action, r) for r in resources)


def scope_allows(scopes: list, action: str, resource_type: str, resource_id: str | None = None) -> bool:
    """``can`` for one resource (an id of None is the whole type)."""
    return can(scopes, action, (resource_type, resource_id))
