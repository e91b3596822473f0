"""Routing HTTP clients to an in-process emulator: httpx at its transport (``HTTPTransport``
and ``AsyncHTTPTransport``), ``requests`` through a patched adapter. Traffic to other hosts
passes through untouched, to whatever is below: the network, or a test's own ``respx_mock``
(respx patches httpcore, under the transport), which keeps answering for the hosts it mocks.

Why not a respx router: respx turns every request into an httpcore request, back into an
httpx request (parsing its URL again) and the answer into an httpcore response, and inspects
the side effect's signature per call; that was 0.3 ms a request, more than the emulator's own
work for a retrieve (bench/bench_peer.py). A request for the emulator's hosts never needs to
reach httpcore at all."""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterable, Iterator
from unittest import mock

import httpx

Handler = Callable[[httpx.Request], httpx.Response]
#: The host the SDK calls unless ``TRIGGER_API_URL`` says otherwise.
DEFAULT_HOST = "https://api.trigger.dev"


def _host_of(url: str) -> str:
    """``host[:port]`` as httpx spells a URL's netloc (a default port left out)."""
    return httpx.URL(url if "://" in url else f"https://{url}").netloc.decode("ascii").lower()


class Interceptor:
    """Routes calls for ``hosts`` to ``handler`` while started. The transport and ``requests``
    patches are installed once and stay until ``close``: stopping only makes them pass every
    call through, so a test's start and stop cost a flag, not a round of ``mock.patch``."""

    def __init__(self, handler: Handler, hosts: Iterable[str]) -> None:
        self._handler = handler
        self.hosts = {_host_of(h) for h in hosts}
        self.active = False
        self._patches: list[Any] = []

    def __enter__(self) -> "Interceptor":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, hosts: Iterable[str] | None = None) -> None:
        """Intercept (``hosts`` replaces the hosts given before)."""
        if hosts is not None:
            self.hosts = {_host_of(h) for h in hosts}
        if not self._patches:
            self._patch_httpx()
            self._patch_requests()
        self.active = True

    def stop(self) -> None:
        """Pass every call through again."""
        self.active = False

    def close(self) -> None:
        """Remove the patches (the last installed first)."""
        self.active = False
        while self._patches:
            self._patches.pop().stop()

    def matches(self, url: httpx.URL | str) -> bool:
        if not self.active:
            return False
        if isinstance(url, httpx.URL):
            return url.netloc.decode("ascii").lower() in self.hosts
        try:
            return _host_of(url) in self.hosts
        except httpx.InvalidURL:  # not a URL httpx can read: not one of ours (``requests`` judges it)
            return False

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        patch = mock.patch.object(owner, name, replacement)
        patch.start()
        self._patches.append(patch)

    # -- httpx ----------------------------------------------------------------------------
    def _patch_httpx(self) -> None:
        interceptor = self
        handle_sync = httpx.HTTPTransport.handle_request
        handle_async = httpx.AsyncHTTPTransport.handle_async_request

        def handle_request(transport, request):
            if not interceptor.matches(request.url):
                return handle_sync(transport, request)
            request.read()
            return interceptor._handler(request)

        async def handle_async_request(transport, request):
            if not interceptor.matches(request.url):
                return await handle_async(transport, request)
            await request.aread()
            return interceptor._handler(request)

        self._patch(httpx.HTTPTransport, "handle_request", handle_request)
        self._patch(httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request)

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

        self._patch(requests.adapters.HTTPAdapter, "send", send)

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

