"""Presigned packet URLs: what lets a client with no key PUT or GET one stored object.

Like S3's query-signed URLs, every credential is in the query string: an expiry (unix
seconds) and an HMAC-SHA256 over the method, the object (environment and path) and that
expiry, keyed by the database's own secret. A PUT URL does not work for GET, nor the reverse.
Expiry is measured on the wall clock, not the emulator's: a test that moves the emulator
clock by hours between presigning and uploading must not break the upload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote, urlencode

from .limits import PRESIGNED_URL_TTL_S

OBJECTS_PREFIX = "/_emulator/objects"
EXPIRED = "Request has expired"
BAD_SIGNATURE = "The request signature does not match"


def safe_path(path: str) -> bool:
    """Production's packet path rules (``assertRawPacketRelativePathSegments``): no empty,
    ``.`` or ``..`` segment (also once percent-decoded), no backslash, no leading slash."""
    if not path or "\\" in path or path.startswith("/"):
        return False
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            return False
        if "%" in segment:
            try:
                decoded = _decode_component(segment)
            except ValueError:
                return False
            if decoded in (".", "..") or "/" in decoded:
                return False
    return True


def _decode_component(segment: str) -> str:
    """``decodeURIComponent``: ValueError on a malformed escape or invalid UTF-8."""
    out = bytearray()
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "%":
            pair = segment[i + 1 : i + 3]
            if len(pair) != 2 or any(c not in "0123456789abcdefABCDEF" for c in pair):
                raise ValueError("malformed escape")
            out.append(int(pair, 16))
            i += 3
        else:
            out.extend(char.encode("utf-8", "surrogatepass"))
            i += 1
    return out.decode("utf-8")


class UrlSigner:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _signature(self, method: str, env_id: str, path: str, expires: int) -> str:
        message = f"{method}\n{env_id}/{path}\n{expires}".encode("utf-8", "surrogatepass")
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def url(self, base_url: str, method: str, env_id: str, path: str, now_s: int, ttl_s: int = PRESIGNED_URL_TTL_S) -> str:
        """An absolute URL at ``base_url`` (the server's own address) for ``method``."""
        expires = now_s + ttl_s
        query = urlencode({"expires": expires, "signature": self._signature(method, env_id, path, expires)})
        return f"{base_url.rstrip('/')}{OBJECTS_PREFIX}/{quote(env_id, safe='')}/{quote(path)}?{query}"

    def refusal(self, method: str, env_id: str, path: str, expires: str | None, signature: str | None, now_s: int) -> str | None:
        """Why a request for the object may not proceed (403), or None when it may."""
        if not expires or not signature or not expires.isdigit() or len(expires) > 12:
            return BAD_SIGNATURE
        expected = self._signature(method, env_id, path, int(expires))
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return BAD_SIGNATURE
        if int(expires) < now_s:
            return EXPIRED
        return None
