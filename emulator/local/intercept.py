"""Routing HTTP clients to an in-process emulator: httpx through respx, ``requests`` through
a patched adapter. Traffic to other hosts passes through untouched, and other respx routers
(a test's own ``respx_mock``) keep answering for the hosts they mock."""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterable, Iterator
from unittest import mock
from urllib.parse import urlsplit

import httpx
import respx
from respx.mocks import HTTPCoreMocker

Handler = Callable[[httpx.Request], httpx.Response]
#: The host the SDK calls unless ``TRIGGER_API_URL`` says otherwise.
DEFAULT_HOST = "https://api.trigger.dev"


def _host_of(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"https://{url}")
    return parts.netloc.lower()


class Interceptor:
    """Routes calls for ``hosts`` to ``handler`` while started. The respx router and the
    ``requests`` patch are installed once and stay until ``close``: stopping only makes them
    pass every call through (to a later respx router, else the network), so a test's start
    and stop cost a flag, not a round of ``mock.patch``."""

    def __init__(self, handler: Handler, hosts: Iterable[str]) -> None:
        self._handler = handler
        self.hosts = {_host_of(h) for h in hosts}
        self.active = False
        self._router: respx.MockRouter | None = None
        self._requests_patch = None

    def __enter__(self) -> "Interceptor":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, hosts: Iterable[str] | None = None) -> None:
        """Intercept (``hosts`` replaces the hosts given before)."""
        if hosts is not None:
            self.hosts = {_host_of(h) for h in hosts}
        if self._router is None:
            router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
            router.route().mock(side_effect=self._route)
            router.start()
            self._router = router
            self._patch_requests()
        self.active = True

    def stop(self) -> None:
        """Pass every call through again (what respx recorded is dropped)."""
        self.active = False
        if self._router is not None:
            self._router.reset()

    def close(self) -> None:
        """Remove the router and the ``requests`` patch."""
        self.active = False
        if self._router is not None:
            self._router.stop(quiet=True)
            self._router = None
        if self._requests_patch is not None:
            self._requests_patch.stop()
            self._requests_patch = None

    def matches(self, url: httpx.URL | str) -> bool:
        return self.active and _host_of(str(url)) in self.hosts

    def _route(self, request: httpx.Request):
        if not self.matches(request.url):
            return self._defer(request)
        return self._handler(request)

    def _defer(self, request: httpx.Request):
        # Not ours: let a later router (the test's own respx mock) answer if there is one,
        # else pass the request through to the network untouched.
        routers = HTTPCoreMocker.routers
        later = routers[routers.index(self._router) + 1 :] if self._router in routers else []
        return None if later else request

    # -- requests -------------------------------------------------------------------------
    def _patch_requests(self) -> None:
        try:
            import requests.adapters
        except ImportError:  # the `requests` extra is not installed
            return
        original = requests.adapters.HTTPAdapter.send
        interceptor = self

        def send(adapter, request, *args, **kwargs):
            if not interceptor.matches(request.url):
                return original(adapter, request, *args, **kwargs)
            return interceptor._requests_response(adapter, request)

        self._requests_patch = mock.patch.object(requests.adapters.HTTPAdapter, "send", send)
        self._requests_patch.start()

    def _requests_response(self, adapter, prepared):
        import requests

        body = prepared.body
        if body is None:
            content = b""
        elif isinstance(body, str):
            content = body.encode("utf-8")
        elif isinstance(body, (bytes, bytearray)):
            content = bytes(body)
        else:  # an iterable or file: a streamed (chunked) body
            content = b"".join(chunk.encode() if isinstance(chunk, str) else chunk for chunk in body)
        request = httpx.Request(prepared.method, prepared.url, headers=list(prepared.headers.items()), content=content)
        if "content-length" not in {k.lower() for k in prepared.headers}:
            request.headers.pop("content-length", None)
        answer = self._handler(request)
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = requests.structures.CaseInsensitiveDict(answer.headers.items())
        response._content = answer.content
        response.encoding = answer.encoding
        response.url = prepared.url
        response.request = prepared
        response.reason = answer.reason_phrase
        response.connection = adapter
        return response


class Intercepting:
    """``LocalEmulator``'s interception: one ``Interceptor`` per emulator, switched on per test."""

    url: str | None
    base_url: str
    _interceptor: Interceptor | None

    handle: Any  # LocalEmulator's: answer one httpx request
    serve: Any  # LocalEmulator's: serve over a real socket

    def intercept(self, hosts: Iterable[str] = ()) -> Interceptor:
        """Route httpx (and ``requests``) calls for the Trigger.dev host, ``base_url`` and
        ``hosts`` to this emulator until ``stop_intercepting``."""
        wanted = {DEFAULT_HOST, *hosts}
        if self.url is None:
            wanted.add(self.base_url)
        if self._interceptor is None:
            self._interceptor = Interceptor(self.handle, wanted)
        self._interceptor.start(wanted)
        return self._interceptor

    def stop_intercepting(self) -> None:
        """Calls go to the network again (the patches stay, passing them through, until
        ``close``)."""
        if self._interceptor is not None:
            self._interceptor.stop()

    @contextlib.contextmanager
    def session(self, *, serve: bool = False, hosts: Iterable[str] = ()) -> Iterator[Any]:
        """One test's use: served on a free port (``serve=True``) or addressed as the
        Trigger.dev host, with httpx/requests intercepted until the block ends."""
        if serve:
            self.serve()
        else:
            self.base_url = DEFAULT_HOST
        self.intercept(hosts)
        try:
            yield self
        finally:
            self.stop_intercepting()
            self.base_url = DEFAULT_HOST

