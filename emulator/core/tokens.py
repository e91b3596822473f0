"""Public access tokens: the HS256 JWTs the server returns and accepts (contract §2.2, §2.6)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import warnings

import jwt

ISSUER = "https://id.trigger.dev"
AUDIENCE = "https://api.trigger.dev"


def claims_header(env_id: str, scopes: list[str] | None = None) -> str:
    """``x-trigger-jwt-claims``: the full claims on trigger, only sub/pub on batch routes."""
    claims: dict = {"sub": env_id, "pub": True}
    if scopes is not None:
        claims["scopes"] = scopes
    return json.dumps(claims, separators=(",", ":"))


def mint(secret_key: str, env_id: str, scopes: list[str], now_s: int, ttl_s: int = 3600) -> str:
    payload = {
        "sub": env_id,
        "pub": True,
        "scopes": scopes,
        "iat": now_s,
        "exp": now_s + ttl_s,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    # Compact JWS, HS256, exactly what jwt.encode writes (PyJWT verifies it in ``verify``), in
    # a tenth of the time: it is minted on every trigger. Upstream signs with the environment's
    # API key whatever its length; so do we.
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signing_input = _HEADER + b"." + body
    signature = hmac.new(secret_key.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + _b64(signature)).decode()


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


_HEADER = _b64(b'{"alg":"HS256","typ":"JWT"}')


def jwt_headers(secret_key: str, env_id: str, scopes: list[str], now_s: int, *, full_claims: bool) -> dict[str, str]:
    return {
        "x-trigger-jwt": mint(secret_key, env_id, scopes, now_s),
        "x-trigger-jwt-claims": claims_header(env_id, scopes if full_claims else None),
    }


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("ey")


def unverified_subject(token: str) -> dict | None:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
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
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and exp < now_s:
        return None
    return claims


def scope_allows(scopes: list[str], action: str, resource_type: str, resource_id: str | None = None) -> bool:
    """``action:type[:id]`` scopes; ``*`` actions, ``all`` types and bare ``admin`` (JWTA)."""
    for scope in scopes or []:
        if scope == "admin":
            return True
        parts = scope.split(":", 2)
        if len(parts) < 2:
            continue
        s_action, s_type = parts[0], parts[1]
        s_id = parts[2] if len(parts) == 3 else None
        if s_action not in (action, "*"):
            continue
        if s_type not in (resource_type, "all"):
            continue
        if s_id is None or s_id == resource_id:
            return True
    return False
