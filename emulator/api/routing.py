"""Starlette's ``Route``, answering "no match" for a path outside its literal prefix at once.

Starlette's router tries its routes in order until one matches, and a route's check (its path
read through the root path, a regular expression, a fresh scope) costs about 1 µs even when the
path cannot match: with ~95 routes, a late one (``/healthz``, the realtime and dashboard routes)
spent ~50 µs in routing and an unknown path ~190 µs (every route twice: the router also tries
the path with its trailing slash flipped). A route's path template starts with a literal part
that its expression matches character for character, so a path that does not start with it
cannot match: checking that first changes no answer."""

from __future__ import annotations

from typing import Any

from starlette import routing


class Route(routing.Route):
    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self._prefix = path.split("{", 1)[0]

    def matches(self, scope: Any) -> tuple[routing.Match, dict[str, Any]]:
        # (under a root path the route sees the path without it: Starlette's own check then)
        if scope["type"] == "http" and not scope.get("root_path") and not scope["path"].startswith(self._prefix):
            return routing.Match.NONE, {}
        return super().matches(scope)
