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

import httpx

Handler = Callable[[httpx.Request], httpx.Response]
#: The host the SDK calls unless ``TRIGGER_API_URL`` says otherwise.
DEFAULT_HOST = "https://api.trigger.dev"


def _host_of(url: str) -> str:
    """``host[:port]`` as httpx spells a URL's netloc (a default port left out)."""
    return httpx.URL(url if "://" in url else f"https://{url}").netloc.decode("ascii").lower()


class _Patch:
    """One attribute of a class replaced while an interceptor lives, robust to other libraries
    that replace the same attribute around it (pytest-httpx's ``httpx_mock`` patches httpx's
    transport, ``responses`` patches ``requests``): ``install`` puts ours back when something
    replaced or removed it, and what ours passes through to is whatever it found there;
    ``remove`` restores only while ours is still in place."""

    def __init__(self, owner: Any, name: str, replacement: Callable[["_Patch"], Any]) -> None:
        self.owner, self.name = owner, name
        self.previous: Any = None
        self.ours = replacement(self)  # calls ``self.previous`` for what it does not answer

    def install(self) -> None:
        current = getattr(self.owner, self.name)
        if current is not self.ours:
            self.previous = current
            setattr(self.owner, self.name, self.ours)

    def remove(self) -> None:
        if getattr(self.owner, self.name) is self.ours:
            setattr(self.owner, self.name, self.previous)


class Interceptor:
    """Routes calls for ``hosts`` to ``handler`` while started. The transport and ``requests``
    patches stay installed until ``close``: stopping only makes them pass every call through,
    so a test's start and stop cost a flag and an identity check per patch."""

    def __init__(self, handler: Handler, hosts: Iterable[str]) -> None:
        self._handler = handler
        self.hosts = {_host_of(h) for h in hosts}
        self.active = False
        self._patches: list[_Patch] = []

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
            self._patches = [*self._httpx_patches(), *self._requests_patches()]
        for patch in self._patches:  # (back) in place, whatever another library did meanwhile
            patch.install()
        self.active = True

    def stop(self) -> None:
        """Pass every call through again."""
        self.active = False

    def close(self) -> None:
        """Remove the patches (the last installed first)."""
        self.active = False
        while self._patches:
            self._patches.pop().remove()

    def matches(self, url: httpx.URL | str) -> bool:
        if not self.active:
            return False
        if isinstance(url, httpx.URL):
            return url.netloc.decode("ascii").lower() in self.hosts
        try:
            return _host_of(url) in self.hosts
        except httpx.InvalidURL:  # not a URL httpx can read: not one of ours (``requests`` judges it)
            return False

    # -- httpx ----------------------------------------------------------------------------
    def _httpx_patches(self) -> list[_Patch]:
        interceptor = self

        def sync(patch: _Patch) -> Callable[..., Any]:
            def handle_request(transport, request):
                if not interceptor.matches(request.url):
                    return patch.previous(transport, request)
                request.read()
                return interceptor._handler(request)
            return handle_request

        def asynchronous(patch: _Patch) -> Callable[..., Any]:
            async def handle_async_request(transport, request):
                if not interceptor.matches(request.url):
                    return await patch.previous(transport, request)
                await request.aread()
                return interceptor._handler(request)
            return handle_async_request

        return [_Patch(httpx.HTTPTransport, "handle_request", sync),
                _Patch(httpx.AsyncHTTPTransport, "handle_async_request", asynchronous)]

    # -- requests -------------------------------------------------------------------------
    def _requests_patches(self) -> list[_Patch]:
        try:
            import requests.adapters
        except ImportError:  # the `requests` extra is not installed
            return []
        interceptor = self

        def replacement(patch: _Patch) -> Callable[..., Any]:
            def send(adapter, request, *args, **kwargs):
                if not interceptor.matches(request.url):
                    return patch.previous(adapter, request, *args, **kwargs)
                return interceptor._requests_response(adapter, request)
            return send

        return [_Patch(requests.adapters.HTTPAdapter, "send", replacement)]

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

