"""What careful local dev servers do, so no web page the developer visits can drive the
emulator (as Vite, webpack-dev-server and Jupyter do):

- **Host allow-list** (DNS rebinding): a served emulator answers only requests addressed to
  it: ``localhost``, ``*.localhost``, loopback addresses, the host of its own base URL (every
  IP address when bound to ``0.0.0.0``/``::``) and the names in ``Config.allowed_hosts``
  (``--allowed-host``; a leading ``.`` adds subdomains, ``*`` turns the check off). The
  in-process transport is exempt: it answers as ``api.trigger.dev`` and no browser reaches it.
- **Origin** (CSRF): a state-changing request outside the CORS-open public API (``/api/``,
  ``/realtime/``) and the signed object URLs is refused when it carries a foreign ``Origin``
  (``null`` included) or ``Sec-Fetch-Site: cross-site``/``same-site``. Clients that send no
  ``Origin`` (curl, the SDK, test suites) are not browsers' cross-site requests and pass.
- **JSON only** on the control API: a body must be ``application/json``, which a cross-site
  form cannot send and a cross-site ``fetch`` cannot send without a preflight the emulator
  never grants.

Each check is a comparison of a few header values, made once per request in the API
middleware; the Host decision is cached per distinct Host value.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from ..core import wire_json
from ..core.config import Config

#: The ASGI scope extension the in-process transport sets (no server can set it).
IN_PROCESS = "trigger_emulator.in_process"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_OPEN_PREFIXES = ("/api/", "/realtime/", "/_emulator/objects/")
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_CACHE_LIMIT = 256

Refusal = tuple[int, bytes]


def _hostname(host: str) -> str:
    """The name part of a Host header value (``[::1]:3030`` -> ``::1``), lowercased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class SiteGuard:
    def __init__(self, config: Config) -> None:
        self._config = config
        self._decisions: dict[bytes, bool] = {}
        self._seen: tuple[str, tuple[str, ...]] | None = None

    def _rules(self) -> tuple[str, set[str], tuple[str, ...], bool, bool]:
        base = _hostname(urlsplit(self._config.base_url).netloc.rsplit("@", 1)[-1])
        names = {n.strip().lower() for n in self._config.allowed_hosts if n.strip()}
        suffixes = tuple(n for n in names if n.startswith("."))
        any_ip = base in ("0.0.0.0", "::")
        return base, names, suffixes, any_ip, "*" in names

    def host_allowed(self, raw: bytes) -> bool:
        key = (self._config.base_url, tuple(self._config.allowed_hosts))
        if key != self._seen:  # the settings changed (LocalEmulator.serve sets the base URL)
            self._decisions.clear()
            self._seen = key
        decided = self._decisions.get(raw)
        if decided is None:
            decided = self._decide(raw.decode("latin-1"))
            if len(self._decisions) >= _CACHE_LIMIT:
                self._decisions.clear()
            self._decisions[raw] = decided
        return decided

    def _decide(self, host: str) -> bool:
        base, names, suffixes, any_ip, everything = self._rules()
        name = _hostname(host)
        if everything or not name:
            return everything
        if name in _LOOPBACK_NAMES or name.endswith(".localhost") or name == base or name in names:
            return True
        if any(name.endswith(s) or name == s[1:] for s in suffixes):
            return True
        if _is_ip(name):
            return any_ip or ipaddress.ip_address(name).is_loopback
        return False

    def check(self, scope: dict[str, Any]) -> Refusal | None:
        """The refusal for this request, or None to let it through."""
        host = origin = site = content_type = length = chunked = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"origin":
                origin = value
            elif name == b"sec-fetch-site":
                site = value
            elif name == b"content-type":
                content_type = value
            elif name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = value
        if host is not None and not self.host_allowed(host) and IN_PROCESS not in (scope.get("extensions") or ()):
            shown = host.decode("latin-1")
            return 403, _error(
                f'Blocked request: Host "{shown}" is not allowed. To serve it, start the emulator with '
                f"--allowed-host {_hostname(shown) or shown} (Config.allowed_hosts)."
            )
        path = scope["path"]
        if scope["method"] in _SAFE_METHODS or path.startswith(_OPEN_PREFIXES):
            return None
        if site in (b"cross-site", b"same-site") or (origin is not None and not _same_origin(origin, scope, host)):
            return 403, _error("Cross-origin request refused: the emulator takes state changes only from its own pages and from clients that send no Origin")
        if path.startswith("/__emulator/"):
            has_body = chunked is not None or (length is not None and length.strip() not in (b"", b"0"))
            if (content_type is not None and not _is_json(content_type)) or (content_type is None and has_body):
                return 415, _error("Content-Type must be application/json")
        return None


def _same_origin(origin: bytes, scope: dict[str, Any], host: bytes | None) -> bool:
    if host is None or origin == b"null":
        return False
    return origin.lower() == f"{scope.get('scheme', 'http')}://".encode() + host.lower()


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


def _error(message: str) -> bytes:
    return wire_json.encode({"error": message})
